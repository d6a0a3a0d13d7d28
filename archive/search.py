"""Full-text search that understands Vietnamese, on SQLite and PostgreSQL alike.

Readers type without accents (``duc pho`` for "Đức Phổ", ``qd-ubnd`` for
"QĐ-UBND"), and SQLite FTS5's own diacritic removal leaves đ/Đ alone. So the
index holds text *folded* by :func:`index_text` (archive.normalise.fold, then
every run of punctuation and spaces becomes one space), and every query is
folded the same way before it reaches the database:

* SQLite: the FTS5 table ``search_index(title, lead, body)``, rowid = content id;
* PostgreSQL: the folded text in ``search_text(content_id, title, lead, body)``
  and its weighted tsvector (title A, lead B, body C) in
  ``search_index(content_id, document)``, with a GIN index.

Both are made by migration 0004. The store calls :func:`index_content` in the
transaction that creates a content row, so the index never lags the archive.
The query syntax is parsed and compiled for each backend in archive/queries.py.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Connection, Row, bindparam, text
from sqlalchemy.orm import Session

from archive.models import Content, UTCDateTime
from archive.normalise import fold
from archive.queries import (
    WORD,
    SearchQuery,
    SearchQueryError,
    Term,
    adjacency_match,
    parse_query,
    to_fts5,
    to_tsquery,
)

__all__ = [
    "SearchFilters", "SearchHit", "SearchQuery", "SearchQueryError", "Term", "add_to_index",
    "highlight_spans", "index_content", "index_inserted_content", "index_text", "index_values", "parse_query",
    "rebuild_index",
    "search", "snippet", "snippet_for",
]  # fmt: skip
logger = logging.getLogger(__name__)

#: relative weights of title, lead and body in the ranking (bm25 on SQLite, ts_rank on PostgreSQL)
WEIGHTS = (10.0, 4.0, 1.0)
SNIPPET_CHARS = 240


def index_text(value: str) -> str:
    """What the index holds for ``value``: folded words separated by single spaces.

    ``index_text("Quyết định số 02/2019/QĐ-UBND") == "quyet dinh so 02 2019 qd ubnd"``.
    Punctuation is dropped here rather than left to each backend's tokenizer,
    which would disagree (PostgreSQL reads "02/2019/qd-ubnd" as one file name).
    """
    return " ".join(WORD.findall(_fold_fast(value)))


class _FoldTable(dict[int, str]):
    """str.translate table: a character -> its decomposition without marks, đ -> d;
    filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        bare = "".join(ch for ch in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(ch))
        self[code] = bare = bare.replace("đ", "d").replace("ð", "d")
        return bare


_FOLD_TABLE = _FoldTable()


def _fold_fast(value: str) -> str:
    """archive.normalise.fold by one str.translate instead of a Python loop over
    every character: several times faster on an article body. Equal by
    construction (NFD decomposes character by character, and the reordering it
    does only moves marks, which are dropped); the unit tests hold it equal."""
    return unicodedata.normalize("NFC", value.casefold().translate(_FOLD_TABLE))


# ---------------------------------------------------------------- the index


def index_content(session: Session, content: Content) -> None:
    """Add ``content`` to the search index (idempotent: a content row two crawls
    raced to create is indexed once)."""
    values = index_values(content.id, content.title, content.lead, content.body_text)
    if _dialect(session) == "sqlite":
        # FTS5 tables take no ON CONFLICT clause; the rowid lookup is cheap.
        if session.execute(text("SELECT 1 FROM search_index WHERE rowid = :id"), values).first() is None:
            session.execute(text(_SQLITE_INSERT), values)
    else:
        session.execute(text(_PG_INSERT), values)


def index_inserted_content(session: Session, content_id: int, title: str, lead: str, body_text: str) -> None:
    """Index a content row this transaction has just inserted (so it cannot be indexed yet)."""
    add_to_index(session, [index_values(content_id, title, lead, body_text)])


