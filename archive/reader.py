"""What the reader's pages (``portal-archive browse``) ask of the archive, on SQLite and PostgreSQL.

An article with every version, where each came from, the portals that carried
the same content and its removal events; a portal's months (articles
published, edits and removals); the month each portal of a province last
published. History, text, diffs and search stay in archive/queries.py,
archive/diff.py and archive/search.py; this module adds only what those do not
answer. It only reads, and knows nothing of the web.

Months are Vietnam time, as the portals date their articles: published months
come from the views' ``published_date`` (already in Vietnam time on both
backends), archive-side months (a version first seen, a removal) are bucketed here.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from archive.capture import RawPage
from archive.diff import ICT
from archive.health import RunSummary, SiteStatus, site_statuses
from archive.models import (
    Article,
    ArticleEvent,
    Attachment,
    CrawlRun,
    Site,
    Snapshot,
    UTCDateTime,
    Version,
)
from archive.normalise import fold
from archive.queries import ArticleHistory, history
from archive.store import snapshot_bytes

logger = logging.getLogger(__name__)

#: the 2025 reorganisation: provinces merged and districts abolished from this month (Vietnam time)
MERGER_MONTH = "2025-07"
RECENT_RUNS = 10


def month_of(value: datetime) -> str:
    """``YYYY-MM`` of an instant, in Vietnam time."""
    return value.astimezone(ICT).strftime("%Y-%m")


def month_range(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last``, both included."""
    year, month = map(int, first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# ---------------------------------------------------------------- an article


@dataclass(frozen=True)
class VersionSource:
    """Where a version was read: the portal itself, or a web archive's capture of it."""

    number: int
    source: str  # "live" | "wayback"
    capture_url: str | None
    has_raw_page: bool


@dataclass(frozen=True)
class SharedCopy:
    """Another article (often on another portal) whose version holds the same content."""

    article_id: int
    site: str
    site_display_name: str
    title: str
    first_seen_at: datetime
    seen_order: int
    canonical_url: str


@dataclass(frozen=True)
class RemovalEvent:
    at: datetime
    kind: str  # "gone" | "back"
    reason: str


@dataclass
class ArticleRecord:
    history: ArticleHistory
    province: str
    level: str
    sources: dict[int, VersionSource] = field(default_factory=dict)
    shared: list[SharedCopy] = field(default_factory=list)
    events: list[RemovalEvent] = field(default_factory=list)


def article_record(session: Session, article_id: int) -> ArticleRecord | None:
    """Everything the article page shows beside the texts; None if there is no such article."""
    article = session.get(Article, article_id)
    if article is None:
        return None
    record = ArticleRecord(history(session, article_id), article.site.province, article.site.level)
    rows = session.execute(
        select(Version.number, Version.source, Version.snapshot_id, Snapshot.capture_url)
        .outerjoin(Snapshot, Snapshot.id == Version.snapshot_id)
        .where(Version.article_id == article_id)
    )
    record.sources = {
        r.number: VersionSource(r.number, r.source, r.capture_url, r.snapshot_id is not None) for r in rows
    }
    record.shared = shared_copies(session, article_id)
    events = session.scalars(
        select(ArticleEvent).where(ArticleEvent.article_id == article_id).order_by(ArticleEvent.at)
    )
    record.events = [RemovalEvent(e.at, e.kind, e.reason) for e in events]
    return record


_SHARED = """
    SELECT sca.article_id, sca.site, sca.site_display_name, sca.title, sca.first_seen_at, sca.seen_order,
           sca.canonical_url
    FROM shared_content_articles sca
    WHERE sca.content_id IN (SELECT v.content_id FROM version v WHERE v.article_id = :article_id)
    ORDER BY sca.content_id, sca.seen_order
"""


_SHARES = """
    SELECT count(DISTINCT v.article_id) FROM version v
    WHERE v.content_id IN (SELECT o.content_id FROM version o WHERE o.article_id = :article_id)
"""


def shared_copies(session: Session, article_id: int) -> list[SharedCopy]:
    """Every article that carried a content this article carried (itself included, with its order)."""
    # Most articles share nothing: ask the version index first, the whole-archive view only when needed.
    if (session.scalar(text(_SHARES), {"article_id": article_id}) or 0) < 2:
        return []
    statement = text(_SHARED).columns(first_seen_at=UTCDateTime())
    seen: dict[int, SharedCopy] = {}
    for row in session.execute(statement, {"article_id": article_id}):
        seen.setdefault(row.article_id, SharedCopy(**row._mapping))
    return list(seen.values()) if len(seen) > 1 else []


def raw_page(session: Session, article_id: int, number: int) -> RawPage | None:
    """The page that produced version ``number`` of the article; None if none was kept."""
    snapshot = session.scalar(
        select(Snapshot)
        .join(Version, Version.snapshot_id == Snapshot.id)
        .where(Version.article_id == article_id, Version.number == number)
    )
    if snapshot is None:
        return None
    return RawPage(
        url=snapshot.url,
        status=snapshot.status,
        headers=dict(snapshot.headers or {}),
        body=snapshot_bytes(snapshot),
        fetched_at=snapshot.fetched_at,
        source=snapshot.source,
        capture_url=snapshot.capture_url,
        replay=snapshot.replay,
    )


@dataclass(frozen=True)
class AttachmentFile:
    sha256: str
    media_type: str
    first_url: str
    data: bytes


def attachment_file(session: Session, sha256: str) -> AttachmentFile | None:
    row = session.scalar(select(Attachment).where(Attachment.sha256 == sha256))
    return AttachmentFile(row.sha256, row.media_type, row.first_url, row.data) if row else None


# ---------------------------------------------------------------- portals


@dataclass(frozen=True)
class PortalSummary:
    name: str
    display_name: str
    province: str
    province_after_2025: str | None
    level: str
    status: str
    articles: int
    versions: int
    last_run_at: datetime | None


_SUMMARY = """
    SELECT site AS name, display_name, province, province_after_2025, level, status, articles, versions,
           last_run_at
    FROM site_summary ORDER BY province, level, display_name
"""


def portal_summaries(session: Session) -> list[PortalSummary]:
    statement = text(_SUMMARY).columns(last_run_at=UTCDateTime())
    return [PortalSummary(**row._mapping) for row in session.execute(statement)]


@dataclass(frozen=True)
class MonthCounts:
    """Counts per month: articles published (portal's date), versions first seen
    (edits: versions after the first) and removals (archive's dates)."""

    published: dict[str, int]
    edits: dict[str, int]
    removals: dict[str, int]
    undated: int  # articles without a publication date

    def months(self, *extra: str) -> list[str]:
        """Every month from the first with a count to the last (or the latest of ``extra``)."""
        seen = [m for counts in (self.published, self.edits, self.removals) for m in counts] + list(extra)
        return month_range(min(seen), max(seen)) if seen else []


@dataclass
class PortalRecord:
    site: Site
    successor: Site | None
    summary: PortalSummary
    status: SiteStatus
    runs: list[RunSummary]
    months: MonthCounts
    gone: int


def portal_record(session: Session, name: str) -> PortalRecord | None:
    """What the portal page shows; None if the archive has no such site."""
    site = session.scalar(select(Site).where(Site.name == name))
    if site is None:
        return None
    successor = session.get(Site, site.successor_site_id) if site.successor_site_id else None
    summary = next(s for s in portal_summaries(session) if s.name == name)
    runs = session.scalars(
        select(CrawlRun).where(CrawlRun.site_id == site.id).order_by(CrawlRun.started_at.desc()).limit(RECENT_RUNS)
    )
    gone = session.scalar(select(func.count()).where(Article.site_id == site.id, Article.status == "gone")) or 0
    return PortalRecord(
        site,
        successor,
        summary,
        next(status for status in site_statuses(session, [name]) if status.site == name),
        [RunSummary.of(run) for run in runs],
        month_counts(session, site.id),
        gone,
    )


_PUBLISHED = """
    SELECT s.id AS site_id, substr(ac.published_date, 1, 7) AS month, count(*) AS articles
    FROM article_current ac JOIN site s ON s.name = ac.site
    WHERE s.id IN ({ids})
    GROUP BY s.id, substr(ac.published_date, 1, 7)
"""


def published_per_month(session: Session, site_ids: Iterable[int]) -> dict[int, dict[str | None, int]]:
    """Per site, articles by the month they were published (None: undated), Vietnam time."""
    ids = sorted(set(site_ids))
    out: dict[int, dict[str | None, int]] = {i: {} for i in ids}
    if not ids:
        return out
    for row in session.execute(text(_PUBLISHED.format(ids=", ".join(map(str, ids))))):
        out[row.site_id][row.month] = row.articles
    return out


def month_counts(session: Session, site_id: int) -> MonthCounts:
    published = published_per_month(session, [site_id])[site_id]
    edited = session.scalars(
        select(Version.first_seen_at).join(Article).where(Article.site_id == site_id, Version.number > 1)
    )
    removed = session.scalars(
        select(ArticleEvent.at).join(Article).where(Article.site_id == site_id, ArticleEvent.kind == "gone")
    )
    return MonthCounts(
        {m: n for m, n in published.items() if m},
        dict(Counter(map(month_of, edited))),
        dict(Counter(map(month_of, removed))),
        published.get(None, 0),
    )


# ---------------------------------------------------------------- provinces


def previous_month(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


@dataclass(frozen=True)
class PortalMonths:
    """One portal of a province and its articles per month; ``last`` is the last month it published."""

    site: PortalSummary
    published: dict[str, int]

    @property
    def last(self) -> str | None:
        return max(self.published) if self.published else None

    @property
    def silent(self) -> bool:
        """No article dated in the last whole month before its latest crawl (nor since): a portal
        that publishes at all publishes monthly. Unknown (False) for a portal never crawled."""
        if self.last is None or self.site.last_run_at is None:
            return False
        return self.last < previous_month(month_of(self.site.last_run_at))


def province_names(session: Session) -> list[str]:
    """Every province of the archive, before and after the 2025 merger."""
    rows = session.execute(select(Site.province, Site.province_after_2025)).all()
    return sorted({p for row in rows for p in row if p})


def province_portals(session: Session, province: str) -> list[PortalMonths] | None:
    """The portals of ``province`` (before or after the merger, accents optional), each with its
    months; None if no site is in that province."""
    wanted = fold(province).strip()
    sites = [
        s
        for s in portal_summaries(session)
        if wanted in (fold(s.province), fold(s.province_after_2025 or ""))
    ]
    if not sites:
        return None
    rows = session.execute(select(Site.name, Site.id).where(Site.name.in_([s.name for s in sites])))
    ids = {name: site_id for name, site_id in rows}
    counts = published_per_month(session, ids.values())
    return [PortalMonths(s, {m: n for m, n in counts[ids[s.name]].items() if m}) for s in sites]


# ---------------------------------------------------------------- home


@dataclass(frozen=True)
class RecentArticle:
    article_id: int
    site: str
    site_display_name: str
    title: str
    published_at: datetime | None
    version_count: int
    status: str


_RECENT = """
    SELECT article_id, site, site_display_name, title, published_at, version_count, status
    FROM article_current
    ORDER BY published_at IS NULL, published_at DESC, article_id DESC
    LIMIT :limit
"""


def recent_articles(session: Session, limit: int = 20) -> list[RecentArticle]:
    """The latest articles by publication date (undated ones last on both backends)."""
    statement = text(_RECENT).columns(published_at=UTCDateTime())
    return [RecentArticle(**row._mapping) for row in session.execute(statement, {"limit": limit})]
