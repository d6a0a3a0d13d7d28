"""Removed articles, a portal that is down, a portal redirected to its successor: the archive tells the truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.crawling import crawl, query
from tests.fixtures.server import FixtureServer

LIFERAY = Path(__file__).parents[1] / "fixtures" / "sites" / "liferay"
SITE = "quangngai_minhlong"
FAST_GONE = ("-s", "ARCHIVE_GONE_MIN_CHECKS=2", "-s", "ARCHIVE_GONE_MIN_HOURS=0")
SOFT_404 = b"<html><head><title>Minh Long</title></head><body><h1>Kh\xc3\xb4ng t\xc3\xacm th\xe1\xba\xa5y</h1></body></html>"


@pytest.fixture
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(LIFERAY) as server:
        yield server


def due_all(db_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE article SET next_check_at = first_seen_at"))
    engine.dispose()


def statuses(db_url: str) -> dict[str, str]:
    return {k.rsplit("/", 1)[-1]: s for k, s in query(db_url, "SELECT source_key, status FROM article")}


def test_removed_articles_go_gone_after_repeated_checks_and_come_back(portal: FixtureServer, db_url: str) -> None:
    assert crawl(SITE, portal.url, db_url).returncode == 0
    removed, soft = [k for k in portal.keys(kind="article", spider=SITE) if k.endswith(("?5107301", "?4015677"))]
    portal.remove(removed)
    portal.override(soft, SOFT_404)
    due_all(db_url)
    crawl(SITE, portal.url, db_url, *FAST_GONE)
    assert set(statuses(db_url).values()) == {"live"}  # one failed check is not removal
    due_all(db_url)
    crawl(SITE, portal.url, db_url, *FAST_GONE)
    now = statuses(db_url)
    assert (now["5107301"], now["4015677"]) == ("gone", "gone")
    assert list(now.values()).count("gone") == 2
    assert query(db_url, "SELECT count(*) FROM article_event WHERE kind = 'gone'") == [(2,)]

    portal.restore(removed)
    due_all(db_url)
    crawl(SITE, portal.url, db_url, *FAST_GONE)
    assert statuses(db_url)["5107301"] == "live"
    assert query(db_url, "SELECT kind FROM article_event ORDER BY id") == [("gone",), ("gone",), ("back",)]
    assert query(db_url, "SELECT count(*) FROM version")[0][0] == len(statuses(db_url))  # no version from errors


def test_a_portal_that_is_down_loses_no_article(portal: FixtureServer, db_url: str) -> None:
    assert crawl(SITE, portal.url, db_url).returncode == 0
    for key in portal.keys(spider=SITE):
        portal.route(key, lambda *a: (503, {"Content-Type": "text/html"}, b"<h1>Service Unavailable</h1>"))
    for _ in range(3):
        due_all(db_url)
        crawl(SITE, portal.url, db_url, *FAST_GONE, "-s", "RETRY_TIMES=0")
    assert set(statuses(db_url).values()) == {"live"}
    assert query(db_url, "SELECT count(*) FROM article_event") == [(0,)]


def test_a_portal_redirected_to_its_successor_is_recorded_as_such(portal: FixtureServer, db_url: str) -> None:
    assert crawl(SITE, portal.url, db_url).returncode == 0
    successor = "https://quangngai.gov.vn/web/portal-qni/trang-chu"
    for key in portal.keys(spider=SITE):
        portal.route(key, lambda *a: (301, {"Location": successor}, b""))
    for _ in range(3):
        due_all(db_url)
        crawl(SITE, portal.url, db_url, *FAST_GONE)
    assert query(db_url, "SELECT status, successor_url FROM site WHERE name = :s", s=SITE) == [("redirected", successor)]
    assert set(statuses(db_url).values()) == {"live"}


def test_removal_detection_works_with_incremental_crawling_off(portal: FixtureServer, db_url: str) -> None:
    """ARCHIVE_INCREMENTAL=0 walks every listing and re-fetches every article; removal still counts
    the failed checks of known articles and declares them gone (it once went silent instead)."""
    full = ("-s", "ARCHIVE_INCREMENTAL=0", *FAST_GONE)
    assert crawl(SITE, portal.url, db_url, *full).returncode == 0
    removed = next(k for k in portal.keys(kind="article", spider=SITE) if k.endswith("?5107301"))
    portal.remove(removed)
    for _ in range(2):
        assert crawl(SITE, portal.url, db_url, *full).returncode == 0
    assert statuses(db_url)["5107301"] == "gone"
    assert list(statuses(db_url).values()).count("gone") == 1
