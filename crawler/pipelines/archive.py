"""Store every article capture in the archive, one transaction per item, and
keep the crawl_run row of this crawl."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy.orm import Session, sessionmaker

from archive.capture import ArticleCapture
from archive.db import ensure_schema, make_engine, session_factory
from archive.health import STAT_HOST, STAT_PID
from archive.lease import attach_run
from archive.store import Outcome, ensure_site, finish_run, start_run, store_capture
from crawler.config import ArchiveConfig

logger = logging.getLogger(__name__)

#: crawl_run columns and the stats they are read from
RUN_COUNTS = {
    "pages": "response_received_count",
    "new_articles": f"archive/{Outcome.NEW_ARTICLE}",
    "new_versions": "archive/versions_added",
    "unchanged": f"archive/{Outcome.UNCHANGED}",
    "duplicates": "archive/duplicate_content",
    "fallbacks": "archive/fallback",
    "errors": "archive/errors",
}
RUN_STATUS = {"finished": "finished", "shutdown": "interrupted", "closespider_timeout": "timed_out"}


class ArchivePipeline:
    def __init__(self, crawler: Crawler, sessions: sessionmaker[Session]) -> None:
        self.crawler = crawler
        self.sessions = sessions
        self.site_id: int | None = None
        self.run_id: int | None = None
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        # Not close_spider(): the finish reason is only known once the spider has closed.
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        engine = make_engine(ArchiveConfig.from_settings(crawler.settings).database_url)
        ensure_schema(engine)
        return cls(crawler, session_factory(engine))

    @property
    def stats(self):  # type: ignore[no-untyped-def]
        assert self.crawler.stats
        return self.crawler.stats

    def open_spider(self) -> None:
        spider = self.crawler.spider
        assert spider is not None
        with self.sessions.begin() as session:
            site_id = ensure_site(session, spider.site_info()).id if hasattr(spider, "site_info") else None
            self.site_id = site_id
            run = start_run(session, spider.name, site_id)
            # The crawl service finds this row by the log file it gave the process, and tells a
            # dead crawl from a live one by its pid, to settle runs a killed process left open.
            settings = self.crawler.settings
            run.log_path = settings.get("ARCHIVE_LOG_PATH") or settings.get("LOG_FILE")
            run.stats = {STAT_PID: os.getpid(), STAT_HOST: socket.gethostname()}
            self.run_id = run.id
            # The lease names the run, so a crawl that takes over an expired lease settles it.
            attach_run(session.connection(), spider.name, run.id)
        self.stats.set_value("archive/run_id", self.run_id)
        logger.info("Archive run %s for %s", self.run_id, spider.name)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleCapture):
            return item
        assert self.site_id is not None, f"spider {item.site} declares no site_info()"
        with self.sessions.begin() as session:
            result = store_capture(session, item, site_id=self.site_id, run_id=self.run_id)
        self.stats.inc_value(f"archive/{result.outcome}")
        if result.outcome is not Outcome.UNCHANGED:
            self.stats.inc_value("archive/versions_added")
        if result.duplicate:
            self.stats.inc_value("archive/duplicate_content")
        logger.debug("%s: %s (article %s, v%s)", item.url, result.outcome, result.article_id, result.version_number)
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        if errors := self.stats.get_value("archive/errors"):
            logger.warning("%s errors while crawling %s; see the log above", errors, spider.name)
        counts = {column: int(self.stats.get_value(stat, 0)) for column, stat in RUN_COUNTS.items()}
        with self.sessions.begin() as session:
            finish_run(
                session,
                self.run_id,
                status=RUN_STATUS.get(reason, "failed"),
                reason=reason,
                counts=counts,
                stats=_jsonable(self.stats.get_stats()),
            )

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        self.stats.inc_value("archive/errors")

    def spider_error(self, failure: Any, response: Any, spider: Spider) -> None:
        self.stats.inc_value("archive/errors")


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v) for k, v in stats.items()}
