"""Pages that must never become a version.

Portals answer a missing article with a 200 page saying so ("Không tìm thấy",
"Bài viết không tồn tại"), or redirect it to the home page; a bot shield
answers with a 200 challenge page; ASP.NET answers a crash with a 200 or 500
"Server Error in '/' Application". Stored as versions, each of these would blank
an article in the archive. The family parsers cannot be trusted to notice (the
fallback extractor happily reads an error page), so every article response is
classified here and its items dropped when it is not an article.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from parsel import Selector
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

from archive.capture import ArticleCapture
from archive.normalise import fold
from crawler.families.base import META_KIND

logger = logging.getLogger(__name__)


class PageKind(StrEnum):
    ARTICLE = "article"
    NOT_FOUND = "not_found"  # 404/410, or a 200 saying so (soft 404)
    CHALLENGE = "challenge"  # bot shield, captcha
    ERROR = "error_page"  # 5xx, or a 200 carrying a server error


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
HOME_PATHS = re.compile(r"^/?(default\.aspx|index\.(php|html?)|trang-chu|web/[^/]+/?(trang-chu)?)?/?$", re.I)


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
    return _classify_text(response.selector)  # the spider's own parse of the page, not a second one


def _classify_text(page: Selector) -> PageKind:
    headings = [fold(" ".join(h.css(" ::text").getall())).strip() for h in page.css("title, h1")]
    heading = " ".join(headings)
    nodes = page.root.xpath("//body//text()[not(ancestor::script or ancestor::style)]", smart_strings=False) \
        if hasattr(page.root, "xpath") else []
    text = " ".join(t.strip() for t in nodes)
    short = len(text) < SHORT_PAGE
    folded = fold(text[:SHORT_PAGE * 2])
    raw = fold(page.get()[:20000]) if short else ""
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
                self.crawler.stats.inc_value(f"archive/{kind}")
        return kind
