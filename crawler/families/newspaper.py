"""Báo Đồng Tháp's newspaper CMS in its three URL eras (../shared/portals.md, section 3).

================  ========================================  ======================================
Era               Article URL                               Date line
================  ========================================  ======================================
ASP.NET, ≤ 2025   ``/<cat>/<slug>-<id>.aspx``               ``Cập nhật ngày: 03/07/2020 17:45:55``
Aug-Oct 2025      ``/<cat>/<yyyymm>/<slug>-<7 digits>``     ``Thứ Sáu, 29/08/2025, 09:51 (GMT+7)``
2026              ``/<slug>-a<id>.html``                    ``Chủ Nhật, 18/01/2026, 21:21 (GMT+7)``
================  ========================================  ======================================

Identity is the numeric id, never the host or the slug: within the ASP.NET era
the same id names the same article on baodongthap.com.vn and on baodongthap.vn
(the host was renamed), so both URLs give one ``source_key``. The key is
namespaced by era (``aspx:<id>``, ``2025:<id>``, ``2026:<id>``) because nobody
knows whether the later platforms reuse the ASP.NET id space (the Aug-Oct 2025
ids have 7 digits, perhaps another platform's counter after the merger with Báo
Ấp Bắc; the 2026 ids carry an ``a`` prefix). Sharing one key across eras would merge
unrelated articles whose ids collide; separate keys cost nothing, because a
story carried from one era to the next has the same content hash and shows up
in ``shared_content``. Changing this rule later needs a data migration.

Leads begin ``ĐTO - `` or ``(ĐTO) `` [E]. The prefix is part of what the paper
published, so it stays in the text; it is only *recognised*
(:func:`has_dto_prefix`) to find the lead when an image and caption come first.
A bare video URL (``http://baodongthap.com.vn/database/video/….mp4``) may
precede the lead [E]: it is kept as a media URL, never as text.
Markup of the 2025 and 2026 eras was never recorded: their selectors are the
[R] constants ``ERA_2025`` and ``ERA_2026`` below, and only there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import SplitResult, parse_qsl, urlsplit

import scrapy
from lxml.html import HtmlElement
from scrapy.http import Response, TextResponse

from archive.capture import Image
from archive.dates import parse_vn_datetime
from archive.normalise import fold, join_paragraphs, normalise_line
from crawler.extract import (
    Body,
    blocks,
    element_text,
    extract_body,
    first_with_text,
    iter_links,
    right_aligned,
    safe_urljoin,
    signature,
    text_of,
    title_of,
    to_element,
)
from crawler.families.base import BodyReading, PortalSpider

logger = logging.getLogger(__name__)

_DTO_PREFIX = re.compile(r"(?:[ĐÐ]TO\s*[-–—]|\(\s*[ĐÐ]TO\s*\))")
#: how far into the body a lead with the ĐTO prefix is looked for (after a top image and caption)
_LEAD_SEARCH = 3


def has_dto_prefix(text: str) -> bool:
    """True when ``text`` opens with the paper's lead mark, ``ĐTO - `` or ``(ĐTO)``
    (NFD, entities and the Icelandic Ð that legacy converters emit for Đ included)."""
    return bool(_DTO_PREFIX.match(normalise_line(text)))


def choose_lead(text: str) -> str:
    """The lead of a body text: the first early paragraph carrying the ĐTO mark,
    else the opening paragraph."""
    paragraphs = [p for p in text.split("\n\n") if p]
    marked = (p for p in paragraphs[:_LEAD_SEARCH] if has_dto_prefix(p))
    return next(marked, paragraphs[0] if paragraphs else "")


@dataclass(frozen=True)
class Era:
    """One URL era: its article URL grammar (source-key namespace ``name``) and article selectors."""

    name: str
    article_path: re.Pattern[str]
    title: tuple[str, ...]
    date: tuple[str, ...]
    lead: tuple[str, ...]  # a separate sapo element; none in the ASP.NET era
    body: tuple[str, ...]


# [E] URL grammar and selectors (h1#title, div#current-date, div#content) of the ASP.NET era.
ERA_ASPX = Era(
    name="aspx",
    article_path=re.compile(r"/[^/]+/[^/]+-(?P<id>\d+)\.aspx", re.IGNORECASE),
    title=("h1#title",),
    date=("div#current-date",),
    lead=(),
    body=("div#content",),
)
# [E] URL grammar; [R] every selector: the Aug-Oct 2025 article markup was never recorded.
ERA_2025 = Era(
    name="2025",
    article_path=re.compile(r"/[^/]+/\d{6}/[^/]+-(?P<id>\d{7})/?"),
    title=("article.article-detail h1.article-title", "h1.article-title"),
    date=("article.article-detail .article-meta .article-date", ".article-date"),
    lead=("article.article-detail .article-sapo", ".article-sapo"),
    body=("article.article-detail .article-body", ".article-body"),
)
# [E] URL grammar; [R] every selector: the 2026 article markup was never recorded.
ERA_2026 = Era(
    name="2026",
    article_path=re.compile(r"/[^/]+-a(?P<id>\d+)\.html"),
    title=("div.detail-page h1.detail-title", "h1.detail-title"),
    date=("div.detail-page .detail-time", ".detail-time"),
    lead=("div.detail-page .detail-sapo", ".detail-sapo"),
    body=("div.detail-page .detail-content", ".detail-content"),
)
ERAS = (ERA_ASPX, ERA_2025, ERA_2026)


def era_of(url: str) -> tuple[Era, str] | None:
    """The URL era of an article URL and the article's id in it; None for any other URL."""
    parts = _split(url)
    if parts is None:
        return None
    for era in ERAS:
        if found := era.article_path.fullmatch(parts.path):
            return era, found["id"]
    return None


