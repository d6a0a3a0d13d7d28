"""Pages built by script, crawled through Debian's Chromium (crawler/chromium.py, docs/browser.md).

End to end against tests/fixtures/sites/browser: the category page's list exists only after its
script ran; a crawl through the browser must store the same articles (keys and content hashes) as
the plain path through the server-rendered pages. Also: no browser installed, a page that never
finishes loading, and the unit pieces (path, launch options, meta, blocking).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from crawler import chromium
from spiders.soctrang import SocTrangSpider
from tests.e2e.browser_spiders import SPIDER_MODULES, JsPortalBrowserSpider, JsPortalPlainSpider
from tests.e2e.crawling import Crawl, crawl, last_run, query
from tests.fixtures.server import FixtureServer
from tests.fixtures.sites.browser import build

JSPORTAL = Path(build.__file__).parent
VNPORTAL = JSPORTAL.parent / "vnportal"
HOST = build.HOST
ARTICLES = json.loads((JSPORTAL / "articles.json").read_bytes())["articles"]
EXPECTED_KEYS = sorted(a["source_key"] for a in ARTICLES)
MISSING = "Chromium not found at {}; install it (apt-get install chromium) or set ARCHIVE_CHROMIUM"
needs_chromium = pytest.mark.skipif(chromium.missing_browser(get_project_settings()) is not None,
                                    reason="no Chromium: scripts/bootstrap installs it")


@pytest.fixture(scope="module")
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(JSPORTAL) as server:
        yield server


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """For tests of the browser alone, where the archive's backend plays no part."""
    return f"sqlite:///{tmp_path / 'archive.sqlite3'}"


def crawl_js(spider: str, portal: FixtureServer, db_url: str, *args: str) -> Crawl:
    return crawl(spider, portal.url, db_url, "-s", f"SPIDER_MODULES={SPIDER_MODULES}", *args)


