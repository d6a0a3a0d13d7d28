"""The platform Quảng Ngãi moved to in July 2025, shared with gialai.gov.vn and the
new communes' sub-domains (mangden., khanhcuong., sontinh.quangngai.gov.vn).

URL grammar [E]: articles ``/tin-tuc/<cat>/<slug>.html``, with the category nested
(``mangden.…/tin-tuc/<cat>/<subcat>/<slug>.html``) or absent
(``quangngai.gov.vn/tin-tuc/<slug>.html``); category listings ``/tin-tuc/<cat>``
(Gia Lai); files ``/upload/<siteId>/<yyyymmdd>/<file>``. Selectors come from a
public crawler of Gia Lai on the same platform [E there, R for Quảng Ngãi].

Identity: the URL carries no number, so the key is ``<host>/<section>/<slug>.html``,
the URL without its category segments. The portal itself serves one article with
and without the category and at any depth of it [E], and editors re-file
articles, so a key holding the category would split one article in two at every
move. The slug alone is what the server resolves; the price is that a slug the
platform ever re-used for a new article would read as an edit of the old one.

The platform marks a lead (``.article-brief``) apart from the body. A reader reads
both, so ``body_text`` is the lead, a blank line, then the body; ``lead`` is the
brief alone.

Use it as a mixin before a :class:`~crawler.families.base.PortalSpider` subclass
(``spiders/quangngai.py`` crawls this and Liferay on one host), or subclass
:class:`Qni2025Spider` for a site that runs only this platform.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from archive.dates import parse_vn_datetime
from archive.normalise import join_paragraphs
from crawler.extract import (
    Body,
    clean_html,
    element_text,
    extract_body,
    first_with_text,
    iter_links,
    text_of,
    title_of,
    to_element,
)
from crawler.families.base import BodyReading, PortalSpider

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    _Base = PortalSpider
else:
    _Base = object


def slug_of(path: str) -> str | None:
    """``du-lich-quang-ngai.html`` from ``/tin-tuc/<cat>/du-lich-quang-ngai.html``."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return last if last.endswith(".html") and len(last) > len(".html") else None


class Qni2025Family(_Base):
    """Listing and article parsing of the new platform, for any PortalSpider with a ``host``."""

    host: ClassVar[str]
    #: first path segments under which the site publishes news ("tin-tuc" on quangngai.gov.vn [E])
    qni2025_sections: ClassVar[tuple[str, ...]] = ("tin-tuc",)
    #: category listings, absolute paths on ``host``
    qni2025_listing_paths: ClassVar[tuple[str, ...]] = ()

    # [E] for gialai.gov.vn (a public crawler of the platform); [R] for Quảng Ngãi.
    LIST_TITLE_LINKS = "a.article-title.common-title::attr(href)"
    LIST_NEXT_PAGE = ".wrapper-pagination a.next-pages::attr(href)"
    DETAIL_TITLE = "h1.title-detail"
    DETAIL_DATE = ".post-date"
    DETAIL_LEAD = ".article-brief"
    DETAIL_BODY = ".article-content"

    def qni2025_start_urls(self) -> list[str]:
        scheme = getattr(self, "scheme", "https")
        return [f"{scheme}://{self.host}{path}" for path in self.qni2025_listing_paths]

    def is_qni2025_url(self, url: str) -> bool:
        """A page of this platform on this site: a listing or an article under a news section."""
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        host = (parts.hostname or "").removeprefix("www.")  # one site with or without www. [E]
        return host == self.host and bool(segments) and segments[0] in self.qni2025_sections

    def is_qni2025_article(self, url: str) -> bool:
        path = urlsplit(url).path
        return self.is_qni2025_url(url) and slug_of(path) is not None

    def is_site_article_url(self, url: str) -> bool:
        # Cooperative: a site that also runs another family (quangngai: Liferay) adds its articles.
        return self.is_qni2025_article(url) or super().is_site_article_url(url)

    def on_new_platform(self, url: str) -> bool:
        """A page this family reads; a site that also runs another family narrows it."""
        return self.is_qni2025_url(url)

    def qni2025_source_key(self, url: str) -> str | None:
        parts = urlsplit(url)
        slug = slug_of(parts.path)
        if slug is None or not self.is_qni2025_url(url):
            return None
        section = parts.path.strip("/").split("/", 1)[0]
        return f"{self.host}/{section}/{slug}"

    # The hooks below are cooperative: on a page of the other family they hand over to it.

    def source_key(self, url: str) -> str | None:
        return self.qni2025_source_key(url) if self.on_new_platform(url) else super().source_key(url)

    # -- listing ---------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not self.on_new_platform(response.url):
            return super().parse_listing(response)
        return self.parse_qni2025_listing(response)

    def parse_qni2025_listing(self, response: Response) -> Iterator[scrapy.Request]:
        for url in iter_links(response, self.LIST_TITLE_LINKS, response.url):
            if self.is_qni2025_article(url):
                yield self.article_request(url)
        for url in iter_links(response, self.LIST_NEXT_PAGE, response.url):
            if self.is_qni2025_url(url) and not self.is_qni2025_article(url):
                yield self.listing_request(url)

    # -- article: hooks of the template in crawler/families/base.py ---------------------

    def read_body(self, response: TextResponse) -> BodyReading:
        if not self.on_new_platform(response.url):
            return super().read_body(response)
        found = first_with_text(response, (self.DETAIL_BODY,))
        return extract_body(to_element(found), response.url) if found is not None else None

    def read_lead(self, response: TextResponse, body: Body) -> tuple[Body, str | None]:
        if not self.on_new_platform(response.url):
            return super().read_lead(response, body)
        found = first_with_text(response, (self.DETAIL_LEAD,))
        if found is None:
            return body, None
        element = to_element(found)
        lead = element_text(element)
        return with_lead(body, lead, clean_html(element, response.url)), lead or None

    def read_title(self, response: TextResponse) -> str:
        if not self.on_new_platform(response.url):
            return super().read_title(response)
        return title_of(response, (self.DETAIL_TITLE,))

    def read_date(self, response: TextResponse, body: Body) -> datetime | None:
        if not self.on_new_platform(response.url):
            return super().read_date(response, body)
        # "Thứ Ba, 15/07/2025 08:30 | Lượt xem: 86": the view count follows the time.
        return parse_vn_datetime(text_of(response, self.DETAIL_DATE))


def with_lead(body: Body, lead: str, lead_html: str) -> Body:
    """The body as a reader reads it: the lead first, unless the body already opens with it."""
    if not lead or body.text == lead or body.text.startswith(lead + "\n\n"):
        return body
    return Body(
        text=join_paragraphs([lead, body.text]),
        html=f"{lead_html}\n{body.html}",
        author=body.author,
        images=body.images,
        attachments=body.attachments,
    )


class Qni2025Spider(Qni2025Family, PortalSpider):
    """A site that runs only the new platform: a subclass sets ``host`` and ``qni2025_listing_paths``."""

    family = "qni2025"
    scheme: ClassVar[str] = "https"
    host: ClassVar[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = [self.host]

    def start_page_urls(self) -> list[str]:
        return self.qni2025_start_urls()

    def source_key(self, url: str) -> str | None:
        return self.qni2025_source_key(url)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        return self.parse_qni2025_listing(response)
