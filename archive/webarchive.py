"""What the archive knows of web-archive captures, and its raw pages read back for export.

A backfill from a Wayback-compatible archive (crawler/wayback.py) asks two things
before fetching a capture: was this capture URL stored already, and does an
observation of the article already cover the capture's time (a capture whose
content matched a stored version added no snapshot, only moved the version's
first/last seen times). Both answers come from here, read once per crawl.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Article, Attachment, ContentAttachment, Site, Snapshot, Version
from archive.store import snapshot_bytes

#: snapshots read from the database per round trip while exporting
EXPORT_BATCH = 100


@dataclass(frozen=True)
class Span:
    """A version's first and last observation."""

    first: datetime
    last: datetime

    def covers(self, at: datetime) -> bool:
        return self.first <= at <= self.last


@dataclass
class CaptureLedger:
    """One site's web-archive captures already recorded, directly or through a version's span."""

    capture_urls: set[str]
    spans: dict[str, list[Span]]

    def recorded(self, capture_url: str, source_key: str | None, at: datetime) -> bool:
        if capture_url in self.capture_urls:
            return True
        return source_key is not None and any(span.covers(at) for span in self.spans.get(source_key, ()))


def capture_ledger(session: Session, site_name: str) -> CaptureLedger:
    site = Site.name == site_name
    captures = session.execute(
        select(Snapshot.capture_url, Snapshot.replay)
        .join(Version, Version.snapshot_id == Snapshot.id)
        .join(Article, Article.id == Version.article_id)
        .join(Site, Site.id == Article.site_id)
        .where(site, Snapshot.capture_url.is_not(None))
    )
    # A capture the archive served for another listed one (its nearest) is recorded under both URLs.
    urls = {url for capture_url, replay in captures for url in (capture_url, (replay or {}).get("asked")) if url}
    spans: dict[str, list[Span]] = defaultdict(list)
    rows = session.execute(
        select(Article.source_key, Version.first_seen_at, Version.last_seen_at)
        .join(Version, Version.article_id == Article.id)
        .join(Site, Site.id == Article.site_id)
        .where(site)
    )
    for key, first, last in rows:
        spans[key].append(Span(first, last))
    return CaptureLedger(urls, dict(spans))


@dataclass(frozen=True)
class StoredFile:
    """A file (attachment) an article page linked, as the archive keeps it."""

    url: str
    media_type: str
    sha256: str
    data: bytes


@dataclass(frozen=True)
class StoredPage:
    """A raw page as the archive keeps it, ready to be written out."""

    site: str
    url: str
    fetched_at: datetime
    status: int
    headers: dict[str, str]
    body: bytes
    source: str
    capture_url: str | None
    snapshot_id: int
    #: files the page's version links, each (URL, bytes) only with the first page that links it
    files: tuple[StoredFile, ...] = ()


def stored_pages(session: Session, site: str | None = None) -> Iterator[StoredPage]:
    """Every snapshot (of one site, or all), oldest first, read in batches: the archive's
    raw pages can be far larger than memory."""
    query = (
        select(Snapshot, Site.name)
        .join(Version, Version.snapshot_id == Snapshot.id)
        .join(Article, Article.id == Version.article_id)
        .join(Site, Site.id == Article.site_id)
        .order_by(Snapshot.fetched_at, Snapshot.id)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    if site is not None:
        query = query.where(Site.name == site)
    exported: set[tuple[str, str]] = set()
    for snapshot, site_name in session.execute(query):
        yield StoredPage(
            site=site_name,
            url=snapshot.url,
            fetched_at=snapshot.fetched_at,
            status=snapshot.status,
            headers=dict(snapshot.headers or {}),
            body=snapshot_bytes(snapshot),
            source=snapshot.source,
            capture_url=snapshot.capture_url,
            snapshot_id=snapshot.id,
            files=_new_files(session, snapshot.id, exported),
        )
        session.expunge(snapshot)  # batches must not pile up in the identity map


def _new_files(session: Session, snapshot_id: int, exported: set[tuple[str, str]]) -> tuple[StoredFile, ...]:
    """The files the snapshot's version links and no earlier page did: a file shared by many versions
    is written once, with the first page (a replay finds it there, as the nearest capture)."""
    rows = session.execute(
        select(ContentAttachment.url, Attachment.id, Attachment.sha256, Attachment.media_type)
        .join(Version, Version.content_id == ContentAttachment.content_id)
        .join(Attachment, Attachment.id == ContentAttachment.attachment_id)
        .where(Version.snapshot_id == snapshot_id)
        .order_by(ContentAttachment.position)
    ).all()
    files = []
    for url, attachment_id, sha256, media_type in rows:
        if (url, sha256) in exported:
            continue
        exported.add((url, sha256))
        data = session.scalar(select(Attachment.data).where(Attachment.id == attachment_id))
        files.append(StoredFile(url, media_type, sha256, data or b""))
    return tuple(files)
