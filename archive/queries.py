"""Reading the archive: search queries, finding an article, its history, its versions, export.

Search queries are what a reader types (``dân vận "dân vận khéo" qd-ubnd covid*
lũ OR bão -"hội nghị"``), parsed once and compiled to FTS5 for SQLite and to
tsquery for PostgreSQL; archive/search.py runs them.

Everything here only reads. :func:`reader_engine` (archive/db.py) opens the
archive for that: on SQLite without the ``BEGIN IMMEDIATE`` write lock the
crawler's engine takes, and without any write at all, so a long export or search
never holds up a crawl writing the same file, and a read-only archive reads.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session, selectinload

from archive.db import reader_engine as reader_engine  # re-exported: readers open the archive here
from archive.diff import ICT, AttachmentText, VersionText
from archive.models import Article, ArticleUrl, ContentAttachment, Site, UTCDateTime, Version
from archive.normalise import fold

logger = logging.getLogger(__name__)

#: a word of the search index: what archive.search.index_text keeps of folded text
WORD = re.compile(r"[^\W_]+")
# A quoted phrase (closing quote optional), or a bare word; either may carry a
# leading "-" (exclude) and a trailing "*" (prefix).
_QUERY_TOKEN = re.compile(r'(-?)"([^"]*)"?(\*?)|(\S+)')
_WHEN = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
_TIMESTAMPS = ("published_at", "first_seen_at", "last_seen_at", "version_seen_at")
#: the largest id or version number the archive holds: its columns are INTEGER, 32-bit on PostgreSQL
MAX_ID = 2**31 - 1


# ---------------------------------------------------------------- search queries


class SearchQueryError(ValueError):
    """The query holds nothing to search for."""


@dataclass(frozen=True)
class Term:
    """One word or phrase of a query, folded; ``prefix`` applies to the last word."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """Every clause must match (a clause matches when one of its terms does); no excluded term may."""

    clauses: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()

    @property
    def terms(self) -> list[Term]:
        """The terms a result is highlighted for."""
        return [term for clause in self.clauses for term in clause]

    @property
    def adjacent(self) -> list[Term]:
        """Runs of plain words as phrases: ``dan van 2021`` -> "dan van 2021".

        A Vietnamese word is written as several syllables ("dân vận" is one
        word), and the syllables alone are everywhere ("nhân dân", "vận động"),
        so results holding the words side by side are ranked first."""
        runs: list[list[Term]] = [[]]
        for clause in self.clauses:
            if len(clause) == 1 and not clause[0].prefix:
                runs[-1].append(clause[0])
            elif runs[-1]:
                runs.append([])
        return [Term(tuple(w for t in run for w in t.words)) for run in runs if len(run) > 1]


def parse_query(raw: str) -> SearchQuery:
    """``dân vận "dân vận khéo" qd-ubnd covid* a OR b -ubnd`` -> a :class:`SearchQuery`.

    A bare word that folds to several words (``qd-ubnd``, ``02/2019``) is a phrase.
    """
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for match in _QUERY_TOKEN.finditer(raw):
        neg, phrase, star, bare = match.groups()
        if bare == "OR":
            join_next = bool(clauses)
            continue
        if bare is not None:
            neg, star = (
                ("-" if bare.startswith("-") and len(bare) > 1 else ""),
                ("*" if bare.endswith("*") else ""),
            )
            phrase = bare[len(neg) : len(bare) - len(star)]
        words = tuple(WORD.findall(fold(phrase)))
        if not words:
            continue
        term = Term(words, prefix=bool(star))
        if neg:
            excluded.append(term)
        elif join_next:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        join_next = False
    if not clauses:
        raise SearchQueryError(
            f"nothing to search for in {raw!r}: give at least one word that is not excluded"
        )
    return SearchQuery(tuple(tuple(c) for c in clauses), tuple(excluded))


def to_fts5(query: SearchQuery) -> str:
    """The FTS5 MATCH expression for ``query`` (words are [^\\W_]+, so quoting is safe)."""
    expression = " AND ".join("(" + " OR ".join(map(_fts5_term, clause)) + ")" for clause in query.clauses)
    if query.excluded:
        expression = f"({expression}) NOT (" + " OR ".join(map(_fts5_term, query.excluded)) + ")"
    return expression


def to_tsquery(query: SearchQuery) -> str:
    """The ``to_tsquery('simple', …)`` text for ``query``.

    A phrase is matched inside one of title (A), lead (B) or body (C), as FTS5
    does: concatenated tsvectors would let a phrase run from the title into the lead.
    """
    expression = " & ".join("(" + " | ".join(map(_ts_term, clause)) + ")" for clause in query.clauses)
    for term in query.excluded:
        expression += f" & !{_ts_term(term)}"
    return expression


def adjacency_match(query: SearchQuery, dialect: str) -> str | None:
    """The match expression of :attr:`SearchQuery.adjacent` (None when there is no run)."""
    runs = query.adjacent
    if not runs:
        return None
    return " OR ".join(map(_fts5_term, runs)) if dialect == "sqlite" else " | ".join(map(_ts_term, runs))


def _fts5_term(t: Term) -> str:
    return '"' + " ".join(t.words) + '"' + (" *" if t.prefix else "")


def _ts_term(t: Term) -> str:
    if len(t.words) == 1:
        return _ts_lexeme(t.words[0], "", t.prefix)
    last = len(t.words) - 1
    phrases = [
        " <-> ".join(_ts_lexeme(w, weight, t.prefix and i == last) for i, w in enumerate(t.words))
        for weight in "ABC"
    ]
    return "(" + " | ".join(f"({p})" for p in phrases) + ")"


def _ts_lexeme(word: str, weight: str, prefix: bool) -> str:
    label = ("*" if prefix else "") + weight
    return f"'{word}'" + (f":{label}" if label else "")


# ---------------------------------------------------------------- filters


def parse_when(value: str, *, end: bool = False) -> datetime:
    """``2021``, ``2021-07`` or ``2021-07-08`` in Vietnam time, as the start of that
    period, or with ``end`` the start of the next one (an exclusive bound)."""
    match = _WHEN.fullmatch(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a date; use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    start = datetime(year, month, day, tzinfo=ICT)
    if not end:
        return start
    if match[3]:
        return start + timedelta(days=1)
    if match[2]:
        return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=ICT)
    return datetime(year + 1, 1, 1, tzinfo=ICT)


def site_ids(
    session: Session, sites: Sequence[str] = (), province: str | None = None, level: str | None = None
) -> list[int] | None:
    """Ids of the sites named, of the province (before or after the 2025 merger,
    accents optional), of the level (``district``…), or None for every site."""
    if not sites and not province and not level:
        return None
    rows = session.execute(select(Site.id, Site.name, Site.province, Site.province_after_2025, Site.level)).all()
    unknown = sorted(set(sites) - {r.name for r in rows})
    if unknown:
        known = ", ".join(sorted(r.name for r in rows)) or "none yet"
        raise LookupError(f"unknown site(s) {', '.join(unknown)}; the archive has: {known}")
    chosen = [r for r in rows if not sites or r.name in sites]
    if province:
        wanted = fold(province).strip()
        chosen = [r for r in chosen if wanted in (fold(r.province), fold(r.province_after_2025 or ""))]
        if not chosen:
            provinces = sorted(
                {r.province for r in rows} | {r.province_after_2025 for r in rows if r.province_after_2025}
            )
            raise LookupError(f"no site in province {province!r}; the archive has: {', '.join(provinces)}")
    if level:
        chosen = [r for r in chosen if r.level == level]
    return [r.id for r in chosen]


# ---------------------------------------------------------------- articles


def resolve_article(session: Session, ref: str) -> list[int]:
    """Article ids for an id or any URL an article was seen under.

    A URL may name several articles over time (old district host names now
    serve new communes), so this is a list.
    """
    ref = ref.strip()
    if ref.isdecimal() and ref.isascii():
        # Beyond MAX_ID no article can exist, and the number would not fit the column.
        number = int(ref) if len(ref) <= 12 else MAX_ID + 1
        return [number] if number <= MAX_ID and session.get(Article, number) is not None else []
    candidates = _url_variants(ref)
    by_alias = select(ArticleUrl.article_id).where(ArticleUrl.url.in_(candidates))
    by_canonical = select(Article.id).where(Article.canonical_url.in_(candidates))
    return sorted(set(session.scalars(by_alias)) | set(session.scalars(by_canonical)))


def _url_variants(url: str) -> list[str]:
    """The URL as typed, with and without scheme, "www." and a trailing slash."""
    bare = re.sub(r"^[a-z]+://", "", url, flags=re.I)
    hosts = {bare, bare[4:] if bare.startswith("www.") else f"www.{bare}"}
    variants = {f"{scheme}://{h}" for scheme in ("https", "http") for h in hosts} | {url}
    return sorted(
        variants | {v.rstrip("/") for v in variants} | {v + "/" for v in variants if not v.endswith("/")}
    )


@dataclass
class HistoryEntry:
    version: int
    first_seen_at: datetime
    last_seen_at: datetime
    published_at: datetime | None
    title: str
    body_chars: int
    attachments: int
    extraction: str
    url: str
    changes: str | None  # what changed from the previous version; None for version 1


@dataclass
class ArticleHistory:
    article_id: int
    site: str
    site_display_name: str
    status: str
    canonical_url: str
    urls: list[str]
    versions: list[HistoryEntry] = field(default_factory=list)


_HISTORY = """
    SELECT h.version, h.first_seen_at, h.last_seen_at, h.published_at, h.title, h.body_chars, h.attachments,
           h.extraction, h.url, ch.changes
    FROM version_history h
    LEFT JOIN article_changes ch ON ch.article_id = h.article_id AND ch.to_version = h.version
    WHERE h.article_id = :article_id
    ORDER BY h.version
