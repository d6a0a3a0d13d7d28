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
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import scrapy
from scrapy.http import Response, TextResponse

from archive.dates import parse_vn_datetime
from crawler.extract import Body, element_text, extract_body, first_with_text, iter_links, text_of, title_of, to_element
from crawler.families.base import BodyReading, PortalSpider
from crawler.identity import LearnsIdentity

_ASSET_PUBLISHER = ("-", "asset_publisher")
_CHI_TIET = ("tin-tuc", "chi-tiet")  # [E] Đồng Tháp's 2025–26 news page
_PAGER_PARAM = re.compile(r"_cur=\d+")
_LANGUAGE = re.compile(r"[a-z]{2}(?:_[A-Z]{2})?")  # Liferay's language prefix: /vi/, /en_US/
# [E] Đồng Tháp districts: /web/<site>/chi-tiet-bai-viet/-/asset_publisher/<instance>/content/id/<n>?plidlayout=…
_CONTENT_ID = re.compile(r"/-/asset_publisher/[^/]+/content/id/(\d+)/?$")
#: source-key namespaces of the two forms whose number is not known to be the articleId of ``?<id>``
CHI_TIET = "chi-tiet/"
CONTENT_ID = "content-id/"


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
    start = 1 if segments and _LANGUAGE.fullmatch(segments[0]) else 0
    web = segments[start:]
    return segments[: start + 2] if len(web) > 3 and web[0] == "web" else segments[:start]


def _site_segments(path: str) -> list[str]:
    """The path's segments without a leading language (``/vi/web/<site>/…`` [E] is ``/web/<site>/…``)."""
    segments = [s for s in path.split("/") if s]
    return segments[1:] if len(segments) > 1 and _LANGUAGE.fullmatch(segments[0]) else segments


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


def content_id(url: str) -> str | None:
    """The number of the ``…/-/asset_publisher/<instance>/content/id/<n>`` form, else None."""
    found = _CONTENT_ID.search(urlsplit(url).path)
    return found[1] if found else None


def article_ref(url: str) -> str | None:
    """The article's reference within its Liferay site: ``<articleId>`` (``?<id>`` form),
    ``chi-tiet/<n>`` or ``content-id/<n>`` (see the module docstring); None for any other page."""
    if (news := chi_tiet_id(url)) is not None:
        return CHI_TIET + news
    if "/-/asset_publisher/" not in urlsplit(url).path:
        return None
    if (number := content_id(url)) is not None:
        return CONTENT_ID + number
    return article_id(url)


def is_liferay_article_url(url: str) -> bool:
    """An article page in any form: asset_publisher with an id, content/id, or the chi-tiet news page."""
    return article_ref(url) is not None


def liferay_site(url: str) -> str | None:
    """The ``<site>`` of ``[/<lang>]/web/<site>/…``; None for a virtual host's own path."""
    segments = _site_segments(urlsplit(url).path)
    return segments[1].lower() if len(segments) > 1 and segments[0] == "web" else None


def bare_host(url: str) -> str:
    """The host without ``www.``: ``www.quangngai.gov.vn`` and ``quangngai.gov.vn`` serve one site [E]."""
    return (urlsplit(url).hostname or "").removeprefix("www.")


def article_source_key(url: str, default_site: str, host: str | None = None) -> str | None:
    """``<host>/<site>/<ref>`` (see :func:`article_ref`); a path without ``/web/<site>`` belongs to
    ``default_site``, the host's own site. ``host`` is the site's own host (default: the URL's,
    without ``www.``), so one article has one key whichever host served it."""
    ref = article_ref(url)
    site = liferay_site(url) or default_site
    return None if ref is None else f"{host or bare_host(url)}/{site}/{ref}"


class LiferaySpider(LearnsIdentity, PortalSpider):
    """A Liferay site: a subclass sets ``host``, ``liferay_site`` and ``listing_paths``; ``domain``
    (default ``host``) is the Liferay instance whose every host may serve the site's pages under
    ``/web/<liferay_site>/``, ``virtual_hosts`` the hosts serving it without that prefix."""

    family = "liferay"
    identity_params = ("liferay_site",)
    scheme: ClassVar[str] = "https"
    host: ClassVar[str]
    domain: ClassVar[str | None] = None
    virtual_hosts: ClassVar[tuple[str, ...]] = ()  # besides ``host``
    liferay_site: ClassVar[str | None]
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
        # The site's own hosts, not the whole instance: a redirect to the province host is the
        # portal moving to its successor (crawler/removal.py), and the backfill asks the web
        # archive for these hosts' captures only.
        self.allowed_domains = [self.host, *self.virtual_hosts]

    def start_page_urls(self) -> list[str]:
        return [f"{self.scheme}://{self.host}/web/{self.liferay_site}{path}" for path in self.listing_paths]

    def identity_from_urls(self, urls: Iterable[str]) -> dict[str, object] | None:
        """The ``<site>`` most ``/web/<site>/`` URLs on the site's own hosts carry."""
        own = (self.host, *self.virtual_hosts)
        sites = Counter(site for url in urls if bare_host(url) in own and (site := liferay_site(url)) is not None)
        return {"liferay_site": sites.most_common(1)[0][0]} if sites else None

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
        return self.source_key(url) is not None

    def owns(self, url: str) -> bool:
        """A page of THIS site: ``/web/<liferay_site>/`` on any host of the instance, or a path
        without ``/web/`` on one of the site's own hosts (``www.`` or not)."""
        host, domain = bare_host(url), self.domain or self.host
        if not (host == domain or host.endswith("." + domain)):
            return False
        site = liferay_site(url)
        if site is not None:
            return site == (self.liferay_site or "").lower()
        return host in (self.host, *self.virtual_hosts)

    # -- article ---------------------------------------------------------------------

    def source_key(self, url: str) -> str | None:
        """``<host>/<liferay_site>/<ref>`` when ``url`` is an article of THIS site, else None. The
        host in the key is the site's own, whatever host served the page."""
        if self.liferay_site is None or not self.owns(url):  # unknown until learned
            return None
        return article_source_key(url, self.liferay_site, self.host)

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
