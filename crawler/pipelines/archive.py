"""Store every article capture in the archive, one transaction per item, through the crawl's
writer (crawler/writer.py: a process of its own by default), and keep the crawl_run row of
this crawl."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy.orm import Session, sessionmaker

from archive import runstats
from archive.capture import ArticleCapture
from archive.db import ensure_schema
from archive.store import Outcome, ensure_site, finish_run, record_learned_identity, start_run
from crawler.config import archive_config
from crawler.handle import archive_handle
from crawler.lease import attach_run
from crawler.runs import this_process
from crawler.writer import WRITER_DIED, Writer, WriterDied, writer_for

logger = logging.getLogger(__name__)


class ArchivePipeline:
    def __init__(
        self, crawler: Crawler, sessions: sessionmaker[Session], writer: Writer, log_path: str | None = None
    ) -> None:
        self.crawler = crawler
        self.sessions = sessions
        self.writer = writer
        self.log_path = log_path
        self._stopping: asyncio.Task[None] | None = None
        self.site_id: int | None = None
        self.run_id: int | None = None
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        # Not close_spider(): the finish reason is only known once the spider has closed.
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        handle = archive_handle(crawler)
        ensure_schema(handle.engine)
        config = archive_config(crawler)
        writer = writer_for(config.database_url, handle.sessions, process=config.store_process)
        return cls(crawler, handle.sessions, writer, config.log_path)

    @property
    def stats(self):  # type: ignore[no-untyped-def]
        assert self.crawler.stats
        return self.crawler.stats

    def open_spider(self) -> None:
        spider = self.crawler.spider
        assert spider is not None
        with self.sessions.begin() as session:
            site = ensure_site(session, spider.site_info()) if hasattr(spider, "site_info") else None
            site_id = site.id if site is not None else None
            self.site_id = site_id
            # An identity an earlier crawl learned is used from then on (crawler/identity.py).
            if site is not None and site.identity_learned and hasattr(spider, "use_learned"):
                spider.use_learned(site.identity_learned)
            run = start_run(session, spider.name, site_id)
            # The crawl service finds this row by the log file it gave the process, and tells a
            # dead crawl from a live one by its pid, to settle runs a killed process left open.
            run.log_path = self.log_path
            run.stats = this_process()
            self.run_id = run.id
            # The lease names the run, so a crawl that takes over an expired lease settles it.
            attach_run(session.connection(), spider.name, run.id)
        self.stats.set_value(runstats.RUN_ID, self.run_id)
        logger.info("Archive run %s for %s", self.run_id, spider.name)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleCapture):
            return item
        assert self.site_id is not None, f"spider {item.site} declares no site_info()"
        try:
            result = await self.writer.store(item, site_id=self.site_id, run_id=self.run_id)
        except WriterDied as exc:
            self._stop(str(exc))
            raise
        self.stats.inc_value(runstats.stat(result.outcome))
        if result.outcome is not Outcome.UNCHANGED:
            self.stats.inc_value(runstats.VERSIONS_ADDED)
        if result.duplicate:
            self.stats.inc_value(runstats.DUPLICATE_CONTENT)
        logger.debug("%s: %s (article %s, v%s)", item.url, result.outcome, result.article_id, result.version_number)
        return item

    def _stop(self, why: str) -> None:
        """Stop the crawl once: nothing fetched from now on could be stored."""
        if self._stopping is None and self.crawler.engine is not None:
            logger.error("%s; the crawl stops", why)
            self._stopping = asyncio.ensure_future(self.crawler.engine.close_spider_async(reason=WRITER_DIED))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.writer.close()
        if self.run_id is None:
            return
        if errors := self.stats.get_value(runstats.ERRORS):
            logger.warning("%s errors while crawling %s; see the log above", errors, spider.name)
        stats = self.stats.get_stats()
        counts = {column: runstats.count(stats, stat) for column, stat in runstats.RUN_COUNTS.items()}
        status = runstats.run_status(reason)
        if status == "finished" and (why := runstats.run_failure(stats)):
            # Scrapy finished, but silence is never success: the run says what went wrong.
            logger.error("%s: run failed: %s", spider.name, why)
            status, reason = "failed", why
        elif status == "finished" and not runstats.answered_normally(status, stats):
            logger.warning("%s did not answer normally in this run (archive/runstats.py)", spider.name)
        with self.sessions.begin() as session:
            if (learned := getattr(spider, "learned_identity", None)) and self.site_id is not None:
                record_learned_identity(session, self.site_id, learned)
            finish_run(session, self.run_id, status=status, reason=reason[:runstats.REASON_LENGTH], counts=counts,
                       stats=_jsonable(stats))

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        self.stats.inc_value(runstats.ERRORS)

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        self.stats.inc_value(runstats.ERRORS)


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v) for k, v in stats.items()}
