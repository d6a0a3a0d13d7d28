"""``portal-archive migrate|crawl|run|demo``.

Crawls run as ``scrapy crawl`` subprocesses: a Twisted reactor cannot be
restarted in one process, and a crash in one site must not take the others down.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence

from archive.db import PROJECT_ROOT, current_revision, ensure_schema, make_engine, mask, upgrade

MAIN_JOB_SITES = ("quangngai", "quangngai_minhlong")


def scrapy_crawl(site: str, *, mirror: str | None = None, extra: Sequence[str] = ()) -> int:
    """Run one crawl in its own process; its exit code."""
    argv = [sys.executable, "-m", "scrapy", "crawl", site, *extra]
    if mirror:
        argv += ["-a", f"mirror={mirror}"]
    return subprocess.run(argv, cwd=PROJECT_ROOT, check=False).returncode


def spider_names() -> list[str]:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    return sorted(SpiderLoader.from_settings(get_project_settings()).list())


def cmd_migrate(args: argparse.Namespace) -> int:
    engine = make_engine()
    ensure_schema(engine, create=True) if current_revision(engine) is None else upgrade(engine)
    print(f"archive {mask(engine.url)} is at schema revision {current_revision(engine)}")
    return 0


def cmd_crawl(args: argparse.Namespace) -> int:
    sites = spider_names() if args.all else args.sites
    unknown = sorted(set(sites) - set(spider_names()))
    if not sites:
        print("error: name a SITE or give --all", file=sys.stderr)
        return 2
    if unknown:
        print(f"error: unknown site(s) {', '.join(unknown)}; `scrapy list` shows the sites", file=sys.stderr)
        return 2
    failed = [site for site in sites if scrapy_crawl(site, mirror=args.mirror) != 0]
    if failed:
        print(f"error: crawl failed for {', '.join(failed)}; see the log above", file=sys.stderr)
    return 1 if failed else 0


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: crawl the Quảng Ngãi sites into the archive."""
    args.sites, args.all = list(MAIN_JOB_SITES), False
    return cmd_crawl(args)


def cmd_demo(args: argparse.Namespace) -> int:
    """Serve the bundled fixture portals on 127.0.0.1 and crawl them."""
    from tests.fixtures.server import FixtureServer, all_site_dirs

    with FixtureServer(*all_site_dirs()) as server:
        print(f"fixture portals served at {server.url}")
        args.mirror = server.url
        return cmd_run(args)


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("migrate", help="create or upgrade the archive schema (alembic upgrade head)").set_defaults(
        func=cmd_migrate
    )
    crawl = sub.add_parser("crawl", help="crawl sites now")
    crawl.add_argument("sites", nargs="*", metavar="SITE")
    crawl.add_argument("--all", action="store_true", help="every site `scrapy list` shows")
    crawl.add_argument("--mirror", help="crawl a local copy of the portals (http://127.0.0.1:PORT)")
    crawl.set_defaults(func=cmd_crawl)
    run = sub.add_parser("run", help="the main job: crawl the Quảng Ngãi sites")
    run.add_argument("--mirror", help="crawl a local copy of the portals")
    run.set_defaults(func=cmd_run)
    sub.add_parser("demo", help="crawl the bundled fixture portals served on 127.0.0.1").set_defaults(func=cmd_demo)
