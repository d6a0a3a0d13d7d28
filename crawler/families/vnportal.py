"""VNPT vnPortal (ASP.NET WebForms): Sóc Trăng 2018–2025, the province and every sub-site.

Evidence and guesses are in ../shared/portals.md.

Identity is ``(sid, articleId)``; the source key is ``"<sid>/<articleId>"``. One engine serves
every sub-site (``sname``/``sid``) on every host name of the province, in three URL forms:

* query   ``/Default.aspx?sname=…&sid=…&pageid=…&catid=…&id=<articleId>&catname=…&title=…``
* friendly ``/<sname>/<sid>/<pageid>/<catid>/<articleId>/<Cat-Slug>/<Title-Slug>.aspx``
* mobile  ``/mDefault.aspx?…`` with the query form's parameters.

What the key leaves out, and why:

* the host: the same article is served on several hosts (a Sở NN&PTNT article on
  sotuphap.soctrang.gov.vn as well as www.soctrang.gov.vn), and is one article;
* the slugs (``catname``, ``title``, the friendly path's tail): truncated, ASCII-folded, often
  U+FFFD mojibake (``%EF%BF%BD``), regenerated when the title is edited. They are requested
  exactly as the portal wrote them and never parsed;
* ``pageid``/``catid``: the category page that happened to list the article; one article is
  listed in several categories;
* ``sname``: a name for ``sid``; the friendly path and the query spell it independently.

``sid`` is kept because nothing shows that articleIds are unique across sub-sites.

Listing pagination is an ASP.NET postback: ``a.ButtonPage`` links call
``__doPostBack('<pager>', 'Page$N')``. The spider does what the browser would, with a form
request: it POSTs the page's hidden fields (``__VIEWSTATE``, ``__EVENTVALIDATION``, …) back to
the form action, with ``__EVENTTARGET``/``__EVENTARGUMENT`` set from the link. Pages are walked
one after the other (page N posts for page N+1), because each answer carries the
``__VIEWSTATE`` the next postback must send.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import FormRequest, Response, TextResponse

from archive.dates import parse_vn_datetime
from archive.normalise import normalise_line
from crawler.extract import Body, element_text, extract_body, iter_links, safe_urljoin, text_of, title_of, to_element
from crawler.families.base import NO_BODY, BodyReading, PortalSpider
from crawler.identity import LearnsIdentity, is_evidence

logger = logging.getLogger(__name__)

META_PAGE = "vnportal_page"
_PAGES = ("default.aspx", "mdefault.aspx")
_FRIENDLY = re.compile(
    r"^/(?P<sname>[^/]+)/(?P<sid>\d+)/\d+/\d+/(?P<id>\d+)(?:/[^/]*)*\.aspx$", re.IGNORECASE
)
#: the key namespace of "chỉ đạo điều hành" items (``p_steering=<n>``)
STEERING = "steering/"
_POSTBACK = re.compile(r"__doPostBack\(\s*['\"]([^'\"]*)['\"]\s*,\s*['\"]([^'\"]*)['\"]\s*\)")


@dataclass(frozen=True)
class ArticleIds:
    """What an article URL says about the article; ``sid`` may be missing from odd links."""

    sname: str | None
    sid: str | None
    article_id: str


def article_ids(url: str) -> ArticleIds | None:
    """The ids in a vnPortal article URL of any form, None for any other URL."""
    parts = urlsplit(url)
    if found := _FRIENDLY.match(parts.path):
        return ArticleIds(found["sname"], found["sid"], found["id"])
    if parts.path.rsplit("/", 1)[-1].lower() not in _PAGES:
        return None
    # ASP.NET reads query names case-insensitively; links spell them either way.
    params = {k.lower(): v.strip() for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    raw_sid = params.get("sid", "")
    sname, sid = params.get("sname") or None, raw_sid if raw_sid.isdigit() else None
    if params.get("id", "").isdigit():
        return ArticleIds(sname, sid, params["id"])
    # [E] a "chỉ đạo điều hành" item: Default.aspx?p_steering=<n>&pageid=…&sname=ubnd-stg, no id and
    # no sid. Its number is not known to share the articles' id space, so it keys apart.
    if params.get("p_steering", "").isdigit():
        return ArticleIds(sname, sid, f"{STEERING}{params['p_steering']}")
    return None


def on_domain(url: str, domain: str) -> bool:
    """A URL on ``domain`` or any host under it (the engine serves every sub-site on all of them)."""
    host = (urlsplit(url).hostname or "").lower()
    return host == domain or host.endswith("." + domain)


def subsite_of(url: str) -> tuple[str, int] | None:
    """``(sname, sid)`` of any vnPortal link that names its sub-site (an article, a category, the
    home page, a ``/SiteFolders/<sname>/<sid>/`` file), None for any other."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > 3 and segments[0].lower() == "sitefolders" and segments[2].isdigit():
        return segments[1].lower(), int(segments[2])
    if len(segments) > 2 and segments[1].isdigit() and segments[-1].lower().endswith(".aspx"):
        return segments[0].lower(), int(segments[1])
    params = {k.lower(): v.strip() for k, v in parse_qsl(parts.query, keep_blank_values=True)}
    if params.get("sname") and params.get("sid", "").isdigit():
        return params["sname"].lower(), int(params["sid"])
    return None


