"""The site spider's own callbacks run in this process on rendered synthetic pages: captures
for the store benchmark, and the cost of each stage of one article page, timed without a
profiler (which inflates pure-Python code) and without the network."""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Callable
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.misc import load_object

from archive.capture import ArticleCapture
from bench.portal import Portal, fill_counters
from crawler.families.base import META_KIND, META_SOURCE_KEY


class Pages:
    """Article responses and captures of a synthetic portal, made by the real site spider."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        # Only the site's own module: one broken spider elsewhere must not stop this benchmark.
        self.spider = load_object(portal.spider_class)()

    def response(self, serial: int, fetch: int = 0) -> HtmlResponse:
        url = self.portal.article_url(serial)
        meta = {META_KIND: "article", META_SOURCE_KEY: self.spider.source_key(url)}
        body = fill_counters(self.portal.render("article", serial), serial + fetch)
        return HtmlResponse(
            url=url,
            body=body,
            encoding="utf-8",
            request=Request(url, meta=meta),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )

    def capture(self, serial: int, fetch: int = 0) -> ArticleCapture:
        """What the crawl would store for this article (attached files "downloaded" as the pipeline does)."""
        found = [
            c
            for c in self.spider.parse_article(self.response(serial, fetch))
            if isinstance(c, ArticleCapture)
        ]
        capture = found[0]
        for ref in capture.attachments:
            data = self.portal.render("file", serial)
            ref.data, ref.size, ref.media_type = data, len(data), "application/pdf"
            ref.sha256 = hashlib.sha256(data).hexdigest()
        return capture


def stage_costs(
    pages: Pages, serials: range, store: Callable[[ArticleCapture], Any] | None
) -> dict[str, float]:
    """Milliseconds per article page of each stage (means over ``serials``)."""
    try:
        from crawler.guards import classify
    except ImportError:  # the page guard is newer than this benchmark in some trees
        classify = None
    totals = dict.fromkeys(
        ("render", "html parse", "page guard", "extraction", "snapshot zlib", "store"), 0.0
    )
    for serial in serials:
        t0 = time.perf_counter()
        response = pages.response(serial)
        t1 = time.perf_counter()
        response.selector  # noqa: B018 (the lxml parse, cached on the response)
        t2 = time.perf_counter()
        if classify is not None:
            classify(response)
        t3 = time.perf_counter()
        captures = [c for c in pages.spider.parse_article(response) if isinstance(c, ArticleCapture)]
        t4 = time.perf_counter()
        zlib.compress(response.body, 6)
        t5 = time.perf_counter()
        if store is not None:
            store(captures[0])
        t6 = time.perf_counter()
        for key, spent in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5), strict=True):
            totals[key] += spent
    return {key: 1000 * spent / len(serials) for key, spent in totals.items()}
