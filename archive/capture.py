"""What one fetch of an article page yields, and the site it belongs to: the input to the store.

These are plain dataclasses so that the archive stays independent of Scrapy;
the crawler uses :class:`ArticleCapture` as its item type (Scrapy accepts
dataclass items), and tests or importers can build captures by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class RawPage:
    """The response as received, kept so a version can be re-extracted later."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    source: str = "live"
    #: where a web-archive capture was fetched from (``<replay>/<timestamp>id_/<url>``);
    #: ``fetched_at`` is then the capture time, ``url`` the original URL
    capture_url: str | None = None
    #: the web archive's side of a capture (where it was asked, the archive's own headers); the
    #: ``headers`` above are then the portal's own (crawler/wayback_replay.py)
    replay: dict[str, Any] | None = None


@dataclass
class Image:
    """An image in the article. Its bytes are downloaded only with ARCHIVE_DOWNLOAD_IMAGES
    (off by default); they are stored like attachments but never enter the content hash."""

    url: str
    caption: str = ""
    sha256: str | None = None
    size: int | None = None
    media_type: str = ""
    data: bytes | None = field(default=None, repr=False)
    error: str | None = None


@dataclass
class AttachmentRef:
    """A file linked from the article. ``sha256``/``data`` are filled by the
    attachment download; ``error`` says why they are missing."""

    url: str
    title: str = ""
    sha256: str | None = None
    size: int | None = None
    media_type: str = ""
    data: bytes | None = field(default=None, repr=False)
    error: str | None = None

    def hash_token(self) -> str:
        """What this attachment contributes to the content hash."""
        return self.sha256 or f"missing:{self.url}"


@dataclass
class ArticleCapture:
    site: str
    url: str
    source_key: str
    title: str
    published_at: datetime | None
    author: str = ""
    lead: str = ""
    body_text: str = ""
    body_html: str = ""
    images: list[Image] = field(default_factory=list)
    attachments: list[AttachmentRef] = field(default_factory=list)
    extraction: str = "family"
    page: RawPage | None = field(default=None, repr=False)

    def public_fields(self) -> dict[str, Any]:
        """The extracted fields, without raw bytes: what golden tests compare."""
        return {
            "site": self.site,
            "url": self.url,
            "source_key": self.source_key,
            "title": self.title,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "author": self.author,
            "lead": self.lead,
            "body_text": self.body_text,
            "images": [{"url": i.url, "caption": i.caption} for i in self.images],
            "attachments": [{"url": a.url, "title": a.title} for a in self.attachments],
            "extraction": self.extraction,
        }


@dataclass(frozen=True)
class SiteInfo:
    """Registry facts about a portal, declared on its spider class."""

    name: str
    display_name: str
    province: str
    level: str
    family: str
    home_url: str
    province_after_2025: str | None = None
    status: str = "active"
    successor_url: str | None = None
    successor_name: str | None = None
    domain: str | None = None
    hosts: tuple[str, ...] = ()
    #: identity parameters and their marks, ``{"sid": [4, "[E] …"]}`` (docs/registry.md)
    identity: dict[str, Any] | None = None
    schedule: str | None = None
