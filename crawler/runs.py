"""Crawl processes and the scheduler's job store, as the archive's run rows see them.

A ``scrapy crawl`` process writes its pid and host into its ``crawl_run`` row when the
run starts (crawler/pipelines/archive.py). A process killed with ``kill -9`` or a reboot
leaves its row ``running``; whoever comes next (the crawl service, ``scrapy crawl``,
``portal-archive check``) settles such rows as ``interrupted`` here. The rows themselves
are archive/health.py's; processes and APScheduler's table are the crawler's, so they
live here and not in ``archive/``.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from archive import runstats
from archive.health import open_runs, settle_run
from archive.models import CrawlRun

logger = logging.getLogger(__name__)

#: APScheduler's job store table in the archive database: one row per scheduled site
JOBS_TABLE = "apscheduler_jobs"
#: finish reason of a run settled because its process is gone
DEAD_PROCESS = "crawl process gone before it ended its run"


def this_process() -> dict[str, object]:
    """The stats a run starts with, so a dead crawl can be told from a live one."""
    return {runstats.PID: os.getpid(), runstats.HOST: socket.gethostname()}


def run_process(run: CrawlRun) -> tuple[str, int] | None:
    """(host, pid) of the process that opened the run, if it said."""
    stats = run.stats or {}
    pid, host = stats.get(runstats.PID), stats.get(runstats.HOST)
    return (str(host), int(pid)) if pid and host else None


def process_alive(where: tuple[str, int] | None) -> bool | None:
    """True/False for a process on this machine; None when it ran elsewhere or did not say."""
    if where is None or where[0] != socket.gethostname():
        return None
    try:
        os.kill(where[1], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, someone else's
    return True


def settle_dead_runs(session: Session, site: str | None = None) -> list[int]:
    """End as ``interrupted`` the open runs whose process is gone from this machine (kill -9, a
    crash): the ids. Runs opened on another host, or by a live process, are left alone."""
    settled = []
    for run in open_runs(session, site):
        if process_alive(run_process(run)) is False:
            logger.warning("run %s of %s: its process is gone; now interrupted", run.id, run.spider)
            settle_run(session, run, "interrupted", DEAD_PROCESS)
            settled.append(run.id)
    return settled


def next_run_times(session: Session) -> dict[str, datetime]:
    """Each scheduled site's next run, from the service's job store (empty before the service first ran)."""
    if JOBS_TABLE not in inspect(session.connection()).get_table_names():
        return {}
    query = text(f"SELECT id, next_run_time FROM {JOBS_TABLE} WHERE next_run_time IS NOT NULL")
    rows = session.execute(query)
    return {site: datetime.fromtimestamp(float(ts), UTC) for site, ts in rows}
