"""``portal-archive check``: site health for cron and monitoring (rules: archive/health.py).

Silent when every site checked is healthy; otherwise one line per unhealthy site,
``<site>: <state>: <reason>; <reason>``. Exit codes:

- 0: every site checked is ``ok``;
- 1: at least one is ``warning``, ``failing``, or (named on the command line) never crawled;
- 2: the archive database could not be opened (crawler/cli/__init__.py).

Runs left ``running`` by a crawl process that is gone from this machine are settled as
``interrupted`` first, as ``scrapy crawl`` does.
"""

from __future__ import annotations

import argparse
import json

from archive.db import session_factory
from archive.health import SiteStatus, site_statuses
from crawler.cli.schedule import open_archive
from crawler.runs import next_run_times, settle_dead_runs

EXIT_HEALTHY, EXIT_UNHEALTHY = 0, 1


def check(sites: list[str]) -> list[SiteStatus]:
    engine = open_archive()
    try:
        with session_factory(engine).begin() as session:
            settle_dead_runs(session)
        with session_factory(engine).begin() as session:
            statuses = site_statuses(session, sites, next_run_times(session))
    finally:
        engine.dispose()
    return [s for s in statuses if s.site in sites] if sites else statuses


def cmd_check(args: argparse.Namespace) -> int:
    statuses = check(args.sites)
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
    parser.set_defaults(func=cmd_check)
