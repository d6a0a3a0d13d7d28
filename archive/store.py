"""Writing captures into the archive.

Every function here receives a session and never commits: the caller owns the
transaction (``with sessions.begin():``), so one capture is all-or-nothing.
Errors are never swallowed. Rows that two crawls may create at the same moment
(sites, articles, URL aliases, contents, attachments) are inserted with ``INSERT …
ON CONFLICT`` and read back, which works the same on SQLite and PostgreSQL; a
known article is read ``FOR UPDATE``, so writers of one article take turns.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, case, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from archive.capture import ArticleCapture, AttachmentRef, Image, RawPage, SiteInfo
from archive.hashing import HASH_SCHEME, normalised_content_hash, sha256_hex
from archive.ladder import next_check
from archive.models import (
    Article,
    ArticleUrl,
    Attachment,
    Content,
    ContentAttachment,
    CrawlRun,
    Site,
    Snapshot,
    Version,
)
from archive.normalise import normalise_line, normalise_text
from archive.removal import record_present
from archive.search import index_inserted_content


class Outcome(StrEnum):
    NEW_ARTICLE = "new_article"
    NEW_VERSION = "new_version"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class StoreResult:
    outcome: Outcome
    article_id: int
    version_number: int
    content_id: int
    #: the content already existed under another article (a republished story)
    duplicate: bool = False


def now_utc() -> datetime:
    return datetime.now(UTC)


def ensure_site(session: Session, info: SiteInfo) -> Site:
    """The site row for ``info``, created or brought up to date with the spider class."""
    successor_id = (
        session.scalar(select(Site.id).where(Site.name == info.successor_name)) if info.successor_name else None
    )
    now = now_utc()
    values = {
        "display_name": info.display_name,
        "province": info.province,
        "province_after_2025": info.province_after_2025,
        "level": info.level,
        "family": info.family,
        "home_url": info.home_url,
        "status": info.status,
        "successor_url": info.successor_url,
        "successor_site_id": successor_id,
        "domain": info.domain,
        "hosts": list(info.hosts) or None,
        "identity": info.identity,
        "schedule": info.schedule,
    }
    # Two crawls (two machines) may meet a new site at once: insert-or-nothing, then read.
    session.execute(
        _insert(session, Site).values(name=info.name, created_at=now, updated_at=now, **values)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    site = session.scalars(select(Site).where(Site.name == info.name)).one()
    if changed := {k: v for k, v in values.items() if getattr(site, k) != v}:
        for key, value in changed.items():
            setattr(site, key, value)
        site.updated_at = now
    session.flush()
    return site


def record_learned_identity(session: Session, site_id: int, learned: dict[str, Any]) -> None:
    """Keep what a crawl read off the portal (``identity_learned``), with when it learned it."""
    site = session.get_one(Site, site_id)
    site.identity_learned = {**learned, "learned_at": now_utc().isoformat(timespec="seconds")}
    site.updated_at = now_utc()


def start_run(session: Session, spider: str, site_id: int | None, started_at: datetime | None = None) -> CrawlRun:
    run = CrawlRun(spider=spider, site_id=site_id, started_at=started_at or now_utc(), status="running")
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session, run_id: int, *, status: str, reason: str, counts: dict[str, int], stats: dict[str, Any]
) -> None:
    run = session.get_one(CrawlRun, run_id)
    run.finished_at = now_utc()
    run.status = status
    run.finish_reason = reason
    for key, value in counts.items():
        setattr(run, key, value)
    run.stats = stats


def store_capture(session: Session, capture: ArticleCapture, *, site_id: int, run_id: int | None = None) -> StoreResult:
    """Record one observation of an article: a new article, a new version, or only "seen again".

    Observations are merged into the article's timeline by their time, not by
    arrival: a web-archive capture older than the live versions extends the
    version it matches backwards, or becomes a version of its own in time order
    (later versions are renumbered). A live fetch is simply the newest observation.
    """
    seen_at = capture.page.fetched_at if capture.page else now_utc()
    article, created = _article(session, site_id, capture, seen_at)
    # A new article has no versions and no URL aliases yet: no need to ask (a crawl's hot path).
    timeline = [] if created else _timeline(session, article.id)
    _touch_url(session, article.id, capture.url, seen_at, known_article=not created)
    before = next(((v, h) for v, h in reversed(timeline) if v.first_seen_at <= seen_at), None)
    after = next(((v, h) for v, h in timeline if v.first_seen_at > seen_at), None)
    neighbour = before or after
    _resolve_missing_attachments(session, capture, neighbour[0] if neighbour else None)
    fields = _Fields.of(capture)
    article.first_seen_at = min(article.first_seen_at, seen_at)
    article.last_seen_at = max(article.last_seen_at, seen_at)
    if after is None:
        _schedule(article, capture, seen_at)
        if _proves_present(article, capture, seen_at):
            record_present(session, article, seen_at, run_id)

    if before is not None and before[1] == fields.digest:
        before[0].last_seen_at = max(before[0].last_seen_at, seen_at)
        return StoreResult(Outcome.UNCHANGED, article.id, before[0].number, before[0].content_id)
    if after is not None and after[1] == fields.digest:
        after[0].first_seen_at = seen_at
        _earliest_capture(session, after[0], capture.page, run_id)
        return StoreResult(Outcome.UNCHANGED, article.id, after[0].number, after[0].content_id)

    content_id, content_is_new = _content(session, capture, fields, seen_at)
    # New content cannot be shared yet; only a content row that already existed may be a republished story.
    duplicate = not content_is_new and bool(
        session.scalar(
            select(func.count())
            .select_from(Version)
            .where(Version.content_id == content_id, Version.article_id != article.id)
        )
    )
    if after is not None:
        _shift_up(session, [v for v, _ in timeline if v.number >= after[0].number])
    if after is None:
        article.canonical_url = capture.url
    number = after[0].number - 1 if after is not None else len(timeline) + 1
    version: dict[str, Any] = {
        "article_id": article.id,
        "number": number,
        "content_id": content_id,
        "crawl_run_id": run_id,
        "url": capture.url,
        "extraction": capture.extraction,
        "source": capture.page.source if capture.page else "live",
        "first_seen_at": seen_at,
        "last_seen_at": seen_at,
    }
    _add_version(session, version, capture.page, run_id)
    session.flush()
    outcome = Outcome.NEW_ARTICLE if created else Outcome.NEW_VERSION
    return StoreResult(outcome, article.id, number, content_id, duplicate=duplicate)


@dataclass(frozen=True)
class _Fields:
    """A capture's text fields as they are stored, and the content hash they make
    (normalised once: hashing and storing share the work)."""

    title: str
    lead: str
    body_text: str
    author: str
    digest: str

    @classmethod
    def of(cls, capture: ArticleCapture) -> _Fields:
        title, author = normalise_line(capture.title), normalise_line(capture.author)
        lead, body_text = normalise_text(capture.lead), normalise_text(capture.body_text)
        digest = normalised_content_hash(
            title=title,
            lead=lead,
            body_text=body_text,
            author=author,
            published_at=capture.published_at,
            attachment_digests=[a.hash_token() for a in capture.attachments],
        )
        return cls(title, lead, body_text, author, digest)


def _timeline(session: Session, article_id: int) -> list[tuple[Version, str]]:
    """The article's versions in order, each with its content hash (not the whole content row)."""
    rows = session.execute(
        select(Version, Content.content_hash)
        .join(Content, Content.id == Version.content_id)
        .where(Version.article_id == article_id)
        .order_by(Version.number)
    )
    return [(version, digest) for version, digest in rows]


