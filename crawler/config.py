"""The ARCHIVE_* settings, read once and turned into a typed object."""

from __future__ import annotations

from dataclasses import dataclass

from scrapy.settings import BaseSettings

from archive.db import database_url


@dataclass(frozen=True)
class ArchiveConfig:
    #: SQLAlchemy URL of the archive; default: DATABASE_URL, else data/archive.sqlite3
    database_url: str
    #: attachments larger than this are recorded as links without bytes
    attachment_maxsize: int
    #: download attached files (PDF, DOC, XLS ...) and hash them into the content
    download_attachments: bool

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ArchiveConfig:
        return cls(
            database_url=settings.get("ARCHIVE_DATABASE_URL") or database_url(),
            attachment_maxsize=settings.getint("ARCHIVE_ATTACHMENT_MAXSIZE", 50 * 1024 * 1024),
            download_attachments=settings.getbool("ARCHIVE_DOWNLOAD_ATTACHMENTS", True),
        )
