"""Backfill a site from its captures in a Wayback-compatible web archive (``-a source=wayback``).

``scrapy crawl <site> -a source=wayback [-a since=2015-01-01] [-a until=2025-06-30]``
replaces the site's listings by a CDX query per allowed domain
(``ARCHIVE_WAYBACK_CDX``: HTML pages captured with status 200, identical
consecutive captures collapsed). Each capture of an article URL, as the
family's own ``is_site_article_url`` recognises it, is fetched raw from
``ARCHIVE_WAYBACK_REPLAY`` (``<replay>/<timestamp>id_/<url>``) and handed to
the same ``parse_article`` under its original URL; its version is dated by the
capture time (``RawPage.fetched_at``) and marked ``source="wayback"`` with its
capture URL. ``-a wayback=<pywb collection URL>`` points both endpoints at a
pywb collection (``<base>/cdx`` and ``<base>/``).

Polite: one request at a time, ``ARCHIVE_WAYBACK_DELAY`` apart, on one download
slot for the archive; 429, 5xx and network errors wait (``Retry-After``, else an
exponential backoff) with the whole slot paused, then retry. Resumable: captures
the archive already recorded (``archive/webarchive.py``) are not fetched again.
Articles linked files are fetched from the archive too, at the article's capture
time. docs/web-archives.md has the decisions.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from archive import runstats
from archive.capture import ArticleCapture, AttachmentRef, Image
from archive.webarchive import CaptureLedger, capture_ledger
from crawler.config import archive_config
from crawler.families.base import META_CAPTURE, META_ORIGINAL, META_VIA
from crawler.handle import archive_handle
from crawler.incremental import backfilling
from crawler.wayback_cdx import CdxCapture, CdxError, cdx_day, cdx_query_url, parse_cdx, refusal
from crawler.wayback_replay import is_archived, read_replay, without_default_port

logger = logging.getLogger(__name__)

META_ATTEMPT = "archive_wayback_attempt"
META_DOMAIN = "archive_wayback_domain"
#: the download slot every archive request shares, so the delay and concurrency hold for the archive
SLOT = "wayback"
#: META_VIA of a request rewritten to the web archive
VIA = "wayback"
SOURCE = "wayback"
#: statuses after which an archive request waits and is tried again, unless the answer is an archived
#: one (it carries Memento-Datetime or X-Archive-Src: the portal's error of long ago, replayed)
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 520, 522, 524})


@dataclass(frozen=True)
class WaybackConfig:
    cdx: str
    replay: str
    since: str | None
    until: str | None
    delay: float
    concurrency: int
    retries: int
    backoff: float
    backoff_max: float
    cdx_limit: int

    @classmethod
    def of(cls, crawler: Crawler, spider: Spider) -> WaybackConfig:
        settings = archive_config(crawler).wayback
        cdx, replay = settings.cdx, settings.replay
        if base := getattr(spider, "wayback", None):  # a pywb collection: <base>/cdx, <base>/<ts>id_/<url>
            cdx, replay = f"{base.rstrip('/')}/cdx", f"{base.rstrip('/')}/"
        return cls(
            cdx=cdx,
            replay=replay,
            since=cdx_day(getattr(spider, "since", None)),
            until=cdx_day(getattr(spider, "until", None)),
            delay=settings.delay,
            concurrency=settings.concurrency,
            retries=settings.retries,
            backoff=settings.backoff,
            backoff_max=settings.backoff_max,
            cdx_limit=settings.cdx_limit,
        )

    def request_meta(self, original: str) -> dict[str, Any]:
        """What every archive request carries: its slot, a fixed delay, our own retries, no
        offsite or robots.txt check (the archive's URL is not the portal's), no browser."""
        return {META_ORIGINAL: original, META_VIA: VIA, "download_slot": SLOT, "allow_offsite": True,
                "dont_obey_robotstxt": True, "dont_retry": True, "autothrottle_dont_adjust_delay": True,
                "playwright": False}


@dataclass
class WaybackRun:
    """One backfill's state, shared by the spider and downloader middlewares."""

    config: WaybackConfig
    ledger: CaptureLedger = field(default_factory=lambda: CaptureLedger(set(), {}))
    #: the last digest seen per URL (collapse=digest across CDX pages, and for pywb, which ignores it)
    last_digest: dict[str, str] = field(default_factory=dict)
    #: capture timestamp of the article that links a file: the file is asked for at that time
    file_times: dict[str, str] = field(default_factory=dict)


