"""The reader's pages of ``portal-archive browse``, opened in Debian's Chromium, on SQLite and PostgreSQL.

The archive (tests/e2e/reader_archive.py) is built through the store; ``portal-archive
browse`` serves it from a subprocess as a user would start it; Chromium (Playwright,
the browser the crawler uses) opens the pages. Every test fails on a console error,
an uncaught page error, a failed request or an unexpected error status, and asserts on
what a person sees: the marked words of a diff, the months of a chart's bars, the
text of a 404 page. Screenshots at desktop and phone widths go to
``$ARCHIVE_SCREENSHOTS`` (default: a temporary folder of the test run).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from scrapy.utils.project import get_project_settings

from archive.db import PROJECT_ROOT
from crawler import chromium
from tests.e2e.reader_archive import EDITED_TITLE_V3, MINHLONG, PDF_V2, PROVINCE, SONHA, build_reader_archive
from tests.e2e.test_browse import free_port
from tests.pg import fresh_database

pytestmark = pytest.mark.skipif(
    chromium.missing_browser(get_project_settings()) is not None,
    reason="no Chromium: scripts/bootstrap installs it",
)
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@dataclass
class Served:
    base: str
    ids: dict[str, int]
    backend: str
    shots: Path


def _wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=10):  # 127.0.0.1 only
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"browse did not start: {process.communicate()[0][-3000:]}")
            time.sleep(0.3)


@contextmanager
def _browse(url: str) -> Iterator[str]:
    """``portal-archive browse`` on the archive at ``url``, until the test module ends; its base URL."""
    port = free_port()
    argv = [sys.executable, "-m", "crawler.cli", "browse", "--port", str(port)]
    process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": url},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            output = process.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0]
        assert "Traceback" not in output, output[-3000:]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    shots = Path(os.environ.get("ARCHIVE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('reader') / 'archive.sqlite3'}"
        ids = build_reader_archive(url)
        with _browse(url) as base:
            yield Served(base, ids, "sqlite", shots)
        return
    with fresh_database(request.getfixturevalue("pg_admin_url")) as url:
        ids = build_reader_archive(url)
        with _browse(url) as base:
            yield Served(base, ids, "postgresql", shots)


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium.launch_options({"headless": True}))
        yield browser
        browser.close()


@dataclass
class Watched:
    """A page whose console errors, page errors, failed requests and error answers are recorded."""

    page: Page
    problems: list[str] = field(default_factory=list)
    #: error statuses the test asks for on purpose (a 404 page), by URL
    expected: dict[str, int] = field(default_factory=dict)

    def goto(self, url: str, status: int = 200) -> None:
        if status != 200:
            self.expected[url] = status
        response = self.page.goto(url)
        assert response is not None and response.status == status, (url, response and response.status)

    def check(self) -> None:
        assert self.problems == [], self.problems


@pytest.fixture
def watched(chromium_browser: Browser) -> Iterator[Watched]:
    context = chromium_browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    seen = Watched(page)

    def on_console(message: Any) -> None:
        text = message.text
        expected_failure = "Failed to load resource" in text and any(
            message.location.get("url", "") == url for url in seen.expected
        )
        if message.type == "error" and not expected_failure:
            seen.problems.append(f"console: {text} at {message.location}")

    def on_response(response: Any) -> None:
        if response.status >= 400 and seen.expected.get(response.url) != response.status:
            seen.problems.append(f"HTTP {response.status}: {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda req: seen.problems.append(f"failed: {req.url} {req.failure}"))
    page.on("response", on_response)
    yield seen
    context.close()
    seen.check()


def screenshots(seen: Watched, served: Served, name: str) -> None:
    """The page at desktop and phone widths; at phone width nothing may stick out sideways."""
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        seen.page.set_viewport_size(size)
        path = served.shots / f"{served.backend}-{name}-{label}.png"
        seen.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5000, path
        overflow = seen.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {label} screen"
    seen.page.set_viewport_size(DESKTOP)


# ---------------------------------------------------------------- the article page


def test_article_lists_every_version_with_its_source_and_shows_the_marked_diff(
    served: Served, watched: Watched
) -> None:
    page, article = watched.page, served.ids["edited"]
    watched.goto(f"{served.base}/article/{article}?a=2&b=3")
    assert page.locator("h1").inner_text() == EDITED_TITLE_V3
    rows = page.locator("table.versions tbody tr")
    assert rows.count() == 4
    assert "kho lưu trữ web" in rows.nth(0).locator("td.source").inner_text()
    assert "20250611020000" in rows.nth(0).locator("td.source").inner_text()  # the capture it came from
    assert [rows.nth(i).locator("td.source").inner_text() for i in (1, 2, 3)] == ["trực tiếp từ cổng"] * 3
    assert "tiêu đề" in rows.nth(3).inner_text()  # what changed in version 4
    diff = page.locator(".diff .diff-field")  # (the legend above it shows a <del> and an <ins> too)
    assert diff.locator("del").all_inner_texts() == ["646"]  # words: "4.646" is 4 . 646
    assert diff.locator("ins").all_inner_texts() == ["656"]
    assert diff.locator(".folded").all_inner_texts() == ["⋯ 1 đoạn không đổi ⋯", "⋯ 2 đoạn không đổi ⋯"]
    screenshots(watched, served, "article-diff")

    # Choosing two other versions in the form: the web archive's capture against the first live fetch.
    page.select_option("select[name=a]", "1")
    page.select_option("select[name=b]", "2")
    page.click("form.compare button")
    page.wait_for_url("**a=1&b=2**")
    # Words and runs of punctuation are the units: the closing quote and full stop go with the words.
    assert page.locator(".diff .diff-field ins").all_inner_texts() == ["” trên địa bàn huyện."]
    assert page.locator(".diff .diff-field del").all_inner_texts() == ["”."]
    # The title's own change, version 3 -> 4, is a diff of the title field.
    watched.goto(f"{served.base}/article/{article}")
    title_diff = page.locator(".diff-field", has=page.locator("h3", has_text="Tiêu đề"))
    assert title_diff.locator("ins").inner_text().strip() == "và quy chế dân chủ"


def test_any_version_reads_and_its_stored_page_shows_without_scripts_or_remote_loads(
    served: Served, watched: Watched
) -> None:
    page, article = watched.page, served.ids["edited"]
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    watched.goto(f"{served.base}/article/{article}")
    page.click("table.versions tbody tr[data-version='1'] >> text=Đọc")
    page.wait_for_url("**v=1**")
    text = page.locator("article.version-text").inner_text()
    assert "4.646 cuộc" in text and "trên địa bàn huyện" not in text
    assert "kho lưu trữ web" in page.locator("#text .meta").inner_text()

    frame = page.frame_locator("iframe.raw")
    assert "Trang gốc đã lưu từ kho lưu trữ web" in frame.locator("body").inner_text()
    assert frame.locator("h1.title").inner_text().startswith("Minh Long sơ kết")
    assert frame.locator("script").count() == 0 and frame.locator("iframe").count() == 0
    image = frame.locator("img")
    assert image.get_attribute("src") is None and image.get_attribute("alt") == "Ảnh hội nghị"
    # Opened on its own: the same page, served under a policy that forbids scripts and loads.
    response = page.request.get(f"{served.base}/article/{article}/raw/1")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    body = response.text()
    assert "<script" not in body and "onload" not in body and "https://minhlong.quangngai.gov.vn/bg.png" not in body
    # The portal's script, stylesheet, image and embedded video were never asked for.
    assert f"{served.base}/article/{article}/raw/1" in requested
    assert [url for url in requested if not url.startswith(served.base)] == []
    screenshots(watched, served, "article-version")
    # Full-page screenshots leave a sandboxed frame blank; the frame on its own shows what a person sees.
    page.locator("iframe.raw").screenshot(path=str(served.shots / f"{served.backend}-stored-page.png"))


def test_urls_attachments_copies_and_removal_are_on_the_article_page(served: Served, watched: Watched) -> None:
    page = watched.page
    watched.goto(f"{served.base}/article/{served.ids['plan']}")
    assert page.locator(".diff .attachments-diff del").inner_text() == "KH-88-UBND.pdf"
    assert page.locator(".diff .attachments-diff ins").inner_text() == "KH-88-UBND.pdf"
    with page.expect_download() as download_info:
        page.click("ul.attachments a[download]")
    download = download_info.value
    assert download.suggested_filename == "KH-88-UBND.pdf"
    assert hashlib.sha256(Path(download.path()).read_bytes()).digest() == hashlib.sha256(PDF_V2).digest()

    watched.goto(f"{served.base}/article/{served.ids['shared-province']}")
    shared = page.locator("#shared tbody tr")
    assert shared.count() == 2
    assert "UBND huyện Minh Long" in shared.nth(0).inner_text() and "đăng trước" in shared.nth(0).inner_text()
    shared.nth(0).locator("a", has_text="Minh Long bàn giao").click()
    page.wait_for_url(f"**/article/{served.ids['shared-district']}")

    watched.goto(f"{served.base}/article/{served.ids['removed']}")
    assert "đã bị gỡ khỏi cổng" in page.locator(".meta").first.inner_text()
    events = page.locator("#events li")
    assert events.count() == 1 and events.inner_text().startswith("15/07/2025 09:00: bị gỡ khỏi cổng")
    assert "minhlong.quangngai.gov.vn/web/minhlong" in page.locator("#urls").inner_text()
    screenshots(watched, served, "article-removed")


def test_missing_article_or_portal_is_a_404_page_and_a_bad_parameter_a_400_page(
    served: Served, watched: Watched
) -> None:
    page = watched.page
    for path in ("/article/999999", "/portal/khong_co", "/province/Atlantis", "/khong-co-trang-nay"):
        watched.goto(served.base + path, status=404)
        assert page.locator("h1").inner_text() == "404 · Không tìm thấy"
        assert "Traceback" not in page.content()
    for path in (f"/article/{served.ids['edited']}?v=9", f"/article/{served.ids['edited']}?a=x",
                 "/search?q=dan+van&since=hom-qua", "/search?q=dan+van&level=thanh-pho", "/search?q=-lu"):
        watched.goto(served.base + path, status=400)
        assert page.locator("h1").inner_text() == "400 · Yêu cầu không hợp lệ"
    screenshots(watched, served, "error-400")


# ---------------------------------------------------------------- portals and provinces


def bars(page: Page, selector: str) -> dict[str, int]:
    """month -> count of the bars drawn (each visibly taller than nothing)."""
    found = {}
    for bar in page.locator(selector).all():
        box = bar.bounding_box()
        assert box is not None and box["height"] > 0 and box["width"] > 0
        found[bar.get_attribute("data-month")] = int(bar.get_attribute("data-count") or 0)
    return found


def test_portal_timeline_shows_months_the_merger_health_runs_and_successor(served: Served, watched: Watched) -> None:
    page = watched.page
    watched.goto(f"{served.base}/portal/{MINHLONG}")
    assert page.locator("h1").inner_text() == "UBND huyện Minh Long"
    assert bars(page, "svg.timeline rect.bar.published") == {"2025-03": 1, "2025-06": 2}
    assert bars(page, "svg.timeline rect.bar.edits") == {"2025-06": 3}
    assert bars(page, "svg.timeline rect.bar.removals") == {"2025-07": 1}
    assert page.locator("svg.timeline rect.bar.published[data-month='2025-06'] title").text_content() == (
        "06/2025: 2 bài đăng"
    )
    merger = page.locator("svg.timeline g.merger")
    assert merger.get_attribute("data-month") == "2025-07" and "sáp nhập" in (merger.text_content() or "")
    # The merger's line stands between June's bar and the bar of the removal in July.
    june = page.locator("svg.timeline rect.bar.published[data-month='2025-06']").bounding_box()
    line = merger.locator("line").bounding_box()
    july = page.locator("svg.timeline rect.bar.removals[data-month='2025-07']").bounding_box()
    assert june and line and july and june["x"] < line["x"] <= july["x"]

    figures = page.locator("dl.figures").inner_text()
    assert "Bài bị gỡ\n1" in figures and "Bài đăng gần nhất\n06/2025" in figures
    assert page.locator("dd.health").inner_text() == "hỏng"  # its last run failed
    runs = page.locator("table.runs tbody tr")
    assert runs.count() == 3 and "thất bại" in runs.nth(0).inner_text()
    page.click(".successor a")
    page.wait_for_url(f"**/portal/{PROVINCE}")
    assert bars(page, "svg.timeline rect.bar.published") == {"2025-03": 1, "2025-05": 1, "2025-09": 1}
    assert page.locator("dd.health").inner_text() == "tốt"
    screenshots(watched, served, "portal")


def test_province_chart_shows_the_month_each_portal_went_silent(served: Served, watched: Watched) -> None:
    page = watched.page
    watched.goto(f"{served.base}/province/quang ngai")  # accents optional
    rows = page.locator("svg.province g.portal-row")
    assert [rows.nth(i).get_attribute("data-site") for i in range(3)] == [SONHA, MINHLONG, PROVINCE]
    assert [rows.nth(i).get_attribute("data-last") for i in range(3)] == ["2025-01", "2025-06", "2025-09"]
    labels = [rows.nth(i).locator("text.row-label").text_content() or "" for i in range(3)]
    assert labels == ["UBND huyện Sơn Hà · bài cuối 01/2025", "UBND huyện Minh Long · bài cuối 06/2025",
                      "Cổng TTĐT tỉnh Quảng Ngãi · vẫn đăng bài"]  # its last run saw September
    assert bars(page, f"svg.province g[data-site='{MINHLONG}'] rect.cell") == {"2025-03": 1, "2025-06": 2}
    last = rows.nth(1).locator("rect.cell.last")
    assert last.get_attribute("data-month") == "2025-06"
    assert page.locator("svg.province g.merger").count() == 1
    screenshots(watched, served, "province")


# ---------------------------------------------------------------- search and home


def test_search_folds_accents_filters_and_links_to_the_article(served: Served, watched: Watched) -> None:
    page = watched.page
    watched.goto(f"{served.base}/search")
    page.fill("input[name=q]", "dan van")
    page.select_option("select[name=level]", "district")
    page.fill("input[name=since]", "2025-06")
    page.click("form.search button")
    page.wait_for_url("**q=dan+van**")
    hits = page.locator("ol.hits > li")
    assert hits.count() == 1
    assert hits.locator("a.hit-title mark").inner_text() == "dân vận"  # found without accents, marked
    screenshots(watched, served, "search")
    hits.locator("a.hit-title").click()
    page.wait_for_url(f"**/article/{served.ids['edited']}")

    watched.goto(f"{served.base}/search?q=ban+giao&province=Quảng+Ngãi&level=province")
    assert page.locator("ol.hits > li").count() == 1
    assert "Cổng TTĐT tỉnh Quảng Ngãi" in page.locator("ol.hits").inner_text()
    watched.goto(f"{served.base}/search?q=ban+giao&until=2025-02")
    assert page.locator("ol.hits li.none").inner_text() == "Không có bài nào khớp."


def test_home_links_every_portal_and_recent_articles_and_serves_only_its_own_assets(
    served: Served, watched: Watched
) -> None:
    page = watched.page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    watched.goto(f"{served.base}/")
    portals = page.locator("table.portals tbody a[href^='/portal/']")
    assert sorted(portals.evaluate_all("links => links.map(a => a.getAttribute('href'))")) == sorted(
        f"/portal/{name}" for name in (PROVINCE, MINHLONG, SONHA)
    )
    recent = page.locator("ol.recent a").all_inner_texts()
    assert recent[0] == "Các xã mới của tỉnh Quảng Ngãi đi vào hoạt động ổn định"  # newest first
    assert "Trang chủ" in page.locator("header nav").inner_text()
    assert requested and all(url.startswith(served.base) for url in requested), requested
    screenshots(watched, served, "home")


def test_datasette_rows_link_to_the_reader_and_back(served: Served, watched: Watched) -> None:
    if served.backend != "sqlite":
        pytest.skip("Datasette serves SQLite only; on PostgreSQL the reader's pages stand alone")
    page = watched.page
    article = served.ids["edited"]
    watched.goto(f"{served.base}/article/{article}")
    page.click("text=xem trong Datasette")
    page.wait_for_url("**/datasette/archive/version_history?article_id=*")
    assert page.locator("table.rows-and-columns tbody tr").count() == 4
    page.locator(f"table.rows-and-columns a[href='/article/{article}']").first.click()
    page.wait_for_url(f"**/article/{article}")
    watched.goto(f"{served.base}/datasette/")
    page.locator("a[href='/']:visible", has_text="Trang đọc").first.click()
    page.wait_for_url(f"{served.base}/")