def rebuild_index(session: Session, batch: int = 500) -> int:
    """Index every content row afresh (after the folding rules change); the number indexed."""
    # On PostgreSQL the tsvectors go with their text (ON DELETE CASCADE).
    table = "search_index" if _dialect(session) == "sqlite" else "search_text"
    session.execute(text(f"DELETE FROM {table}"))
    done, last = 0, 0
    select_batch = text(
        "SELECT id, title, lead, body_text FROM content WHERE id > :last ORDER BY id LIMIT :n"
    )
    while rows := session.execute(select_batch, {"last": last, "n": batch}).all():
        add_to_index(session, [index_values(r.id, r.title, r.lead, r.body_text) for r in rows])
        done, last = done + len(rows), rows[-1].id
    logger.info("Search index rebuilt: %d contents", done)
    return done


def add_to_index(db: Session | Connection, rows: Sequence[dict[str, object]]) -> None:
    """Insert rows made by :func:`index_values` in one batch (for content not indexed yet)."""
    sqlite = (db.get_bind() if isinstance(db, Session) else db).dialect.name == "sqlite"
    db.execute(text(_SQLITE_INSERT if sqlite else _PG_INSERT), list(rows))


_SQLITE_INSERT = "INSERT INTO search_index (rowid, title, lead, body) VALUES (:id, :title, :lead, :body)"
# The folded text, then its tsvector (made by the SQL function of migration 0004),
# in one statement; a content already indexed adds neither.
_PG_INSERT = """
    WITH added AS (
        INSERT INTO search_text (content_id, title, lead, body) VALUES (:id, :title, :lead, :body)
        ON CONFLICT (content_id) DO NOTHING RETURNING content_id, title, lead, body)
    INSERT INTO search_index (content_id, document)
    SELECT content_id, archive_search_document(title, lead, body) FROM added
"""


def index_values(content_id: int, title: str, lead: str, body: str) -> dict[str, object]:
    """The index row of a content."""
    return {"id": content_id, "title": index_text(title), "lead": index_text(lead), "body": index_text(body)}


# ---------------------------------------------------------------- searching


@dataclass(frozen=True)
class SearchFilters:
    site_ids: Sequence[int] | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive


@dataclass
class SearchHit:
    article_id: int
    version: int
    content_id: int
    score: float
    site: str = ""
    site_display_name: str = ""
    province: str = ""
    url: str = ""
    title: str = ""
    published_at: datetime | None = None
    snippet: str = ""
    #: (start, end) character offsets of the matched words in ``snippet`` / ``title``
    highlights: list[tuple[int, int]] = field(default_factory=list)
    title_highlights: list[tuple[int, int]] = field(default_factory=list)


