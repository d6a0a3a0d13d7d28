"""Incremental crawling: a scheduled run costs little when little changed.

* Listings are walked newest first, and a listing stops at the first page
  whose articles are all archived already (their pagination is dropped) —
  unless the site's last run was cut short or gave up on pages, which may
  have left newer articles unseen further down the listing.
* Known articles are fetched only when due (``article.next_check_at``, set by
  the store from the article's age: archive/ladder.py). Due articles that no
  listing shows any more are requested directly at the start of the run.
* Known articles are requested conditionally (ETag / Last-Modified); a 304
  only moves the article's last-seen time.

``-a depth=full`` walks everything (first crawl, backfill). Spiders stay free of
I/O: they mark requests with ``archive_kind``/``archive_source_key`` (made by
``PortalSpider.listing_request``/``article_request``), and this module reads
the archive.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from archive import runstats
from archive.models import Article, CrawlRun, Site
from archive.store import touch_unchanged
from crawler.config import ArchiveConfig, archive_config
from crawler.families.base import META_KIND, META_SOURCE_KEY
from crawler.handle import archive_handle

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Known:
    url: str
    next_check_at: datetime | None
    etag: str | None
    last_modified: str | None

    def due(self, now: datetime) -> bool:
        return self.next_check_at is None or self.next_check_at <= now


class ArchiveState:
    """What the archive knows about one site's articles, loaded once per crawl when the spider
    opens: the incremental walk and removal detection (crawler/removal.py) both read it, and
    either one loads it, so removal works with ``ARCHIVE_INCREMENTAL`` off."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.site_id: int | None = None
        self.articles: dict[str, Known] = {}
        #: listings may stop early only after a complete run: see previous_run_complete()
        self.stop_listings = True

    def load(self, site_name: str) -> None:
        with self.sessions() as session:
            self.site_id = session.scalar(select(Site.id).where(Site.name == site_name))
            rows = session.execute(
                select(Article.source_key, Article.canonical_url, Article.next_check_at, Article.etag,
                       Article.last_modified).where(Article.site_id == self.site_id)
            )
            self.articles = {key: Known(url, due, etag, modified) for key, url, due, etag, modified in rows}
            self.stop_listings = previous_run_complete(session, self.site_id)
        logger.info("Archive knows %d articles of %s", len(self.articles), site_name)
        if not self.stop_listings:
            logger.info("The last run of %s did not finish cleanly: walking every listing page", site_name)

    def not_modified(self, source_key: str, seen_at: datetime) -> bool:
        if self.site_id is None:
            return False
        with self.sessions.begin() as session:
            return touch_unchanged(session, self.site_id, source_key, seen_at)