"""


def history(session: Session, article_id: int) -> ArticleHistory:
    article = session.get_one(Article, article_id)
    urls = session.scalars(
        select(ArticleUrl.url).where(ArticleUrl.article_id == article_id).order_by(ArticleUrl.first_seen_at)
    ).all()
    result = ArticleHistory(
        article_id,
        article.site.name,
        article.site.display_name,
        article.status,
        article.canonical_url,
        list(urls),
    )
    statement = text(_HISTORY).columns(**{name: UTCDateTime() for name in _TIMESTAMPS[:3]})
    for row in session.execute(statement, {"article_id": article_id}):
        result.versions.append(HistoryEntry(**row._mapping))
    return result


def version_text(session: Session, article_id: int, number: int) -> VersionText:
    """What a reader read in version ``number`` of the article (LookupError if there is none)."""
    version = session.scalar(
        select(Version)
        .where(Version.article_id == article_id, Version.number == number)
        .options(selectinload(Version.content))
    )
    if version is None:
        raise LookupError(f"article {article_id} has no version {number}")
    content = version.content
    links = session.scalars(
        select(ContentAttachment)
        .where(ContentAttachment.content_id == content.id)
        .order_by(ContentAttachment.position)
        .options(selectinload(ContentAttachment.attachment))
    )
    attachments = tuple(
        AttachmentText(link.url, link.title, link.attachment.sha256 if link.attachment else None)
        for link in links
    )
    return VersionText(
        number=number,
        title=content.title,
        lead=content.lead,
        body_text=content.body_text,
        author=content.author,
        published_at=content.published_at,
        attachments=attachments,
        seen_at=version.first_seen_at,
    )


def latest_version(session: Session, article_id: int) -> int:
    return (
        session.scalar(
            select(Version.number)
            .where(Version.article_id == article_id)
            .order_by(Version.number.desc())
            .limit(1)
        )
        or 0
    )


# ---------------------------------------------------------------- export

EXPORT_COLUMNS = (
    "article_id",
    "site",
    "site_display_name",
    "province",
    "province_after_2025",
    "level",
    "source_key",
    "canonical_url",
    "status",
    "version",
    "version_count",
    "title",
    "author",
    "published_at",
    "published_date",
    "lead",
    "body_text",
    "attachments",
    "content_hash",
    "extraction",
    "first_seen_at",
    "last_seen_at",
    "version_seen_at",
)


def export_rows(
    connection: Connection, site: str | None = None, batch: int = 500
) -> Iterator[dict[str, Any]]:
    """The current version of every article (of ``site``), streamed in article order."""
    where = "WHERE site = :site" if site else ""
    query = text(f"SELECT {', '.join(EXPORT_COLUMNS)} FROM article_current {where} ORDER BY article_id")
    statement = query.columns(**{name: UTCDateTime() for name in _TIMESTAMPS})
    result = connection.execution_options(yield_per=batch).execute(statement, {"site": site})
    for row in result:
        yield dict(row._mapping)
