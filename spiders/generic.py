"""Any portal no family covers: a start listing and a regex for article URLs.

    scrapy crawl generic -a start_url=https://dongson.thanhhoa.gov.vn/portal/Pages/Tin-tuc-su-kien.aspx \\
        -a article_pattern='/portal/Pages/\\d{4}-\\d{1,2}-\\d{1,2}/[^/]+\\.aspx$' \\
        [-a site=thanhhoa_dongson] [-a max_pages=50]

Links on the start host whose URL matches ``article_pattern`` (``re.search`` on the whole
URL) are articles, read by the generic extractor (crawler/fallback/) and stored with
``extraction="fallback"``: the archive keeps two values, "family" for a family's own
selectors and "fallback" for the generic extractor, whichever spider ran it. The run's
``fallbacks`` count stays 0: it counts families falling back (a health warning), and this
spider has no family selectors. Pager links of
the same listing (``page=``, ``trang=``, ``p=``, ``start=``, ``/page/N``, ``_cur=``) are
followed, at most ``max_pages`` listing pages.

One spider crawls many portals, so the site is an argument (``-a site=``, default
``generic_<host>``) and becomes the spider's name for this run (Scrapy's own ``-a name=``
mechanism): crawl_run, the site row, the items and the incremental state all use it.

Identity: no family rule knows these portals' ids, so an article is its URL as the portal
links it, made canonical (see :func:`canonical_url`) and without the scheme.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.response import get_base_url

from archive.capture import SiteInfo
from crawler.extract import iter_links
from crawler.families.base import META_SOURCE_KEY, BodyReading, PortalSpider

logger = logging.getLogger(__name__)

USAGE = (
    "scrapy crawl generic -a start_url=https://<host>/<listing page> "
    "-a article_pattern='<regex matching article URLs>' [-a site=<name>] [-a max_pages=<N>]"
)
# Share buttons and newsletters append these; they never select a different article.
TRACKING_PARAMS = re.compile(r"utm_\w*|fbclid|gclid|zarsrc\w*|_ga|_gl|mc_cid|mc_eid", re.IGNORECASE)
PAGER = re.compile(
    r"[?&](?:page|trang|p|paged|pageindex|start|limitstart)=\d+|_cur=\d+"
    r"|/page/\d+/?$|/trang-?\d+(?:\.html?)?$",
    re.IGNORECASE,
)
PAGER_PATH = re.compile(r"/page/\d+/?$|/trang-?\d+(?:\.html?)?$", re.IGNORECASE)
SITE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_KEY = 300  # article.source_key is VARCHAR(300)


class GenericArgumentError(ValueError):
    """A missing or malformed ``-a`` argument; the message says what to pass."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}. Usage: {USAGE}")


def canonical_url(url: str) -> str:
    """The URL without fragment, tracking parameters (utm_*, fbclid …) or default port,
    host in lower case, query parameters sorted: CMSes and share buttons vary all of these
    for one article. Parameters stay spelled as the portal spelled them (never decoded and
    re-encoded: slugs may carry broken percent-escapes the server expects back)."""
    parts = urlsplit(url)
    pairs = [pair for pair in parts.query.split("&") if pair]
    query = sorted(pair for pair in pairs if not TRACKING_PARAMS.fullmatch(unquote(pair.split("=", 1)[0])))
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port and parts.port not in (80, 443) else "")
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", "&".join(query), ""))


