"""site_health: one row per site, the health of its last ended run, for SQL users.

The same rules as archive/health.py ``assess()`` where SQL can say them on both
backends: unknown (never crawled); failing (last run failed or timed out, fetched
no pages, or saw no articles where one of the five runs before saw some); warning
(interrupted, errors, most articles read by the fallback extractor, challenge,
truncated or mis-decoded pages, DNS or TLS failures). The rules that compare a run
with the median of the site's history (a sharp drop in articles, a spike of
fallbacks) and the share of failed requests stay in Python: ``portal-archive
status`` and ``portal-archive check`` apply all of them (docs/reliability.md).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: stats counted like archive/health.py RunSummary.of and _stat_counts
STATS = {
    "skipped": "archive/skipped_not_due",
    "not_modified": "archive/not_modified",
    "challenges": "archive/challenge",
    "truncated": "archive/truncated",
    "mis_decoded": "archive/mis_decoded",
    "dns_errors": "archive/dns_error",
    "tls_errors": "archive/tls_error",
}


def _stat(dialect: str, key: str) -> str:
    if dialect == "postgresql":
        return f"coalesce((r.stats->>'{key}')::bigint, 0)"
    return f"coalesce(json_extract(r.stats, '$.\"{key}\"'), 0)"


def _view(dialect: str) -> str:
    stats = ",\n               ".join(f"{_stat(dialect, key)} AS {name}" for name, key in STATS.items())
    return f"""
    WITH ended AS (
        SELECT r.id, r.spider, r.started_at, r.status, r.pages, r.errors, r.fallbacks,
               r.new_versions + r.unchanged AS stored,
               {stats},
               row_number() OVER (PARTITION BY r.spider ORDER BY r.id DESC) AS age
        FROM crawl_run r
        WHERE r.status <> 'running'
    ),
    last AS (
        SELECT e.*, e.stored + e.skipped + e.not_modified AS seen,
               e.challenges + e.truncated + e.mis_decoded + e.dns_errors + e.tls_errors AS bad_pages
        FROM ended e WHERE e.age = 1
    ),
    earlier AS (
        SELECT spider, max(stored + skipped + not_modified) AS seen_before
        FROM ended WHERE age BETWEEN 2 AND 6 GROUP BY spider
    ),
    judged AS (
        SELECT s.name AS site, s.display_name, l.id AS last_run_id, l.started_at AS last_run_started_at,
               l.status AS last_run_status,
               CASE
                   WHEN l.id IS NULL THEN 'never crawled'
                   WHEN l.status IN ('failed', 'timed_out') THEN 'last run ' || l.status
                   WHEN l.pages = 0 AND l.status <> 'interrupted' THEN 'fetched no pages'
                   WHEN l.seen = 0 AND coalesce(e.seen_before, 0) > 0 THEN 'saw no articles'
               END AS failing,
               CASE
                   WHEN l.status = 'interrupted' THEN 'last run interrupted'
                   WHEN l.errors > 0 THEN 'errors'
                   WHEN l.fallbacks >= 2 AND 2 * l.fallbacks > CASE WHEN l.stored > 1 THEN l.stored ELSE 1 END
                       THEN 'most articles read by the fallback extractor'
                   WHEN l.bad_pages > 0 THEN 'challenge, truncated or mis-decoded pages, DNS or TLS failures'
               END AS warning
        FROM site s
        LEFT JOIN last l ON l.spider = s.name
        LEFT JOIN earlier e ON e.spider = s.name
    )
    SELECT site, display_name, last_run_id, last_run_started_at, last_run_status,
           CASE WHEN last_run_id IS NULL THEN 'unknown'
                WHEN failing IS NOT NULL THEN 'failing'
                WHEN warning IS NOT NULL THEN 'warning'
                ELSE 'ok' END AS state,
           coalesce(failing, warning) AS reason
    FROM judged
    """


def upgrade() -> None:
    op.execute(f"CREATE VIEW site_health AS {_view(op.get_bind().dialect.name)}")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS site_health")
