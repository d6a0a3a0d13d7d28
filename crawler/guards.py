"""Pages that must never become a version.

Portals answer a missing article with a 200 page saying so ("Không tìm thấy",
"Bài viết không tồn tại"), or redirect it to the home page; a bot shield
answers with a 200 challenge page; ASP.NET answers a crash with a 200 or 500
"Server Error in '/' Application". Stored as versions, each of these would blank
an article in the archive. The family parsers cannot be trusted to notice (the
fallback extractor happily reads an error page), so every article response is
classified here and its items dropped when it is not an article.

Two failures look like an edited article, and would be stored as a false new version:

* a page cut short that still parses. Scrapy notices lost data only when a
  Content-Length was sent; a close-delimited response cut short, or a server
  that crashed mid-render and ended its response properly, arrives as a
  shorter page. An HTML article page without ``</body>`` or ``</html>`` in its
  second half is ``truncated`` and refused.
* a UTF-8 page decoded with the wrong charset (a header or meta saying
  iso-8859-1/windows-1252): every accented letter changes, so the content hash
  does. ``CharsetRepairMiddleware`` re-decodes as UTF-8 any page declared
  otherwise whose bytes are valid multi-byte UTF-8 (``archive/charset_repaired``);
  a page whose text still reads as UTF-8 mojibake ("Quáº£ng NgÃ£i") is
  ``mis_decoded`` and refused.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse

from archive import runstats
from archive.capture import ArticleCapture
from archive.normalise import fold
from crawler.families.base import META_KIND

logger = logging.getLogger(__name__)


class PageKind(StrEnum):
    ARTICLE = "article"
    NOT_FOUND = "not_found"  # 404/410, or a 200 saying so (soft 404)
    CHALLENGE = "challenge"  # bot shield, captcha
    ERROR = "error_page"  # 5xx, or a 200 carrying a server error
    TRUNCATED = "truncated"  # an HTML page without its end
    MIS_DECODED = "mis_decoded"  # text that reads as UTF-8 decoded with a one-byte charset


# Phrases, not words: "không tồn tại" alone is in real headlines ("doanh nghiệp không tồn tại tại địa chỉ").
SOFT_404 = (
    "khong tim thay trang", "khong tim thay bai viet", "khong tim thay noi dung", "khong tim thay tin",
    "khong tim thay du lieu", "bai viet khong ton tai", "trang khong ton tai", "noi dung khong ton tai",
    "tin bai khong ton tai", "duong dan khong ton tai", "bi xoa hoac khong ton tai", "page not found",
    "loi 404", "error 404", "404 not found",
)
SOFT_404_HEADINGS = ("khong tim thay", "404", "not found")
CHALLENGE = (
    "checking your browser", "just a moment", "cf-browser-verification", "challenge-platform", "captcha",
    "ddos protection", "attention required", "xac minh ban khong phai", "enable javascript and cookies",
)
SERVER_ERROR = ("server error in", "runtime error", "service unavailable", "loi he thong", "an error occurred")
#: a page whose own text is longer than this is an article that merely mentions a marker
SHORT_PAGE = 3000
#: UTF-8 Vietnamese read as windows-1252: "ả" → "áº£", "ư" → "Æ°", "đ" → "Ä‘", "à" → "Ã\xa0"
MOJIBAKE = re.compile("[ÂÃÄÅÆ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                      "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|á[º»]")
#: this many mojibake pairs make a page mis-decoded (one stray "Â\xa0" is a portal's own typo)
MOJIBAKE_MIN = 3
HOME_PATHS = re.compile(r"^/?(default\.aspx|index\.(php|html?)|trang-chu|web/[^/]+/?(trang-chu)?)?/?$", re.IGNORECASE)


def classify(response: Response, request_meta: dict[str, Any] | None = None) -> PageKind:
    """What ``response`` is. In a downloader middleware, where the response is
    not yet tied to its request, pass the request's meta."""
    meta = request_meta if request_meta is not None else response.meta
    if response.status in (404, 410):
        return PageKind.NOT_FOUND
    if response.status >= 500:
        return PageKind.ERROR
    if _redirected_home(response, meta.get("redirect_urls") or []):
        return PageKind.NOT_FOUND
    if not isinstance(response, TextResponse):
        return PageKind.ARTICLE
    if isinstance(response, HtmlResponse) and truncated(response.body):
        return PageKind.TRUNCATED
    return _classify_text(response.selector)  # the spider's own parse of the page, not a second one