class GenericSpider(PortalSpider):
    name = "generic"
    family = "generic"
    level = "other"
    schedule = "off"  # needs arguments: never started by the crawl service on its own

    def __init__(
        self,
        *args: Any,
        start_url: str | None = None,
        article_pattern: str | None = None,
        site: str | None = None,
        max_pages: str | int = 50,
        **kwargs: Any,
    ) -> None:
        try:
            arguments = self.check_arguments(
                start_url=start_url, article_pattern=article_pattern, site=site, max_pages=max_pages
            )
        except GenericArgumentError as exc:
            logger.error("%s", exc)  # one readable line above Scrapy's traceback
            raise
        self.start_url, self.article_pattern, self.max_pages, site_name = arguments
        self.host = urlsplit(self.start_url).hostname or ""
        super().__init__(*args, name=site_name, **kwargs)
        self.allowed_domains = [self.host]
        self.home_url = f"{urlsplit(self.start_url).scheme}://{self.host}/"  # type: ignore[misc]  # per portal
        self._listings: set[str] = set()

    @classmethod
    def check_arguments(
        cls,
        *,
        start_url: str | None = None,
        article_pattern: str | None = None,
        site: str | None = None,
        max_pages: str | int = 50,
        **_: Any,
    ) -> tuple[str, re.Pattern[str], int, str]:
        """The parsed ``-a`` arguments (start URL, pattern, page limit, site name), or
        :class:`GenericArgumentError` saying what to pass: callable before a crawl starts."""
        super().check_arguments(**_)  # source, since, until, mirror
        url = _parse_start_url(start_url)
        return (
            url,
            _parse_pattern(article_pattern),
            _parse_max_pages(max_pages),
            _parse_site(site, urlsplit(url).hostname or ""),
        )

    def site_info(self) -> SiteInfo:  # type: ignore[override]  # per portal, not per class
        return SiteInfo(
            name=self.name,
            display_name=self.host,
            province="",
            level=self.level,
            family=self.family,
            home_url=self.home_url,
        )

    def start_page_urls(self) -> list[str]:
        self._listings.add(self.start_url)
        return [self.start_url]

    # -- listing ---------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        for url in dict.fromkeys(
            map(canonical_url, iter_links(response, "a::attr(href)", get_base_url(response)))
        ):
            if urlsplit(url).hostname != self.host:
                continue
            if self.article_pattern.search(url):
                yield self.article_request(url)
            elif self._is_pager(url) and self._take_listing(url):
                yield self.listing_request(url)

    def _is_pager(self, url: str) -> bool:
        """A page of the start listing: a pager mark, and the listing's own path once it is removed."""
        path = PAGER_PATH.sub("", urlsplit(url).path).rstrip("/")
        return bool(PAGER.search(url)) and path == urlsplit(self.start_url).path.rstrip("/")

    def _take_listing(self, url: str) -> bool:
        if url in self._listings or len(self._listings) >= self.max_pages:
            return False
        self._listings.add(url)
        return True

    # -- article ---------------------------------------------------------------------

    def source_key(self, url: str) -> str | None:
        """The canonical URL without its scheme (http and https serve one article); a key too
        long for the column keeps its head and a digest of the whole."""
        key = canonical_url(url).split("://", 1)[-1]
        if len(key) > MAX_KEY:
            key = f"{key[: MAX_KEY - 21]}~{hashlib.sha1(key.encode()).hexdigest()[:20]}"
        return key

    def is_site_article_url(self, url: str) -> bool:
        """For the web-archive backfill: a page on the start host matching ``article_pattern``
        (every URL has a source key here, so the base rule would take every capture)."""
        return urlsplit(url).hostname == self.host and bool(self.article_pattern.search(url))

    # -- article: hooks of the template in crawler/families/base.py -----------------------------

    #: the generic extractor is this spider's only reading, not a sign that selectors stopped fitting
    #: (archive/fallback, which archive/health.py warns on): it has no selectors to fit
    fallback_is_a_fault = False

    def article_key(self, response: Response) -> str | None:
        # The key the request was made under: a redirect must not give the article a second identity.
        requested = response.request.meta.get(META_SOURCE_KEY) if response.request is not None else None
        return requested or self.source_key(response.url) or response.url

    def read_body(self, response: TextResponse) -> BodyReading:
        return None  # no family template: the generic extractor reads every page


def _parse_start_url(value: str | None) -> str:
    if not value:
        raise GenericArgumentError("generic needs -a start_url=<listing page URL>")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GenericArgumentError(f"start_url must be an http(s) URL with a host, not {value!r}")
    return canonical_url(value)


def _parse_pattern(value: str | None) -> re.Pattern[str]:
    if not value:
        raise GenericArgumentError("generic needs -a article_pattern=<regex matching article URLs>")
    try:
        return re.compile(value)
    except re.error as exc:
        raise GenericArgumentError(f"article_pattern {value!r} is not a regular expression ({exc})") from None


def _parse_max_pages(value: str | int) -> int:
    try:
        pages = int(value)
    except (TypeError, ValueError):
        pages = 0
    if pages < 1:
        raise GenericArgumentError(f"max_pages must be a positive whole number, not {value!r}")
    return pages


def _parse_site(value: str | None, host: str) -> str:
    if value is None:
        return ("generic_" + re.sub(r"[^a-z0-9]+", "_", host.lower()).strip("_"))[:64]
    if not SITE_NAME.fullmatch(value):
        raise GenericArgumentError(
            f"site must be lower-case letters, digits and _ (at most 64), not {value!r}"
        )
    return value
