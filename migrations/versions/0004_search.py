"""Querying the archive: Vietnamese full-text search and the views of docs/queries.md.

Search index, one row per content, holding title, lead and body *folded*
(lower case, no accents, đ -> d, every run of punctuation and spaces one
space), because SQLite FTS5's own diacritic removal leaves đ/Đ alone:

* SQLite: an FTS5 table ``search_index(title, lead, body)`` whose rowid is
  ``content.id``;
* PostgreSQL: the folded text in ``search_text(content_id, title, lead, body)``,
  and ``search_index(content_id, document)`` with its weighted tsvector (title
  A, lead B, body C; SQL function ``archive_search_document``) and a GIN index.

archive/search.py keeps it in step with ``content`` in the writing transaction;
this migration backfills the content that is already there.

The views keep the columns of 0002 and add some; they are the same on both
backends (dates in local time, durations in days and hours are computed per
dialect so that plain SQL against them is identical).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from archive.normalise import fold

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Same rule as archive.search.index_text, frozen here so this migration always
# builds the index it built when it was written.
_WORD = re.compile(r"[^\W_]+")
_BATCH = 500
# A tsvector is limited to 1 MB; no article body comes near, but one pathological
# page must not make a capture fail to store.
_PG_BODY_CHARS = 500_000

SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "title, lead, body, tokenize = 'unicode61 remove_diacritics 2')"
)
# The folded text and the tsvector live in two tables so that the tsvectors stay
# inline in the heap (toast_tuple_target, STORAGE MAIN): a search that matches
# most of the archive reads every one of them, three times faster than from TOAST.
PG_INDEX = [
    f"""CREATE FUNCTION archive_search_document(title text, lead text, body text) RETURNS tsvector
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('simple'::regconfig, title), 'A')
            || setweight(to_tsvector('simple'::regconfig, lead), 'B')
            || setweight(to_tsvector('simple'::regconfig, left(body, {_PG_BODY_CHARS})), 'C')
    $$""",
    """CREATE TABLE search_text (
        content_id INTEGER PRIMARY KEY REFERENCES content (id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        lead TEXT NOT NULL,
        body TEXT NOT NULL
    )""",
    """CREATE TABLE search_index (
        content_id INTEGER PRIMARY KEY REFERENCES search_text (content_id) ON DELETE CASCADE,
        document tsvector NOT NULL
    ) WITH (toast_tuple_target = 8160)""",
    "ALTER TABLE search_index ALTER COLUMN document SET STORAGE MAIN",
    "CREATE INDEX ix_search_index_document ON search_index USING gin (document)",
]
SQLITE_INSERT = "INSERT INTO search_index (rowid, title, lead, body) VALUES (:id, :title, :lead, :body)"
PG_INSERT = """
    WITH added AS (
        INSERT INTO search_text (content_id, title, lead, body) VALUES (:id, :title, :lead, :body)
        ON CONFLICT (content_id) DO NOTHING RETURNING content_id, title, lead, body)
    INSERT INTO search_index (content_id, document)
    SELECT content_id, archive_search_document(title, lead, body) FROM added
"""

# Per-dialect SQL fragments; {0}, {1} are column expressions.
_FRAGMENTS = {
    "sqlite": {
        "local_date": "date({0}, '+7 hours')",
        "local_year": "CAST(strftime('%Y', {0}, '+7 hours') AS INTEGER)",
        "days_between": "round(julianday({1}) - julianday({0}), 1)",
        "hours_since": "round((julianday('now') - julianday({0})) * 24, 1)",
        "search_join": "JOIN search_index si ON si.rowid = c.id",
    },
    "postgresql": {
        "local_date": "to_char({0} AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD')",
        "local_year": "CAST(extract(year FROM {0} AT TIME ZONE 'Asia/Ho_Chi_Minh') AS INTEGER)",
        "days_between": "CAST(round(CAST(extract(epoch FROM ({1} - {0})) / 86400 AS numeric), 1)"
        " AS double precision)",
        "hours_since": "CAST(round(CAST(extract(epoch FROM (now() - {0})) / 3600 AS numeric), 1)"
        " AS double precision)",
        "search_join": "JOIN search_text si ON si.content_id = c.id",
    },
}

# Attachment tokens as the content hash sees them: the file's row, or the link
# when the file never downloaded.
_ATTACHMENTS_DIFFER = """
    EXISTS (SELECT 1 FROM content_attachment x WHERE x.content_id = {0} AND NOT EXISTS (
        SELECT 1 FROM content_attachment y WHERE y.content_id = {1}
        AND (y.attachment_id = x.attachment_id
             OR (y.attachment_id IS NULL AND x.attachment_id IS NULL AND y.url = x.url))))
"""

VIEWS = {
    "article_current": """
        SELECT a.id AS article_id, s.name AS site, s.province, s.level, a.source_key, a.canonical_url,
               a.status, v.number AS version,
               (SELECT count(*) FROM version vc WHERE vc.article_id = a.id) AS version_count,
               c.title, c.author, c.published_at, c.lead, c.body_text, c.content_hash, v.extraction,
               a.first_seen_at, a.last_seen_at, v.first_seen_at AS version_seen_at,
               s.display_name AS site_display_name, s.province_after_2025, c.id AS content_id,
               {local_date:c.published_at} AS published_date, {local_year:c.published_at} AS published_year,
               length(c.body_text) AS body_chars,
               (SELECT count(*) FROM content_attachment ca WHERE ca.content_id = c.id) AS attachments
        FROM article a
        JOIN site s ON s.id = a.site_id
        JOIN version v ON v.article_id = a.id
             AND v.number = (SELECT max(vm.number) FROM version vm WHERE vm.article_id = a.id)
        JOIN content c ON c.id = v.content_id
    """,
    "version_history": """
        SELECT v.article_id, s.name AS site, a.source_key, v.number AS version, c.title, c.published_at,
               c.author, length(c.body_text) AS body_chars, c.content_hash, v.extraction, v.source, v.url,
               v.first_seen_at, v.last_seen_at, v.crawl_run_id,
               c.id AS content_id, {local_date:c.published_at} AS published_date,
               (SELECT count(*) FROM content_attachment ca WHERE ca.content_id = c.id) AS attachments,
               CASE WHEN v.number = (SELECT max(vm.number) FROM version vm WHERE vm.article_id = v.article_id)
                    THEN 1 ELSE 0 END AS is_current
        FROM version v
        JOIN article a ON a.id = v.article_id
        JOIN site s ON s.id = a.site_id
        JOIN content c ON c.id = v.content_id
    """,
    "article_changes": """
        SELECT article_id, site, from_version, to_version, changed_at, title_changed, body_changed,
               author_changed, date_changed, body_chars_delta, old_title, new_title,
               attachments_changed, published_at,
               {days_between:published_at,changed_at} AS days_after_publication,
               old_published_at, new_published_at, from_content_id, to_content_id,
               substr(CASE WHEN title_changed = 1 THEN ', title' ELSE '' END
                      || CASE WHEN body_changed = 1 THEN ', body' ELSE '' END
                      || CASE WHEN author_changed = 1 THEN ', author' ELSE '' END
                      || CASE WHEN date_changed = 1 THEN ', date' ELSE '' END
                      || CASE WHEN attachments_changed = 1 THEN ', attachments' ELSE '' END, 3) AS changes
        FROM (
            SELECT cur.article_id, s.name AS site, prev.number AS from_version, cur.number AS to_version,
                   cur.first_seen_at AS changed_at,
                   CASE WHEN pc.title = cc.title THEN 0 ELSE 1 END AS title_changed,
                   CASE WHEN pc.lead = cc.lead AND pc.body_text = cc.body_text THEN 0 ELSE 1 END
                       AS body_changed,
                   CASE WHEN pc.author = cc.author THEN 0 ELSE 1 END AS author_changed,
                   CASE WHEN pc.published_at = cc.published_at
                             OR (pc.published_at IS NULL AND cc.published_at IS NULL) THEN 0 ELSE 1 END
                       AS date_changed,
                   length(cc.body_text) - length(pc.body_text) AS body_chars_delta,
                   pc.title AS old_title, cc.title AS new_title,
                   CASE WHEN {attachments_differ:pc.id,cc.id} OR {attachments_differ:cc.id,pc.id}
                        THEN 1 ELSE 0 END AS attachments_changed,
                   fc.published_at, pc.published_at AS old_published_at, cc.published_at AS new_published_at,
                   pc.id AS from_content_id, cc.id AS to_content_id
            FROM version cur
            JOIN version prev ON prev.article_id = cur.article_id AND prev.number = cur.number - 1
            JOIN content pc ON pc.id = prev.content_id
            JOIN content cc ON cc.id = cur.content_id
            JOIN version fv ON fv.article_id = cur.article_id AND fv.number = 1
            JOIN content fc ON fc.id = fv.content_id
            JOIN article a ON a.id = cur.article_id
            JOIN site s ON s.id = a.site_id
        ) pairs
    """,
    "shared_content": """
        SELECT c.id AS content_id, c.content_hash, c.title, c.published_at,
               count(DISTINCT v.article_id) AS articles, count(DISTINCT a.site_id) AS sites,
               min(v.first_seen_at) AS first_seen_at,
               (SELECT fv.article_id FROM version fv WHERE fv.content_id = c.id
                ORDER BY fv.first_seen_at, fv.article_id LIMIT 1) AS first_article_id,
               (SELECT fs.name FROM version fv JOIN article fa ON fa.id = fv.article_id
                JOIN site fs ON fs.id = fa.site_id WHERE fv.content_id = c.id
                ORDER BY fv.first_seen_at, fv.article_id LIMIT 1) AS first_site
        FROM content c
        JOIN version v ON v.content_id = c.id
        JOIN article a ON a.id = v.article_id
        GROUP BY c.id, c.content_hash, c.title, c.published_at
        HAVING count(DISTINCT v.article_id) > 1
    """,
    "shared_content_articles": """
        WITH uses AS (
            SELECT v.content_id, v.article_id, min(v.first_seen_at) AS first_seen_at
            FROM version v GROUP BY v.content_id, v.article_id
        ), shared AS (
            SELECT content_id FROM uses GROUP BY content_id HAVING count(*) > 1
        )
        SELECT u.content_id,
               row_number() OVER (PARTITION BY u.content_id ORDER BY u.first_seen_at, u.article_id)
                   AS seen_order,
               u.article_id, s.name AS site, s.display_name AS site_display_name, s.province, s.level,
               c.title, c.published_at, u.first_seen_at, a.canonical_url
        FROM uses u
        JOIN shared sh ON sh.content_id = u.content_id
        JOIN article a ON a.id = u.article_id
        JOIN site s ON s.id = a.site_id
        JOIN content c ON c.id = u.content_id
    """,
    "edited_articles": """
        SELECT ch.article_id, ch.site, ac.title, ac.canonical_url, ch.published_at,
               ac.version_count AS versions, ac.first_seen_at, max(ch.changed_at) AS last_changed_at,
               sum(ch.title_changed) AS title_changes, sum(ch.body_changed) AS body_changes,
               sum(ch.date_changed) AS date_changes, sum(ch.attachments_changed) AS attachment_changes,
               max(ch.days_after_publication) AS max_days_after_publication
        FROM article_changes ch
        JOIN article_current ac ON ac.article_id = ch.article_id
        GROUP BY ch.article_id, ch.site, ac.title, ac.canonical_url, ch.published_at, ac.version_count,
                 ac.first_seen_at
    """,
    "gone_articles": """
        SELECT article_id, site, site_display_name, province, level, title, published_at, published_date,
               canonical_url, version_count AS versions, first_seen_at, last_seen_at
        FROM article_current
        WHERE status = 'gone'
    """,
    "crawl_health": """
        SELECT s.name AS site, s.display_name, s.status AS site_status,
               (SELECT count(*) FROM crawl_run r WHERE r.site_id = s.id) AS runs,
               (SELECT count(*) FROM crawl_run r
                WHERE r.site_id = s.id AND r.status IN ('failed', 'interrupted', 'timed_out')) AS failed_runs,
               lr.started_at AS last_run_at, lr.status AS last_run_status,
               lr.finish_reason AS last_finish_reason,
               lr.pages AS last_run_pages, lr.new_articles AS last_run_new_articles,
               lr.new_versions AS last_run_new_versions, lr.fallbacks AS last_run_fallbacks,
               lr.errors AS last_run_errors,
               (SELECT max(r.finished_at) FROM crawl_run r WHERE r.site_id = s.id AND r.status = 'finished')
                   AS last_success_at,
               {hours_since:(SELECT max(r.finished_at) FROM crawl_run r WHERE r.site_id = s.id
                             AND r.status = 'finished')} AS hours_since_success,
               (SELECT count(*) FROM article a WHERE a.site_id = s.id) AS articles,
               (SELECT count(*) FROM article a WHERE a.site_id = s.id AND a.status = 'gone') AS gone_articles,
               (SELECT max(v.first_seen_at) FROM version v JOIN article a ON a.id = v.article_id
                WHERE a.site_id = s.id) AS last_new_version_at
        FROM site s
        LEFT JOIN crawl_run lr ON lr.id = (SELECT r.id FROM crawl_run r WHERE r.site_id = s.id
                                          ORDER BY r.started_at DESC, r.id DESC LIMIT 1)
    """,
    "article_search": """
        SELECT a.id AS article_id, c.id AS content_id, s.name AS site, s.province, s.province_after_2025,
               s.level, a.status, v.number AS version, c.published_at,
               {local_date:c.published_at} AS published_date, {local_year:c.published_at} AS published_year,
               c.title, a.canonical_url, ' ' || si.title || ' ' AS folded_title,
               ' ' || si.title || ' ' || si.lead || ' ' || si.body || ' ' AS folded_text
        FROM article a
        JOIN site s ON s.id = a.site_id
        JOIN version v ON v.article_id = a.id
             AND v.number = (SELECT max(vm.number) FROM version vm WHERE vm.article_id = a.id)
        JOIN content c ON c.id = v.content_id
        {search_join}
    """,
}
#: views of 0002 this migration re-creates with more columns
REPLACED = ("article_current", "version_history", "article_changes", "shared_content")
#: views that name other views are dropped first
DROP_ORDER = (
    "edited_articles",
    "gone_articles",
    "article_search",
    "crawl_health",
    "shared_content_articles",
    *REPLACED,
)

_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^{}]*))?\}")


def view_sql(sql: str, dialect: str) -> str:
    """``sql`` with ``{fragment:arg,arg}`` placeholders filled for ``dialect``."""
    fragments = {**_FRAGMENTS[dialect], "attachments_differ": _ATTACHMENTS_DIFFER}

    def fill(match: re.Match[str]) -> str:
        name, args = match.group(1), match.group(2)
        template = fragments[name]
        return template.format(*_split_args(args)) if args else template

    return _PLACEHOLDER.sub(fill, sql)


def _split_args(args: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in args:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def _old_views() -> dict[str, str]:
    path = Path(__file__).with_name("0002_views.py")
    spec = importlib.util.spec_from_file_location("_archive_migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VIEWS


def _index_text(text: str) -> str:
    return " ".join(_WORD.findall(fold(text)))


def _backfill(connection: sa.Connection, dialect: str) -> None:
    insert = SQLITE_INSERT if dialect == "sqlite" else PG_INSERT
    last = 0
    while True:
        rows = connection.execute(
            sa.text("SELECT id, title, lead, body_text FROM content WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        values = [
            {
                "id": r.id,
                "title": _index_text(r.title),
                "lead": _index_text(r.lead),
                "body": _index_text(r.body_text),
            }
            for r in rows
        ]
        connection.execute(sa.text(insert), values)
        last = rows[-1].id


def upgrade() -> None:
    connection = op.get_bind()
    dialect = connection.dialect.name
    for statement in [SQLITE_INDEX] if dialect == "sqlite" else PG_INDEX:
        op.execute(statement)
    _backfill(connection, dialect)
    for name in REPLACED:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for name, sql in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {view_sql(sql, dialect)}")


def downgrade() -> None:
    for name in DROP_ORDER:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    old = _old_views()
    for name in REPLACED:
        op.execute(f"CREATE VIEW {name} AS {old[name]}")
    op.execute("DROP TABLE IF EXISTS search_index")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_text")
        op.execute("DROP FUNCTION IF EXISTS archive_search_document(text, text, text)")
