"""The crawl service: every site crawled on its own schedule, each crawl a ``scrapy crawl`` process.

Each crawl runs in its own process because a Twisted reactor cannot be restarted
in one process, and a crash or a hang in one site must not take the others down.
This module never imports the reactor.

Schedules are read by crawler/schedules.py (docs/service.md). Next run times live in the
archive database (APScheduler's SQLAlchemy job store), so a restart keeps them.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor as Pool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from sqlalchemy import Engine

from archive import health
from archive.db import PROJECT_ROOT, schema_locked, session_factory
from crawler import lease, runs
from crawler.lease import EX_TEMPFAIL
from crawler.schedules import (
    DEFAULT_SCHEDULES_FILE,
    VN_TZ,
    Schedule,
    fmt_duration,
)
from crawler.scrapyd import NodeUnreachable, ScrapydDispatcher, ScrapydNode

logger = logging.getLogger(__name__)

DEFAULT_LOG_DIR = PROJECT_ROOT / "data" / "logs"
JOB_FUNC = "crawler.service:scheduled_crawl"


# -- running one crawl ------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceConfig:
    mirror: str | None = None
    #: NAME=VALUE Scrapy settings given to every crawl (``-s``)
    settings: tuple[str, ...] = ()
    #: crawls at the same time; two suit a two-core machine (a crawl is mostly one busy core)
    concurrency: int = 2
    #: a crawl still running after this many seconds is stopped and recorded as timed out
    time_limit: float = 4 * 3600
    #: on SIGTERM, running crawls get this long to finish before they are stopped
    grace: float = 60
    #: a crawl asked to stop (SIGTERM) is killed if it has not exited after this long
    kill_after: float = 20
    #: sites due at start-up are started this far apart
    stagger: float = 60
    log_dir: Path = DEFAULT_LOG_DIR
    schedules_file: Path | None = DEFAULT_SCHEDULES_FILE
    #: Scrapyd nodes (http://host:6800) to dispatch crawls to instead of local processes
    scrapyd: tuple[str, ...] = ()
    #: the project name the nodes know this project by (docs/scale-out.md)
    scrapyd_project: str = "portal_archive"
    #: NAME=VALUE spider arguments given to every crawl (``-a``; ``source=wayback`` for a backfill)
    spider_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrawlResult:
    site: str
    status: str  # a crawl_run status, or "skipped" when the crawl was not started
    reason: str
    run: health.RunSummary | None = None
    returncode: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("finished", "skipped")


class CrawlProcess(Protocol):
    """Where a crawl runs: a local ``scrapy crawl`` process, or a Scrapyd job (crawler/scrapyd.py)."""

    #: the crawl's log as its run row links it (a file path, or a Scrapyd log URL)
    label: str

    def poll(self) -> int | None: ...
    def terminate(self) -> None: ...
    def kill(self) -> None: ...
    def last_line(self) -> str: ...
    def outcome(self, returncode: int) -> tuple[str, str]: ...
    def discard_log(self) -> None: ...


class LocalProcess:
    """A ``scrapy crawl`` child of the service, logging to its own file."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.process, self.log_path, self.label = process, log_path, str(log_path)

    def poll(self) -> int | None:
        return self.process.poll()

    def terminate(self) -> None:
        _signal(self.process.pid, signal.SIGTERM, group=False)  # Scrapy closes the spider cleanly

    def kill(self) -> None:
        _signal(self.process.pid, signal.SIGKILL, group=True)  # what it started (a browser) goes too

    def last_line(self) -> str:
        return _last_line(self.log_path)

    def outcome(self, returncode: int) -> tuple[str, str]:
        return "failed", f"crawl process exited with code {returncode} without finishing its run"

    def discard_log(self) -> None:
        self.log_path.unlink(missing_ok=True)


@dataclass
class LiveCrawl:
    site: str
    process: CrawlProcess
    started_at: datetime
    started: float = field(default_factory=time.monotonic)
    #: why the runner stopped it: "timed_out" or "interrupted" (None while it runs on its own)
    stop_reason: str | None = None

    @property
    def log_path(self) -> str:
        return self.process.label


