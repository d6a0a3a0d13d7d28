"""``portal-archive schedule|status``: the crawl service, and what it has done per site.

The options shared with ``crawl`` and ``run`` (crawler/cli/crawl.py) are defined here.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from archive.db import ensure_schema, make_engine, reader_engine
from archive.health import SiteStatus, site_statuses
from crawler.cli import arguments
from crawler.runs import next_run_times
from crawler.schedules import (
    DEFAULT_SCHEDULES_FILE,
    ScheduleError,
    fmt_duration,
    parse_duration,
    retired_sites,
    site_schedules,
)
from crawler.service import DEFAULT_LOG_DIR, CrawlResult, CrawlService, ServiceConfig


def duration(text: str) -> float:
    try:
        return arguments.bounded_seconds(parse_duration(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_crawl_options(parser: argparse.ArgumentParser) -> None:
    defaults = ServiceConfig()
    parser.add_argument("--mirror", type=arguments.mirror_url,
                        help="crawl a local copy of the portals (http://127.0.0.1:PORT)")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for every crawl (repeatable)")
    parser.add_argument("--concurrency", type=arguments.concurrency, default=defaults.concurrency,
                        help=f"crawls at the same time (default {defaults.concurrency})")
    parser.add_argument("--time-limit", type=duration, default=defaults.time_limit, metavar="DURATION",
                        help=f"stop a crawl running longer (default {fmt_duration(defaults.time_limit)})")
    parser.add_argument("--kill-after", type=duration, default=defaults.kill_after, metavar="DURATION",
                        help=f"kill a crawl that has not stopped this long after being asked "
                             f"(default {fmt_duration(defaults.kill_after)})")
    parser.add_argument("--log-dir", type=Path, default=DEFAULT_LOG_DIR,
                        help="one log file per run under DIR/<site>/ (default data/logs)")
    parser.add_argument("--scrapyd", action="append", default=[], metavar="URL",
                        help="run each crawl as a job on the least busy of these Scrapyd nodes "
                             "(http://host:6800, repeatable) instead of a local process: docs/scale-out.md")
    parser.add_argument("--scrapyd-project", default=defaults.scrapyd_project, metavar="NAME",
                        help=f"the project name in the nodes' scrapyd.conf (default {defaults.scrapyd_project})")


def add_service_options(parser: argparse.ArgumentParser) -> None:
    defaults = ServiceConfig()
    parser.add_argument("--grace", type=duration, default=defaults.grace, metavar="DURATION",
                        help=f"on SIGTERM, let running crawls finish this long "
                             f"(default {fmt_duration(defaults.grace)})")
    parser.add_argument("--stagger", type=duration, default=defaults.stagger, metavar="DURATION",
                        help=f"start sites due at start-up this far apart "
                             f"(default {fmt_duration(defaults.stagger)})")
    parser.add_argument("--schedules", type=Path, default=DEFAULT_SCHEDULES_FILE, metavar="FILE",
                        help="TOML file with a [schedules] table (default schedules.toml, if present)")


def service_config(args: argparse.Namespace) -> ServiceConfig:
    defaults = ServiceConfig()
    return ServiceConfig(
        mirror=args.mirror,
        settings=tuple(args.settings),
        concurrency=max(1, args.concurrency),
        time_limit=args.time_limit,
        grace=getattr(args, "grace", defaults.grace),
        kill_after=args.kill_after,
        stagger=getattr(args, "stagger", defaults.stagger),
        log_dir=args.log_dir,
        schedules_file=getattr(args, "schedules", defaults.schedules_file),
        scrapyd=tuple(args.scrapyd),
        scrapyd_project=args.scrapyd_project,
    )


def open_archive() -> Engine:
    """The archive, for writing (its schema built if it is new)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin chatter on every connection
    engine = make_engine()
    ensure_schema(engine)
    return engine


def open_reader() -> Engine:
    """The archive, for reading only: works on a read-only archive."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return reader_engine()


def build_service(args: argparse.Namespace) -> CrawlService:
    config = service_config(args)
    arguments.check_mirror(config.mirror)
    arguments.check_log_dir(config.log_dir)
    return CrawlService(config, site_schedules(config.schedules_file), open_archive(), retired=retired_sites())


def print_results(results: list[CrawlResult]) -> None:
    for result in results:
        counts = ""
        if result.run is not None:
            run = result.run
            counts = (f": {run.new_articles} new articles, {run.new_versions} new versions, "
                      f"{run.errors} errors, {run.fallbacks} fallbacks; log {run.log_path}")
        reason = f" ({result.reason})" if result.status != "finished" and result.reason else ""
        print(f"{result.site}: {result.status}{reason}{counts}", flush=True)


def cmd_schedule(args: argparse.Namespace) -> int:
    try:
        service = build_service(args)
    except ScheduleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.once:
        return service.serve()
    results = service.run_once()
    print_results(results)
    return 0 if all(r.ok for r in results) else 1


def cmd_status(args: argparse.Namespace) -> int:
    try:
        schedules = {site: s.spec if s else "off" for site, s in site_schedules(args.schedules).items()}
    except ScheduleError as exc:
        print(f"warning: {exc}", file=sys.stderr)
        schedules = {}
    engine = open_reader()
    try:
        with Session(engine) as session:
            statuses = site_statuses(session, schedules, next_run_times(session))
    finally:
        engine.dispose()
    if args.json:
        rows = [{**s.as_json(), "schedule": schedules.get(s.site)} for s in statuses]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print_status_table(statuses, schedules)
    return 0


def print_status_table(statuses: list[SiteStatus], schedules: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="portal-archive status")
    for column in ("site", "schedule", "last run", "took", "outcome", "new articles", "new versions",
                   "errors", "fallbacks", "next run", "health"):
        table.add_column(column, justify="right" if column in _COUNTS else "left")
    for status in statuses:
        table.add_row(status.site, schedules.get(status.site, "?"), *_last_run_cells(status),
                      _when(status.next_run), _health_cell(status))
    console = Console()
    if not console.is_terminal:
        console.width = 200
    console.print(table)


_COUNTS = ("took", "new articles", "new versions", "errors", "fallbacks")
_STYLE = {"ok": "green", "warning": "yellow", "failing": "bold red", "unknown": "dim"}


def _last_run_cells(status: SiteStatus) -> list[str]:
    run = status.last
    if run is None:
        return ["never", "", "running" if status.running else "", "", "", "", ""]
    outcome = run.status.replace("_", " ") + (" (running again)" if status.running else "")
    took = fmt_duration(run.duration) if run.duration is not None else ""
    counts = (run.new_articles, run.new_versions, run.errors, run.fallbacks)
    return [_when(run.started_at), took, outcome, *map(str, counts)]


def _health_cell(status: SiteStatus) -> str:
    from rich.markup import escape

    return f"[{_STYLE[status.health.state]}]{escape(str(status.health))}[/]"


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = sub.add_parser("schedule", help="run every site on its schedule (foreground service)")
    schedule.add_argument("--once", action="store_true", help="run every due site once and exit (cron, CI)")
    add_crawl_options(schedule)
    add_service_options(schedule)
    schedule.set_defaults(func=cmd_schedule)
    status = sub.add_parser("status", help="per site: last run, next run, health")
    status.add_argument("--json", action="store_true", help="JSON instead of a table")
    status.add_argument("--schedules", type=Path, default=DEFAULT_SCHEDULES_FILE, metavar="FILE")
    status.set_defaults(func=cmd_status)
