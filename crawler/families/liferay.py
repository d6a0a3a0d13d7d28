"""Liferay 6.2 / 7.x portals: Quảng Ngãi until June 2025 (province and
districts), dongthap.gov.vn and its districts, Tiền Giang.

Evidence and guesses are in ../shared/portals.md. An article is reachable in two
URL forms, and its source key says which:

``…/-/asset_publisher/<instance>/<urlTitle>?<articleId>`` (Quảng Ngãi, Đồng Tháp until 2025)
    Key ``<host>/<Liferay site>/<articleId>``: the bare ``?<id>`` query, which the
    server needs to render the page at all. Relative links on these portals produce
    doubled paths (``…/asset_publisher/Content/xem-chi-tiet/-/asset_publisher//Content/<slug>?<id>``),
    so every article URL is canonicalised before it is requested.

``[/web/<site>]/tin-tuc/chi-tiet?id=<n>`` (Đồng Tháp news of 2025–26)
    Key ``<host>/<Liferay site>/chi-tiet/<n>``: a namespace of its own. Nothing seen so
    far says which number ``id`` is: the JournalArticle ``articleId`` the
    asset_publisher form carries, its ``resourcePrimKey``, the id of one version row,
    or a custom news table's key. Only the first would make ``id=5`` and ``?5`` the
    same article; under any other, sharing the namespace would silently fuse two
    unrelated articles into one, which no later crawl can undo. Separate namespaces
    cost at most a duplicate (an article seen under both forms), which
    ``shared_content`` shows and a data migration rewriting ``article.source_key``
    can merge once a capture proves the ids equal. Without ``/web/<site>`` the page
    belongs to the host's own (virtual-host) site, the spider's ``liferay_site``, so
    both spellings of one page give one key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response, TextResponse

from archive.dates import parse_vn_datetime
from crawler.extract import Body, element_text, extract_body, first_with_text, iter_links, text_of, title_of, to_element
from crawler.families.base import BodyReading, PortalSpider

_ASSET_PUBLISHER = ("-", "asset_publisher")
_CHI_TIET = ("tin-tuc", "chi-tiet")  # [E] Đồng Tháp's 2025–26 news page
_PAGER_PARAM = re.compile(r"_cur=\d+")


def canonical_article_url(url: str) -> str:
    """Collapse empty and doubled path segments (asset_publisher and chi-tiet forms); keep the
    query, which carries the id."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if tuple(segments[-2:]) == _CHI_TIET:
        # A relative "tin-tuc/chi-tiet?id=" followed from a page under tin-tuc/ doubles the
        # parent page; the news page itself only ever lives at [/web/<site>]/tin-tuc/chi-tiet [E].
        segments = [*_web_prefix(segments), *_CHI_TIET]
    marks = [i for i in range(len(segments) - 1) if tuple(segments[i : i + 2]) == _ASSET_PUBLISHER]
    if len(marks) > 1 and marks[0] > 0:
        page = segments[marks[-1] - 1]
        head = segments[: segments.index(page)] if page in segments[: marks[0]] else segments[: marks[0] - 1]
        segments = [*head, page, *_ASSET_PUBLISHER, *segments[marks[-1] + 2 :]]
    path = "/" + "/".join(segments)
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, parts.query, ""))


def _web_prefix(segments: list[str]) -> list[str]:
    return segments[:2] if len(segments) > 3 and segments[0] == "web" else []


def article_id(url: str) -> str | None:
    """The Liferay articleId of an article URL: the bare numeric query (``?123``),
    or an ``articleId``/``id`` parameter."""
    query = urlsplit(url).query
    pairs = parse_qsl(query, keep_blank_values=True)
    for key, value in pairs:
        if key.isdigit() and not value:
            return key
    for key, value in pairs:
        if key in ("articleId", "id", "_articleId") and value.isdigit():
            return value
    return None


def chi_tiet_id(url: str) -> str | None:
    """The ``id`` of the 2025–26 news page ``[/web/<site>]/tin-tuc/chi-tiet?id=<n>``, else None."""
    parts = urlsplit(url)
    if tuple(s for s in parts.path.split("/") if s)[-2:] != _CHI_TIET:
        return None
    return next((value for key, value in parse_qsl(parts.query) if key == "id" and value.isdigit()), None)


