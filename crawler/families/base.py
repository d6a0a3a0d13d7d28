"""What every portal spider shares: registry facts, the mirror option, the raw
page, and the article template.

The template (``parse_article``) is the same steps for every family:

1. **identify**: ``article_key`` (by default ``source_key`` of the URL); no key, no capture
   (``archive/no_id``);
2. **read the body** with the family's hook ``read_body``, which answers one of three things:
   a :class:`Body`; ``None`` (its template is not on the page: the generic extractor reads it,
   ``extraction="fallback"``, ``archive/fallback``); or ``NO_BODY`` (its template is there and
   says the article has no prose, e.g. a notice posted as a title alone: nothing is stored,
   ``archive/no_body``, because a generic reading would store the page's footer);
3. **capture**: the hooks ``read_lead``, ``read_author``, ``read_title``, ``read_date`` fill the
   rest, and :meth:`PortalSpider.capture` makes the item.

A family writes only the hooks and its selector constants; the small jobs they share
(first selector with text, title, links) are crawler/extract.py's."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from enum import Enum
from typing import Any, ClassVar, Literal

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings

from archive import runstats
from archive.capture import ArticleCapture, RawPage, SiteInfo
from crawler import chromium
from crawler.extract import Body, lead_of
from crawler.fallback import extract_generic

logger = logging.getLogger(__name__)

META_KIND = "archive_kind"  # "listing" | "article"
META_SOURCE_KEY = "archive_source_key"
#: a web-archive capture's facts, set by crawler/wayback.py: {"captured_at", "capture_url", "source", "replay"}
META_CAPTURE = "archive_capture"
#: the portal URL a request stands for while another URL is on the wire: a mirror's
#: (crawler/middlewares.py) or a web archive's (crawler/wayback.py); the answer is put back under it
META_ORIGINAL = "archive_original_url"
#: who put another URL on the wire for META_ORIGINAL: "mirror" or "wayback"; each puts back only its own
META_VIA = "archive_via"
#: where a crawl reads the portal from: the portal itself, or its captures in a web archive
SOURCES = ("live", "wayback")


class _Refusal(Enum):
    NO_BODY = "no_body"


#: ``read_body``'s answer when the family's template is on the page and holds no article body
NO_BODY = _Refusal.NO_BODY
#: what ``read_body`` answers: the body; None (template not found: fall back); NO_BODY (refuse)
BodyReading = Body | Literal[_Refusal.NO_BODY] | None


class PortalSpider(scrapy.Spider):
    """Base of every site spider. A site subclass declares its registry facts
    and start pages; a family subclass implements ``parse_listing`` and
    ``parse_article``."""

    family: ClassVar[str] = "generic"
    display_name: ClassVar[str] = ""
    province: ClassVar[str] = ""
    province_after_2025: ClassVar[str | None] = None
    level: ClassVar[str] = "other"
    home_url: ClassVar[str] = ""
    status: ClassVar[str] = "active"
    successor_url: ClassVar[str | None] = None
    successor_name: ClassVar[str | None] = None
    # How often the crawl service runs this site: "every 6h", "0 3 * * *" or "off" (docs/service.md).
    schedule: ClassVar[str] = "every 6h"
    # Kinds of request ("listing", "article") the site only builds by script: rendered in Chromium
    # (crawler/chromium.py, docs/browser.md). Everything else stays plain HTTP.
    browser_for: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if cls.browser_for:  # only a site that asks for the browser gets its download handler
            chromium.install(settings)

    def __init__(self, *args: Any, mirror: str | None = None, source: str = "live", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: read by crawler.middlewares.MirrorMiddleware
        self.mirror = mirror.rstrip("/") if mirror else None
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
        #: "wayback": backfill from web-archive captures (crawler/wayback.py; ``since``, ``until``,
        #: ``wayback`` arguments are read there)
        self.source = source

    @classmethod
    def check_arguments(cls, *, source: str = "live", since: str | None = None, until: str | None = None,
                        mirror: str | None = None, wayback: str | None = None, **_: Any) -> object:
        """Refuse bad ``-a`` arguments before the crawl starts (crawler/commands/crawl.py)."""
        from crawler.middlewares import mirror_problem
        from crawler.wayback_cdx import cdx_day

        if source not in SOURCES:
            raise ValueError(f"-a source must be one of {', '.join(SOURCES)}, not {source!r}")
        if source == "wayback" and mirror:
            raise ValueError("-a mirror and -a source=wayback do not go together: point the backfill at "
                             "another archive with -a wayback=<pywb collection URL> instead")
        if mirror and (problem := mirror_problem(mirror)):
            raise ValueError(f"-a {problem}")
        if wayback and (problem := mirror_problem(wayback, "wayback")):
            raise ValueError(f"-a {problem}")
        for name, value in (("since", since), ("until", until)):
            try:
                cdx_day(value)
            except ValueError as exc:
                raise ValueError(f"-a {name}={value}: {exc}") from None
        return None

    @classmethod
    def site_info(cls) -> SiteInfo:
        return SiteInfo(
            name=cls.name,
            display_name=cls.display_name,
            province=cls.province,
            province_after_2025=cls.province_after_2025,
            level=cls.level,
            family=cls.family,
            home_url=cls.home_url,
            status=cls.status,
            successor_url=cls.successor_url,
            successor_name=cls.successor_name,
            domain=getattr(cls, "domain", None),
            hosts=tuple(h for h in (getattr(cls, "host", None), *getattr(cls, "hosts", ()),
                                    *getattr(cls, "virtual_hosts", ())) if h),
            identity={p: [getattr(cls, p, None), getattr(cls, "facts", {}).get(p)]
                      for p in getattr(cls, "identity_params", ())} or None,
            schedule=cls.schedule,
        )

    def start_page_urls(self) -> list[str]:
        raise NotImplementedError

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_page_urls():
            yield self.listing_request(url)

    # Every request a family yields is made by one of these two, so that the
    # incremental crawl (crawler/incremental.py) can tell listings from
    # articles and knows each article's identity before fetching it.

    def listing_request(self, url: str, *, request_cls: type[scrapy.Request] = scrapy.Request,
                        **kwargs: Any) -> scrapy.Request:
        meta = {**self.browser_meta("listing"), **kwargs.pop("meta", {}), META_KIND: "listing"}
        return request_cls(url, callback=kwargs.pop("callback", self.parse_listing), meta=meta, **kwargs)

    def article_request(self, url: str, **kwargs: Any) -> scrapy.Request:
        meta = {**self.browser_meta("article"), **kwargs.pop("meta", {}), META_KIND: "article",
                META_SOURCE_KEY: self.source_key(url)}
        return scrapy.Request(url, callback=kwargs.pop("callback", self.parse_article), meta=meta, **kwargs)

    def browser_meta(self, kind: str) -> dict[str, Any]:
        """Meta that renders a ``kind`` request in Chromium if the site opts in (``browser_for``);
        a family overrides it to add page methods (a "Xem thêm" button to click). A request's own
        meta wins: ``{"playwright": True}`` opts one request in, ``False`` one out."""
        return chromium.render_meta() if kind in self.browser_for else {}

    def source_key(self, url: str) -> str | None:
        """The article's identity within this site, from its URL (None if the URL carries none)."""
        raise NotImplementedError

    def is_site_article_url(self, url: str) -> bool:
        """An article page of this site, by its URL alone: the web-archive backfill picks the
        captures to fetch with it, where no listing vouches for a link. A family whose
        ``source_key`` also names pages that are not articles narrows it."""
        return self.source_key(url) is not None

    def parse_listing(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError

    # -- the article template (module docstring) ---------------------------------------

    def parse_article(self, response: Response) -> Iterator[ArticleCapture]:
        key = self.article_key(response)
        if key is None:
            logger.warning("No %s article identity in %s: cannot identify the article", self.family, response.url)
            self.count("no_id")
            return
        if (capture := self.read_article(response, key)) is not None:
            yield capture

    def read_article(self, response: Response, key: str) -> ArticleCapture | None:
        body = self.read_body(response) if isinstance(response, TextResponse) else None
        if body is NO_BODY:
            self.no_body(response)
            return None
        if body is None:
            return self.fallback_capture(response, key)
        assert isinstance(response, TextResponse)
        body, lead = self.read_lead(response, body)
        body.author = self.read_author(response, body)
        return self.capture(response, source_key=key, title=self.read_title(response),
                            published_at=self.read_date(response, body), body=body, lead=lead)

    def article_key(self, response: Response) -> str | None:
        """The identity of the article on this page."""
        return self.source_key(response.url)

    def read_body(self, response: TextResponse) -> BodyReading:
        raise NotImplementedError

    def read_title(self, response: TextResponse) -> str:
        raise NotImplementedError

    def read_date(self, response: TextResponse, body: Body) -> datetime | None:
        raise NotImplementedError

    def read_lead(self, response: TextResponse, body: Body) -> tuple[Body, str | None]:
        """The body as a reader reads it, and its lead; None: the body's opening (``lead_of``)."""
        return body, None

    def read_author(self, response: TextResponse, body: Body) -> str:
        """The author; by default the signature the body ends with."""
        return body.author

    # -- helpers for family classes ------------------------------------------------

    def count(self, name: str) -> None:
        """Count ``archive/<name>`` in the crawl's stats (the names: archive/runstats.py)."""
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(runstats.stat(name))

    @staticmethod
    def raw_page(response: Response) -> RawPage:
        headers = {
            k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
        }
        # A web-archive capture is an observation of the page at its capture time, not now.
        capture = response.request.meta.get(META_CAPTURE) if response.request is not None else None
        return RawPage(
            url=response.url, status=response.status, headers=headers, body=response.body,
            fetched_at=capture["captured_at"] if capture else datetime.now(UTC),
            source=capture["source"] if capture else "live",
            capture_url=capture["capture_url"] if capture else None,
            replay=capture.get("replay") if capture else None,
        )

    def capture(
        self,
        response: Response,
        *,
        source_key: str,
        title: str,
        published_at: datetime | None,
        body: Body,
        lead: str | None = None,
        extraction: str = "family",
    ) -> ArticleCapture:
        return ArticleCapture(
            site=self.name,
            url=response.url,
            source_key=source_key,
            title=title,
            published_at=published_at,
            author=body.author,
            lead=lead if lead is not None else lead_of(body.text),
            body_text=body.text,
            body_html=body.html,
            images=body.images,
            attachments=body.attachments,
            extraction=extraction,
            page=self.raw_page(response),
        )

    #: a page read by the generic extractor means the family's selectors no longer fit (logged,
    #: counted as ``archive/fallback``, which health warns on); not for a spider without selectors
    fallback_is_a_fault: ClassVar[bool] = True

    def fallback_capture(self, response: Response, source_key: str) -> ArticleCapture | None:
        """The generic extractor's reading of a page the family selectors could not
        read, marked ``extraction="fallback"``; None (logged, counted) if it finds no article either."""
        if not isinstance(response, TextResponse):
            self.no_body(response)
            return None
        found = extract_generic(response.text, response.url)
        if found is None:
            self.no_body(response)
            return None
        if self.fallback_is_a_fault:
            logger.warning("Family selectors found no body on %s; used the generic extractor", response.url)
            self.count("fallback")
        return self.capture(
            response,
            source_key=source_key,
            title=found.title,
            published_at=found.published_at,
            body=found.body,
            lead=found.lead,
            extraction="fallback",
        )

    def no_body(self, response: Response) -> None:
        logger.warning("No article body on %s (status %s): nothing stored", response.url, response.status)
        self.count("no_body")
