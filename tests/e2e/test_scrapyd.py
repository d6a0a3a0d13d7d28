"""Scale-out on Scrapyd (docs/scale-out.md): two real Scrapyd nodes on 127.0.0.1, the project
installed in their environment, one PostgreSQL archive, and the crawl service dispatching the
fixture portals' crawls to them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import ProgrammingError

from archive.db import PROJECT_ROOT
from tests.e2e.crawling import FAST, held_listings, query
from tests.e2e.test_all_sites import stored_articles
from tests.e2e.test_service import CLI, wait_for
from tests.fixtures.server import FixtureServer, all_site_dirs
from tests.pg import _free_port, fresh_database

pytestmark = pytest.mark.postgres

FOUR = ("quangngai", "quangngai_minhlong", "dongthap_sadec", "soctrang_myxuyen")
PROJECT = "portal_archive"


class Node:
    """One Scrapyd in its own directory (its scrapyd.conf, logs and job database there)."""

    def __init__(self, root: Path, db_url: str) -> None:
        self.root, self.port = root, _free_port()
        root.mkdir(parents=True)
        (root / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            f"bind_address = 127.0.0.1\nhttp_port = {self.port}\n"
            f"logs_dir = {root / 'logs'}\ndbs_dir = {root / 'dbs'}\neggs_dir = {root / 'eggs'}\n"
            "max_proc = 4\npoll_interval = 0.5\njobs_to_keep = 50\n"
        )
        # The project is installed in this environment: no egg, its settings module named for
        # Scrapyd and for the ``scrapy list``/``crawl`` it runs (both read the closest scrapy.cfg).
        (root / "scrapy.cfg").write_text(f"[settings]\n{PROJECT} = crawler.settings\n")
        self.output = root / "scrapyd.out"
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "scrapyd"], cwd=root, env={**os.environ, "DATABASE_URL": db_url},
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_for(self.answers, 60, lambda: self.output.read_text(errors="replace"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/daemonstatus.json", timeout=2) as answer:
                return json.load(answer).get("status") == "ok"
        except OSError:
            return False

    def die(self) -> None:
        """The node dies with its crawls, as a machine would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture(scope="module")
def portals() -> Iterator[FixtureServer]:
    with FixtureServer(*all_site_dirs()) as server:
        yield server


@pytest.fixture
def archive(pg_admin_url: str) -> Iterator[str]:
    with fresh_database(pg_admin_url) as url:
        yield url


@pytest.fixture
def nodes(tmp_path: Path, archive: str) -> Iterator[list[Node]]:
    started = [Node(tmp_path / name, archive) for name in ("node-a", "node-b")]
    yield started
    for node in started:
        node.die()


def service(command: str, mirror: str, nodes: list[Node], *args: str) -> list[str]:
    """``portal-archive COMMAND`` dispatching to ``nodes``."""
    argv = [sys.executable, "-c", CLI, command, "--mirror", mirror, *FAST]
    for node in nodes:
        argv += ["--scrapyd", node.url]
    return [*argv, *args]


def env(db_url: str, schedules: dict[str, str]) -> dict[str, str]:
    from crawler.schedules import spider_schedules

    off = {f"ARCHIVE_SCHEDULE_{site.upper()}": "off" for site in spider_schedules()}
    on = {f"ARCHIVE_SCHEDULE_{site.upper()}": spec for site, spec in schedules.items()}
    return {**os.environ, **off, **on, "DATABASE_URL": db_url}


def running(db_url: str) -> int:
    """Runs open now (0 while the first crawl has not built the schema yet)."""
    try:
        return int(query(db_url, "SELECT count(*) FROM crawl_run WHERE status = 'running'")[0][0])
    except ProgrammingError:
        return 0


def test_the_service_dispatches_crawls_across_both_nodes(portals, archive, nodes) -> None:
    argv = service("schedule", portals.url, nodes, "--once", "--concurrency", "4",
                   "--schedules", "/nonexistent.toml")
    done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env(archive, {site: "every 1h" for site in FOUR}),
                          capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = query(archive,
                 "SELECT spider, status, new_articles, errors, log_path FROM crawl_run ORDER BY spider")
    assert [(spider, status, errors) for spider, status, _, errors, _ in rows] == [
        (site, "finished", 0) for site in sorted(FOUR)
    ], done.stdout + done.stderr
    assert {spider: new for spider, _, new, _, _ in rows} == {site: stored_articles(site) for site in FOUR}
    # Each run links the node's log of its job, and both nodes crawled.
    used = {node.url for node in nodes for *_, log in rows if log.startswith(node.url + "/logs/")}
    assert used == {node.url for node in nodes}, rows
    assert query(archive, "SELECT count(*) FROM article") == [(sum(stored_articles(site) for site in FOUR),)]
    assert query(archive, "SELECT count(*) FROM crawl_lease") == [(0,)]


def test_a_node_killed_mid_crawl_leaves_its_run_interrupted_and_the_site_crawlable(portals, archive,
                                                                                    nodes) -> None:
    site = "quangngai_minhlong"
    with held_listings(portals, site):
        argv = service("crawl", portals.url, nodes, site)
        first = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env(archive, {}), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        wait_for(lambda: running(archive) == 1, 120)
        (log_path,) = query(archive, "SELECT log_path FROM crawl_run")[0]
        victim = next(node for node in nodes if log_path.startswith(node.url))
        victim.die()
        out = first.communicate(timeout=120)[0]
    assert first.returncode == 1, out  # the run did not finish
    status, reason = query(archive, "SELECT status, finish_reason FROM crawl_run")[0]
    assert status == "interrupted" and f"Scrapyd node {victim.url} gone" in reason, (reason, out)

    # The site is crawlable again, on the node that is left; nothing lost or stored twice.
    again = subprocess.run(argv, cwd=PROJECT_ROOT, env=env(archive, {}), capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    rows = query(archive, "SELECT status, log_path FROM crawl_run ORDER BY id")
    assert [status for status, _ in rows] == ["interrupted", "finished"]
    survivor = next(node for node in nodes if node is not victim)
    assert rows[1][1].startswith(survivor.url)
    assert query(archive, "SELECT count(*) FROM article") == [(stored_articles(site),)]
    assert query(archive, "SELECT count(*) FROM version") == [(stored_articles(site),)]
    assert query(archive, "SELECT count(*) FROM crawl_lease") == [(0,)]