def is_chi_tiet_url(url: str) -> bool:
    return chi_tiet_id(url) is not None


def is_liferay_article_url(url: str) -> bool:
    """An article page in either form: asset_publisher with an id, or the chi-tiet news page."""
    if is_chi_tiet_url(url):
        return True
    return "/-/asset_publisher/" in urlsplit(url).path and article_id(url) is not None


def liferay_site(url: str) -> str | None:
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return segments[1] if len(segments) > 1 and segments[0] == "web" else None


def article_source_key(url: str, default_site: str) -> str | None:
    """``<host>/<site>/<articleId>`` or ``<host>/<site>/chi-tiet/<id>`` (see the module docstring);
    a path without ``/web/<site>`` belongs to ``default_site``, the host's own site."""
    host, site = urlsplit(url).hostname, liferay_site(url) or default_site
    if (news := chi_tiet_id(url)) is not None:
        return f"{host}/{site}/chi-tiet/{news}"
    found = article_id(url)
    return None if found is None else f"{host}/{site}/{found}"


class LiferaySpider(PortalSpider):
    """A Liferay portal: a subclass sets ``host``, ``liferay_site`` and ``listing_paths``."""

    family = "liferay"
    scheme: ClassVar[str] = "https"
    host: ClassVar[str]
    liferay_site: ClassVar[str]
    #: listing pages, relative to /web/<liferay_site>
    listing_paths: ClassVar[tuple[str, ...]] = ("/tin-tuc-su-kien",)

    # Listing markup: real Liferay 6.2 asset publisher [E].
    LISTING_LINKS = ".portlet-asset-publisher .asset-abstract .asset-title a::attr(href)"
    PAGER_LINKS = "ul.lfr-pagination-buttons a::attr(href)"
    # Article markup: Liferay's asset publisher full view [E]; date/view classes [R].
    ARTICLE = ".asset-full-content"
    TITLE = (".asset-full-content .header-title span", ".asset-full-content .header-title", ".asset-full-content h1")
    DATE = ".asset-full-content .date-view .date"
    BODY = (".asset-full-content .asset-content .journal-content-article", ".journal-content-article")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = [self.host]

    def start_page_urls(self) -> list[str]:
        return [f"{self.scheme}://{self.host}/web/{self.liferay_site}{path}" for path in self.listing_paths]

    # -- listing ---------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        links = list(iter_links(response, self.LISTING_LINKS, response.url))
        if not links:  # an unseen listing template: any article-shaped link will do
            links = [u for u in iter_links(response, "a::attr(href)", response.url) if self.is_article_url(u)]
        for url in links:
            if self.is_article_url(url):
                yield self.article_request(canonical_article_url(url))
        for url in iter_links(response, self.PAGER_LINKS, response.url):
            if _PAGER_PARAM.search(url):
                yield self.listing_request(url)

    def is_article_url(self, url: str) -> bool:
        return urlsplit(url).hostname == self.host and is_liferay_article_url(url)

    def is_site_article_url(self, url: str) -> bool:
        # source_key alone takes any page with a bare numeric query (?123) for an article.
        return self.is_article_url(url)

    # -- article ---------------------------------------------------------------------

    def source_key(self, url: str) -> str | None:
        return article_source_key(url, self.liferay_site)

    def read_body(self, response: TextResponse) -> BodyReading:
        found = first_with_text(response, self.BODY)
        return extract_body(to_element(found), response.url) if found is not None else None

    def read_title(self, response: TextResponse) -> str:
        return title_of(response, self.TITLE)

    def read_date(self, response: TextResponse, body: Body) -> datetime | None:
        if stamp := parse_vn_datetime(text_of(response, self.DATE)):
            return stamp
        # No date element: read the article header (title to body), never the body itself.
        article = response.css(self.ARTICLE)
        if not article:
            return None
        header = element_text(to_element(article[0])).split("\n\n")[:4]
        return next((d for line in header if (d := parse_vn_datetime(line))), None)