# Ranking every match of a common word and joining each to its article costs
# seconds on a large archive, so the best ``:cap`` index rows are taken first
# (the FTS engine sorts them cheaply), then joined and filtered; search() falls
# back to every match when that cannot be shown to give the true first page.
_SQLITE_TOP = f"""
    SELECT rowid AS content_id, -bm25(search_index, {WEIGHTS[0]}, {WEIGHTS[1]}, {WEIGHTS[2]}) AS score
    FROM search_index WHERE search_index MATCH :MATCH ORDER BY score DESC LIMIT :cap
"""
# ts_rank takes weights {D, C, B, A} in [0, 1]; D is unused.
_PG_WEIGHTS = (
    "{" + ", ".join(str(w / WEIGHTS[0]) for w in (WEIGHTS[2], WEIGHTS[2], WEIGHTS[1], WEIGHTS[0])) + "}"
)
_PG_TOP = f"""
    SELECT si.content_id, ts_rank('{_PG_WEIGHTS}', si.document, q.query) AS score
    FROM search_index si, to_tsquery('simple', :MATCH) AS q(query)
    WHERE si.document @@ q.query ORDER BY score DESC LIMIT :cap
"""
_NO_ROWS = "SELECT 0 AS content_id, 0.0 AS score WHERE 1 = 0"
_RANKED = """
    WITH adjacent AS MATERIALIZED ({adjacent}), plain AS MATERIALIZED ({plain}),
    hits AS (
        SELECT content_id, max(adjacent) AS adjacent,
               coalesce(max(CASE WHEN adjacent = 1 THEN score END), max(score)) AS score
        FROM (SELECT content_id, score, 1 AS adjacent FROM adjacent
              UNION ALL SELECT content_id, score, 0 FROM plain) candidates
        GROUP BY content_id
    )
    SELECT a.id AS article_id, v.number AS version, hits.content_id, hits.score, hits.adjacent,
           (SELECT count(*) FROM adjacent) AS adjacent_candidates,
           (SELECT count(*) FROM plain) AS plain_candidates
    FROM hits
    JOIN version v ON v.content_id = hits.content_id
    JOIN article a ON a.id = v.article_id
    JOIN content c ON c.id = hits.content_id
    WHERE v.number = (SELECT max(vm.number) FROM version vm WHERE vm.article_id = a.id) {filters}
    ORDER BY hits.adjacent DESC, hits.score DESC, CASE WHEN c.published_at IS NULL THEN 1 ELSE 0 END,
             c.published_at DESC, a.id
    LIMIT :limit
"""
#: index rows ranked before the join, without filters and with them
CANDIDATES, FILTERED_CANDIDATES = 500, 5000
_DETAILS = """
    SELECT a.id AS article_id, s.name AS site, s.display_name, s.province, a.canonical_url,
           c.id AS content_id, c.title, c.lead, c.body_text, c.published_at
    FROM article a
    JOIN site s ON s.id = a.site_id
    JOIN version v ON v.article_id = a.id
    JOIN content c ON c.id = v.content_id
    WHERE a.id IN :article_ids AND c.id IN :content_ids
"""


def search(
    session: Session,
    raw_query: str,
    filters: SearchFilters | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
) -> list[SearchHit]:
    """The current versions of articles matching ``raw_query``, best first, with snippets."""
    query = parse_query(raw_query)
    filters = filters or SearchFilters()
    hits = _ranked(session, query, filters, limit, offset)
    if hits:
        _fill_details(session, query, hits)
    return hits


def _ranked(
    session: Session, query: SearchQuery, filters: SearchFilters, limit: int, offset: int
) -> list[SearchHit]:
    needed = limit + offset
    filtered = filters.site_ids is not None or filters.since is not None or filters.until is not None
    cap = max(FILTERED_CANDIDATES if filtered else CANDIDATES, 4 * needed)
    rows: Sequence[Row[Any]] = []
    if query.adjacent:
        # Results with the words side by side come first: when they fill the page,
        # the (much longer) list of every match need not be ranked at all.
        rows = _ranked_rows(session, query, filters, needed, cap, plain=False)
        if not (len(rows) >= needed and _complete(rows, needed, cap)):
            rows = []
    if not rows:
        rows = _ranked_rows(session, query, filters, needed, cap)
        if not _complete(rows, needed, cap):
            rows = _ranked_rows(session, query, filters, needed, None)
    return [SearchHit(r.article_id, r.version, r.content_id, float(r.score)) for r in rows[offset:]]


def _complete(rows: Sequence[Row[Any]], needed: int, cap: int) -> bool:
    """Whether the first ``needed`` rows ranked from capped candidates are the true ones:
    a candidate list that was cut off must have supplied enough rows by itself."""
    if not rows:
        return False
    adjacent = sum(1 for r in rows if r.adjacent)
    adjacent_cut, plain_cut = rows[0].adjacent_candidates >= cap, rows[0].plain_candidates >= cap
    return (not adjacent_cut or adjacent >= needed) and (not plain_cut or len(rows) >= needed)


