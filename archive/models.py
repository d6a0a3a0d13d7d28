"""The archive's tables. Why they are shaped this way: docs/archive-model.md.

site ─< article ─< version >─ content ─< content_attachment >─ attachment
            └─< article_url        └── snapshot (raw page that produced the version)
crawl_run: one row per crawl; versions and snapshots point at the run that made them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SITE_LEVELS = ("province", "district", "commune", "agency", "newspaper", "other")
SITE_STATUSES = ("active", "retired", "redirected")
ARTICLE_STATUSES = ("live", "gone")
ARTICLE_EVENTS = ("gone", "back")
RUN_STATUSES = ("running", "finished", "failed", "interrupted", "timed_out")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so the value is
    stored as naive UTC text ('2024-01-17 01:46:00.000000'), which also sorts
    and compares correctly in plain SQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the archive; attach a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint(f"level IN ({_in(SITE_LEVELS)})", name="level"),
        CheckConstraint(f"status IN ({_in(SITE_STATUSES)})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(300))
    province: Mapped[str] = mapped_column(String(100))
    province_after_2025: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    family: Mapped[str] = mapped_column(String(32))
    home_url: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="active")
    successor_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    successor_url: Mapped[str | None] = mapped_column(String(500))
    #: the registry's facts the spider runs on (docs/registry.md): its domain and hosts, its
    #: identity parameters with their marks ({"sid": [4, "[E] …"]}), its schedule
    domain: Mapped[str | None] = mapped_column(String(100))
    hosts: Mapped[list[Any] | None]
    identity: Mapped[dict[str, Any] | None]
    schedule: Mapped[str | None] = mapped_column(String(64))
    #: what a crawl read off the portal for an identity the registry does not prove:
    #: {"sid": 1306, "sname": "…", "source": <page or CDX query>, "learned_at": <ISO time>}
    identity_learned: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Article(Base):
    __tablename__ = "article"
    __table_args__ = (
        UniqueConstraint("site_id", "source_key"),
        CheckConstraint(f"status IN ({_in(ARTICLE_STATUSES)})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    source_key: Mapped[str] = mapped_column(String(300))
    canonical_url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="live")
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    #: when the incremental crawl should fetch this article again (archive/ladder.py)
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    #: validators from the last 200 response, for conditional requests
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    #: failed checks (404, soft 404, redirect home) since the article was last seen: archive/removal.py
    missing_since: Mapped[datetime | None]
    missing_checks: Mapped[int] = mapped_column(default=0)

    site: Mapped[Site] = relationship()
    versions: Mapped[list[Version]] = relationship(back_populates="article", order_by="Version.number")


class ArticleEvent(Base):
    """A change of an article's status (live → gone, gone → live), with its reason."""

    __tablename__ = "article_event"
    __table_args__ = (CheckConstraint(f"kind IN ({_in(ARTICLE_EVENTS)})", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"))


class ArticleUrl(Base):
    """Every URL an article was seen under. The same URL may later belong to
    another article (old district host names now serve new communes), so the
    URL alone is not unique."""

    __tablename__ = "article_url"
    __table_args__ = (UniqueConstraint("article_id", "url"), Index("ix_article_url_url", "url"))

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    url: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class Content(Base):
    """What a reader calls the article, stored once per content hash."""

    __tablename__ = "content"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash_scheme: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text)
    lead: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(300), default="")
    published_at: Mapped[datetime | None]
    images: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]

    attachments: Mapped[list[ContentAttachment]] = relationship(order_by="ContentAttachment.position")


class Attachment(Base):
    """An attached file's bytes, kept exactly as downloaded (TCVN3/VNI files included)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    first_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ContentAttachment(Base):
    """An attachment link inside a content: where it pointed, and what it held
    (``attachment_id`` is null when the file could not be downloaded)."""

    __tablename__ = "content_attachment"

    content_id: Mapped[int] = mapped_column(ForeignKey("content.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"), index=True)

    attachment: Mapped[Attachment | None] = relationship()


class Snapshot(Base):
    """The raw response that produced a version, zlib-compressed, so any version
    can be re-extracted later with better parsers."""

    __tablename__ = "snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime]
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body_sha256: Mapped[str] = mapped_column(String(64), index=True)
    body_size: Mapped[int] = mapped_column(BigInteger)
    compression: Mapped[str] = mapped_column(String(8), default="zlib")
    body: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(16), default="live")
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"), index=True)
    # Where a web-archive capture was replayed from (None for live fetches).
    capture_url: Mapped[str | None] = mapped_column(Text, index=True)
    # The archive's side of a replayed capture, kept apart from the portal's ``headers``:
    # {"asked": the listed capture URL, "status": …, "headers": the archive's own headers}.
    replay: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)


class Version(Base):
    __tablename__ = "version"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id"))
    number: Mapped[int] = mapped_column(Integer)
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id"), index=True)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshot.id"), index=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    extraction: Mapped[str] = mapped_column(String(16), default="family")
    source: Mapped[str] = mapped_column(String(16), default="live")
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    article: Mapped[Article] = relationship(back_populates="versions")
    content: Mapped[Content] = relationship()
    snapshot: Mapped[Snapshot | None] = relationship()


class CrawlRun(Base):
    __tablename__ = "crawl_run"
    __table_args__ = (CheckConstraint(f"status IN ({_in(RUN_STATUSES)})", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spider: Mapped[str] = mapped_column(String(64), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    pages: Mapped[int] = mapped_column(default=0)
    new_articles: Mapped[int] = mapped_column(default=0)
    new_versions: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    fallbacks: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    log_path: Mapped[str | None] = mapped_column(Text)


class CrawlLease(Base):
    """Who crawls a site right now: at most one row per site, held while its crawl runs
    (crawler/lease.py, docs/scale-out.md). Times are seconds since the epoch on the
    database's own clock, so crawlers on machines whose clocks differ agree on expiry."""

    __tablename__ = "crawl_lease"

    site: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: a random token of the holding process: only it may renew or release the lease
    token: Mapped[str] = mapped_column(String(32))
    #: the holder as a person reads it: pid, host, Scrapyd job
    holder: Mapped[str] = mapped_column(String(300))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    #: the run the holder opened (set once the spider opens); settled if the lease expires
    run_id: Mapped[int | None]
    acquired_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