class CrawlRunner:
    """Starts ``scrapy crawl`` processes, stops them at their time limit or on request, and
    makes sure each leaves a crawl_run row with an honest finish reason."""

    def __init__(self, config: ServiceConfig, engine: Engine) -> None:
        self.config = config
        self.sessions = session_factory(engine)
        self._live: dict[str, LiveCrawl] = {}
        self._changed = threading.Condition()
        self._closed = False
        nodes = [ScrapydNode(url.rstrip("/"), config.scrapyd_project) for url in config.scrapyd]
        self.dispatcher = ScrapydDispatcher(nodes, self.sessions) if nodes else None

    def live(self) -> list[LiveCrawl]:
        with self._changed:
            return list(self._live.values())

    def run(self, site: str, *, extra: Iterable[str] = (), spider_args: Iterable[str] = ()) -> CrawlResult:
        """Crawl one site now, in its own process, and wait for it."""
        if refusal := self._refusal(site) or self._running_elsewhere(site):
            return CrawlResult(site, "skipped", refusal)
        with self._changed:
            if refusal := self._refusal(site):
                return CrawlResult(site, "skipped", refusal)
            try:
                crawl = self._start(site, list(extra), list(spider_args))
            except NodeUnreachable as exc:
                return CrawlResult(site, "skipped", str(exc))
            self._live[site] = crawl
        logger.info("%s: crawl started (log %s)", site, crawl.log_path)
        try:
            return self._settle(crawl, self._wait(crawl))
        finally:
            with self._changed:  # only now: a service waiting for idle must also wait for the settling
                del self._live[site]
                self._changed.notify_all()

    def _refusal(self, site: str) -> str | None:
        with self._changed:
            if self._closed:
                return "the service is stopping"
            return "already running" if site in self._live else None

    def _start(self, site: str, extra: list[str], spider_args: list[str]) -> LiveCrawl:
        started_at = datetime.now(UTC)
        if self.dispatcher is not None:
            args = {"mirror": self.config.mirror} if self.config.mirror else {}
            args |= dict(argument.split("=", 1) for argument in (*self.config.spider_args, *spider_args))
            job = self.dispatcher.start(site, [*self.config.settings, *extra], args)
            return LiveCrawl(site, job, started_at)
        token = f"{started_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        log_path = self.config.log_dir / site / f"{site}-{token}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        # crawler/child.py: the crawl dies with the service, never outlives it as an orphan.
        argv = [sys.executable, "-m", "crawler.child", str(os.getpid()), "crawl", site]
        argv += ["-s", f"ARCHIVE_LOG_PATH={log_path}"]
        for setting in (*self.config.settings, *extra):
            argv += ["-s", setting]
        if self.config.mirror:
            argv += ["-a", f"mirror={self.config.mirror}"]
        for argument in (*self.config.spider_args, *spider_args):
            argv += ["-a", argument]
        with open(log_path, "ab") as log:
            # Its own session: a Ctrl-C in the terminal reaches the service, which decides when crawls stop.
            process = subprocess.Popen(
                argv, cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return LiveCrawl(site, LocalProcess(process, log_path), started_at)

    def _wait(self, crawl: LiveCrawl) -> int:
        """Wait for the process; past its time limit or when asked, SIGTERM it, then SIGKILL it."""
        asked_at: float | None = None
        killed = False
        while (returncode := crawl.process.poll()) is None:
            now = time.monotonic()
            if crawl.stop_reason is None and now - crawl.started >= self.config.time_limit:
                logger.warning("%s: time limit %s reached; stopping the crawl", crawl.site,
                               fmt_duration(self.config.time_limit))
                crawl.stop_reason = "timed_out"
            if crawl.stop_reason and asked_at is None:
                crawl.process.terminate()
                asked_at = now
            elif asked_at is not None and not killed and now - asked_at >= self.config.kill_after:
                logger.warning("%s: crawl did not stop within %s; killing it", crawl.site,
                               fmt_duration(self.config.kill_after))
                crawl.process.kill()
                killed = True
            time.sleep(0.2 if self.dispatcher is None else 1.0)
        if asked_at is not None and self.dispatcher is None:
            crawl.process.kill()  # what it started (a browser) goes too
        return returncode

    def _settle(self, crawl: LiveCrawl, returncode: int) -> CrawlResult:
        """Read the run the process opened, end it if the process could not, and name its log after it."""
        with self.sessions.begin() as session:
            run = health.run_by_log_path(session, crawl.log_path)
            if run is None and returncode == EX_TEMPFAIL and crawl.stop_reason is None:
                return self._refused(crawl)
            status, reason = self._outcome(crawl, returncode)
            if run is None:
                run = health.record_unopened_run(session, crawl.site, status=status, reason=reason,
                                                 log_path=crawl.log_path, started_at=crawl.started_at)
            elif run.status == "running" or (status == "timed_out" and run.status == "interrupted"):
                health.settle_run(session, run, status, reason)
            if isinstance(crawl.process, LocalProcess):
                run.log_path = _rename_log(crawl.process.log_path, f"{crawl.site}-{run.id}.log")
            summary = health.RunSummary.of(run)
        logger.info("%s: %s", crawl.site, describe(summary))
        return CrawlResult(crawl.site, summary.status, summary.finish_reason or "", summary, returncode)

    def _refused(self, crawl: LiveCrawl) -> CrawlResult:
        """Another process holds the site's lease: not a failure of the site, so no run is
        recorded (its health stays as it was); the crawl's one line says who holds it."""
        reason = crawl.process.last_line() or "another process holds the site's crawl lease"
        crawl.process.discard_log()
        return CrawlResult(crawl.site, "skipped", reason, returncode=EX_TEMPFAIL)

    def _outcome(self, crawl: LiveCrawl, returncode: int) -> tuple[str, str]:
        if crawl.stop_reason == "timed_out":
            return "timed_out", f"time limit {fmt_duration(self.config.time_limit)}; stopped by the service"
        if crawl.stop_reason == "interrupted":
            return "interrupted", "service stopping; crawl stopped"
        return crawl.process.outcome(returncode)

    def _running_elsewhere(self, site: str) -> str | None:
        """Why not to start ``site``: a live crawl of it in another process (by hand, another
        service, a Scrapyd node). Only a hint that saves starting a process: the crawl's own
        lease (crawler/lease.py) is what guarantees one crawl per site."""
        with self.sessions.begin() as session:
            runs.settle_dead_runs(session, site)
            lease.settle_expired_runs(session.connection(), site)
            if holder := lease.current_holder(session.connection(), site):
                return holder.line()
            for run in health.open_runs(session, site):
                if runs.process_alive(runs.run_process(run)):
                    return f"run {run.id} of {site} is still running in another process"
        return None

    def settle_dead_runs(self) -> None:
        """Runs left 'running' by a crawl process that is gone (killed with the machine, or by SIGKILL)."""
        with self.sessions.begin() as session:
            runs.settle_dead_runs(session)
            lease.settle_expired_runs(session.connection())

    def close(self) -> None:
        """Start no more crawls."""
        with self._changed:
            self._closed = True

    def stop_all(self) -> None:
        """Ask every running crawl to stop now (recorded as interrupted)."""
        for crawl in self.live():
            if crawl.stop_reason is None:
                crawl.stop_reason = "interrupted"

    def wait_idle(self, timeout: float | None, until: threading.Event | None = None) -> bool:
        """Wait until no crawl runs (True), the timeout passes or ``until`` is set (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while self._live:
                if (until and until.is_set()) or (deadline is not None and time.monotonic() >= deadline):
                    return False
                self._changed.wait(0.2)
        return True


def describe(run: health.RunSummary) -> str:
    took = fmt_duration(run.duration) if run.duration is not None else "?"
    why = f" ({run.finish_reason})" if run.status != "finished" and run.finish_reason else ""
    return (f"run {run.id} {run.status}{why} in {took}: {run.new_articles} new articles, "
            f"{run.new_versions} new versions, {run.errors} errors, {run.fallbacks} fallbacks "
            f"(log {run.log_path})")


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


def _rename_log(path: Path, name: str) -> str:
    """The log named after its site and run (it was named before the run had an id)."""
    final = path.with_name(name)
    try:
        if not final.exists():
            path.rename(final)
            return str(final)
    except OSError as exc:
        logger.warning("could not rename %s: %s", path, exc)
    return str(path)


def _signal(pid: int, sig: signal.Signals, *, group: bool) -> None:
    try:
        os.killpg(pid, sig) if group else os.kill(pid, sig)
    except ProcessLookupError:
        pass


# -- the service ------------------------------------------------------------------------------

_ACTIVE: CrawlService | None = None


class _Scheduler(BackgroundScheduler):  # type: ignore[misc]
    def _process_jobs(self) -> float | None:
        # APScheduler 3 processes due jobs once more while it shuts down (its state already
        # "stopped", not "paused"): each due job would get its next run time advanced unrun.
        if self.state != STATE_RUNNING:
            return None
        return super()._process_jobs()  # type: ignore[no-any-return]


def scheduled_crawl(site: str) -> None:
    """The job APScheduler runs (stored by name in the job store, so it must live at module level)."""
    service = _ACTIVE
    if service is not None:
        service.run_site(site)


class CrawlService:
    """Every scheduled site on its schedule; see the module docstring."""

    def __init__(
        self, config: ServiceConfig, schedules: Mapping[str, Schedule | None], engine: Engine,
        retired: Iterable[str] = (),
    ) -> None:
        self.config = config
        self.schedules = dict(schedules)
        #: sites whose portal went dark: their scheduled run reads the web archive
        self.retired = frozenset(retired)
        self.engine = engine
        self.runner = CrawlRunner(config, engine)
        self.jobstore = SQLAlchemyJobStore(engine=engine, tablename=runs.JOBS_TABLE)
        self.scheduler = _Scheduler(
            jobstores={"default": self.jobstore},
            executors={"default": ThreadPoolExecutor(max_workers=config.concurrency)},
            # One run of a site at a time; runs missed while busy or down collapse into one.
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone=VN_TZ,
        )
        # Our own lines say when each crawl starts and ends; APScheduler's INFO repeats them.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self._stop = threading.Event()
        self._hurry = threading.Event()
        self._open = False

    def spider_args(self, site: str) -> tuple[str, ...]:
        """A retired portal can only fail live: its runs are backfills from the web archive
        (docs/web-archives.md). With a mirror (the demo, tests) the mirror stands for the portal."""
        return ("source=wayback",) if site in self.retired and not self.config.mirror else ()

    def run_site(self, site: str) -> CrawlResult:
        result = self.runner.run(site, spider_args=self.spider_args(site))
        if result.status == "skipped":
            logger.warning("%s: not started: %s", site, result.reason)
        return result

    def open(self) -> None:
        """Load the job store, settle runs dead processes left open, and bring the jobs in line
        with the schedules, keeping the next run time of every job whose schedule did not change."""
        global _ACTIVE
        if self._open:
            return
        _ACTIVE, self._open = self, True
        # Several services may share one archive and start at once: the job table is created
        # under the schema lock, not by APScheduler's check-then-create.
        with schema_locked(self.engine) as connection:
            self.jobstore.jobs_t.create(connection, checkfirst=True)
        self.scheduler.start(paused=True)
        self.runner.settle_dead_runs()
        self._sync_jobs()

    def close(self) -> None:
        global _ACTIVE
        if self._open:
            self.scheduler.shutdown(wait=False)
            _ACTIVE, self._open = None, False

    def _sync_jobs(self) -> None:
        existing = {job.id: job for job in self.scheduler.get_jobs()}
        with self.runner.sessions.begin() as session:
            crawled = health.crawled_sites(session)
        now = datetime.now(VN_TZ)
        for site, schedule in self.schedules.items():
            job = existing.pop(site, None)
            if schedule is None or (job is not None and job.name == schedule.spec):
                if job is not None and schedule is None:
                    job.remove()
                continue
            # A site never crawled is due now; a known one waits for its schedule.
            first = {} if site in crawled else {"next_run_time": now}
            self.scheduler.add_job(JOB_FUNC, schedule.trigger, args=[site], id=site, name=schedule.spec,
                                   replace_existing=True, **first)
            logger.info("%s: scheduled %s", site, schedule.spec)
        for job in existing.values():
            logger.info("%s: no longer a scheduled site; removed", job.id)
            try:
                job.remove()
            except JobLookupError:  # another service on this archive removed it first
                pass

    def advance(self, sites: Iterable[str]) -> None:
        """The sites were just crawled: their next run is the next one on their schedule."""
        later = datetime.now(VN_TZ) + timedelta(seconds=1)
        for site in sites:
            if (job := self.scheduler.get_job(site)) is not None:
                job.modify(next_run_time=job.trigger.get_next_fire_time(None, later))

    def next_runs(self) -> dict[str, datetime]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs() if job.next_run_time}

    def _stagger_due(self) -> None:
        """Sites overdue at start-up (the service was down, or they are new) start one slot apart."""
        now = datetime.now(VN_TZ)
        due = sorted((j for j in self.scheduler.get_jobs() if j.next_run_time and j.next_run_time <= now),
                     key=lambda j: j.next_run_time)
        for slot, job in enumerate(due):
            job.modify(next_run_time=now + timedelta(seconds=(slot + random.random()) * self.config.stagger))

    def serve(self) -> int:
        """Run in the foreground until SIGTERM or Ctrl-C; 0 when it stopped cleanly."""
        self.open()
        try:
            self._stagger_due()
            with handle_stop_signals(self._on_signal):
                self.scheduler.resume()
                for site, when in sorted(self.next_runs().items(), key=lambda item: item[1]):
                    logger.info("%s: next run %s", site, when.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"))
                while not self._stop.wait(0.5):
                    pass
                self._shut_down()
        finally:
            self.close()
        return 0

    def run_once(self) -> list[CrawlResult]:
        """Run every due site once (``--once``, for cron and CI), then record their next runs."""
        self.open()
        try:
            now = datetime.now(VN_TZ)
            jobs = self.scheduler.get_jobs()
            due = [job.id for job in jobs if job.next_run_time and job.next_run_time <= now]
            logger.info("due: %s", ", ".join(due) or "no site")
            with handle_stop_signals(self._on_signal), Pool(max_workers=self.config.concurrency) as pool:
                futures = [pool.submit(self.run_site, site) for site in due]
                while not all(f.done() for f in futures) and not self._stop.wait(0.2):
                    pass
                if self._stop.is_set():
                    self._shut_down()
                results = [f.result() for f in futures]
            # A site skipped or interrupted stays due: the next --once runs it.
            self.advance(r.site for r in results if r.status not in ("skipped", "interrupted"))
            return results
        finally:
            self.close()

    def _on_signal(self) -> None:
        if self._stop.is_set():
            logger.warning("second stop signal: stopping running crawls now")
            self._hurry.set()
        self._stop.set()

    def _shut_down(self) -> None:
        """No new crawls; running ones get the grace period, then are stopped and recorded as interrupted."""
        self.runner.close()
        if self.scheduler.running:
            self.scheduler.pause()
        if live := self.runner.live():
            logger.info("stopping: waiting up to %s for %s", fmt_duration(self.config.grace),
                        ", ".join(c.site for c in live))
        if not self.runner.wait_idle(self.config.grace, until=self._hurry):
            self.runner.stop_all()
            self.runner.wait_idle(None)
        logger.info("stopped")


@contextmanager
def handle_stop_signals(handler: Callable[[], None]) -> Iterator[None]:
    """Call ``handler`` on SIGTERM and SIGINT (in the main thread) instead of dying."""
    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, lambda _signum, _frame: handler())
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
