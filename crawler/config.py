"""The ARCHIVE_* settings, read once and turned into a typed object."""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.settings import BaseSettings

from archive.db import database_url


@dataclass(frozen=True)
class ArchiveConfig:
    #: SQLAlchemy URL of the archive: DATABASE_URL, else data/archive.sqlite3. Deliberately not a
    #: Scrapy setting: Scrapy logs every overridden setting, and this URL may hold a password.
    database_url: str
    #: attachments larger than this are recorded as links without bytes
    attachment_maxsize: int
    #: download attached files (PDF, DOC, XLS ...) and hash them into the content
    download_attachments: bool
    #: download images too (stored by SHA-256 like attachments, never hashed into the content)
    download_images: bool = False
    #: skip articles not due for a re-check and stop listings at known pages (``-a depth=full`` overrides)
    incremental: bool = True
    #: at most this many due re-checks of known articles are added to one run
    recheck_max: int = 1000
    #: seconds a crawl's lease on its site outlives its last renewal (archive/lease.py)
    lease_ttl: float = 120.0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ArchiveConfig:
        return cls(
            database_url=database_url(),
            attachment_maxsize=settings.getint("ARCHIVE_ATTACHMENT_MAXSIZE", 50 * 1024 * 1024),
            download_attachments=settings.getbool("ARCHIVE_DOWNLOAD_ATTACHMENTS", True),
            download_images=settings.getbool("ARCHIVE_DOWNLOAD_IMAGES", False),
            incremental=settings.getbool("ARCHIVE_INCREMENTAL", True),
            recheck_max=settings.getint("ARCHIVE_RECHECK_MAX", 1000),
            lease_ttl=settings.getfloat("ARCHIVE_LEASE_TTL", 120.0),
        )
