"""The ARCHIVE_* settings, read once per crawl and turned into one typed object.

Every component reads its settings here (``archive_config(crawler)``), never with
``crawler.settings.get("ARCHIVE_...")`` of its own: the defaults live in one place,
and crawler/settings.py lists the same names for ``-s`` users.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import timedelta

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from archive.db import database_url
from archive.removal import GonePolicy


@dataclass(frozen=True)
class WaybackSettings:
    """``ARCHIVE_WAYBACK_*``: where and how politely a backfill reads a web archive (docs/web-archives.md)."""

    cdx: str = "https://web.archive.org/cdx/search/cdx"
    replay: str = "https://web.archive.org/web/"
    delay: float = 1.5
    concurrency: int = 1
    retries: int = 6
    backoff: float = 10.0
    backoff_max: float = 600.0
    cdx_limit: int = 5000

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> WaybackSettings:
        default = cls()
        return cls(
            cdx=settings.get("ARCHIVE_WAYBACK_CDX") or default.cdx,
            replay=settings.get("ARCHIVE_WAYBACK_REPLAY") or default.replay,
            delay=settings.getfloat("ARCHIVE_WAYBACK_DELAY", default.delay),
            concurrency=settings.getint("ARCHIVE_WAYBACK_CONCURRENCY", default.concurrency),
            retries=settings.getint("ARCHIVE_WAYBACK_RETRIES", default.retries),
            backoff=settings.getfloat("ARCHIVE_WAYBACK_BACKOFF", default.backoff),
            backoff_max=settings.getfloat("ARCHIVE_WAYBACK_BACKOFF_MAX", default.backoff_max),
            cdx_limit=settings.getint("ARCHIVE_WAYBACK_CDX_LIMIT", default.cdx_limit),
        )


@dataclass(frozen=True)
class ArchiveConfig:
    #: SQLAlchemy URL of the archive: DATABASE_URL, else data/archive.sqlite3. Deliberately not a
    #: Scrapy setting: Scrapy logs every overridden setting, and this URL may hold a password.
    database_url: str
    #: attachments larger than this are recorded as links without bytes
    attachment_maxsize: int = 50 * 1024 * 1024
    #: download attached files (PDF, DOC, XLS ...) and hash them into the content
    download_attachments: bool = True
    #: download images too (stored by SHA-256 like attachments, never hashed into the content)
    download_images: bool = False
    #: skip articles not due for a re-check and stop listings at known pages (``-a depth=full`` overrides);
    #: removal detection does not depend on it
    incremental: bool = True
    #: at most this many due re-checks of known articles are added to one run
    recheck_max: int = 1000
    #: an article is declared gone after this many failed checks spread over at least this long
    gone: GonePolicy = GonePolicy()
    #: a mirror of the portals (``-a mirror`` wins): crawler/middlewares.py
    mirror: str | None = None
    #: this crawl's log file, linked from its crawl_run row (set by the crawl service; else LOG_FILE)
    log_path: str | None = None
    wayback: WaybackSettings = WaybackSettings()
    #: seconds a crawl's lease on its site outlives its last renewal (crawler/lease.py)
    lease_ttl: float = 120.0
    #: store captures in a writer process beside the crawl (crawler/writer.py); off: on the reactor thread
    store_process: bool = True

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ArchiveConfig:
        default = GonePolicy()
        return cls(
            database_url=database_url(),
            attachment_maxsize=settings.getint("ARCHIVE_ATTACHMENT_MAXSIZE", 50 * 1024 * 1024),
            download_attachments=settings.getbool("ARCHIVE_DOWNLOAD_ATTACHMENTS", True),
            download_images=settings.getbool("ARCHIVE_DOWNLOAD_IMAGES", False),
            incremental=settings.getbool("ARCHIVE_INCREMENTAL", True),
            recheck_max=settings.getint("ARCHIVE_RECHECK_MAX", 1000),
            gone=GonePolicy(
                min_checks=settings.getint("ARCHIVE_GONE_MIN_CHECKS", default.min_checks),
                min_span=timedelta(hours=settings.getfloat("ARCHIVE_GONE_MIN_HOURS",
                                                           default.min_span.total_seconds() / 3600)),
            ),
            mirror=settings.get("ARCHIVE_MIRROR") or None,
            log_path=settings.get("ARCHIVE_LOG_PATH") or settings.get("LOG_FILE") or None,
            wayback=WaybackSettings.from_settings(settings),
            lease_ttl=settings.getfloat("ARCHIVE_LEASE_TTL", 120.0),
            store_process=settings.getbool("ARCHIVE_STORE_PROCESS", True),
        )


_configs: weakref.WeakKeyDictionary[Crawler, ArchiveConfig] = weakref.WeakKeyDictionary()


def archive_config(crawler: Crawler) -> ArchiveConfig:
    """The crawl's settings, read on first use and shared by every component of the crawler."""
    if crawler not in _configs:
        _configs[crawler] = ArchiveConfig.from_settings(crawler.settings)
    return _configs[crawler]