def article_key(url: str) -> str | None:
    """``<era>:<id>``, the same for one article under every host name and slug."""
    found = era_of(url)
    return f"{found[0].name}:{found[1]}" if found else None


def _split(url: str) -> SplitResult | None:
    """``urlsplit``, or None for a link no browser could follow (``http://[bad``)."""
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 (validates the netloc)
    except ValueError:
        return None
    return parts


def _links(response: TextResponse, css: str) -> Iterator[str]:
    """Link targets without their fragments: one article or listing page is one URL here."""
    return (url.split("#", 1)[0] for url in iter_links(response, css, response.url))


def _listing_query(query: str) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() != "page")


class NewspaperSpider(PortalSpider):
    """Báo Đồng Tháp's CMS: a subclass sets ``hosts`` (current host first) and ``listing_urls``."""

    family = "newspaper"
    level = "newspaper"
    hosts: ClassVar[tuple[str, ...]]
    listing_urls: ClassVar[tuple[str, ...]]

    # [E] listing items of the ASP.NET era; [E] links of the 2026 site.
    LISTING_LINKS = (
        "div#cate-content div.item a.title::attr(href)",
        "a.news-title::attr(href)",
        "a.title::attr(href)",
    )
    # [E] page chrome text; [R] on older templates it sits inside the body element.
    CHROME_LINES = frozenset(fold(line) for line in ("Trở về trang trước", "Gửi bình luận của bạn"))
    # [E] the bare video URL before the lead; any media file alone on a line counts.
    VIDEO_LINE = re.compile(r"\S*/database/video/\S+|https?://\S+\.(?:mp4|flv|wmv|webm|mov|m4v)", re.I)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = list(self.hosts)

    def start_page_urls(self) -> list[str]:
        return list(self.listing_urls)

    def on_site(self, url: str) -> bool:
        parts = _split(url)
        return parts is not None and (parts.hostname or "").removeprefix("www.") in self.hosts

    def is_article_url(self, url: str) -> bool:
        return self.on_site(url) and era_of(url) is not None

    def is_site_article_url(self, url: str) -> bool:
        return self.is_article_url(url) and self.source_key(url) is not None

    def source_key(self, url: str) -> str | None:
        return article_key(url) if self.on_site(url) else None

    # -- listing ---------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        for url in self._article_links(response):
            yield self.article_request(url)
        for url in dict.fromkeys(self._pager_links(response)):
            yield self.listing_request(url)

    def _article_links(self, response: TextResponse) -> list[str]:
        found = [u for css in self.LISTING_LINKS for u in _links(response, css)]
        links = [u for u in found if self.is_article_url(u)]
        if not links:  # an unseen listing template: any article-shaped link will do
            links = [u for u in _links(response, "a::attr(href)") if self.is_article_url(u)]
        return list(dict.fromkeys(links))

    def _pager_links(self, response: TextResponse) -> Iterator[str]:
        """Other pages of this listing: same path and parameters, another ``page=N``. The
        URL grammar is [E] (``/<cat>?cate=<n>&page=<N>``); the pager markup is not, so it is not used."""
        here = urlsplit(response.url)
        for url in _links(response, "a::attr(href)"):
            there = _split(url)
            if (
                there is not None
                and self.on_site(url)
                and there.path.lower() == here.path.lower()
                and any(k.lower() == "page" and v.isdigit() for k, v in parse_qsl(there.query))
                and _listing_query(there.query) == _listing_query(here.query)
            ):
                yield url

    # -- article ---------------------------------------------------------------------

    # -- article: hooks of the template in crawler/families/base.py ---------------------

    def read_body(self, response: TextResponse) -> BodyReading:
        element = first_with_text(response, _era(response.url).body)
        return self._read_body(to_element(element), response.url) if element is not None else None

    def read_lead(self, response: TextResponse, body: Body) -> tuple[Body, str | None]:
        """The sapo of the later eras opens the body; else the ĐTO-marked paragraph is the lead."""
        element = first_with_text(response, _era(response.url).lead)
        lead = normalise_line(element_text(to_element(element))) if element is not None else ""
        if lead and not body.text.startswith(lead):
            body.text = join_paragraphs([lead, body.text])
        return body, lead or choose_lead(body.text)

    def read_title(self, response: TextResponse) -> str:
        return title_of(response, _era(response.url).title)

    def read_date(self, response: TextResponse, body: Body) -> datetime | None:
        lines = (text_of(response, css) for css in _era(response.url).date)
        return next((stamp for line in lines if (stamp := parse_vn_datetime(line))), None)

    def _read_body(self, root: HtmlElement, base_url: str) -> Body | None:
        """The body without its video line and chrome. The author is the last right-aligned
        paragraph [E], even when a photo credit follows it; the generic rule (a name in the last
        paragraph) only applies when no right-aligned paragraph reads as a signature."""
        media = self._drop_video_lines(root, base_url)
        for block in blocks(root):
            if block is not root and self._is_chrome(block):
                block.drop_tree()
        if (author := _right_aligned_author(root)) is not None and author is not blocks(root)[-1]:
            _move_to_end(root, author)  # extract_body takes the last paragraph as the signature
        body = extract_body(root, base_url)
        if body is not None:
            body.images = [*media, *body.images]
        return body

    def _is_chrome(self, block: HtmlElement) -> bool:
        return fold(normalise_line(element_text(block))).strip(" <«‹") in self.CHROME_LINES

    def _drop_video_lines(self, root: HtmlElement, base_url: str) -> list[Image]:
        media: list[Image] = []
        for block in blocks(root):
            line = normalise_line(element_text(block))
            if block is not root and self.VIDEO_LINE.fullmatch(line):
                href = next((a.get("href") for a in block.iter("a") if a.get("href")), line)
                media.append(Image(url=safe_urljoin(base_url, href.strip()) or line))
                block.drop_tree()
        return media

def _era(url: str) -> Era:
    """The era of an article the template has identified (its key came from the same URL)."""
    found = era_of(url)
    assert found is not None, url
    return found[0]


def _right_aligned_author(root: HtmlElement) -> HtmlElement | None:
    """The last right-aligned paragraph, if it reads as a signature."""
    aligned = [block for block in blocks(root) if block is not root and right_aligned(block)]
    return aligned[-1] if aligned and signature(aligned[-1]) else None


def _move_to_end(root: HtmlElement, block: HtmlElement) -> None:
    """Make ``block`` the last child of ``root``; the text after it stays where it was."""
    if block.tail:
        previous, parent = block.getprevious(), block.getparent()
        if previous is not None:
            previous.tail = (previous.tail or "") + block.tail
        elif parent is not None:
            parent.text = (parent.text or "") + block.tail
        block.tail = None
    root.append(block)