def _earliest_capture(session: Session, version: Version, page: RawPage | None, run_id: int | None) -> None:
    """A backfilled version seen earlier in a web archive takes that capture as its snapshot: the raw
    page that first showed the version is its evidence, and a WARC export then dates the version by its
    first observation, whatever order the backfill fetched captures in. A live version keeps its live
    page (the portal's own answer). The later capture's raw page is dropped: its text is the version's."""
    old = version.snapshot
    if page is None or page.source == "live" or old is None or old.source == "live":
        return
    version.snapshot = _snapshot(session, page, run_id)
    session.delete(old)


def _shift_up(session: Session, versions: list[Version]) -> None:
    """Renumber versions n.. to n+1.., highest first so (article, number) stays unique at every step."""
    for version in sorted(versions, key=lambda v: v.number, reverse=True):
        version.number += 1
        session.flush()


def touch_unchanged(session: Session, site_id: int, source_key: str, seen_at: datetime) -> bool:
    """Record that an article answered "not modified" (HTTP 304): seen again, same
    content. False if the archive does not know the article or holds no version of it."""
    article = session.scalar(
        select(Article).where(Article.site_id == site_id, Article.source_key == source_key).with_for_update()
    )
    latest = session.scalar(_latest_version(article.id)) if article is not None else None
    if article is None or latest is None:
        return False
    latest.last_seen_at = max(latest.last_seen_at, seen_at)
    article.last_seen_at = max(article.last_seen_at, seen_at)
    article.next_check_at = next_check(latest.content.published_at or article.first_seen_at, seen_at)
    return True


