"""The crawl service end to end: ``portal-archive schedule`` processes with schedules of
seconds, crawling the Quảng Ngãi fixture portals into SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archive.db import PROJECT_ROOT
from crawler.schedules import spider_schedules
from tests.e2e.crawling import query
from tests.fixtures.server import FixtureServer

LIFERAY = Path(__file__).parents[1] / "fixtures" / "sites" / "liferay"
QN, ML = "quangngai", "quangngai_minhlong"
FAST = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=0", "CONCURRENT_REQUESTS_PER_DOMAIN=8")
CLI = "import sys; from crawler.cli import main; sys.exit(main())"


@pytest.fixture(scope="module")
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(LIFERAY) as server:
        yield server


class Service:
    """``portal-archive <command>`` in its own process, with only the given sites scheduled."""

    def __init__(self, db_url: str, tmp_path: Path, mirror: str, schedules: dict[str, str]) -> None:
        off = {f"ARCHIVE_SCHEDULE_{site.upper()}": "off" for site in spider_schedules()}
        on = {f"ARCHIVE_SCHEDULE_{site.upper()}": spec for site, spec in schedules.items()}
        self.env = {**os.environ, **off, **on, "DATABASE_URL": db_url}
        self.log_dir = tmp_path / "logs"
        self.output = tmp_path / f"service{len(list(tmp_path.glob('service*.out')))}.out"
        self.output.touch()
        self.mirror = mirror
        self.process: subprocess.Popen[bytes] | None = None

    def argv(self, command: str, *args: str) -> list[str]:
        if command == "status":
            return [sys.executable, "-c", CLI, command, "--schedules", "/nonexistent.toml", *args]
        settings = [arg for setting in FAST for arg in ("-s", setting)]
        return [sys.executable, "-c", CLI, command, "--mirror", self.mirror, "--log-dir", str(self.log_dir),
                *(["--schedules", "/nonexistent.toml"] if command != "crawl" else []), *settings, *args]

    def start(self, *args: str) -> Service:
        with open(self.output, "ab") as out:
            argv = self.argv("schedule", "--stagger", "0.5", *args)
            self.process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT)
        wait_for(lambda: "next run" in self.log() or self.process.poll() is not None, 30, self.log)
        assert self.process.poll() is None, self.log()
        return self

    def run(self, command: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(command, *args), cwd=PROJECT_ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def wait_for(condition: Callable[[], Any], timeout: float, context: Callable[[], str] = str,
             every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s; {context()[-4000:]}")
        time.sleep(every)


def runs(db_url: str, spider: str | None = None) -> list[dict[str, Any]]:
    keys = ("id", "spider", "status", "finish_reason", "started_at", "finished_at", "log_path", "errors")
    rows = query(db_url, f"SELECT {', '.join(keys)} FROM crawl_run ORDER BY id")
    return [r for r in (dict(zip(keys, row, strict=True)) for row in rows) if spider in (None, r["spider"])]


def ended(db_url: str, spider: str) -> list[dict[str, Any]]:
    return [r for r in runs(db_url, spider) if r["status"] != "running"]


def moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value)).replace(tzinfo=None)


def next_run(db_url: str, site: str) -> float:
    return float(query(db_url, "SELECT next_run_time FROM apscheduler_jobs WHERE id = :id", id=site)[0][0])


def assert_no_overlap(site_runs: list[dict[str, Any]]) -> None:
    for before, after in zip(site_runs, site_runs[1:], strict=False):
        assert moment(after["started_at"]) >= moment(before["finished_at"]), (before, after)


def test_schedule_runs_never_overlap_and_survive_a_killed_service(portal, tmp_path, services) -> None:
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    service = Service(db_url, tmp_path, portal.url, {QN: "every 3s", ML: "every 10m"})
    services.append(service.start())
    wait_for(lambda: len(ended(db_url, QN)) >= 2 and ended(db_url, ML), 40, service.log)
    assert_no_overlap(ended(db_url, QN))
    starts = [moment(r["started_at"]) for r in ended(db_url, QN)]
    assert all((b - a).total_seconds() > 2 for a, b in zip(starts, starts[1:], strict=False)), starts
    assert [r["status"] for r in ended(db_url, ML)] == ["finished"]
    ml_next = next_run(db_url, ML)

    # Killed in the middle of a crawl: the crawl is told to stop, and never overlaps the next one.
    wait_for(lambda: any(r["status"] == "running" for r in runs(db_url, QN)), 20, service.log, every=0.02)
    service.stop(signal.SIGKILL)
    restarted = Service(db_url, tmp_path, portal.url, {QN: "every 3s", ML: "every 10m"})
    services.append(restarted.start())
    assert next_run(db_url, ML) == ml_next  # the persisted schedule, not a fresh one
    count = len(ended(db_url, QN))
    wait_for(lambda: len(ended(db_url, QN)) >= count + 1, 20, restarted.log)
    assert len(runs(db_url, ML)) == 1  # a restart did not fire the site that was not due
    assert restarted.stop() == 0
    assert_no_overlap(ended(db_url, QN))
    every = runs(db_url)
    assert all(r["status"] in ("finished", "interrupted") and r["finish_reason"] for r in every), every


def test_a_hanging_site_is_timed_out_and_sigterm_ends_every_run(portal, tmp_path, services) -> None:
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    release = threading.Event()

    def hang(method: str, key: str, body: bytes, headers: Any) -> tuple[int, dict[str, str], bytes]:
        release.wait(60)
        return 503, {}, b"gone"

    listings = portal.keys(kind="listing", spider=ML)
    hits_before = sum(portal.hits(key) for key in listings)
    for key in listings:
        portal.route(key, hang)
    try:
        service = Service(db_url, tmp_path, portal.url, {ML: "every 2s"})
        services.append(service.start("--time-limit", "6", "--kill-after", "1", "--grace", "1"))
        wait_for(lambda: any(r["status"] == "timed_out" for r in runs(db_url, ML)), 40, service.log)
        timed_out = next(r for r in runs(db_url, ML) if r["status"] == "timed_out")
        assert Path(timed_out["log_path"]).name == f"{ML}-{timed_out['id']}.log"
        assert "time limit 6.0s" in timed_out["finish_reason"]
        wait_for(lambda: any(r["status"] == "running" for r in runs(db_url, ML)), 20, service.log)
        assert service.stop() == 0
        assert sum(portal.hits(key) for key in listings) > hits_before  # it did hang on the portal
    finally:
        release.set()
        for key in listings:
            portal.unroute(key)
    every = runs(db_url)
    assert all(r["status"] != "running" and r["finish_reason"] and r["finished_at"] for r in every), every
    assert every[-1]["status"] == "interrupted"
    assert {r["status"] for r in every} == {"timed_out", "interrupted"}


def test_once_crawls_due_sites_at_the_same_time_then_status(portal, tmp_path, db_url) -> None:
    service = Service(db_url, tmp_path, portal.url, {QN: "every 1h", ML: "every 1h"})
    # A delay per request makes each crawl last a few seconds, so the two surely write at once.
    done = service.run("schedule", "--once", "-s", "DOWNLOAD_DELAY=0.15")
    assert done.returncode == 0, done.stdout + done.stderr
    qn, ml = ended(db_url, QN), ended(db_url, ML)
    assert [r["status"] for r in qn + ml] == ["finished", "finished"], done.stdout + done.stderr
    assert qn[0]["errors"] == ml[0]["errors"] == 0
    assert moment(qn[0]["started_at"]) < moment(ml[0]["finished_at"])
    assert moment(ml[0]["started_at"]) < moment(qn[0]["finished_at"])  # they did run at the same time
    for run in qn + ml:
        log = Path(run["log_path"])
        assert log.name == f"{run['spider']}-{run['id']}.log"
        assert "database is locked" not in log.read_text()

    status = service.run("status", "--json")
    sites = {s["site"]: s for s in json.loads(status.stdout)}
    for site in (QN, ML):
        assert sites[site]["last_run"]["status"] == "finished"
        assert sites[site]["health"]["state"] == "ok" and sites[site]["schedule"] == "every 1h"
        started = datetime.fromisoformat(sites[site]["last_run"]["started_at"])
        wait = datetime.fromisoformat(sites[site]["next_run"]) - started
        assert timedelta(minutes=59) < wait < timedelta(hours=2)
    if db_url.startswith("sqlite"):  # the CLI's own paths, once is enough
        again = service.run("schedule", "--once")
        assert again.returncode == 0 and len(runs(db_url)) == 2, again.stderr  # nothing was due
        table = service.run("status").stdout
        assert QN in table and "every 1h" in table


def test_crawl_now_records_a_crawl_that_could_not_start(portal, tmp_path) -> None:
    db_url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    service = Service(db_url, tmp_path, portal.url, {})
    done = service.run("crawl", ML)
    assert done.returncode == 0 and f"{ML}: finished" in done.stdout, done.stdout + done.stderr
    broken = service.run("crawl", ML, "-s", "LOG_LEVEL=NOSUCH")
    assert broken.returncode == 1
    run = runs(db_url, ML)[-1]
    assert run["status"] == "failed" and "exited with code 1" in run["finish_reason"]
    assert "NOSUCH" in Path(run["log_path"]).read_text()
