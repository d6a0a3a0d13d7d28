"""Noticing removed articles and redirected portals during a crawl (rules: archive/removal.py).

A failed check of a known article (404/410, soft 404, redirect to the home
page) is counted as it happens. Whether anything is declared gone is decided
once, when the crawl closes, and only if the site answered normally in this
run: a portal that is down, shielded, or now redirects to its successor after
the 2025 merger must not turn into hundreds of removed articles.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from archive import runstats
from archive.removal import GonePolicy, declare_gone, mark_site_redirected, record_missing
from crawler.config import archive_config
from crawler.families.base import META_KIND, META_SOURCE_KEY
from crawler.guards import PageKind, classify
from crawler.incremental import ArchiveState, archive_state, backfilling

logger = logging.getLogger(__name__)


class RemovalMiddleware:
    def __init__(self, crawler: Crawler, state: ArchiveState, policy: GonePolicy) -> None:
        self.crawler = crawler
        self.state = state
        self.policy = policy
        self.redirected_to: str | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RemovalMiddleware:
        return cls(crawler, archive_state(crawler), archive_config(crawler).gone)

    def stat(self, key: str) -> None:
        if self.crawler.stats:
            self.crawler.stats.inc_value(key)

    def process_response(self, request: Request, response: Response) -> Response:
        if backfilling(self.crawler.spider):  # an archive's 404 or redirect is not the portal's
            return response
        kind = request.meta.get(META_KIND)
        if kind == "listing" and 300 <= response.status < 400:
            self._check_site_redirect(request, response)
        key = request.meta.get(META_SOURCE_KEY)
        if kind == "article" and key in self.state.articles and not 300 <= response.status < 400:
            if classify(response, request.meta) is PageKind.NOT_FOUND and self.state.site_id is not None:
                with self.state.sessions.begin() as session:
                    record_missing(session, self.state.site_id, key, datetime.now(UTC))
                self.stat(runstats.MISSING_CHECK)
        return response

    def _check_site_redirect(self, request: Request, response: Response) -> None:
        location = (response.headers.get(b"Location") or b"").decode("latin-1")
        target = urljoin(request.url, location)
        spider = self.crawler.spider
        domains = getattr(spider, "allowed_domains", None) or []
        host = urlsplit(target).hostname or ""
        if location and not any(host == d or host.endswith("." + d) for d in domains):
            logger.warning("%s now redirects to %s: site recorded as redirected", request.url, target)
            self.redirected_to = target
            self.stat(runstats.SITE_REDIRECTED)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.state.site_id is None or backfilling(spider):
            return
        with self.state.sessions.begin() as session:
            if self.redirected_to:
                mark_site_redirected(session, self.state.site_id, self.redirected_to)
                return
            stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
            if not runstats.answered_normally(runstats.run_status(reason), stats):
                logger.warning("%s did not answer normally in this run: no article is declared gone", spider.name)
                return
            run_id = stats.get(runstats.RUN_ID)
            if count := declare_gone(session, self.state.site_id, datetime.now(UTC), self.policy, run_id):
                logger.warning("%d articles of %s declared gone (see article_event)", count, spider.name)
                if self.crawler.stats:
                    self.crawler.stats.set_value(runstats.DECLARED_GONE, count)