def _proves_present(article: Article, capture: ArticleCapture, seen_at: datetime) -> bool:
    """A live fetch clears failed checks; a web-archive capture only when it is newer than
    the first of them (an old capture says nothing about the portal since)."""
    live = capture.page is None or capture.page.source == "live"
    return live or article.missing_since is None or seen_at > article.missing_since


def _schedule(article: Article, capture: ArticleCapture, seen_at: datetime) -> None:
    for key, value in _schedule_values(capture, article.first_seen_at, seen_at).items():
        setattr(article, key, value)


def _schedule_values(capture: ArticleCapture, first_seen_at: datetime, seen_at: datetime) -> dict[str, Any]:
    """When to check the article again, and the validators for a conditional request."""
    values: dict[str, Any] = {"next_check_at": next_check(capture.published_at or first_seen_at, seen_at)}
    # Validators belong to the portal's own answers: an archive's ETag means nothing to the portal.
    if capture.page is not None and capture.page.status == 200 and capture.page.source == "live":
        headers = {k.lower(): v for k, v in capture.page.headers.items()}
        values.update(etag=headers.get("etag"), last_modified=headers.get("last-modified"))
    return values


def _latest_version(article_id: int) -> Select[Any]:  # Select[tuple[Version]] before SQLAlchemy 2.1
    return select(Version).where(Version.article_id == article_id).order_by(Version.number.desc()).limit(1)


def _article(session: Session, site_id: int, capture: ArticleCapture, seen_at: datetime) -> tuple[Article, bool]:
    """The article, and whether this call created it. Race-free: a crawl that inserts the
    same article a moment after another (a backfill beside a live crawl) reads it instead.
    A known article is read FOR UPDATE (PostgreSQL; SQLite's BEGIN IMMEDIATE already locks
    the file): writers of one article take turns, so none loses another's sightings or
    version numbers."""
    # Insert first: a new article is then one round trip, schedule included (the crawl's hot path).
    values = {"site_id": site_id, "source_key": capture.source_key, "canonical_url": capture.url,
              "status": "live", "first_seen_at": seen_at, "last_seen_at": seen_at, "missing_checks": 0,
              **_schedule_values(capture, seen_at, seen_at)}
    statement = (_insert(session, Article).values(**values)
                 .on_conflict_do_nothing(index_elements=["site_id", "source_key"]).returning(Article))
    if (article := session.scalars(statement).first()) is not None:
        return article, True
    existing = (select(Article).where(Article.site_id == site_id, Article.source_key == capture.source_key)
                .with_for_update())
    return session.scalars(existing).one(), False


def _touch_url(session: Session, article_id: int, url: str, seen_at: datetime, *, known_article: bool) -> None:
    """Record that the article answered at ``url``: one upsert, race-free, that keeps the
    earliest first and the latest last sighting (web-archive captures arrive out of order)."""
    statement = _insert(session, ArticleUrl).values(
        article_id=article_id, url=url, first_seen_at=seen_at, last_seen_at=seen_at
    )
    if not known_article:  # a new article has no aliases yet: a plain insert batches with the rest
        session.execute(statement)
        return
    table = ArticleUrl.__table__
    session.execute(statement.on_conflict_do_update(
        index_elements=["article_id", "url"],
        set_={
            "first_seen_at": case((statement.excluded.first_seen_at < table.c.first_seen_at,
                                   statement.excluded.first_seen_at), else_=table.c.first_seen_at),
            "last_seen_at": case((statement.excluded.last_seen_at > table.c.last_seen_at,
                                  statement.excluded.last_seen_at), else_=table.c.last_seen_at),
        },
    ))


def _resolve_missing_attachments(session: Session, capture: ArticleCapture, latest: Version | None) -> None:
    """A failed download is a fetch error, not an edit: reuse the digest the
    same link had in the latest version, so a flaky server adds no version."""
    if latest is None or all(a.sha256 for a in capture.attachments):
        return
    known = {
        link.url: link.attachment.sha256
        for link in latest.content.attachments
        if link.attachment is not None
    }
    for ref in capture.attachments:
        if ref.sha256 is None and ref.url in known:
            ref.sha256 = known[ref.url]


def _insert(session: Session, model: Any) -> Any:
    """The backend's INSERT, which can say ON CONFLICT (both backends speak it)."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


def _insert_ignore(session: Session, model: Any, values: dict[str, Any], key: str) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING: the new row's id, None when the key existed."""
    statement = _insert(session, model).values(**values).on_conflict_do_nothing(index_elements=[key])
    statement = statement.returning(model.id)
    return session.execute(statement).scalar()


