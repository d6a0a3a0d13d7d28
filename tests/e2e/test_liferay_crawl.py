"""Crawl the Quảng Ngãi Liferay fixture portals end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.crawling import crawl, last_run, query, scalar
from tests.fixtures.server import FixtureServer
from tests.golden import cases, parse

LIFERAY = Path(__file__).parents[1] / "fixtures" / "sites" / "liferay"
SEED_KEY_ID = "4790573"  # the Minh Long seed article (tests/fixtures/sites/liferay/README.md)


@pytest.fixture(scope="module")
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(LIFERAY) as server:
        yield server


def expected_articles(spider: str) -> int:
    """Article pages of the site that hold an article (the golden files say which)."""
    return sum(1 for case in cases() if case.spider == spider and case.family == "liferay" and parse(case)["items"])


def test_crawl_recrawl_edit(portal: FixtureServer, db_url: str) -> None:
    for spider in ("quangngai_minhlong", "quangngai"):
        result = crawl(spider, portal.url, db_url)
        assert result.returncode == 0, result.log[-3000:]
        run = last_run(db_url, spider)
        assert run["status"] == "finished" and run["errors"] == 0, result.log[-3000:]
        assert run["new_articles"] == run["new_versions"] == expected_articles(spider)
    assert last_run(db_url, "quangngai")["fallbacks"] == 1
    assert "No article body" in crawl("quangngai_minhlong", portal.url, db_url).log  # logged, never stored

    # The cross-posted story: one content row under two articles on two sites.
    shared = query(db_url, "SELECT articles, sites FROM shared_content")
    assert shared == [(2, 2)]

    # Full recrawl: the counters on every page changed, the archive did not.
    result = crawl("quangngai_minhlong", portal.url, db_url, "-a", "depth=full")
    run = last_run(db_url, "quangngai_minhlong")
    assert (run["new_articles"], run["new_versions"]) == (0, 0), result.log[-3000:]
    assert run["unchanged"] == expected_articles("quangngai_minhlong")

    # An edit after publication: exactly one new version, of that article only.
    seed = next(key for key in portal.keys(kind="article") if key.endswith(SEED_KEY_ID))
    page = (LIFERAY / portal.manifest_route(seed).file).read_bytes()
    portal.override(seed, page.replace("tuyên dương./.".encode(), "biểu dương./.".encode()))
    try:
        crawl("quangngai_minhlong", portal.url, db_url, "-a", "depth=full")
    finally:
        portal.restore(seed)
    assert last_run(db_url, "quangngai_minhlong")["new_versions"] == 1
    history = query(db_url, "SELECT version, body_chars FROM version_history WHERE source_key LIKE :k ORDER BY version",
                    k=f"%/{SEED_KEY_ID}")
    assert [v for v, _ in history] == [1, 2]
    changes = query(db_url, "SELECT title_changed, body_changed FROM article_changes WHERE site = 'quangngai_minhlong'")
    assert changes == [(0, 1)]


def test_archive_holds_nfc_text_attachments_and_raw_pages(portal: FixtureServer, db_url: str) -> None:
    assert crawl("quangngai", portal.url, db_url).returncode == 0
    titles = [t for (t,) in query(db_url, "SELECT title FROM content")]
    assert titles and all(unicodedata.is_normalized("NFC", t) for t in titles)
    pdf_key = next(k for k in _routes() if k.startswith("quangngai.gov.vn/documents/") and ".pdf/" in k)
    stored = query(db_url, "SELECT data FROM attachment WHERE first_url LIKE :u", u=f"%{pdf_key.split('/', 1)[1]}")
    assert stored and bytes(stored[0][0]) == (LIFERAY / _routes()[pdf_key]["file"]).read_bytes()
    assert scalar(db_url, "SELECT count(*) FROM snapshot") == scalar(db_url, "SELECT count(*) FROM version")


def _routes() -> dict[str, dict]:
    return json.loads((LIFERAY / "manifest.json").read_text(encoding="utf-8"))["routes"]
