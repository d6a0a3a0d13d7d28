"""SQL views for people who query the archive directly (sqlite3, psql).

Same names, columns and results on SQLite and PostgreSQL: booleans are
0/1 integers, no group_concat/string_agg. Documented in docs/queries.md.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

VIEWS = {
    "article_current": """
        SELECT a.id AS article_id, s.name AS site, s.province, s.level, a.source_key, a.canonical_url,
               a.status, v.number AS version,
               (SELECT count(*) FROM version vc WHERE vc.article_id = a.id) AS version_count,
               c.title, c.author, c.published_at, c.lead, c.body_text, c.content_hash, v.extraction,
               a.first_seen_at, a.last_seen_at, v.first_seen_at AS version_seen_at
        FROM article a
        JOIN site s ON s.id = a.site_id
        JOIN version v ON v.article_id = a.id
             AND v.number = (SELECT max(vm.number) FROM version vm WHERE vm.article_id = a.id)
        JOIN content c ON c.id = v.content_id
    """,
    "version_history": """
        SELECT v.article_id, s.name AS site, a.source_key, v.number AS version, c.title, c.published_at,
               c.author, length(c.body_text) AS body_chars, c.content_hash, v.extraction, v.source, v.url,
               v.first_seen_at, v.last_seen_at, v.crawl_run_id
        FROM version v
        JOIN article a ON a.id = v.article_id
        JOIN site s ON s.id = a.site_id
        JOIN content c ON c.id = v.content_id
    """,
    "article_changes": """
        SELECT cur.article_id, s.name AS site, prev.number AS from_version, cur.number AS to_version,
               cur.first_seen_at AS changed_at,
               CASE WHEN pc.title = cc.title THEN 0 ELSE 1 END AS title_changed,
               CASE WHEN pc.lead = cc.lead AND pc.body_text = cc.body_text THEN 0 ELSE 1 END AS body_changed,
               CASE WHEN pc.author = cc.author THEN 0 ELSE 1 END AS author_changed,
               CASE WHEN pc.published_at = cc.published_at
                         OR (pc.published_at IS NULL AND cc.published_at IS NULL) THEN 0 ELSE 1 END AS date_changed,
               length(cc.body_text) - length(pc.body_text) AS body_chars_delta,
               pc.title AS old_title, cc.title AS new_title
        FROM version cur
        JOIN version prev ON prev.article_id = cur.article_id AND prev.number = cur.number - 1
        JOIN content pc ON pc.id = prev.content_id
        JOIN content cc ON cc.id = cur.content_id
        JOIN article a ON a.id = cur.article_id
        JOIN site s ON s.id = a.site_id
    """,
    "shared_content": """
        SELECT c.id AS content_id, c.content_hash, c.title, c.published_at,
               count(DISTINCT v.article_id) AS articles, count(DISTINCT a.site_id) AS sites,
               min(v.first_seen_at) AS first_seen_at
        FROM content c
        JOIN version v ON v.content_id = c.id
        JOIN article a ON a.id = v.article_id
        GROUP BY c.id, c.content_hash, c.title, c.published_at
        HAVING count(DISTINCT v.article_id) > 1
    """,
    "site_summary": """
        SELECT s.name AS site, s.display_name, s.province, s.province_after_2025, s.level, s.family, s.status,
               (SELECT count(*) FROM article a WHERE a.site_id = s.id) AS articles,
               (SELECT count(*) FROM version v JOIN article a ON a.id = v.article_id WHERE a.site_id = s.id)
                   AS versions,
               (SELECT max(r.started_at) FROM crawl_run r WHERE r.site_id = s.id) AS last_run_at
        FROM site s
    """,
}


def upgrade() -> None:
    for name, sql in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {sql}")


def downgrade() -> None:
    for name in reversed(list(VIEWS)):
        op.execute(f"DROP VIEW IF EXISTS {name}")