def _content(session: Session, capture: ArticleCapture, fields: _Fields, seen_at: datetime) -> tuple[int, bool]:
    """The id of the content row with this hash, and whether this call created it. Inserted
    first (one round trip for new content); read back when the hash is already stored."""
    values = {
        "content_hash": fields.digest,
        "hash_scheme": HASH_SCHEME,
        "title": fields.title,
        "lead": fields.lead,
        "body_text": fields.body_text,
        "body_html": capture.body_html,
        "author": fields.author,
        "published_at": capture.published_at,
        "images": [_image(session, image, seen_at) for image in capture.images],
        "created_at": seen_at,
    }
    content_id = _insert_ignore(session, Content, values, "content_hash")
    if content_id is None:  # stored already (a republished story), or by another crawl a moment ago
        return session.scalars(select(Content.id).where(Content.content_hash == fields.digest)).one(), False
    index_inserted_content(session, content_id, fields.title, fields.lead, fields.body_text)
    for position, ref in enumerate(capture.attachments):
        session.add(
            ContentAttachment(
                content_id=content_id,
                position=position,
                url=ref.url,
                title=normalise_line(ref.title),
                attachment_id=_attachment_id(session, ref, seen_at),
            )
        )
    return content_id, True


def _image(session: Session, image: Image, seen_at: datetime) -> dict[str, Any]:
    """An image as recorded in ``content.images``; downloaded bytes go to the attachment table."""
    recorded: dict[str, Any] = {"url": image.url, "caption": normalise_line(image.caption)}
    if image.sha256 and _attachment_id(session, image, seen_at) is not None:
        recorded["sha256"] = image.sha256
    return recorded


def _attachment_id(session: Session, ref: AttachmentRef | Image, seen_at: datetime) -> int | None:
    if ref.sha256 is None:
        return None
    found = session.scalar(select(Attachment.id).where(Attachment.sha256 == ref.sha256))
    if found is not None or ref.data is None:
        return found
    values = {
        "sha256": ref.sha256,
        "size": len(ref.data),
        "media_type": ref.media_type,
        "data": ref.data,
        "first_url": ref.url,
        "created_at": seen_at,
    }
    _insert_ignore(session, Attachment, values, "sha256")
    return session.scalar(select(Attachment.id).where(Attachment.sha256 == ref.sha256))


def _add_version(session: Session, version: dict[str, Any], page: RawPage | None, run_id: int | None) -> None:
    """Insert the version and the snapshot it was read from. On PostgreSQL that is one
    statement (the snapshot in a data-modifying CTE): every statement is a round trip to
    the server, and a new article's are the crawl's hot path (docs/benchmarks.md)."""
    if page is None:
        session.execute(insert(Version).values(snapshot_id=None, **version))
        return
    snapshot = _snapshot_values(page, run_id)
    if session.get_bind().dialect.name != "postgresql":
        snapshot_id = session.execute(insert(Snapshot).values(**snapshot).returning(Snapshot.id)).scalar_one()
        session.execute(insert(Version).values(snapshot_id=snapshot_id, **version))
        return
    new_snapshot = postgresql.insert(Snapshot).values(**snapshot).returning(Snapshot.id).cte("new_snapshot")
    columns = Version.__table__.c
    row = select(*(literal(value, columns[key].type) for key, value in version.items()), new_snapshot.c.id)
    session.execute(insert(Version).from_select([*version, "snapshot_id"], row).add_cte(new_snapshot))


def _snapshot(session: Session, page: RawPage, run_id: int | None) -> Snapshot:
    snapshot = Snapshot(**_snapshot_values(page, run_id))
    session.add(snapshot)  # flushed with the version that points at it
    return snapshot


def _snapshot_values(page: RawPage, run_id: int | None) -> dict[str, Any]:
    return dict(
        url=page.url,
        fetched_at=page.fetched_at,
        status=page.status,
        headers=page.headers,
        body_sha256=sha256_hex(page.body),
        body_size=len(page.body),
        compression="zlib",
        body=zlib.compress(page.body, 6),
        source=page.source,
        capture_url=page.capture_url,
        replay=page.replay,
        crawl_run_id=run_id,
    )


def snapshot_bytes(snapshot: Snapshot) -> bytes:
    """The raw response body of a snapshot, exactly as received."""
    if snapshot.compression == "zlib":
        return zlib.decompress(snapshot.body)
    if snapshot.compression == "none":
        return snapshot.body
    raise ValueError(f"snapshot {snapshot.id}: unknown compression {snapshot.compression!r}")
