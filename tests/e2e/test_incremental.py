"""A scheduled recrawl costs little when little changed (crawler/incremental.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.crawling import crawl, last_run, query
from tests.fixtures.server import FixtureServer

LIFERAY = Path(__file__).parents[1] / "fixtures" / "sites" / "liferay"
SITE = "quangngai"


@pytest.fixture
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(LIFERAY) as server:
        yield server


def fetched(portal: FixtureServer, kind: str) -> int:
    keys = set(portal.keys(kind=kind, spider=SITE))
    return sum(1 for method, key in portal.requests if method == "GET" and key in keys)


def make_due(db_url: str, article_id_suffix: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE article SET next_check_at = first_seen_at WHERE source_key LIKE :k"),
                           {"k": f"%/{article_id_suffix}"})
    engine.dispose()


def test_unchanged_portal_recrawl_fetches_one_listing_page_and_no_article(portal: FixtureServer, db_url: str) -> None:
    assert crawl(SITE, portal.url, db_url).returncode == 0
    first_pages = len(portal.requests)
    portal.reset()
    result = crawl(SITE, portal.url, db_url)
    assert result.returncode == 0, result.log[-2000:]
    assert fetched(portal, "article") == 0
    assert fetched(portal, "listing") == 1
    assert len(portal.requests) <= 0.2 * first_pages
    assert last_run(db_url, SITE)["new_versions"] == 0


def test_due_article_is_rechecked_and_its_edit_caught(portal: FixtureServer, db_url: str) -> None:
    assert crawl(SITE, portal.url, db_url).returncode == 0
    key = next(k for k in portal.keys(kind="article", spider=SITE) if k.endswith("?1006521"))  # the 2016 article
    page = portal.manifest_route(key).file.read_bytes()
    body_at = page.index(b"journal-content-article")
    portal.reset()
    portal.override(key, page[:body_at] + page[body_at:].replace(b"</p>", " (đã cập nhật)</p>".encode(), 1))
    crawl(SITE, portal.url, db_url)
    assert portal.hits(key) == 0 and last_run(db_url, SITE)["new_versions"] == 0  # not due yet
    make_due(db_url, "1006521")
    result = crawl(SITE, portal.url, db_url)
    assert portal.hits(key) == 1, result.log[-2000:]
    assert last_run(db_url, SITE)["new_versions"] == 1
    assert query(db_url, "SELECT count(*) FROM version_history WHERE source_key LIKE '%/1006521'") == [(2,)]


def test_new_article_on_the_first_page_is_found(portal: FixtureServer, db_url: str) -> None:
    assert crawl(SITE, portal.url, db_url).returncode == 0
    gone = next(k for k in portal.keys(kind="article", spider=SITE) if k.endswith("?5540127"))
    # forget one article listed on page 1, as if it were published after the first crawl
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as c:
        ids = [r[0] for r in c.execute(text("SELECT id FROM article WHERE source_key LIKE '%/5540127'"))]
        for table, column in (("article_url", "article_id"), ("version", "article_id"), ("article", "id")):
            c.execute(text(f"DELETE FROM {table} WHERE {column} = :i"), {"i": ids[0]})
    engine.dispose()
    portal.reset()
    crawl(SITE, portal.url, db_url)
    assert portal.hits(gone) == 1
    assert last_run(db_url, SITE)["new_articles"] == 1
    assert fetched(portal, "listing") >= 1


def test_conditional_recheck_counts_304_and_stores_nothing(portal: FixtureServer, db_url: str) -> None:
    key = next(k for k in portal.keys(kind="article", spider=SITE) if k.endswith("?1006521"))
    page = portal.manifest_route(key).file.read_bytes()
    seen: list[str | None] = []

    def etag_server(method, _key, _body, headers):  # type: ignore[no-untyped-def]
        seen.append(headers.get("If-None-Match"))
        if headers.get("If-None-Match") == '"v1"':
            return 304, {"ETag": '"v1"'}, b""
        return 200, {"ETag": '"v1"', "Content-Type": "text/html; charset=utf-8"}, page

    portal.route(key, etag_server)
    assert crawl(SITE, portal.url, db_url).returncode == 0
    make_due(db_url, "1006521")
    before = query(db_url, "SELECT last_seen_at FROM version_history WHERE source_key LIKE '%/1006521'")
    result = crawl(SITE, portal.url, db_url)
    assert seen == [None, '"v1"'], result.log[-2000:]
    stats = query(db_url, "SELECT stats FROM crawl_run ORDER BY id DESC LIMIT 1")[0][0]
    stats = stats if isinstance(stats, dict) else __import__("json").loads(stats)
    assert stats.get("archive/not_modified") == 1
    after = query(db_url, "SELECT last_seen_at FROM version_history WHERE source_key LIKE '%/1006521'")
    assert len(after) == 1 and after[0][0] > before[0][0]


def run_stats(db_url: str) -> dict[str, object]:
    import json

    (stats,) = query(db_url, "SELECT stats FROM crawl_run ORDER BY id DESC LIMIT 1")[0]
    return json.loads(stats) if isinstance(stats, str) else stats


def test_a_run_that_lost_a_listing_page_makes_the_next_walk_every_listing(db_url: str) -> None:
    """Listing page 2 fails for a whole run while page 1's articles are stored. The next run
    must not stop at page 1 ("all known") or page 2's articles would never be archived."""
    from tests.fixtures.faults import Fault, FaultServer

    with FaultServer(LIFERAY) as portal:
        listings = portal.keys(kind="listing", spider=SITE)
        portal.inject(next(k for k in listings if k.endswith("_cur=2")), Fault.HTTP_503)
        assert crawl(SITE, portal.url, db_url).returncode == 0
        first = query(db_url, "SELECT count(*) FROM article")[0][0]
        assert run_stats(db_url).get("retry/max_reached")
        portal.clear()
        assert crawl(SITE, portal.url, db_url).returncode == 0
        second = query(db_url, "SELECT count(*) FROM article")[0][0]
        stats = run_stats(db_url)
        assert second > first, "the articles of the lost listing page were never archived"
        assert not stats.get("archive/listing_stopped")
        assert crawl(SITE, portal.url, db_url).returncode == 0  # complete again: stops early as before
        assert run_stats(db_url).get("archive/listing_stopped")