def previous_run_complete(session: Session, site_id: int | None) -> bool:
    """Whether the site's last ended run finished and lost no page. A listing stops at its first
    page of known articles, which is only safe when the run before walked on as far as it had
    to: a run killed, timed out or given up on a listing page after storing page 1's articles
    would otherwise hide page 2's from every later run."""
    if site_id is None:
        return True
    last = session.execute(
        select(CrawlRun.status, CrawlRun.stats)
        .where(CrawlRun.site_id == site_id, CrawlRun.status != "running")
        .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return True  # first crawl: nothing is known, so nothing stops early anyway
    status, stats = last
    return not runstats.incomplete(status, stats or {})


_states: weakref.WeakKeyDictionary[Crawler, ArchiveState] = weakref.WeakKeyDictionary()


def archive_state(crawler: Crawler) -> ArchiveState:
    """One state per crawler, shared by the spider and downloader middlewares, loaded when the spider opens."""
    if crawler not in _states:
        state = _states[crawler] = ArchiveState(archive_handle(crawler).sessions)

        def load(spider: Spider) -> None:
            state.load(spider.name)

        crawler.signals.connect(load, signal=signals.spider_opened, weak=False)
    return _states[crawler]


def config(crawler: Crawler) -> ArchiveConfig:
    """The crawl's config; NotConfigured when incremental crawling is off (the middlewares of this module)."""
    found = archive_config(crawler)
    if not found.incremental:
        raise NotConfigured("ARCHIVE_INCREMENTAL is off")
    return found


def full_depth(spider: Spider | None) -> bool:
    return getattr(spider, "depth", None) == "full"


def backfilling(spider: Spider | None) -> bool:
    """A web-archive backfill (``-a source=wayback``, crawler/wayback.py): an old capture is never
    "not due", and an archive's answer says nothing about the portal today."""
    return getattr(spider, "source", "live") == "wayback"


class IncrementalMiddleware:
    """Spider middleware: skip articles that are not due, stop listings that hold nothing new."""

    def __init__(self, crawler: Crawler, state: ArchiveState, recheck_max: int) -> None:
        self.crawler = crawler
        self.state = state
        self.recheck_max = recheck_max

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        return cls(crawler, archive_state(crawler), config(crawler).recheck_max)

    def stat(self, key: str, count: int = 1) -> None:
        if self.crawler.stats and count:
            self.crawler.stats.inc_value(key, count)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item_or_request in start:
            yield item_or_request
        for request in () if backfilling(self.crawler.spider) else self._due_rechecks():
            yield request

    def _due_rechecks(self) -> Iterator[Request]:
        """Known articles whose re-check is due, oldest due first: listings may no longer show them."""
        spider = self.crawler.spider
        make = getattr(spider, "article_request", None)
        if make is None:
            return
        now = datetime.now(UTC)
        due = sorted((k for k in self.state.articles.values() if k.due(now)),
                     key=lambda k: k.next_check_at or datetime.min.replace(tzinfo=UTC))
        for known in due[: self.recheck_max]:
            self.stat(runstats.RECHECK_SCHEDULED)
            yield make(known.url)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        yield from self._filter(response, list(result))

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        for output in self._filter(response, [r async for r in result]):
            yield output

    def _filter(self, response: Response, outputs: list[Any]) -> Iterator[Any]:
        if response.meta.get(META_KIND) != "listing" or full_depth(self.crawler.spider) \
                or backfilling(self.crawler.spider):
            yield from outputs
            return
        now = datetime.now(UTC)
        articles = [o for o in outputs if isinstance(o, Request) and o.meta.get(META_KIND) == "article"]
        known = [r for r in articles if r.meta.get(META_SOURCE_KEY) in self.state.articles]
        nothing_new = bool(articles) and len(known) == len(articles) and self.state.stop_listings
        for output in outputs:
            if isinstance(output, Request) and output.meta.get(META_KIND) == "listing" and nothing_new:
                self.stat(runstats.LISTING_STOPPED)
                continue
            if output in known and not self.state.articles[output.meta[META_SOURCE_KEY]].due(now):
                self.stat(runstats.SKIPPED_NOT_DUE)
                continue
            yield output


class ConditionalRequestMiddleware:
    """Downloader middleware: If-None-Match / If-Modified-Since for known articles; a 304 is "seen, unchanged"."""

    def __init__(self, crawler: Crawler, state: ArchiveState) -> None:
        self.crawler = crawler
        self.state = state

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        config(crawler)
        return cls(crawler, archive_state(crawler))

    def process_request(self, request: Request) -> None:
        known = self.state.articles.get(request.meta.get(META_SOURCE_KEY) or "")
        if known is None or full_depth(self.crawler.spider) or backfilling(self.crawler.spider) \
                or request.meta.get("archive_conditional") is False:
            return
        if known.etag:
            request.headers.setdefault(b"If-None-Match", known.etag.encode("latin-1", "replace"))
        if known.last_modified:
            request.headers.setdefault(b"If-Modified-Since", known.last_modified.encode("latin-1", "replace"))

    def process_response(self, request: Request, response: Response) -> Request | Response:
        key = request.meta.get(META_SOURCE_KEY)
        if response.status != 304 or not key or key not in self.state.articles:
            return response
        if self.crawler.stats:
            self.crawler.stats.inc_value(runstats.NOT_MODIFIED)
        if self.state.not_modified(key, datetime.now(UTC)):
            raise IgnoreRequest(f"not modified: {request.url}")
        # The archive holds no version to confirm: fetch the page whole.
        headers = {k: v for k, v in request.headers.items() if k not in (b"If-None-Match", b"If-Modified-Since")}
        return request.replace(headers=headers, meta={**request.meta, "archive_conditional": False}, dont_filter=True)
