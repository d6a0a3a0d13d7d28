"""``portal-archive``: one console script with thin subcommands.

Crawls run as ``scrapy crawl`` subprocesses: a Twisted reactor cannot be
restarted in one process, and a crash in one site must not take the others down.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from collections.abc import Sequence

from archive.db import PROJECT_ROOT, ArchiveDatabaseError, current_revision, ensure_schema, make_engine, mask, upgrade

logger = logging.getLogger(__name__)

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal-archive", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.command == "crawl" and not (args.sites or args.all):
        build_parser().error("name a SITE or give --all")
    try:
        return int(args.func(args))
    except ArchiveDatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