_runs: dict[int, WaybackRun] = {}


def wayback_run(crawler: Crawler) -> WaybackRun | None:
    """The crawler's backfill state; None unless its spider backfills from an archive."""
    spider = crawler.spider
    if not backfilling(spider):
        return None
    if id(crawler) not in _runs:
        assert spider is not None
        _runs[id(crawler)] = WaybackRun(WaybackConfig.of(crawler, spider))
    return _runs[id(crawler)]


def _stat(crawler: Crawler, key: str, count: int = 1) -> None:
    if crawler.stats and count:
        crawler.stats.inc_value(runstats.stat(f"wayback_{key}"), count)


def fail_run(crawler: Crawler, reason: str) -> None:
    """Make the run end ``failed`` with ``reason`` (the first reason wins), however Scrapy finishes it."""
    logger.error("%s", reason)
    if crawler.stats and not crawler.stats.get_value(runstats.FAILURE):
        crawler.stats.set_value(runstats.FAILURE, reason)


class WaybackMiddleware:
    """Spider middleware: the CDX listing instead of the site's listings, and the captures to fetch."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WaybackMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        run = wayback_run(self.crawler)
        if run is None:
            return
        with archive_handle(self.crawler).sessions() as session:
            run.ledger = capture_ledger(session, spider.name)
        if self.crawler.stats:  # health judges a retired portal by these runs (archive/health.py)
            self.crawler.stats.set_value(runstats.SOURCE, runstats.WAYBACK)
        # The archive's own slot; a DOWNLOAD_SLOTS entry named "wayback" wins.
        assert self.crawler.engine is not None
        self.crawler.engine.downloader.per_slot_settings.setdefault(
            SLOT, {"concurrency": run.config.concurrency, "delay": run.config.delay})
        logger.info("Backfilling %s from %s (%s to %s); %d captures already recorded", spider.name,
                    run.config.cdx, run.config.since or "first", run.config.until or "last",
                    len(run.ledger.capture_urls))

    def spider_closed(self, spider: Spider) -> None:
        _runs.pop(id(self.crawler), None)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        run = wayback_run(self.crawler)
        if run is None:
            async for item_or_request in start:
                yield item_or_request
            return
        # The site's listings are not walked: the archive's index lists every capture.
        for domain in getattr(self.crawler.spider, "allowed_domains", None) or []:
            yield self._cdx_request(run, domain)

    def _cdx_request(self, run: WaybackRun, domain: str, resume_key: str | None = None) -> Request:
        config = run.config
        url = cdx_query_url(config.cdx, domain, since=config.since, until=config.until, limit=config.cdx_limit,
                            resume_key=resume_key)
        # Every answer reaches parse_cdx: a refused listing must fail the run, not vanish in HttpErrorMiddleware.
        meta = {**config.request_meta(url), META_DOMAIN: domain, "handle_httpstatus_all": True}
        # Listing pages first (priority above every capture), so the whole index is known early.
        return Request(url, callback=self.parse_cdx, errback=self.cdx_failed, meta=meta, priority=1,
                       dont_filter=True)

    def cdx_failed(self, failure: Any) -> None:
        domain = failure.request.meta.get(META_DOMAIN) if hasattr(failure, "request") else "?"
        _stat(self.crawler, "cdx_error")
        fail_run(self.crawler, f"CDX listing of {domain} failed: {failure.getErrorMessage() or failure.type.__name__}")

    def parse_cdx(self, response: Response) -> Iterator[Request]:
        run = wayback_run(self.crawler)
        assert run is not None
        domain = response.meta[META_DOMAIN]
        if response.status != 200:
            _stat(self.crawler, "cdx_error")
            fail_run(self.crawler, f"CDX listing of {domain}: {refusal(response.status, _text(response))}")
            return
        try:
            page = parse_cdx(response.text)
        except CdxError as exc:
            _stat(self.crawler, "cdx_error")
            fail_run(self.crawler, f"CDX listing of {domain} unreadable: {exc}")
            return
        if page.skipped:
            logger.warning("CDX listing of %s: %d malformed rows skipped", domain, page.skipped)
            _stat(self.crawler, "cdx_skipped", page.skipped)
        _stat(self.crawler, "cdx_pages")
        _stat(self.crawler, "captures_listed", len(page.captures))
        # A site whose identity the registry does not prove learns it from its captured URLs
        # (crawler/identity.py) before any capture is chosen by it.
        if (learn := getattr(self.crawler.spider, "learn_from_captures", None)) is not None:
            learn([capture.original for capture in page.captures], response.url)
        for capture in page.captures:
            if (request := self._capture_request(run, capture)) is not None:
                yield request
        if page.resume_key:
            yield self._cdx_request(run, domain, page.resume_key)
        elif len(page.captures) + page.skipped >= run.config.cdx_limit:
            logger.warning("CDX listing of %s stopped at %d captures without a resume key: raise "
                           "ARCHIVE_WAYBACK_CDX_LIMIT or narrow since/until", domain, run.config.cdx_limit)

    def _capture_request(self, run: WaybackRun, capture: CdxCapture) -> Request | None:
        spider = self.crawler.spider
        original = without_default_port(capture.original)
        if not _wanted(capture) or not spider.is_site_article_url(original):  # type: ignore[union-attr]
            return None
        if capture.digest and run.last_digest.get(original) == capture.digest:
            _stat(self.crawler, "collapsed")
            return None
        run.last_digest[original] = capture.digest
        capture_url = capture.replay_url(run.config.replay)
        key = spider.source_key(original)  # type: ignore[union-attr]
        if run.ledger.recorded(capture_url, key, capture.captured_at):
            _stat(self.crawler, "already_recorded")
            return None
        request: Request = spider.article_request(original)  # type: ignore[union-attr]
        # Dated by the listing until the answer says which capture it served (WaybackDownloaderMiddleware).
        facts = {"captured_at": capture.captured_at, "capture_url": capture_url, "source": SOURCE}
        meta = {**request.meta, **run.config.request_meta(original), META_CAPTURE: facts}
        _stat(self.crawler, "captures_requested")
        # Older months first, once requests queue up (a large site): versions then mostly arrive in
        # time order. Nothing depends on it: the store merges observations in any order.
        month = int(capture.timestamp[:4]) * 12 + int(capture.timestamp[4:6] or 1)
        return request.replace(url=capture_url, meta=meta, priority=-month, dont_filter=True)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            self._note_files(response, output)
            yield output

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in result:
            self._note_files(response, output)
            yield output

    def _note_files(self, response: Response, output: Any) -> None:
        """A backfilled article's files are asked of the archive at the article's capture time."""
        capture = response.meta.get(META_CAPTURE)
        if capture is None or not isinstance(output, ArticleCapture):
            return
        run = wayback_run(self.crawler)
        if run is not None:
            stamp = capture["captured_at"].strftime("%Y%m%d%H%M%S")
            refs: list[AttachmentRef | Image] = [*output.attachments, *output.images]
            for ref in refs:
                run.file_times[ref.url] = stamp


def _wanted(capture: CdxCapture) -> bool:
    # Filtered by the CDX query already; checked again for servers that ignore filters.
    return capture.statuscode == "200" and capture.mimetype.lower().startswith("text/html")


class WaybackDownloaderMiddleware:
    """Downloader middleware: portal requests (linked files) go to the archive; answers come back
    under the original URL. Placed first (engine side), so the URL is restored after redirects."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WaybackDownloaderMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Request | None:
        run = wayback_run(self.crawler)
        if run is None or META_ORIGINAL in request.meta:
            return None
        stamp = run.file_times.pop(request.url, None) or datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        url = f"{run.config.replay.rstrip('/')}/{stamp}id_/{request.url}"
        return request.replace(url=url, meta={**request.meta, **run.config.request_meta(request.url)},
                               dont_filter=True)

    def process_response(self, request: Request, response: Response) -> Response:
        """A capture (or a file) as the portal served it: under its original URL, with the portal's
        headers, dated by the capture the archive served (after its redirects to the nearest one)."""
        original = request.meta.get(META_ORIGINAL)
        if original is None or request.meta.get(META_VIA) != VIA or request.meta.get(META_DOMAIN):
            return response
        replay = read_replay(response.url, _headers(response))
        capture = request.meta.get(META_CAPTURE)
        if capture is not None:
            served_at = replay.captured_at or capture["captured_at"]
            if served_at != capture["captured_at"]:
                _stat(self.crawler, "redated")
                logger.info("Capture asked at %s served from %s: %s", capture["captured_at"], served_at, response.url)
            request.meta[META_CAPTURE] = {
                **capture, "captured_at": served_at, "capture_url": response.url,
                "replay": {"asked": capture["capture_url"], "status": response.status,
                           "headers": replay.archive_headers},
            }
        if replay.archived and response.status >= 300:
            # The portal's own error (or redirect) of that time, replayed: history, recorded as such.
            _stat(self.crawler, "archived_error")
            logger.warning("The archive holds an HTTP %s answer of the portal here (captured %s): %s",
                           response.status, replay.captured_at, response.url)
        return response.replace(url=without_default_port(replay.original or original), headers=replay.portal_headers)