def postback_of(href: str) -> tuple[str, str] | None:
    """``(__EVENTTARGET, __EVENTARGUMENT)`` of a ``javascript:__doPostBack(…)`` link."""
    found = _POSTBACK.search(href)
    return (found[1], found[2]) if found else None


@dataclass(frozen=True)
class Listing:
    """A category page of a sub-site: ``Default.aspx?sname&sid&pageid&catid&catname``."""

    pageid: int
    catid: int
    catname: str


class VnPortalSpider(LearnsIdentity, PortalSpider):
    """A vnPortal sub-site: a subclass sets ``host``, ``sname``, ``sid`` and ``listings``;
    ``domain`` is the registrable domain whose every host may serve the sub-site's articles.
    A ``sid`` left out (None) or marked ``[I]`` is learned from the home page (crawler/identity.py)."""

    family = "vnportal"
    identity_params = ("sname", "sid")
    scheme: ClassVar[str] = "https"
    domain: ClassVar[str]
    host: ClassVar[str]
    hosts: ClassVar[tuple[str, ...]] = ()  # the site's other hosts
    sname: ClassVar[str]
    sid: ClassVar[int | None]
    listings: ClassVar[tuple[Listing, ...]]
    #: VNPT's file store, shared by every vnPortal: images and attached files [E].
    STORAGE_HOSTS: ClassVar[tuple[str, ...]] = ("storage-vnportal.vnpt.vn",)

    # Listing [E]: ul.ArticleList li, each with a link and an image; pager links a.ButtonPage.
    LISTING_LINKS = "ul.ArticleList li a::attr(href)"
    PAGER_LINKS = "a.ButtonPage"
    # [R] the server form and its hidden fields: standard ASP.NET WebForms output.
    FORM = "//form[.//input[@name='__VIEWSTATE']]"
    # Article [R]: detail-page class names were never seen (portals.md).
    ARTICLE = ".ArticleDetail"
    TITLE = (".ArticleDetail .Title", ".ArticleDetail h1")
    DATE = ".ArticleDetail .PostDate"
    AUTHOR = ".ArticleDetail .Author"
    BODY = ".ArticleDetail .ArticleContent"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_domains = [self.domain, *self.STORAGE_HOSTS]

    def start_page_urls(self) -> list[str]:
        return [
            f"{self.scheme}://{self.host}/Default.aspx?sname={self.sname}&sid={self.sid}"
            f"&pageid={listing.pageid}&catid={listing.catid}&catname={listing.catname}"
            for listing in self.listings
        ]

    def identity_from_urls(self, urls: Iterable[str]) -> dict[str, object] | None:
        """The (sname, sid) most links on the site's own hosts carry: a sub-site's pages link their
        own menu, categories and articles. With an ``[E]`` sname, only its pairs count. The
        province host, which serves every sub-site, counts only for a site that lists it."""
        own = {h.removeprefix("www.") for h in (self.host, *self.hosts)}
        pairs = Counter(
            pair for url in urls
            if (urlsplit(url).hostname or "").removeprefix("www.") in own and (pair := subsite_of(url)) is not None
        )
        if is_evidence(self.facts.get("sname")):
            pairs = Counter({pair: n for pair, n in pairs.items() if pair[0] == self.sname.lower()})
        if not pairs:
            return None
        (sname, sid), _ = pairs.most_common(1)[0]
        return {"sname": sname, "sid": sid}

    # -- listing ---------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        links = list(iter_links(response, self.LISTING_LINKS, response.url))
        if not links:  # an unseen listing template: any article-shaped link will do
            links = list(iter_links(response, "a::attr(href)", response.url))
        # The image and the title of an item link the same URL; yield it once.
        for url in dict.fromkeys(links):
            if self.is_article_url(url):
                yield self.article_request(url)
            elif article_ids(url) is not None and on_domain(url, self.domain):
                # Another sub-site's article (the province lists its agencies' news): it belongs to
                # the site whose sid it carries, crawled as that site, never filed under this one.
                self.count("other_site_links")
        if (next_page := self._next_page(response)) is not None:
            yield next_page

    def is_article_url(self, url: str) -> bool:
        return self.source_key(url) is not None

    def _next_page(self, response: Response) -> scrapy.Request | None:
        """The postback for the page after this one, if the pager offers it."""
        page = int(response.meta.get(META_PAGE, 1))
        event = self._pager_event(response, page + 1)
        if event is None:
            return None
        form = response.xpath(self.FORM)
        if not form:
            logger.warning("Pager without an ASP.NET form on %s: cannot ask for page %d",
                           response.url, page + 1)
            self.count("no_postback_form")
            return None
        # Only hidden fields: posting the search box's submit button would run a search.
        formdata = {**self._hidden_fields(form[0]), "__EVENTTARGET": event[0], "__EVENTARGUMENT": event[1]}
        action = safe_urljoin(response.url, form[0].xpath("@action").get() or response.url)
        if action is None:
            self.count("no_postback_form")
            return None
        return self.listing_request(action, request_cls=FormRequest, formdata=formdata,
                                    meta={META_PAGE: page + 1})

    @staticmethod
    def _hidden_fields(form: Selector) -> dict[str, str]:
        return {
            name: field.xpath("@value").get("")  # xpath, not .attrib: broken pages hold bytes lxml refuses
            for field in form.xpath(".//input[@type='hidden'][@name]")
            if (name := field.xpath("@name").get(""))
        }

    def _pager_event(self, response: Response, wanted: int) -> tuple[str, str] | None:
        """The postback of the pager link to page ``wanted``: by its ``Page$N`` argument
        (the ``...`` link carries one too), else by its label."""
        events = [(postback_of(a.xpath("@href").get("")), normalise_line(a.xpath("string()").get("")))
                  for a in response.css(self.PAGER_LINKS)]
        by_argument = next((e for e, _ in events if e and e[1] == f"Page${wanted}"), None)
        return by_argument or next((e for e, label in events if e and label == str(wanted)), None)

    # -- article ---------------------------------------------------------------------

    def source_key(self, url: str) -> str | None:
        """``<sid>/<articleId>`` when ``url`` is an article of THIS sub-site, on any host of the
        domain; None for any other URL, another sub-site's article included: an article belongs
        to the sub-site whose sid it carries, whichever host served it [E: a Cù Lao Dung article
        on the province host, a Sở NN&PTNT article on sotuphap.]."""
        ids = article_ids(url)
        if ids is None or self.sid is None or not on_domain(url, self.domain):  # no sid: unknown until learned
            return None
        if ids.sid is not None:
            return f"{ids.sid}/{ids.article_id}" if ids.sid == str(self.sid) else None
        # A link without sid names its sub-site by sname alone.
        own = (ids.sname or "").lower() == self.sname.lower()
        return f"{self.sid}/{ids.article_id}" if own else None

    def read_body(self, response: TextResponse) -> BodyReading:
        found = response.css(self.BODY)
        if not found:
            return None
        body = extract_body(to_element(found[0]), response.url)
        # The template is the known one and its body is empty (a notice posted as a title
        # alone): the page's only prose is the footer, which a generic reading would store.
        return NO_BODY if body is None else body

    def read_author(self, response: TextResponse, body: Body) -> str:
        return body.author or self._parse_author(response)

    def read_title(self, response: TextResponse) -> str:
        return title_of(response, self.TITLE)

    def read_date(self, response: TextResponse, body: Body) -> datetime | None:
        if stamp := parse_vn_datetime(text_of(response, self.DATE)):
            return stamp
        # No date element: read the article header (title to body), never the body, whose
        # dates are events ("Sáng ngày 08/7", "ngày 19/11/2024"), not the publication.
        article = response.css(self.ARTICLE)
        if not article:
            return None
        text = element_text(to_element(article[0]))
        header = text[: text.find(body.text[:40])] if body.text[:40] in text else ""
        return next((d for line in header.split("\n") if (d := parse_vn_datetime(line))), None)

    def _parse_author(self, response: TextResponse) -> str:
        """The author line some articles carry between title and body [E order, R markup]."""
        return normalise_line(text_of(response, self.AUTHOR))
