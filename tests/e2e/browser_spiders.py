"""Spiders for the browser tests only: real families, pointed at fixture portals, one crawling a
listing through Chromium and one the plain way, so a test can check both store the same articles.

Not in ``spiders/`` (those are real portals); load them with
``-s SPIDER_MODULES=spiders,tests.e2e.browser_spiders``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import scrapy
from playwright.async_api import Page
from scrapy.http import Response
from scrapy_playwright.page import PageMethod

from crawler.chromium import click_more
from crawler.families.qni2025 import Qni2025Spider
from crawler.families.vnportal import META_PAGE
from spiders.soctrang import SocTrangSpider

SPIDER_MODULES = "spiders,tests.e2e.browser_spiders"


class JsPortal(Qni2025Spider):
    """tests/fixtures/sites/browser: one category of the post-merger Quảng Ngãi platform."""

    display_name = "Fixture: script-rendered Quảng Ngãi category"
    province = "Quảng Ngãi"
    province_after_2025 = "Quảng Ngãi"
    level = "other"
    host = "jsportal.quangngai.gov.vn"
    home_url = "https://jsportal.quangngai.gov.vn/"
    schedule = "off"
    # The listing's "Xem thêm" button and the items the script adds.
    MORE_BUTTON = "#btn-view-more"
    LIST_ITEMS = "#list-news .article-item"


class JsPortalPlainSpider(JsPortal):
    """The category as the server renders it, page by page (no browser)."""

    name = "jsportal_plain"
    qni2025_listing_paths = ("/tin-tuc/thoi-su?page=1",)


class JsPortalBrowserSpider(JsPortal):
    """The category page whose list exists only after its script ran: rendered in Chromium,
    "Xem thêm" clicked until every page of the list is in."""

    name = "jsportal_browser"
    qni2025_listing_paths = ("/tin-tuc/thoi-su",)
    browser_for: ClassVar[frozenset[str]] = frozenset({"listing"})

    def browser_meta(self, kind: str) -> dict[str, Any]:
        meta = super().browser_meta(kind)
        if meta and kind == "listing":
            meta["playwright_page_methods"] = [PageMethod(click_more, self.MORE_BUTTON, self.LIST_ITEMS)]
        return meta


class JsPortalRenderedSpider(JsPortalBrowserSpider):
    """Articles rendered in Chromium too: the DOM the browser serialises must read as the HTML does."""

    name = "jsportal_rendered"
    browser_for = frozenset({"listing", "article"})


# -- vnPortal: the ASP.NET pager clicked in Chromium instead of posted back by a form request ----

_PAGE_ARGUMENT = re.compile(r"Page\$(\d+)")


async def click_pager_to(
    page: Page, number: int, links: str = "a.ButtonPage", timeout: float = 30_000
) -> int:
    """Page method: click pager links, each a ``__doPostBack`` that loads a new document, from page 1
    until page ``number`` is shown: its own link when the pager's window holds it, else the farthest
    link before it (the "..." that opens the next window). The number of clicks."""
    shown = 1
    for clicks in range(number):
        hrefs = [await a.get_attribute("href") or "" for a in await page.locator(links).all()]
        targets = {int(m[1]): i for i, href in enumerate(hrefs) if (m := _PAGE_ARGUMENT.search(href))}
        step = number if number in targets else max((n for n in targets if shown < n < number), default=None)
        if step is None:
            return clicks  # the pager leads no further: the listing parses what is shown
        async with page.expect_navigation(timeout=timeout):
            await page.locator(links).nth(targets[step]).click(timeout=timeout)
        if step == number:
            return clicks + 1
        shown = step
    return number


class SocTrangBrowserPagerSpider(SocTrangSpider):
    """The Sóc Trăng province listings with every page after the first reached by clicking the
    pager in Chromium, where ``soctrang`` posts the form back itself."""

    name = "soctrang_browser_pager"
    browser_for: ClassVar[frozenset[str]] = frozenset({"listing"})

    def _next_page(self, response: Response) -> scrapy.Request | None:
        page = int(response.meta.get(META_PAGE, 1))
        if self._pager_event(response, page + 1) is None:
            return None
        # Every page of a listing has the listing's URL: render it anew and click to page N + 1.
        clicks = [PageMethod(click_pager_to, page + 1)]
        return self.listing_request(response.url, dont_filter=True,
                                    meta={META_PAGE: page + 1, "playwright_page_methods": clicks})
