"""``portal-archive backfill [SITE… | --retired] [--since DATE] [--until DATE]``: rescue dark portals.

Runs the web-archive backfill (``scrapy crawl <site> -a source=wayback``, crawler/wayback.py)
for each site named, or for every retired portal (``status = "retired"``) by default: one
site after another, so the archive sees one request at a time. Each backfill is resumable
(captures already recorded are not fetched again): run the command again to go on after an
interruption or a time limit. A live display on a terminal, one line per site otherwise, then
one summary line per site: captures listed, fetched, new articles, new versions, failures.
Exit 0 when every backfill finished, 1 otherwise, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import runstats
from archive.db import session_factory
from archive.models import CrawlRun
from crawler.cli import arguments
from crawler.cli.crawl import crawl_now
from crawler.cli.schedule import duration, open_archive, service_config
from crawler.schedules import loaded_spider_classes, retired_sites
from crawler.service import DEFAULT_LOG_DIR, CrawlResult, CrawlRunner, ServiceConfig
from crawler.wayback_cdx import cdx_day

#: a backfill of a large portal takes hours at one request per 1.5 s; it resumes where it stopped
DEFAULT_TIME_LIMIT = "24h"
#: stats (crawler/wayback.py) a capture failed by: given up after retries, an archived error page,
#: a listing page refused or unreadable, a page refused by the guards
FAILURE_STATS = ("archive/wayback_gave_up", "archive/wayback_archived_error", "archive/wayback_cdx_error",
                 *runstats.REFUSED_PAGES, runstats.NO_BODY)


@dataclass(frozen=True)
class BackfillSummary:
    site: str
    status: str
    reason: str
    listed: int
    fetched: int
    new_articles: int
    new_versions: int
    failures: int

    @classmethod
    def of(cls, result: CrawlResult, stats: dict[str, Any]) -> BackfillSummary:
        run = result.run
        return cls(result.site, result.status, result.reason,
                   runstats.count(stats, "archive/wayback_captures_listed"),
                   runstats.count(stats, "archive/wayback_captures_requested"),
                   run.new_articles if run else 0, run.new_versions if run else 0,
                   sum(runstats.count(stats, key) for key in FAILURE_STATS))

    def line(self) -> str:
        why = f" ({self.reason})" if self.status != "finished" and self.reason else ""
        again = "; run again to go on" if self.status in ("timed_out", "interrupted") else ""
        return (f"{self.site}: {self.status}{why}: {self.listed} captures listed, {self.fetched} fetched, "
                f"{self.new_articles} new articles, {self.new_versions} new versions, {self.failures} failures{again}")


def cmd_backfill(args: argparse.Namespace) -> int:
    try:
        sites = _sites(args)
        since, until = _day("--since", args.since), _day("--until", args.until)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not sites:
        print("no retired portal in the registry: name the SITEs to backfill", file=sys.stderr)
        return 2
    spider_args = ["source=wayback", *(f"{k}={v}" for k, v in (("since", since), ("until", until),
                                                              ("wayback", args.wayback)) if v)]
    config = service_config(args)
    arguments.check_mirror(args.wayback, "web archive")
    arguments.check_log_dir(config.log_dir)
    # One site at a time: every backfill talks to the same archive, which asks for one request at a time.
    config = replace(config, concurrency=1, spider_args=tuple(spider_args))
    engine = open_archive()
    try:
        print(f"backfilling {len(sites)} site(s) from the web archive: {', '.join(sites)}", flush=True)
        results = crawl_now(sites, CrawlRunner(config, engine))
        summaries = [BackfillSummary.of(r, _stats(engine, r)) for r in results]
    finally:
        engine.dispose()
    print("backfill summary:")
    for summary in summaries:
        print(f"  {summary.line()}", flush=True)
    return 0 if all(r.ok for r in results) else 1


def _sites(args: argparse.Namespace) -> list[str]:
    if args.sites and args.retired:
        raise ValueError("name SITEs or give --retired, not both")
    known = loaded_spider_classes()
    sites = list(dict.fromkeys(args.sites)) or retired_sites()
    unknown = sorted(set(sites) - set(known))
    if unknown:
        raise ValueError(f"unknown site(s) {', '.join(unknown)}; `scrapy list` shows the sites")
    return sites


def _day(option: str, value: str | None) -> str | None:
    try:
        return cdx_day(value)
    except ValueError:
        raise ValueError(f"{option} {value}: not a date (use YYYY-MM-DD)") from None


def _stats(engine: Any, result: CrawlResult) -> dict[str, Any]:
    if result.run is None:
        return {}
    with session_factory(engine)() as session:
        return dict(session.scalar(select(CrawlRun.stats).where(CrawlRun.id == result.run.id)) or {})


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("backfill", help="rescue dark portals: backfill sites from a web archive",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sites", nargs="*", metavar="SITE", help="sites to backfill (default: every retired portal)")
    parser.add_argument("--retired", action="store_true", help="every retired portal (the default)")
    parser.add_argument("--since", metavar="DATE", help="captures from this day on (YYYY-MM-DD)")
    parser.add_argument("--until", metavar="DATE", help="captures up to this day (YYYY-MM-DD)")
    parser.add_argument("--wayback", metavar="URL", type=arguments.wayback_url,
                        help="a pywb collection instead of the Internet Archive")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for every backfill (repeatable), e.g. ARCHIVE_WAYBACK_DELAY=3")
    parser.add_argument("--time-limit", type=duration, default=duration(DEFAULT_TIME_LIMIT), metavar="DURATION",
                        help=f"stop a backfill running longer; the next one goes on (default {DEFAULT_TIME_LIMIT})")
    parser.add_argument("--log-dir", type=Path, default=DEFAULT_LOG_DIR,
                        help="one log file per run under DIR/<site>/ (default data/logs)")
    # One site at a time (one archive request at a time); no mirror: the archive is the source.
    # Backfills run here, not on Scrapyd: one at a time is the point.
    defaults = ServiceConfig()
    parser.set_defaults(func=cmd_backfill, mirror=None, concurrency=1, kill_after=defaults.kill_after, scrapyd=[],
                        scrapyd_project=defaults.scrapyd_project)
