"""kill -9 in the middle of a plain ``scrapy crawl`` (no crawl service), then crawl again: no
partial rows, the killed run is marked interrupted, nothing duplicated or lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
from sqlalchemy.exc import SQLAlchemyError

from archive.db import PROJECT_ROOT
from crawler.runs import DEAD_PROCESS
from tests.e2e.crawling import FAST, crawl, query, scalar
from tests.fixtures.faults import LIFERAY, Fault, FaultServer

SITE = "quangngai"
#: one request at a time, each article slowed: the kill lands with some articles stored, not all
SLOW = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "CONCURRENT_REQUESTS=1")


def start_crawl(mirror: str, db_url: str, *, log: bool = False) -> subprocess.Popen[str]:
    """The slow crawl; with ``log``, its log (stderr) is read by ``communicate()``."""
    argv = [sys.executable, "-m", "scrapy", "crawl", SITE, "-a", f"mirror={mirror}", *FAST, *SLOW]
    return subprocess.Popen(argv, cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": db_url}, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE if log else subprocess.DEVNULL)


def stored_versions(db_url: str) -> int:
    try:
        return int(scalar(db_url, "SELECT count(*) FROM version"))  # type: ignore[arg-type]
    except SQLAlchemyError:  # the schema is not there yet
        return 0


def assert_whole(db_url: str) -> None:
    """Every article has versions 1..n, each with its content and snapshot; nothing orphaned."""
    gaps = query(db_url, """
        SELECT a.id FROM article a LEFT JOIN version v ON v.article_id = a.id GROUP BY a.id
        HAVING count(v.id) = 0 OR min(v.number) <> 1 OR max(v.number) <> count(v.id)""")
    assert gaps == []
    assert query(db_url, """SELECT count(*) FROM version v LEFT JOIN content c ON c.id = v.content_id
                            LEFT JOIN snapshot s ON s.id = v.snapshot_id
                            WHERE c.id IS NULL OR s.id IS NULL""") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM content c WHERE NOT EXISTS "
                         "(SELECT 1 FROM version v WHERE v.content_id = c.id)") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM snapshot s WHERE NOT EXISTS "
                         "(SELECT 1 FROM version v WHERE v.snapshot_id = s.id)") == [(0,)]


def test_kill_9_mid_crawl_then_crawl_again(db_url: str) -> None:
    with FaultServer(LIFERAY) as portal:
        articles = portal.keys(kind="article", spider=SITE)
        for key in articles:
            portal.inject(key, Fault.SLOW)
        process = start_crawl(portal.url, db_url)
        try:
            deadline = time.monotonic() + 60
            while stored_versions(db_url) < 3 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            process.kill()  # SIGKILL: no spider_closed, no finish_run
            process.wait()
        killed_with = stored_versions(db_url)
        assert 3 <= killed_with < len(articles), "the kill must land mid-crawl"
        assert query(db_url, "SELECT status FROM crawl_run") == [("running",)]
        assert_whole(db_url)

        portal.clear()
        result = crawl(SITE, portal.url, db_url)
        assert result.returncode == 0, result.log[-3000:]
        expected = {key.rsplit("?", 1)[-1] for key in articles}  # the portal's article ids
    runs = query(db_url, "SELECT status, finish_reason FROM crawl_run ORDER BY id")
    assert runs == [("interrupted", DEAD_PROCESS), ("finished", "finished")]
    assert_whole(db_url)
    keys = [k for (k,) in query(db_url, "SELECT source_key FROM article")]
    assert sorted(k.rsplit("/", 1)[-1] for k in keys) == sorted(expected)  # nothing lost, nothing twice
    assert query(db_url, "SELECT count(*) FROM version") == [(len(keys),)]  # no version from the re-fetch


def writer_of(crawl: subprocess.Popen[str]) -> psutil.Process | None:
    """The crawl's archive writer (crawler/writer.py): its child started by multiprocessing's spawn."""
    for child in psutil.Process(crawl.pid).children():
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def test_a_writer_killed_mid_crawl_fails_the_run_in_one_line_and_frees_the_site(db_url: str) -> None:
    with FaultServer(LIFERAY) as portal:
        articles = portal.keys(kind="article", spider=SITE)
        for key in articles:
            portal.inject(key, Fault.SLOW)
        process = start_crawl(portal.url, db_url, log=True)
        try:
            deadline = time.monotonic() + 60
            while stored_versions(db_url) < 3 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            writer = writer_of(process)
            assert writer is not None, "no archive writer beside the crawl"
            writer.kill()
            _, log = process.communicate(timeout=120)
        finally:
            process.kill()
            process.wait()
        assert process.returncode == 1, log[-3000:]
        died = [line for line in log.splitlines() if "archive writer process died" in line and "ERROR" in line]
        assert len(died) == 1, log[-3000:]
        assert query(db_url, "SELECT status, finish_reason FROM crawl_run") == [("failed", "archive writer died")]
        assert_whole(db_url)
        assert query(db_url, "SELECT count(*) FROM crawl_lease") == [(0,)]  # the site is free at once

        portal.clear()
        again = crawl(SITE, portal.url, db_url)
        assert again.returncode == 0, again.log[-3000:]
    assert query(db_url, "SELECT status FROM crawl_run ORDER BY id") == [("failed",), ("finished",)]
    assert_whole(db_url)
    keys = [k for (k,) in query(db_url, "SELECT source_key FROM article")]
    assert len(keys) == len(articles)