@contextmanager
def silent_server() -> Iterator[str]:
    """A URL on 127.0.0.1 that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def stored(db_url: str, spider: str) -> list[tuple[str, str]]:
    """(source key, content hash) of every version the site holds."""
    return query(db_url, "SELECT a.source_key, c.content_hash FROM article a JOIN site s ON s.id = a.site_id "
                         "JOIN version v ON v.article_id = a.id JOIN content c ON c.id = v.content_id "
                         "WHERE s.name = :spider ORDER BY 1, 2", spider=spider)


def run_stats(db_url: str, spider: str) -> dict[str, Any]:
    sql = "SELECT stats FROM crawl_run WHERE spider = :spider ORDER BY id DESC LIMIT 1"
    raw = query(db_url, sql, spider=spider)[0][0]
    return json.loads(raw) if isinstance(raw, str) else raw


# -- end to end, through a real Chromium ----------------------------------------------------


@needs_chromium
def test_browser_listing_stores_the_same_articles_as_the_plain_path(
    portal: FixtureServer, db_url: str
) -> None:
    portal.reset()
    plain = crawl_js("jsportal_plain", portal, db_url)
    assert plain.returncode == 0, plain.log[-3000:]
    # A crawl that renders nothing starts neither Playwright nor Chromium.
    assert not any(k.startswith("playwright/") for k in run_stats(db_url, "jsportal_plain"))
    assert "Starting download handler" not in plain.log

    # The listing in Chromium; then the listing and every article in Chromium.
    for spider in ("jsportal_browser", "jsportal_rendered"):
        result = crawl_js(spider, portal, db_url)
        assert result.returncode == 0, result.log[-3000:]
        run = last_run(db_url, spider)
        assert run["status"] == "finished" and run["errors"] == 0, result.log[-3000:]
        assert stored(db_url, spider) == stored(db_url, "jsportal_plain"), spider
        stats = run_stats(db_url, spider)
        assert stats["playwright/page_count"] == stats["playwright/page_count/closed"]  # every page closed
        assert stats["playwright/request_count/aborted"] > 0
        assert stats.get("playwright/context_count/max_concurrent") == 1
        assert stats.get("playwright/page_count/max_concurrent", 0) <= 2
    assert sorted(key for key, _ in stored(db_url, "jsportal_plain")) == EXPECTED_KEYS

    # The listing page reached the browser, its script fetched every page of the endpoint, and no
    # image, font or media request left the browser.
    fetched = [key for _, key in portal.requests]
    assert sum(key.startswith(f"{HOST}/api/tin-tuc") for key in fetched) == 2 * build.pages()
    heavy = [k for k in fetched if k.rsplit("?", 1)[0].endswith((".jpg", ".png", ".woff2"))]
    assert heavy == [] and portal.hits(HOST + build.STYLESHEET_PATH) >= 1


@needs_chromium
def test_vnportal_pager_clicked_in_chromium_stores_what_the_postbacks_store(sqlite_url: str) -> None:
    with FixtureServer(VNPORTAL) as server:
        posted = crawl_js("soctrang", server, sqlite_url)
        assert posted.returncode == 0, posted.log[-3000:]
        posts = sum(method == "POST" for method, _ in server.requests)
        server.reset()
        clicked = crawl_js("soctrang_browser_pager", server, sqlite_url)
        assert clicked.returncode == 0, clicked.log[-3000:]
        # Chromium sent the postbacks: a click on the pager submits the ASP.NET form.
        assert sum(method == "POST" for method, _ in server.requests) >= posts > 0
    assert stored(sqlite_url, "soctrang_browser_pager") == stored(sqlite_url, "soctrang") != []
    stats = run_stats(sqlite_url, "soctrang_browser_pager")
    rendered = posts + len(SocTrangSpider.listings)  # every listing page, each rendered once
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"] == rendered


@needs_chromium
def test_page_that_never_finishes_loading_is_timed_out_counted_and_the_crawl_goes_on(
    portal: FixtureServer, sqlite_url: str
) -> None:
    db_url = sqlite_url
    portal.reset()
    slow = HOST + build.article_path(build.ARTICLES[3])
    page = (JSPORTAL / portal.manifest_route(slow).file).read_bytes()
    with silent_server() as silent:
        # A script that never arrives holds the page's load event back for ever.
        script = f'<script src="{silent}/treo.js"></script></head>'.encode()
        portal.override(slow, page.replace(b"</head>", script))
        try:
            result = crawl_js("jsportal_rendered", portal, db_url,
                              "-s", "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT=1500", "-s", "RETRY_TIMES=1")
        finally:
            portal.restore(slow)
    assert result.returncode == 0, result.log[-3000:]
    stats = run_stats(db_url, "jsportal_rendered")
    assert stats["archive/browser_timeout"] == 2, result.log[-3000:]  # the first try and one retry
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"]
    assert last_run(db_url, "jsportal_rendered")["status"] == "finished"
    keys = [key for key, _ in stored(db_url, "jsportal_rendered")]
    assert sorted(keys) == sorted(set(EXPECTED_KEYS) - {f"{HOST}/tin-tuc/{build.ARTICLES[3].slug}.html"})


def test_without_chromium_a_site_that_needs_it_stops_in_one_line_and_others_crawl(
    portal: FixtureServer, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal.reset()
    monkeypatch.setenv(chromium.ENV, "/nonexistent/chromium")
    result = crawl_js("jsportal_browser", portal, db_url)
    assert result.returncode != 0, result.log[-3000:]
    errors = [line.split("ERROR: ", 1)[1] for line in result.log.splitlines() if "ERROR: " in line]
    assert errors == [MISSING.format("/nonexistent/chromium")], result.log[-3000:]
    assert "Traceback" not in result.log, result.log[-3000:]
    assert last_run(db_url, "jsportal_browser")["finish_reason"] == chromium.BROWSER_MISSING
    assert stored(db_url, "jsportal_browser") == []
    assert portal.hits(HOST + "/tin-tuc/thoi-su") == 0  # closed before any request

    plain = crawl_js("jsportal_plain", portal, db_url)
    assert plain.returncode == 0, plain.log[-3000:]
    assert sorted(key for key, _ in stored(db_url, "jsportal_plain")) == EXPECTED_KEYS


# -- the pieces ------------------------------------------------------------------------------


def test_the_listing_is_empty_without_its_script() -> None:
    spider = JsPortalPlainSpider()
    url = f"https://{HOST}/tin-tuc/thoi-su"
    response = HtmlResponse(url, body=(JSPORTAL / "pages" / "thoi-su.html").read_bytes(), encoding="utf-8")
    assert list(spider.parse_listing(response)) == []


def test_only_the_kinds_a_site_opts_in_go_through_the_browser() -> None:
    spider = JsPortalBrowserSpider()
    listing = spider.listing_request(f"https://{HOST}/tin-tuc/thoi-su")
    article = spider.article_request(f"https://{HOST}/tin-tuc/thoi-su/hop-bao-thang-7-2025.html")
    assert listing.meta["playwright"] is True and listing.meta["playwright_include_page"] is False
    assert [m.method for m in listing.meta["playwright_page_methods"]] == [chromium.click_more]
    assert "playwright" not in article.meta
    # One request opts in, or out, with its own meta.
    assert spider.article_request(article.url, meta={"playwright": True}).meta["playwright"] is True
    assert spider.listing_request(listing.url, meta={"playwright": False}).meta["playwright"] is False
    assert JsPortalPlainSpider().listing_request(listing.url).meta.keys().isdisjoint({"playwright"})


def test_chromium_path_comes_from_the_environment_else_debian(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(chromium.ENV, "/opt/chromium/chrome")
    assert chromium.chromium_path() == "/opt/chromium/chrome"
    options = chromium.launch_options({"args": ["--disable-gpu"]})
    assert options["executable_path"] == "/opt/chromium/chrome"
    assert options["args"][0] == "--disable-gpu"
    assert ("--no-sandbox" in options["args"]) == (os.geteuid() == 0)
    assert chromium.missing_browser(Settings()) == MISSING.format("/opt/chromium/chrome")
    assert chromium.launch_options({"executable_path": "/x"})["executable_path"] == "/x"  # the setting wins
    monkeypatch.delenv(chromium.ENV)
    if os.access(chromium.DEFAULT_CHROMIUM, os.X_OK):
        assert chromium.chromium_path() == chromium.DEFAULT_CHROMIUM


def test_images_fonts_and_media_are_blocked() -> None:
    blocked = {t for t in ("document", "script", "xhr", "fetch", "stylesheet", "image", "font", "media")
               if chromium.is_heavy(SimpleNamespace(resource_type=t))}  # type: ignore[arg-type]
    assert blocked == {"image", "font", "media"}


def test_only_a_site_that_asks_for_a_browser_gets_the_handler_and_the_limits() -> None:
    browser_site = get_crawler(JsPortalBrowserSpider).settings
    handlers = browser_site.getdict("DOWNLOAD_HANDLERS")
    assert (handlers["http"], handlers["https"]) == (chromium.HANDLER, chromium.HANDLER)
    assert "crawler.chromium.BrowserCheck" in browser_site.getdict("EXTENSIONS")
    for plain in (get_crawler(JsPortalPlainSpider).settings, get_project_settings()):
        assert chromium.HANDLER not in plain.getdict("DOWNLOAD_HANDLERS").values()
        assert "crawler.chromium.BrowserCheck" not in plain.getdict("EXTENSIONS")
    settings = get_project_settings()
    assert settings.get("PLAYWRIGHT_ABORT_REQUEST") == "crawler.chromium.is_heavy"
    assert settings.getint("PLAYWRIGHT_MAX_CONTEXTS") == 1
    assert settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") == 2
    assert settings.getint("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") > 0
    assert "--disable-background-networking" in settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")["args"]


def test_browser_check_closes_only_sites_that_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(chromium.ENV, "/nonexistent/chromium")
    for spidercls, closes in ((JsPortalBrowserSpider, True), (JsPortalPlainSpider, False)):
        crawler = get_crawler(spidercls)
        check = chromium.BrowserCheck.from_crawler(crawler)
        if closes:
            with pytest.raises(CloseSpider) as raised:
                check.spider_opened(spidercls())
            assert raised.value.reason == chromium.BROWSER_MISSING
        else:
            check.spider_opened(spidercls())


def test_fixture_is_built_from_build_py(tmp_path: Path) -> None:
    build.build(tmp_path)
    for made in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        assert made.read_bytes() == (JSPORTAL / made.relative_to(tmp_path)).read_bytes(), made