def _ranked_rows(
    session: Session,
    query: SearchQuery,
    filters: SearchFilters,
    needed: int,
    cap: int | None,
    plain: bool = True,
) -> Sequence[Row[Any]]:
    sqlite = _dialect(session) == "sqlite"
    adjacent = adjacency_match(query, "sqlite" if sqlite else "postgresql")
    match = to_fts5(query) if sqlite else to_tsquery(query)
    # LIMIT -1 is no limit in SQLite, LIMIT NULL in PostgreSQL.
    params: dict[str, object] = {"limit": needed, "match": match, "cap": cap if cap or not sqlite else -1}
    top = _SQLITE_TOP if sqlite else _PG_TOP
    if adjacent:
        params["adjacent"] = f"({match}) AND ({adjacent})" if sqlite else f"({match}) & ({adjacent})"
    conditions, binds = _filter_sql(filters, params)
    sql = _RANKED.format(
        adjacent=top.replace(":MATCH", ":adjacent") if adjacent else _NO_ROWS,
        plain=top.replace(":MATCH", ":match") if plain else _NO_ROWS,
        filters="".join(f" AND {c}" for c in conditions),
    )
    return session.execute(text(sql).bindparams(*binds), params).all()


def _filter_sql(
    filters: SearchFilters, params: dict[str, object]
) -> tuple[list[str], list[BindParameter[Any]]]:
    conditions: list[str] = []
    binds: list[BindParameter[Any]] = []
    if filters.site_ids is not None:
        conditions.append("a.site_id IN :site_ids")
        params["site_ids"] = list(filters.site_ids) or [-1]
        binds.append(bindparam("site_ids", expanding=True))
    for name, op in (("since", ">="), ("until", "<")):
        if (value := getattr(filters, name)) is not None:
            conditions.append(f"c.published_at {op} :{name}")
            params[name] = value
            binds.append(bindparam(name, type_=UTCDateTime()))
    return conditions, binds


def _fill_details(session: Session, query: SearchQuery, hits: list[SearchHit]) -> None:
    statement = (
        text(_DETAILS)
        .bindparams(
            bindparam("article_ids", expanding=True),
            bindparam("content_ids", expanding=True),
        )
        .columns(published_at=UTCDateTime())
    )
    rows = session.execute(
        statement,
        {"article_ids": [h.article_id for h in hits], "content_ids": sorted({h.content_id for h in hits})},
    ).all()
    articles = {r.article_id: r for r in rows}
    contents = {r.content_id: r for r in rows}
    for hit in hits:
        article, content = articles[hit.article_id], contents[hit.content_id]
        hit.site, hit.site_display_name, hit.province = article.site, article.display_name, article.province
        hit.url, hit.title, hit.published_at = article.canonical_url, content.title, content.published_at
        hit.title_highlights = highlight_spans(content.title, _shown_terms(content.title, query))
        hit.snippet, hit.highlights = snippet_for(query, content.lead, content.body_text)


def snippet_for(query: SearchQuery, lead: str, body: str) -> tuple[str, list[tuple[int, int]]]:
    """The snippet of an article's lead and body for ``query``, and its highlights."""
    source = _snippet_source(lead, body)
    return snippet(source, _shown_terms(source, query))


def _shown_terms(value: str, query: SearchQuery) -> list[Term]:
    """The words side by side where ``value`` has them ("dân vận", not every "dân"), else each word."""
    adjacent = query.adjacent
    return adjacent if adjacent and highlight_spans(value, adjacent) else query.terms


def _snippet_source(lead: str, body: str) -> str:
    # Liferay and vnPortal repeat the summary as the first paragraph of the body.
    return body if not lead or body.startswith(lead) else f"{lead}\n\n{body}"


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# ---------------------------------------------------------------- snippets

# Highlighting runs regular expressions over the stored text itself, where each
# folded letter stands for every letter that folds to it ("d" for d, D, đ, Đ; "o"
# for ó, ồ, ợ, …), optionally followed by combining marks (text stored as NFD).
_MARKS = "[\u0300-\u036f]*"
_NOT_WORD_BEFORE, _NOT_WORD_AFTER = r"(?<![^\W_])", r"(?![^\W_])"
_LETTER_CLASSES: dict[str, str] = {}


