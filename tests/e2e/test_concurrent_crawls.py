"""Many crawlers, one archive (issue 18): real ``scrapy crawl`` processes and ``portal-archive
schedule`` services writing one database at once, against the fixture portals.

Nothing here waits for a moment to pass: a crawl that must still be running while another
starts is held at the portal (its listing pages wait on an event) until the test has seen
what it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from archive.db import PROJECT_ROOT
from crawler.lease import EX_TEMPFAIL
from tests.e2e.crawling import FAST, held_listings, query
from tests.e2e.test_all_sites import stored_articles
from tests.e2e.test_service import QN, Service, assert_no_overlap, ended, runs, wait_for
from tests.fixtures.server import FixtureServer, all_site_dirs
from tests.pg import fresh_database

#: four sites of three families, none needing a browser
FOUR = ("quangngai", "quangngai_minhlong", "dongthap_sadec", "soctrang_myxuyen")


@pytest.fixture(scope="module")
def portals() -> Iterator[FixtureServer]:
    with FixtureServer(*all_site_dirs()) as server:
        yield server


def start_crawl(site: str, mirror: str, db_url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": db_url}
    argv = [sys.executable, "-m", "scrapy", "crawl", site, "-a", f"mirror={mirror}", *FAST, *args]
    return subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.fixture
def empty_postgres(pg_admin_url: str) -> Iterator[str]:
    with fresh_database(pg_admin_url) as url:
        yield url


@pytest.mark.postgres
def test_four_crawls_of_different_sites_on_an_empty_postgresql_all_succeed(portals, empty_postgres) -> None:
    crawls = {site: start_crawl(site, portals.url, empty_postgres) for site in FOUR}
    outputs = {site: process.communicate(timeout=300) for site, process in crawls.items()}
    for site, process in crawls.items():
        assert process.returncode == 0, (site, outputs[site][1][-3000:])
    finished = query(empty_postgres,
                     "SELECT spider, status, new_articles, errors FROM crawl_run ORDER BY spider")
    assert [(spider, status, errors) for spider, status, _, errors in finished] == [
        (site, "finished", 0) for site in sorted(FOUR)
    ]
    assert {spider: new for spider, _, new, _ in finished} == {site: stored_articles(site) for site in FOUR}
    assert query(empty_postgres, "SELECT count(*) FROM crawl_lease") == [(0,)]  # every lease given back


def test_two_crawls_of_one_site_started_together_crawl_it_once(portals, db_url) -> None:
    site = "quangngai_minhlong"
    # The crawl holding the lease stays in its crawl until the other has ended.
    with held_listings(portals, site) as gate:
        first, second = (start_crawl(site, portals.url, db_url) for _ in range(2))
        wait_for(lambda: first.poll() is not None or second.poll() is not None, 120)
        refused, holder = (first, second) if first.poll() is not None else (second, first)
        gate.set()
        refused_err = refused.communicate(timeout=60)[1]
        holder_err = holder.communicate(timeout=300)[1]
    assert refused.returncode == EX_TEMPFAIL, refused_err[-3000:]
    # One line of its own beside Scrapy's start-up log lines, naming the holder; it opened no spider.
    lines = [line for line in refused_err.splitlines() if "is being crawled by" in line]
    assert len(lines) == 1, refused_err
    assert lines[0].startswith(f"{site} is being crawled by pid {holder.pid} on "), refused_err
    assert "Spider opened" not in refused_err and "Traceback" not in refused_err, refused_err
    assert holder.returncode == 0, holder_err[-3000:]
    # One run, no failed run for the refused crawl; counts as one crawl's.
    every = query(db_url, "SELECT status, new_articles, errors FROM crawl_run")
    assert every == [("finished", stored_articles(site), 0)]
    assert query(db_url, "SELECT count(*) FROM article") == [(stored_articles(site),)]
    assert query(db_url, "SELECT count(*) FROM crawl_lease") == [(0,)]


@pytest.mark.postgres
def test_two_services_on_one_archive_never_overlap_on_a_site(portals, tmp_path, services,
                                                             empty_postgres) -> None:
    db_url = empty_postgres
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    both = [Service(db_url, tmp_path / name, portals.url, {QN: "every 3s"}) for name in ("a", "b")]
    for service in both:
        services.append(service.start())
    wait_for(lambda: len(ended(db_url, QN)) >= 4, 120, lambda: both[0].log() + both[1].log())
    for service in both:
        assert service.stop() == 0
    site_runs = sorted(ended(db_url, QN), key=lambda r: r["started_at"])
    assert_no_overlap(site_runs)
    assert {r["status"] for r in site_runs} == {"finished"}, site_runs
    # Both services did fire the site; a refused start is logged, never recorded as a run.
    logs = both[0].log() + both[1].log()
    assert "Traceback" not in logs, logs[-4000:]
    assert len(runs(db_url, QN)) == len(site_runs)
