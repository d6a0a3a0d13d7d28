"""Crawl the Đồng Tháp Liferay fixture portals end to end, on SQLite and PostgreSQL:
first crawl, full recrawl (no new version), an edit (one new version)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.crawling import crawl, last_run, query
from tests.fixtures.server import FixtureServer
from tests.golden import cases, parse

DONGTHAP = Path(__file__).parents[1] / "fixtures" / "sites" / "liferay_dongthap"
DATA = json.loads((DONGTHAP / "articles.json").read_text(encoding="utf-8"))
ARTICLES = {a["name"]: a for a in DATA["articles"]}
SPIDERS = ("dongthap", "dongthap_sadec")


@pytest.fixture(scope="module")
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(DONGTHAP) as server:
        yield server


def expected_keys(spider: str) -> set[str]:
    """Source keys the golden files expect (both spellings of a chi-tiet page are one key)."""
    return {item["source_key"] for case in cases() if case.spider == spider for item in parse(case)["items"]}


def test_crawl_recrawl_edit(portal: FixtureServer, db_url: str) -> None:
    for spider in SPIDERS:
        result = crawl(spider, portal.url, db_url)
        assert result.returncode == 0, result.log[-3000:]
        run = last_run(db_url, spider)
        assert run["status"] == "finished" and run["errors"] == 0 and run["fallbacks"] == 0, result.log[-3000:]
        assert run["new_articles"] == run["new_versions"] == len(expected_keys(spider)), result.log[-3000:]
        stored = {k for (k,) in query(db_url, "SELECT source_key FROM article_current WHERE site = :s", s=spider)}
        assert stored == expected_keys(spider)

    # Full recrawl: every counter on every page changed, the archive did not.
    for spider in SPIDERS:
        result = crawl(spider, portal.url, db_url, "-a", "depth=full")
        run = last_run(db_url, spider)
        assert (run["new_articles"], run["new_versions"], run["errors"]) == (0, 0, 0), result.log[-3000:]

    # An edit of a 2025 chi-tiet article: exactly one new version, of that article only.
    edited = ARTICLES["sadec-handover"]
    page = (DONGTHAP / portal.manifest_route(edited["key"]).file).read_bytes()
    portal.override(edited["key"], page.replace("nhiều lần.".encode(), "nhiều lần, quá hẹn.".encode()))
    try:
        crawl("dongthap_sadec", portal.url, db_url, "-a", "depth=full")
    finally:
        portal.restore(edited["key"])
    assert last_run(db_url, "dongthap_sadec")["new_versions"] == 1
    history = query(db_url, "SELECT version FROM version_history WHERE source_key = :k ORDER BY version",
                    k=f"sadec.dongthap.gov.vn/sadec/chi-tiet/{edited['article_id']}")
    assert [v for (v,) in history] == [1, 2]
    changes = query(db_url, "SELECT title_changed, body_changed FROM article_changes WHERE site = 'dongthap_sadec'")
    assert changes == [(0, 1)]


def test_archive_holds_nfc_text_and_attachments_with_timestamps(portal: FixtureServer, db_url: str) -> None:
    for spider in SPIDERS:
        assert crawl(spider, portal.url, db_url).returncode == 0
    titles = [t for (t,) in query(db_url, "SELECT title FROM content")]
    assert titles and all(unicodedata.is_normalized("NFC", t) for t in titles)
    assert "Sa Đéc ra mắt mô hình “Dân vận khéo” trong chỉnh trang đô thị" in titles  # stored NFD on the page
    routes = json.loads((DONGTHAP / "manifest.json").read_text(encoding="utf-8"))["routes"]
    for name in ("dtp-par-plan-2026", "sadec-budget-pdf"):
        (attachment,) = ARTICLES[name]["attachments"]
        assert "?t=" in attachment["key"]  # [E] /documents/<group>/<folder>/<file>/<uuid>?t=<ms>
        stored = query(db_url, "SELECT data FROM attachment WHERE first_url = :u", u="https://" + attachment["key"])
        assert stored and bytes(stored[0][0]) == (DONGTHAP / routes[attachment["key"]]["file"]).read_bytes()
