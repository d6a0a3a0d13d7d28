"""Pages built in the browser: Debian's Chromium through scrapy-playwright, only for the
requests that ask for it (meta ``playwright``); everything else stays plain HTTP.

A site opts in per kind of request with ``PortalSpider.browser_for`` ("listing", "article"),
which also gives its crawls this module's download handler (``install``); on such a site a
single request opts in with ``meta={"playwright": True}``. This module is the one place that reads
``ARCHIVE_CHROMIUM`` (the browser's path, default ``/usr/bin/chromium``, else ``chromium`` on
PATH). Settings, limits and measurements: docs/browser.md.

* ``BrowserDownloadHandler`` starts Playwright (its Node driver) and Chromium on the first
  request that asks for the browser, not at engine start as upstream does: a crawl that renders
  nothing starts no extra process and does not need Chromium installed.
* ``BrowserCheck`` closes a crawl of a site that opts in when Chromium is missing, at spider open,
  with one line saying how to install it (finish reason ``browser_missing``).
* A navigation that times out is counted (``archive/browser_timeout``) and raised as Scrapy's
  own download timeout, so it is retried and reported like any slow page, and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from playwright.async_api import Page
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DownloadTimeoutError, IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from archive import runstats

logger = logging.getLogger(__name__)

ENV = "ARCHIVE_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"  # Debian's package "chromium" (scripts/bootstrap)
#: finish reason of a crawl closed because its site needs a browser and none is installed
BROWSER_MISSING = "browser_missing"
STAT_TIMEOUT, STAT_MISSING = runstats.BROWSER_TIMEOUT, runstats.BROWSER_MISSING
#: Playwright resource types never needed to read a page (PLAYWRIGHT_ABORT_REQUEST)
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})

# A "Xem thêm" click is done when the list grew, or the button is gone or hidden (the last page
# may bring nothing). Not "enabled again": the button is disabled while the fetch runs.
_LIST_GREW = """([items, before, button]) => {
  const more = document.querySelector(button);
  return document.querySelectorAll(items).length > before || !more || more.offsetParent === null;
}"""


def chromium_path() -> str:
    """The Chromium to launch: ``$ARCHIVE_CHROMIUM`` as given, else Debian's, else one on PATH."""
    if configured := os.environ.get(ENV):
        return configured
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser") or DEFAULT_CHROMIUM


def launch_options(configured: Mapping[str, Any]) -> dict[str, Any]:
    """PLAYWRIGHT_LAUNCH_OPTIONS completed with the executable and, as root, ``--no-sandbox``
    (Chromium refuses to start its sandbox as root, and CI runs as root)."""
    options = dict(configured)
    options.setdefault("executable_path", chromium_path())
    args = list(options.get("args") or [])
    if os.geteuid() == 0 and "--no-sandbox" not in args:
        args.append("--no-sandbox")
    options["args"] = args
    return options


def missing_browser(settings: BaseSettings) -> str | None:
    """One line saying how to install the browser if it is missing, else None."""
    path = launch_options(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))["executable_path"]
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return None
    return f"Chromium not found at {path}; install it (apt-get install chromium) or set {ENV}"


HANDLER = "crawler.chromium.BrowserDownloadHandler"


def install(settings: BaseSettings) -> None:
    """The browser download handler for http and https, and the missing-browser check, in the
    settings of a spider that asks for a browser; other crawls keep Scrapy's own handlers."""
    settings.set("DOWNLOAD_HANDLERS", {**settings.getdict("DOWNLOAD_HANDLERS"), "http": HANDLER, "https": HANDLER},
                 priority="spider")
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), "crawler.chromium.BrowserCheck": 100},
                 priority="spider")


def render_meta(*page_methods: PageMethod) -> dict[str, Any]:
    """Request meta that renders the page in Chromium, running ``page_methods`` before it is read.
    The page is always closed by the handler (never handed to a callback)."""
    return {
        "playwright": True,
        "playwright_include_page": False,
        "playwright_page_methods": list(page_methods),
    }


def is_heavy(request: PlaywrightRequest) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: images, fonts and media are never fetched by the browser."""
    return request.resource_type in BLOCKED_RESOURCES


async def click_more(
    page: Page, button: str, items: str, max_clicks: int = 30, timeout: float = 10_000
) -> int:
    """Page method: click a "Xem thêm" button until it is gone (or ``max_clicks``), waiting each
    time for the list to grow; the number of clicks. A click that brings nothing ends the walk
    with what the list holds, so one broken page of a listing never loses the others."""
    # The first batch, fetched by script. A page that keeps polling never idles: read what it has.
    with suppress(PlaywrightTimeoutError):
        await page.wait_for_load_state("networkidle", timeout=timeout)
    for clicks in range(max_clicks):
        more = page.locator(button).first
        if not await more.count() or not await more.is_visible():
            return clicks
        before = await page.locator(items).count()
        try:
            await more.click(timeout=timeout)
            await page.wait_for_function(_LIST_GREW, arg=[items, before, button], timeout=timeout)
        except PlaywrightTimeoutError:
            logger.warning("%s: %r brought no more items after %d clicks; keeping %d",
                           page.url, button, clicks, before)
            return clicks
    return max_clicks


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):  # type: ignore[misc]  # untyped upstream
    """scrapy-playwright's handler for http(s), started on the first request that asks for the
    browser; requests without meta ``playwright`` go to Scrapy's HTTP/1.1 handler untouched."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.config.launch_options = launch_options(self.config.launch_options)
        self._missing = missing_browser(crawler.settings)
        self._playwright_started = False
        self._start_lock = asyncio.Lock()

    # Upstream starts the Node driver on engine_started; here it waits for the first render.
    async def _maybe_launch_in_thread(self) -> None:
        return None

    def _engine_started(self) -> None:  # the same hook on Scrapy < 2.14
        return None

    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        if self._missing:
            if not self.stats.get_value(STAT_MISSING):
                logger.error(self._missing)
            self.stats.inc_value(STAT_MISSING)
            raise IgnoreRequest(self._missing)
        async with self._start_lock:
            if not self._playwright_started:
                await self._launch()
                self._playwright_started = True
        try:
            response: Response = await super()._download_request(request, spider)
            return response
        except PlaywrightTimeoutError as exc:
            reason = exc.message.splitlines()[0] if exc.message else "timeout"
            self.stats.inc_value(STAT_TIMEOUT)
            logger.warning("Browser gave up on %s: %s", request.url, reason)
            raise DownloadTimeoutError(f"browser: {reason}") from exc


class BrowserCheck:
    """Extension: a site that opts in to the browser cannot be crawled without one; say so at
    spider open, in one line, and close the crawl (other sites never notice a missing browser)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BrowserCheck:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        if not getattr(spider, "browser_for", None):
            return
        if problem := missing_browser(self.crawler.settings):
            logger.error(problem)
            raise CloseSpider(BROWSER_MISSING)
