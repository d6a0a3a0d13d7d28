"""``portal-archive browse``: the reader's pages, and on SQLite the archive in Datasette, on one port.

The reader's pages (crawler/reader/) serve SQLite and PostgreSQL alike at ``/``;
on SQLite, Datasette answers under ``/datasette/`` in the same app, its article
ids and site names linking to the reader's pages and its menu back to them.

Datasette shows every table and view, runs SQL in the browser and answers
the same queries as JSON (append ``.json``). This module gives it what it
cannot know: canned queries for the usual questions, the search index behind
the search box of ``article_current``, and three SQL functions so search
understands Vietnamese without accents:

* ``archive_match(q)``: the FTS5 expression for a search as typed
  (``Đức Phổ``, ``qd-ubnd``, ``"dân vận khéo"``), see archive/search.py;
* ``archive_snippet(q, lead, body)``: a snippet with the matches in ``**…**``;
* ``archive_fold(text)``: ``fold`` for LIKE queries on ``article_search.folded_text``.

Datasette's own ``escape_fts`` (what the search box sends) is replaced by
``archive_match`` for the same reason. Datasette reads SQLite only.
"""

from __future__ import annotations

import functools
import logging
import socket
import sqlite3
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from markupsafe import Markup, escape
from sqlalchemy import Engine

from archive.db import ArchiveDatabaseError, database_url, parse_url
from archive.normalise import fold
from archive.queries import (
    SearchQuery,
    SearchQueryError,
    adjacency_match,
    parse_query,
    reader_engine,
    to_fts5,
)
from archive.search import WEIGHTS, snippet_for
from crawler import querytime

logger = logging.getLogger(__name__)

_SNIPPET_SOURCE_MAX = 200_000
# FTS5 reads an empty phrase as "nothing matches": what an empty search box should give.
_MATCH_NOTHING = '""'
# As archive.search ranks: the words side by side first, then bm25.
_HITS = f"""SELECT rowid AS content_id, -bm25(search_index, {", ".join(map(str, WEIGHTS))}) AS score,
        rowid IN (SELECT rowid FROM search_index WHERE search_index MATCH archive_adjacent(:q)) AS adjacent
      FROM search_index WHERE search_index MATCH archive_match(:q)"""

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "search": {
        "title": "Search (accents optional)",
        "description": 'Words, "a phrase", prefix*, a OR b, -excluded. duc pho finds Đức Phổ; '
        "leave site empty for every site.",
        "sql": f"""SELECT a.article_id, a.site, a.published_date, a.title,
       archive_snippet(:q, a.lead, a.body_text) AS snippet, a.canonical_url, hits.score
FROM ({_HITS}) hits
JOIN article_current a ON a.content_id = hits.content_id
WHERE (:site = '' OR a.site = :site)
ORDER BY hits.adjacent DESC, hits.score DESC, a.published_at DESC
LIMIT 50""",
    },
    "history": {
        "title": "Versions of an article (id or any URL it was seen under)",
        "sql": """SELECT h.version, h.first_seen_at, h.last_seen_at, h.published_at, h.title, h.body_chars,
       h.attachments, ch.changes
FROM version_history h
LEFT JOIN article_changes ch ON ch.article_id = h.article_id AND ch.to_version = h.version
WHERE h.article_id = CAST(:article AS INTEGER)
   OR h.article_id IN (SELECT article_id FROM article_url WHERE url = :article)
ORDER BY h.article_id, h.version""",
    },
    "edited_late": {
        "title": "Articles edited more than N days after publication",
        "sql": """SELECT article_id, site, new_title AS title, to_version, changed_at, days_after_publication,
       changes
FROM article_changes
WHERE days_after_publication > CAST(:days AS REAL)
ORDER BY days_after_publication DESC""",
    },
    "same_story": {
        "title": "The same story on several portals, first publisher first",
        "sql": """SELECT content_id, seen_order, site, article_id, title, first_seen_at, canonical_url
FROM shared_content_articles
ORDER BY content_id, seen_order""",
    },
    "gone": {
        "title": "Articles gone from their portal",
        "sql": "SELECT * FROM gone_articles ORDER BY site, published_at",
    },
    "crawl_health": {
        "title": "Per-site crawl health",
        "sql": """SELECT site, last_run_status, last_run_at, last_finish_reason, last_run_errors,
       hours_since_success, runs, failed_runs, articles, gone_articles
FROM crawl_health
ORDER BY last_run_status <> 'finished' DESC, hours_since_success DESC""",
    },
}


