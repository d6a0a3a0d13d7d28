"""``portal-archive check``: site health for cron and monitoring (rules: archive/health.py).

Silent when every site checked is healthy; otherwise one line per unhealthy site,
``<site>: <state>: <reason>; <reason>``. Exit codes:

- 0: every site checked is ``ok``;
- 1: at least one is ``warning``, ``failing``, or (named on the command line) never crawled;
- 2: the archive database could not be opened, or a site named is no site of this project.

``--deep`` first reads every table of the archive whole (archive/integrity.py): damage in the
middle of the file, which the other commands meet only when they read that page, exits 2 with
the damaged table named.

Runs left ``running`` by a crawl process that is gone from this machine are settled as
``interrupted`` first, as ``scrapy crawl`` does.
"""

from __future__ import annotations

import argparse
import json

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from archive.db import ArchiveDatabaseError, ArchiveReadOnly, describe_failure, make_engine, mask, session_factory
from archive.health import SiteStatus, open_runs, site_statuses
from archive.integrity import damaged_tables
from crawler.cli.arguments import UsageError
from crawler.cli.schedule import open_reader
from crawler.runs import next_run_times, process_alive, run_process, settle_dead_runs
from crawler.schedules import spider_schedules

EXIT_HEALTHY, EXIT_UNHEALTHY = 0, 1


def check(sites: list[str]) -> list[SiteStatus]:
    engine = open_reader()
    try:
        with Session(engine) as session:
            dead = any(process_alive(run_process(run)) is False for run in open_runs(session))
        if dead:
            _settle_dead_runs()
        with Session(engine) as session:
            statuses = site_statuses(session, sites, next_run_times(session))
    finally:
        engine.dispose()
    return [s for s in statuses if s.site in sites] if sites else statuses


def check_integrity() -> None:
    """Every table read whole (archive/integrity.py); a damaged archive is one line, exit 2."""
    engine = open_reader()
    try:
        damage = damaged_tables(engine)
    finally:
        engine.dispose()
    if damage:
        tables = ", ".join(f"{d.table} ({d.problem})" for d in damage)
        raise ArchiveDatabaseError(
            f"the archive {mask(engine.url)} is damaged in table{'s' if len(damage) > 1 else ''} {tables}; "
            "restore it from a backup"
        )


def _settle_dead_runs() -> None:
    """Settle the runs of dead crawls (check writes only then), if this user may write to the
    archive: a read-only archive is checked as it stands (its dead runs still show as running)."""
    try:
        engine = make_engine()
    except ArchiveReadOnly:
        return
    try:
        with session_factory(engine).begin() as session:
            settle_dead_runs(session)
    except ArchiveReadOnly:
        pass
    except DBAPIError as exc:
        if not isinstance(describe_failure(exc, engine.url), ArchiveReadOnly):
            raise
    finally:
        engine.dispose()


def cmd_check(args: argparse.Namespace) -> int:
    if args.deep:
        check_integrity()
    statuses = check(args.sites)
    known = set(spider_schedules()) | {s.site for s in statuses if s.last is not None or s.running}
    if unknown := sorted(set(args.sites) - known):
        raise UsageError(f"unknown site(s) {', '.join(unknown)}; `scrapy list` shows the sites")
    if args.json:
        print(json.dumps([s.as_json() for s in statuses], ensure_ascii=False, indent=2))
    else:
        for status in statuses:
            if not status.health.healthy:
                print(f"{status.site}: {status.health}", flush=True)
    return EXIT_HEALTHY if all(s.health.healthy for s in statuses) else EXIT_UNHEALTHY


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("check", help="site health for cron: exit 0 all healthy, 1 some unhealthy, 2 db error",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sites", nargs="*", metavar="SITE", help="sites to check (default: every crawled site)")
    parser.add_argument("--json", action="store_true", help="every site checked, as JSON")
    parser.add_argument("--deep", action="store_true",
                        help="first read every table whole: a damaged archive exits 2 naming the table")
    parser.set_defaults(func=cmd_check)
