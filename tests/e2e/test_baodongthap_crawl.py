"""Crawl the Báo Đồng Tháp fixture site (three URL eras, two host names) end to end,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.crawling import crawl, last_run, query, scalar
from tests.fixtures.server import FixtureServer
from tests.golden import cases, parse

SITE = Path(__file__).parents[1] / "fixtures" / "sites" / "newspaper"
RECORDS = {r["name"]: r for r in json.loads((SITE / "articles.json").read_text(encoding="utf-8"))["articles"]}
SPIDER = "baodongthap"
CROSS_HOST = RECORDS["dto-seed"]  # served on baodongthap.vn and baodongthap.com.vn
EDITED = RECORDS["dto-edit-target"]


@pytest.fixture(scope="module")
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(SITE) as server:
        yield server


def expected_articles() -> int:
    """Distinct identities among the fixture's article pages (the golden files say which hold an article)."""
    return len({item["source_key"] for case in cases() if case.spider == SPIDER for item in parse(case)["items"]})


def test_crawl_recrawl_edit(portal: FixtureServer, db_url: str) -> None:
    result = crawl(SPIDER, portal.url, db_url)
    assert result.returncode == 0, result.log[-3000:]
    run = last_run(db_url, SPIDER)
    assert run["status"] == "finished" and run["errors"] == 0, result.log[-3000:]
    assert run["new_articles"] == run["new_versions"] == expected_articles() == len(RECORDS)
    assert run["fallbacks"] == 1  # the e-magazine page

    # The same article under both host names: one article, one version, two URLs.
    rows = query(db_url, "SELECT a.id, u.url FROM article a JOIN article_url u ON u.article_id = a.id "
                         "WHERE a.source_key = :k", k=CROSS_HOST["source_key"])
    assert len({article for article, _ in rows}) == 1
    assert {urlsplit(url).hostname for _, url in rows} == {"baodongthap.vn", "baodongthap.com.vn"}
    versions = query(db_url, "SELECT version FROM version_history WHERE source_key = :k", k=CROSS_HOST["source_key"])
    assert versions == [(1,)]

    # A story carried from the 2025 platform to the 2026 site: two identities, one content.
    assert query(db_url, "SELECT articles, sites, title FROM shared_content") == [
        (2, 1, RECORDS["dto2025-carried"]["title"])]

    # Recrawls, full and incremental: the counters on every page changed, the archive did not.
    for args in (("-a", "depth=full"), ()):
        result = crawl(SPIDER, portal.url, db_url, *args)
        run = last_run(db_url, SPIDER)
        assert (run["new_articles"], run["new_versions"], run["errors"]) == (0, 0, 0), result.log[-3000:]

    # An edit after publication: exactly one new version, of that article only.
    key = EDITED["keys"][0]
    page = (SITE / portal.manifest_route(key).file).read_bytes()
    edited = page.replace("mục tiêu 50% hợp tác xã".encode(), "mục tiêu 60% hợp tác xã".encode())
    assert edited != page
    portal.override(key, edited)
    try:
        result = crawl(SPIDER, portal.url, db_url, "-a", "depth=full")
    finally:
        portal.restore(key)
    run = last_run(db_url, SPIDER)
    assert (run["new_articles"], run["new_versions"]) == (0, 1), result.log[-3000:]
    history = query(db_url, "SELECT version FROM version_history WHERE source_key = :k ORDER BY version",
                    k=EDITED["source_key"])
    assert history == [(1,), (2,)]
    changes = query(db_url, "SELECT title_changed, body_changed FROM article_changes WHERE site = :s", s=SPIDER)
    assert changes == [(0, 1)]


def test_archive_holds_nfc_text_media_lines_and_the_attachment(portal: FixtureServer, db_url: str) -> None:
    result = crawl(SPIDER, portal.url, db_url)
    assert result.returncode == 0, result.log[-3000:]
    rows = query(db_url, "SELECT title, lead, body_text, author FROM content")
    assert len(rows) == len(RECORDS) - 1  # the carried story is one content row
    for row in rows:
        text = "\n".join(row)
        assert unicodedata.is_normalized("NFC", text)
        assert "Trở về trang trước" not in text and "Gửi bình luận" not in text and "/database/video/" not in text
    seed = query(db_url, "SELECT c.lead, c.author, c.images FROM content c JOIN version v ON v.content_id = c.id "
                         "JOIN article a ON a.id = v.article_id WHERE a.source_key = :k", k=CROSS_HOST["source_key"])
    lead, author, images = seed[0]
    assert lead.startswith("ĐTO - Sáng 3/7") and author == "P.L"
    images = json.loads(images) if isinstance(images, str) else images
    assert images[0]["url"] == CROSS_HOST["video"]

    pdf = RECORDS["dto-pdf-attachment"]["attachments"][0]
    stored = query(db_url, "SELECT data FROM attachment WHERE first_url LIKE :u", u=f"%{pdf['key'].split('/', 1)[1]}")
    assert stored and bytes(stored[0][0]) == (SITE / portal.manifest_route(pdf["key"]).file).read_bytes()
    assert scalar(db_url, "SELECT count(*) FROM snapshot") == scalar(db_url, "SELECT count(*) FROM version")