def _headers(response: Response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


def _text(response: Response) -> str:
    return response.body[:2000].decode("utf-8", "replace")


class ArchiveBackoffMiddleware:
    """Downloader middleware: an archive answering 429/5xx (or not answering) is given time: the
    request waits ``Retry-After`` (else ``ARCHIVE_WAYBACK_BACKOFF`` doubling per attempt, at most
    ``ARCHIVE_WAYBACK_BACKOFF_MAX``) before it is tried again, and the archive's download slot is
    paused as long, so no other request reaches the archive meanwhile. The wait is a timer, not a
    loop. Scrapy's RetryMiddleware would retry at once (archive requests carry ``dont_retry``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveBackoffMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get(META_VIA) != VIA or response.status not in RETRY_STATUSES:
            return response
        if is_archived(_headers(response)):  # a capture of the portal's error, not the archive's
            return response
        after = retry_after(response.headers.get(b"Retry-After"), datetime.now(UTC))
        return await self._retry(request, f"HTTP {response.status}", after) or response

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get(META_VIA) != VIA:
            return None
        return await self._retry(request, type(exception).__name__, None)

    async def _retry(self, request: Request, why: str, after: float | None) -> Request | None:
        run = wayback_run(self.crawler)
        attempt = int(request.meta.get(META_ATTEMPT, 0))
        if run is None or attempt >= run.config.retries:
            logger.error("Archive still failing after %d attempts (%s): %s", attempt + 1, why, request.url)
            _stat(self.crawler, "gave_up")
            return None
        config = run.config
        wait = min(after if after is not None else config.backoff * 2**attempt, config.backoff_max)
        logger.info("Archive answered %s; waiting %.1f s before attempt %d: %s", why, wait, attempt + 2, request.url)
        _stat(self.crawler, "backoff")
        self._pause(request, wait)
        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return request.replace(meta={**request.meta, META_ATTEMPT: attempt + 1}, dont_filter=True)

    def _pause(self, request: Request, wait: float) -> None:
        # A slot starts nothing before ``lastseen + delay``: moving lastseen ahead holds back every
        # other request to the archive (with a delay of 0 Scrapy skips the check: nothing to hold).
        assert self.crawler.engine is not None
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot", SLOT))
        if slot is not None:
            slot.lastseen = max(slot.lastseen, monotonic() + wait)


def retry_after(value: bytes | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