def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for the archive opened under the name ``database``."""
    return {
        "title": "portal-archive",
        "description": "Vietnamese provincial and district government portals, every version. "
        "Views and columns: docs/queries.md.",
        "databases": {
            database: {
                "tables": {
                    "article_current": {
                        "fts_table": "search_index",
                        "fts_pk": "content_id",
                        "sort_desc": "published_at",
                        "label_column": "title",
                        "facets": ["site", "province", "published_year"],
                    },
                    "article_search": {"fts_table": "search_index", "fts_pk": "content_id", "hidden": True},
                    "search_index": {"hidden": True},
                },
                "queries": CANNED_QUERIES,
            }
        },
    }


# ---------------------------------------------------------------- SQL functions


def archive_match(raw: str | None) -> str:
    try:
        return to_fts5(parse_query(raw or ""))
    except SearchQueryError:
        return _MATCH_NOTHING


def archive_adjacent(raw: str | None) -> str:
    try:
        query = parse_query(raw or "")
    except SearchQueryError:
        return _MATCH_NOTHING
    adjacent = adjacency_match(query, "sqlite")
    return f"({to_fts5(query)}) AND ({adjacent})" if adjacent else _MATCH_NOTHING


def archive_snippet(raw: str | None, lead: str | None, body: str | None) -> str:
    try:
        query = parse_query(raw or "")
    except SearchQueryError:
        query = SearchQuery(())
    # Matches past the first 200,000 characters are not snippeted: one call stays short (crawler/querytime.py).
    text, spans = snippet_for(query, (lead or "")[:_SNIPPET_SOURCE_MAX], (body or "")[:_SNIPPET_SOURCE_MAX])
    for start, end in reversed(spans):
        text = f"{text[:start]}**{text[start:end]}**{text[end:]}"
    return text


def register_functions(conn: sqlite3.Connection) -> None:
    # Each function stops the query once past Datasette's time limit (crawler/querytime.py).
    querytime.install()
    limited = functools.partial(querytime.within_limit, conn)
    conn.create_function("archive_match", 1, limited(archive_match), deterministic=True)
    conn.create_function("escape_fts", 1, limited(archive_match), deterministic=True)
    conn.create_function("archive_adjacent", 1, limited(archive_adjacent), deterministic=True)
    conn.create_function("archive_snippet", 3, limited(archive_snippet), deterministic=True)
    conn.create_function(
        "archive_fold", 1, limited(lambda value: fold(value) if value is not None else None), deterministic=True
    )


@hookimpl(trylast=True)  # after Datasette's own functions, so our escape_fts wins
def prepare_connection(conn: sqlite3.Connection) -> None:
    register_functions(conn)


# ---------------------------------------------------------------- links to the reader's pages

#: columns whose value names an article or a site, in every table, view and canned query
ARTICLE_COLUMNS = ("article_id", "first_article_id")
SITE_COLUMNS = ("site", "first_site")


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """An article id or a site name in Datasette links to its page in the reader."""
    if value is None or value == "":
        return None
    if column in ARTICLE_COLUMNS or (table == "article" and column == "id"):
        return Markup(f'<a href="/article/{int(value)}">{int(value)}</a>') if str(value).isdigit() else None
    if column in SITE_COLUMNS or (table == "site" and column == "name"):
        name = str(value)
        return Markup(f'<a href="/portal/{quote(name)}">{escape(name)}</a>')
    return None


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> list[dict[str, str]]:
    return [{"href": "/", "label": "Trang đọc (các bài, cổng, tìm kiếm)"}]


# ---------------------------------------------------------------- serving

#: where Datasette answers inside the one app of ``browse`` (SQLite only)
DATASETTE_PREFIX = "/datasette/"


def sqlite_path(url: str) -> Path:
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise ArchiveDatabaseError(
            "Datasette opens a SQLite archive file; DATABASE_URL names another database "
            "(the reader's pages of `portal-archive browse` serve PostgreSQL too)"
        )
    return Path(parsed.database).resolve()


def datasette_app(path: Path) -> Any:
    """Datasette on the SQLite archive at ``path``, answering under :data:`DATASETTE_PREFIX`."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    if not pm.is_registered(sys.modules[__name__]):
        pm.register(sys.modules[__name__], name="portal-archive")
    meta = metadata(path.stem)
    meta["description_html"] = (
        f"{escape(meta.pop('description'))} "
        '<a href="/">Trang đọc</a>: từng bài với các phiên bản và so sánh, dòng thời gian của cổng, tìm kiếm.'
    )
    datasette = Datasette(
        files=[str(path)],
        metadata=meta,
        settings={"sql_time_limit_ms": 5000, "base_url": DATASETTE_PREFIX},
    )
    return datasette.app()


class OneApp:
    """The reader's pages, and Datasette under :data:`DATASETTE_PREFIX` when there is one."""

    def __init__(self, reader: Any, datasette: Any | None) -> None:
        self.reader, self.datasette = reader, datasette

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if self.datasette is not None and scope["type"] == "http" and (
            path.startswith(DATASETTE_PREFIX) or path == DATASETTE_PREFIX.rstrip("/")
        ):
            if path == DATASETTE_PREFIX.rstrip("/"):
                scope = {**scope, "path": DATASETTE_PREFIX, "raw_path": DATASETTE_PREFIX.encode()}
            await self.datasette(scope, receive, send)
            return
        await self.reader(scope, receive, send)


def build_app(url: str) -> tuple[Any, Engine]:
    """The app of ``browse`` for the archive at ``url``, and the engine it reads with."""
    from crawler.reader.app import ReaderConfig, create_app

    engine = reader_engine(url)  # fails with one line unless this is an archive at the head revision
    if engine.dialect.name != "sqlite":
        return create_app(engine), engine
    path = sqlite_path(url)
    config = ReaderConfig(datasette=DATASETTE_PREFIX + path.stem)
    return OneApp(create_app(engine, config), datasette_app(path)), engine


def serve(
    host: str = "127.0.0.1", port: int = 8001, open_browser: bool = False, url: str | None = None
) -> int:
    """Serve the reader's pages (and Datasette, on SQLite) until interrupted."""
    import uvicorn

    with socket.socket() as probe:  # a taken port is one line now, not a log line after start-up
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    app, engine = build_app(url or database_url())
    address = f"http://{host}:{port}/"
    where = f"; Datasette at {address}{DATASETTE_PREFIX.strip('/')}/" if engine.dialect.name == "sqlite" else ""
    print(f"portal-archive browse: the reader's pages at {address}{where} (Ctrl-C stops)", flush=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, [address]).start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")
    finally:
        engine.dispose()
    return 0
