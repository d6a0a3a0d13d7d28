"""The baseline of the throughput benchmark: a bare Scrapy spider that fetches the same pages
as the site spider (listings, pager, articles, attached files) with the same settings, and
does nothing with them: no extraction, no items, no pipelines, no incremental middlewares.

    scrapy runspider bench/bare_spider.py -a mirror=URL -a start=PORTAL_URL -a family=liferay|vnportal [-a home=URL]

With ``home``, it first fetches that page and only then the listings, as the site spider does in
a first crawl when the registry marks an identity fact ``[I]`` (crawler/identity.py: the identity
is learned from the home page before any listing): the same pages, in the same order.

It keeps the mirror middleware, which the real crawl needs too to reach the local copy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import FormRequest, Response

from crawler.extract import is_attachment_url
from crawler.families.liferay import LiferaySpider
from crawler.families.vnportal import VnPortalSpider, postback_of


class BareSpider(scrapy.Spider):
    name = "bench_bare"
    custom_settings = {
        "ITEM_PIPELINES": {},
        "SPIDER_MIDDLEWARES": {},
        "DOWNLOADER_MIDDLEWARES": {"crawler.middlewares.MirrorMiddleware": 950},
    }

    def __init__(self, start: str, mirror: str, family: str = "liferay", home: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url, self.family, self.home_url = start, family, home
        self.mirror = mirror.rstrip("/")  # read by crawler.middlewares.MirrorMiddleware

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.home_url:
            yield scrapy.Request(self.home_url, callback=self.parse_home, dont_filter=True)
        else:
            yield scrapy.Request(self.start_url, callback=self.parse_listing)

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        yield scrapy.Request(self.start_url, callback=self.parse_listing)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if self.family == "vnportal":
            yield from self.parse_vnportal_listing(response)
            return
        for href in response.css(LiferaySpider.LISTING_LINKS).getall():
            yield response.follow(href, callback=self.parse_article)
        for href in response.css(LiferaySpider.PAGER_LINKS).getall():
            if "_cur=" in href:
                yield response.follow(href, callback=self.parse_listing)

    def parse_vnportal_listing(self, response: Response) -> Iterator[scrapy.Request]:
        """Article links, then the postback for the next page (ASP.NET pager, one page after the other)."""
        for href in response.css(VnPortalSpider.LISTING_LINKS).getall():
            yield response.follow(href, callback=self.parse_article)
        page = response.meta.get("page", 1)
        for href in response.css(f"{VnPortalSpider.PAGER_LINKS}::attr(href)").getall():
            event = postback_of(href)
            if event and event[1] == f"Page${page + 1}":
                yield FormRequest.from_response(
                    response,
                    formxpath=VnPortalSpider.FORM,
                    dont_click=True,
                    callback=self.parse_listing,
                    formdata={"__EVENTTARGET": event[0], "__EVENTARGUMENT": event[1]},
                    meta={"page": page + 1},
                )
                return

    def parse_article(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.css(
            ".journal-content-article a::attr(href), .ArticleContent a::attr(href)"
        ).getall():
            url = response.urljoin(href)
            if is_attachment_url(url):
                yield scrapy.Request(url, callback=self.parse_file)

    def parse_file(self, response: Response) -> None:
        return None
