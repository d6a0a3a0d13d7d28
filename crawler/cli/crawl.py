"""``portal-archive migrate|crawl|run|demo``.

Crawls run as ``scrapy crawl`` subprocesses (crawler/service.py): a Twisted reactor
cannot be restarted in one process, and a crash in one site must not take the others
down. Each run logs to its own file; the terminal shows progress.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path

from archive.db import (
    PROJECT_ROOT,
    current_revision,
    demo_database_url,
    ensure_schema,
    make_engine,
    mask,
    refuse_unknown_revision,
    session_factory,
    upgrade,
)
from archive.store import sync_sites
from crawler.cli.arguments import check_log_dir, check_mirror
from crawler.cli.schedule import (
    add_crawl_options,
    add_service_options,
    build_service,
    open_archive,
    print_results,
    service_config,
)
from crawler.lease import EX_TEMPFAIL
from crawler.schedules import ScheduleError, loaded_spider_classes, spider_schedules
from crawler.service import CrawlResult, CrawlRunner, LiveCrawl

MAIN_JOB_SITES = ("quangngai", "quangngai_minhlong")
#: Scrapy's "Crawled N pages (at N pages/min), scraped N items" line, read from the run's log
_LOGSTATS = re.compile(rb"Crawled (\d+) pages \(at [^)]*\), scraped (\d+) items")
#: how often a crawl shown with a live display logs its counts (Scrapy's default is every minute)
_PROGRESS_SETTINGS = ("LOGSTATS_INTERVAL=2",)


def spider_names() -> list[str]:
    return list(spider_schedules())


def cmd_migrate(args: argparse.Namespace) -> int:
    engine = make_engine()
    current = current_revision(engine)
    refuse_unknown_revision(engine, current)
    ensure_schema(engine, create=True) if current is None else upgrade(engine)
    print(f"archive {mask(engine.url)} is at schema revision {current_revision(engine)}")
    # The site table carries the registry: every registered portal has its row, crawled or not yet.
    with session_factory(engine).begin() as session:
        count = sync_sites(session, (cls.site_info() for cls in loaded_spider_classes().values()
                                     if getattr(cls, "registry_entry", None) is not None))
    print(f"{count} registered sites in the site table")
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    names = spider_names()
    sites = names if args.all else list(dict.fromkeys(args.sites))
    unknown = sorted(set(sites) - set(names))
    if not sites:
        print("error: name a SITE or give --all", file=sys.stderr)
        return 2
    if unknown:
        print(f"error: unknown site(s) {', '.join(unknown)}; `scrapy list` shows the sites", file=sys.stderr)
        return 2
    check_mirror(args.mirror)
    check_log_dir(args.log_dir)
    results = crawl_now(sites, CrawlRunner(service_config(args), open_archive()))
    if not all(r.ok for r in results):
        return 1
    # A site another process is crawling was not crawled: try again later (EX_TEMPFAIL).
    return EX_TEMPFAIL if any(r.status == "skipped" for r in results) else 0


def crawl_now(sites: Iterable[str], runner: CrawlRunner,
              spider_args: Callable[[str], Iterable[str]] = lambda site: ()) -> list[CrawlResult]:
    """Crawl the sites now, ``concurrency`` at a time: a live display on a terminal, one line
    per site otherwise. Ctrl-C or SIGTERM stops the crawls (recorded as interrupted) and re-raises."""
    sites = list(sites)
    live_display = sys.stdout.isatty()
    extra = _PROGRESS_SETTINGS if live_display else ()
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    pool = ThreadPoolExecutor(max_workers=runner.config.concurrency)
    futures = {site: pool.submit(runner.run, site, extra=extra, spider_args=tuple(spider_args(site))) for site in sites}
    try:
        if live_display:
            _show_progress(futures, runner)
        else:
            print(f"crawling {', '.join(sites)} ({runner.config.concurrency} at a time; "
                  f"logs under {runner.config.log_dir})", flush=True)
            for future in as_completed(futures.values()):
                print_results([future.result()])
    except KeyboardInterrupt:
        print("interrupted: stopping the crawls", file=sys.stderr, flush=True)
        runner.close()
        runner.stop_all()
        pool.shutdown(wait=True)
        raise
    finally:
        pool.shutdown(wait=True)
        signal.signal(signal.SIGTERM, previous)
    results = [future.result() for future in futures.values()]
    for result in results:
        if not result.ok and result.run and result.run.log_path:
            print(f"--- {result.site}: the end of {result.run.log_path}", file=sys.stderr)
            print(_tail(Path(result.run.log_path)), file=sys.stderr)
    return results


def _show_progress(futures: dict[str, Future[CrawlResult]], runner: CrawlRunner) -> None:
    # The display shows what the service's INFO lines say; printed under it they would tear it.
    service_logger = logging.getLogger("crawler.service")
    level = service_logger.level
    service_logger.setLevel(logging.WARNING)
    try:
        _progress_display(futures, runner)
    finally:
        service_logger.setLevel(level)


def _progress_display(futures: dict[str, Future[CrawlResult]], runner: CrawlRunner) -> None:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Column

    site_column = Column(no_wrap=True, min_width=max(map(len, futures)))
    columns = (SpinnerColumn(finished_text="•"),
               TextColumn("{task.fields[site]}", table_column=site_column),
               TimeElapsedColumn(), TextColumn("{task.description}"))
    with Progress(*columns, refresh_per_second=4) as progress:
        tasks = {site: progress.add_task("waiting", site=site, total=None, start=False) for site in futures}
        shown: set[str] = set()
        while len(shown) < len(futures):
            live = {crawl.site: crawl for crawl in runner.live()}
            for site, future in futures.items():
                if site in shown:
                    continue
                if future.done():
                    progress.start_task(tasks[site])
                    text = _outcome_text(future.result())
                    progress.update(tasks[site], description=text, total=1, completed=1)
                    shown.add(site)
                elif site in live:
                    progress.start_task(tasks[site])
                    progress.update(tasks[site], description=_running_text(live[site]))
            time.sleep(0.25)


def _running_text(crawl: LiveCrawl) -> str:
    counts = _log_counts(crawl.log_path)
    state = "stopping" if crawl.stop_reason else "crawling"
    return f"{state}: {counts[0]} pages, {counts[1]} articles" if counts else f"{state}: starting"


def _outcome_text(result: CrawlResult) -> str:
    from rich.markup import escape

    colour = "green" if result.status == "finished" else "yellow" if result.ok else "red"
    text = f"{result.status}: {result.reason}"
    if (run := result.run) is not None:
        # A failed run says why first: "failed (fetched nothing: 6 DNSLookupError): 0 new articles, …"
        why = f" ({run.finish_reason})" if run.status != "finished" and run.finish_reason else ""
        text = (f"{run.status.replace('_', ' ')}{why}: {run.new_articles} new articles, "
                f"{run.new_versions} new versions, {run.errors} errors, {run.fallbacks} fallbacks")
    return f"[{colour}]{escape(text)}[/]"


def _log_counts(path: Path | str) -> tuple[int, int] | None:
    try:
        with open(path, "rb") as log:
            log.seek(max(0, log.seek(0, 2) - 16384))
            found = _LOGSTATS.findall(log.read())
    except OSError:
        return None
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(cannot read the log: {exc})"


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: crawl the Quảng Ngãi sites now, then run every site on its schedule until stopped."""
    try:
        service = build_service(args)
    except ScheduleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    service.open()
    try:
        # A retired portal of the main job is read from the web archive, as its scheduled runs are.
        results = crawl_now(MAIN_JOB_SITES, service.runner, service.spider_args)
        service.advance(r.site for r in results if r.status != "skipped")
        print("crawl service running: every site on its schedule (`portal-archive status`); Ctrl-C stops it",
              flush=True)
        return service.serve()
    finally:
        service.close()


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the bundled fixture portals on 127.0.0.1, then run the main job against them,
    into data/demo.sqlite3 unless DATABASE_URL names another archive (fixture pages
    must never land in the real archive under the real portals' names)."""
    os.environ.setdefault("DATABASE_URL", demo_database_url())
    print(f"demo archive: {mask(os.environ['DATABASE_URL'])}", flush=True)
    # Its own process: the fixtures live in tests/, which is not part of the installed package.
    server = subprocess.Popen([sys.executable, "-m", "tests.fixtures.server"], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        if not first.startswith("Fixture portals at "):
            print("error: the fixture server did not start", file=sys.stderr)
            return 1
        args.mirror = first.split()[3]
        print(f"fixture portals served at {args.mirror}", flush=True)
        return cmd_run(args)
    finally:
        server.terminate()
        server.wait()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = sub.add_parser("migrate", help="create or upgrade the archive schema (alembic upgrade head)")
    migrate.set_defaults(func=cmd_migrate)
    crawl = sub.add_parser("crawl", help="crawl sites now, showing progress")
    crawl.add_argument("sites", nargs="*", metavar="SITE")
    crawl.add_argument("--all", action="store_true", help="every site `scrapy list` shows")
    add_crawl_options(crawl)
    crawl.set_defaults(func=cmd_crawl)
    run = sub.add_parser("run", help="the main job: crawl the Quảng Ngãi sites, then the crawl service")
    add_crawl_options(run)
    add_service_options(run)
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="the main job against the bundled fixture portals on 127.0.0.1")
    add_crawl_options(demo)
    add_service_options(demo)
    demo.set_defaults(func=cmd_demo)