def _letter(ch: str) -> str:
    if not _LETTER_CLASSES:
        groups: dict[str, set[str]] = {}
        for code in [*range(0x30, 0x250), *range(0x1E00, 0x1F00)]:
            folded = fold(chr(code))
            if len(folded) == 1 and folded.isascii() and folded.isalnum():
                groups.setdefault(folded, set()).add(chr(code))
        _LETTER_CLASSES.update({k: "[" + "".join(sorted(v)) + "]" for k, v in groups.items()})
    return _LETTER_CLASSES.get(ch) or re.escape(ch)


@lru_cache(maxsize=1024)
def _term_pattern(term: Term) -> re.Pattern[str]:
    last = len(term.words) - 1
    words = [
        "".join(_letter(ch) + _MARKS for ch in word)
        + (r"(?:[^\W_]|[\u0300-\u036f])*" if term.prefix and i == last else "")
        for i, word in enumerate(term.words)
    ]
    return re.compile(_NOT_WORD_BEFORE + r"[\W_]+".join(words) + ("" if term.prefix else _NOT_WORD_AFTER))


def highlight_spans(value: str, terms: Iterable[Term]) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of ``terms`` in ``value``, in order, not overlapping."""
    # A term typed twice matches the same places twice: each distinct term is searched once.
    spans = sorted(m.span() for term in dict.fromkeys(terms) for m in _term_pattern(term).finditer(value))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        # Overlapping matches, or neighbours with only spaces between: one highlight.
        if merged and (start < merged[-1][1] or not value[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(
    value: str, terms: Sequence[Term], width: int = SNIPPET_CHARS
) -> tuple[str, list[tuple[int, int]]]:
    """About ``width`` characters of ``value`` around the densest cluster of matches,
    one line, with "…" where it was cut, and the highlight spans inside it."""
    spans = highlight_spans(value, terms)
    start = _best_window(value, spans, width)
    end = min(len(value), start + width)
    if start > 0:
        start = _next_word_start(value, start)
    if end < len(value):
        end = max(_previous_word_end(value, end), start)
    inside = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    text_, shifted = _collapse_spaces(value[start:end], inside)
    prefix, suffix = ("… " if start > 0 else ""), (" …" if end < len(value) else "")
    return prefix + text_ + suffix, [(s + len(prefix), e + len(prefix)) for s, e in shifted]


def _best_window(value: str, spans: list[tuple[int, int]], width: int) -> int:
    """Start of the window holding the most matches, a little context before the first."""
    # One pass (spans are sorted and do not overlap, so both window edges only move right):
    # counting every window anew was quadratic, minutes on a long text full of matches.
    best, best_count = 0, 0
    first = last = 0  # spans[first:last] start at or after the window and end inside it
    for s, _ in spans:
        start = max(0, s - width // 4)
        while first < len(spans) and spans[first][0] < start:
            first += 1
        last = max(last, first)
        while last < len(spans) and spans[last][1] <= start + width:
            last += 1
        if last - first > best_count:
            best, best_count = start, last - first
    return best


def _next_word_start(value: str, at: int) -> int:
    while at < len(value) and not value[at - 1].isspace():
        at += 1
    while at < len(value) and value[at].isspace():
        at += 1
    return at


def _previous_word_end(value: str, at: int) -> int:
    while at > 0 and not value[at].isspace():
        at -= 1
    return at


_SPACES = re.compile(r"\s+")


def _collapse_spaces(value: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Every whitespace run (paragraph breaks too) as one space, spans moved with the text.

    ``value`` starts and ends with a word, so every run is inside it."""
    runs = [m.span() for m in _SPACES.finditer(value) if m.end() - m.start() > 1 or m.group() != " "]

    def moved(position: int) -> int:
        return position - sum(
            max(0, min(end, position) - start - 1) for start, end in runs if start < position
        )

    return _SPACES.sub(" ", value), [(moved(s), moved(e)) for s, e in spans]