def truncated(body: bytes) -> bool:
    """An HTML page whose second half holds neither ``</body>`` nor ``</html>``: cut short
    (lxml would close the tags and hand the spider a shorter article)."""
    tail = body[len(body) // 2:].lower()
    return b"</body" not in tail and b"</html" not in tail


def _classify_text(page: Selector) -> PageKind:
    headings = [fold(" ".join(h.css(" ::text").getall())).strip() for h in page.css("title, h1")]
    heading = " ".join(headings)
    nodes = page.root.xpath("//body//text()[not(ancestor::script or ancestor::style)]", smart_strings=False) \
        if hasattr(page.root, "xpath") else []
    text = " ".join(t.strip() for t in nodes)
    short = len(text) < SHORT_PAGE
    folded = fold(text[:SHORT_PAGE * 2])
    raw = fold(page.get()[:20000]) if short else ""
    if len(MOJIBAKE.findall(text[:SHORT_PAGE * 4])) >= MOJIBAKE_MIN:
        return PageKind.MIS_DECODED
    if short and any(m in folded or m in raw for m in CHALLENGE):
        return PageKind.CHALLENGE
    if any(m in heading for m in SERVER_ERROR) or (short and any(m in folded for m in SERVER_ERROR)):
        return PageKind.ERROR
    if any(h in SOFT_404_HEADINGS for h in headings) or any(m in heading for m in SOFT_404) or (
        short and any(m in folded for m in SOFT_404)
    ):
        return PageKind.NOT_FOUND
    return PageKind.ARTICLE


def _redirected_home(response: Response, chain: list[str]) -> bool:
    """An article URL redirected to the portal's home page: the article is gone."""
    if not chain:
        return False
    return bool(HOME_PATHS.match(urlsplit(response.url).path)) and not urlsplit(response.url).query


class PageGuardMiddleware:
    """Spider middleware: drop the items of article responses that are not articles."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageGuardMiddleware:
        return cls(crawler)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        kind = self._kind(response)
        for output in result:
            if kind is PageKind.ARTICLE or not isinstance(output, ArticleCapture):
                yield output

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        kind = self._kind(response)
        async for output in result:
            if kind is PageKind.ARTICLE or not isinstance(output, ArticleCapture):
                yield output

    def _kind(self, response: Response) -> PageKind:
        if response.meta.get(META_KIND) != "article":
            return PageKind.ARTICLE
        kind = classify(response)
        if kind is not PageKind.ARTICLE:
            logger.warning("Not an article (%s): %s — nothing stored", kind, response.url)
            if self.crawler.stats:
                self.crawler.stats.inc_value(runstats.stat(kind))
        return kind


class CharsetRepairMiddleware:
    """Downloader middleware: a page declared in a one-byte charset whose bytes are valid
    multi-byte UTF-8 is UTF-8 (the reverse practically never happens by chance), so it is
    re-decoded as such instead of becoming mojibake and a false new version."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetRepairMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or response.body.isascii() or _is_utf8(response.encoding):
            return response
        try:
            response.body.decode("utf-8")
        except UnicodeDecodeError:
            return response  # really in the charset it declares
        logger.info("%s: declared %s, is UTF-8; read as UTF-8", response.url, response.encoding)
        if self.crawler.stats:
            self.crawler.stats.inc_value(runstats.CHARSET_REPAIRED)
        return response.replace(encoding="utf-8")


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


class NetworkFailureMiddleware:
    """Downloader middleware: count DNS and TLS failures (``archive/dns_error``,
    ``archive/tls_error``) for site health. Scrapy's own stats name them all
    ``DownloadFailedError``; the cause is in the exception chain."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetworkFailureMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: BaseException) -> None:
        kind = network_failure(exception)
        if kind and self.crawler.stats:
            self.crawler.stats.inc_value(runstats.stat(kind))


def network_failure(exception: BaseException) -> str | None:
    """``dns_error``, ``tls_error`` or None, from an exception and its causes."""
    for exc in _causes(exception):
        name = f"{type(exc).__module__}.{type(exc).__name__}"
        if name.endswith("DNSLookupError"):
            return "dns_error"
        if name.startswith(("OpenSSL.", "ssl.")) or "certificate" in str(exc).lower():
            return "tls_error"
    return None


def _causes(exception: BaseException, depth: int = 0) -> Iterator[BaseException]:
    """The exception, its causes, and the reasons Twisted wraps (ResponseNeverReceived, ResponseFailed)."""
    if depth > 8:
        return
    yield exception
    for inner in (exception.__cause__, exception.__context__):
        if inner is not None:
            yield from _causes(inner, depth + 1)
    for reason in getattr(exception, "reasons", None) or []:
        if isinstance(getattr(reason, "value", None), BaseException):
            yield from _causes(reason.value, depth + 1)
