"""``scrapy crawl`` that checks the archive database first, so a wrong
DATABASE_URL is one line on stderr and exit code 2, not a Twisted traceback.

It also ends, as ``interrupted``, the runs that crawls killed on this machine
(kill -9, a crash, a reboot) left ``running``: without the crawl service, the
next crawl is the first to notice.

And it takes the site's crawl lease before the crawl starts (crawler/lease.py): a site
another process is crawling is refused with one line naming that process, exit code 75
(EX_TEMPFAIL), and no run recorded."""

from __future__ import annotations

import argparse
import sys

from scrapy import Spider, signals
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.crawler import AsyncCrawlerProcess, Crawler, CrawlerProcess
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from archive.db import ArchiveDatabaseError, database_url, describe_failure, ensure_schema, make_engine, session_factory
from crawler.chromium import BROWSER_MISSING
from crawler.config import ArchiveConfig
from crawler.lease import EX_TEMPFAIL, SiteLease, describe_this_process
from crawler.middlewares import mirror_unreachable
from crawler.runs import settle_dead_runs
from crawler.writer import WRITER_DIED


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        engine = None
        if "crawler.pipelines.archive.ArchivePipeline" in self.settings.getdict("ITEM_PIPELINES"):
            try:
                engine = make_engine(ArchiveConfig.from_settings(self.settings).database_url)
                ensure_schema(engine)
                _settle_dead_runs(engine)
            except (ArchiveDatabaseError, DBAPIError) as exc:
                print(f"error: {describe_failure(exc, database_url())}", file=sys.stderr)
                self.exitcode = 2
                return
        problem = self._argument_problem(args[0], opts) if args else None
        if problem is None and (mirror := opts.spargs.get("mirror") or self.settings.get("ARCHIVE_MIRROR")):
            problem = mirror_unreachable(mirror)
        if problem is None and (wayback := opts.spargs.get("wayback")):
            problem = mirror_unreachable(wayback, "-a wayback")
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            self.exitcode = 2
            return
        known = engine is not None and args and self._known(args[0])
        lease = self._lease(engine, args[0], opts.spargs.get("_job")) if known and engine else None
        if self.exitcode:
            return
        try:
            super().run(args, opts)
        finally:
            if lease is not None:
                lease.release()
            if engine is not None:
                engine.dispose()

    def _known(self, name: str) -> bool:
        assert self.crawler_process is not None
        return name in self.crawler_process.spider_loader.list()

    def _lease(self, engine: Engine, site: str, job: str | None) -> SiteLease | None:
        """The site's crawl lease, taken before anything is fetched (crawler/lease.py). Held by
        another process: one line saying who, exit code 75, and no run recorded. ``job`` is
        the Scrapyd job id (Scrapyd passes ``-a _job``), named in the lease."""
        assert self.settings is not None
        ttl = ArchiveConfig.from_settings(self.settings).lease_ttl
        lease = SiteLease(engine, site, ttl=ttl, holder=describe_this_process(job))
        try:
            holder = lease.acquire()
        except ArchiveDatabaseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            self.exitcode = 2
            return None
        if holder is not None:
            print(holder.line(), file=sys.stderr)
            self.exitcode = EX_TEMPFAIL
            return None
        lease.hold(on_lost=self._lease_lost)
        return lease

    def _lease_lost(self) -> None:
        # From the renewing thread: stop as on SIGTERM (the run is recorded as interrupted),
        # since another crawl may now hold the site.
        from twisted.internet import reactor

        assert self.crawler_process is not None
        process = self.crawler_process
        assert isinstance(process, CrawlerProcess | AsyncCrawlerProcess)
        reactor.callFromThread(process.stop)

    def _argument_problem(self, name: str, opts: argparse.Namespace) -> str | None:
        """A spider's own check of its ``-a`` arguments, before Scrapy starts (no traceback)."""
        assert self.crawler_process is not None
        try:
            spidercls = self.crawler_process.spider_loader.load(name)
        except KeyError:
            return None  # Scrapy says "Spider not found" itself
        check = getattr(spidercls, "check_arguments", None)
        try:
            if check is not None:
                check(**opts.spargs)
        except ValueError as exc:
            return str(exc)
        return None

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        crawler = super()._create_crawler(spidercls)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
        return crawler

    def _spider_closed(self, reason: str) -> None:
        # A site that needs a browser, and none installed: the crawl did nothing (crawler/chromium.py).
        # Or its archive writer died mid-crawl (crawler/writer.py): what was fetched since is not stored.
        if reason in (BROWSER_MISSING, WRITER_DIED):
            self.exitcode = 1


def _settle_dead_runs(engine: Engine) -> None:
    with session_factory(engine).begin() as session:
        settle_dead_runs(session)
