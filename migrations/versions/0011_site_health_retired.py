"""site_health knows a retired portal: it is judged by its web-archive backfills.

A retired portal (``site.status = 'retired'``) answers no more: a live crawl of it can
only fail, and that says nothing about the archive's hold on its news. Its health is
judged by its web-archive runs (``archive/source = 'wayback'`` in the run's stats) and
by live runs that answered normally (a mirror of it, or the portal back), never by a
live run that did not; without such a run it is ``unknown`` ("retired portal, never
backfilled"), like a site never crawled. A backfill's captures already recorded count as articles seen, so a second
backfill that adds nothing is not "saw no articles". The rest is 0008's view;
archive/health.py applies the same rules (tests/e2e/test_site_health_view.py).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: names as in archive/runstats.py (a migration keeps its own copy: it must create the same view forever)
STATS = {
    "skipped": "archive/skipped_not_due",
    "not_modified": "archive/not_modified",
    "challenges": "archive/challenge",
    "error_pages": "archive/error_page",
    "truncated": "archive/truncated",
    "mis_decoded": "archive/mis_decoded",
    "dns_errors": "archive/dns_error",
    "tls_errors": "archive/tls_error",
    "responses": "downloader/response_count",
    "exceptions": "downloader/exception_count",
    "ok_responses": "downloader/response_status_count/200",
    "already_recorded": "archive/wayback_already_recorded",
}
#: the stat a web-archive run carries, and its value (archive/runstats.py SOURCE, crawler/wayback.py)
SOURCE_STAT, WAYBACK = "archive/source", "wayback"
RETIRED_UNKNOWN = "retired portal, never backfilled from a web archive"
STATUS_PREFIX = "downloader/response_status_count/"
MAX_FAILED_SHARE = 0.2


def _stat(dialect: str, key: str) -> str:
    if dialect == "postgresql":
        return f"coalesce((r.stats->>'{key}')::bigint, 0)"
    return f"coalesce(json_extract(r.stats, '$.\"{key}\"'), 0)"


def _source(dialect: str) -> str:
    if dialect == "postgresql":
        return f"coalesce(r.stats->>'{SOURCE_STAT}', 'live')"
    return f"coalesce(json_extract(r.stats, '$.\"{SOURCE_STAT}\"'), 'live')"


def _server_errors(dialect: str) -> str:
    """The sum of every ``downloader/response_status_count/5xx`` stat of the run."""
    prefix = STATUS_PREFIX + "5"
    if dialect == "postgresql":
        each, value = "json_each_text(r.stats)", "j.value::bigint"
    else:
        each, value = "json_each(r.stats)", "j.value"
    return (f"(SELECT coalesce(sum({value}), 0) FROM {each} j "
            f"WHERE substr(j.key, 1, {len(prefix)}) = '{prefix}')")


def _view(dialect: str) -> str:
    stats = ",\n               ".join(f"{_stat(dialect, key)} AS {name}" for name, key in STATS.items())
    return f"""
    WITH runs AS (
        SELECT r.id, r.spider, r.started_at, r.status, r.pages, r.errors, r.fallbacks,
               r.new_versions + r.unchanged AS stored,
               {stats},
               {_server_errors(dialect)} AS server_errors,
               {_source(dialect)} AS source,
               coalesce(rs.status, '') AS site_status
        FROM crawl_run r
        LEFT JOIN site rs ON rs.name = r.spider
        WHERE r.status <> 'running'
    ),
    ended AS (
        SELECT x.*, row_number() OVER (PARTITION BY x.spider ORDER BY x.id DESC) AS age
        FROM runs x
        WHERE x.site_status <> 'retired' OR x.source = '{WAYBACK}'
           OR (x.status = 'finished' AND x.ok_responses > 0
               AND NOT x.exceptions + x.server_errors + x.challenges + x.error_pages + x.truncated + x.mis_decoded
                       > {MAX_FAILED_SHARE} * (x.responses + x.exceptions))
    ),
    last AS (
        SELECT e.*, e.stored + e.skipped + e.not_modified + e.already_recorded AS seen,
               e.challenges + e.truncated + e.mis_decoded + e.dns_errors + e.tls_errors AS bad_pages,
               e.responses + e.exceptions AS requests,
               e.exceptions + e.server_errors + e.challenges + e.error_pages + e.truncated + e.mis_decoded
                   AS failed_requests
        FROM ended e WHERE e.age = 1
    ),
    earlier AS (
        SELECT spider, max(stored + skipped + not_modified + already_recorded) AS seen_before
        FROM ended WHERE age BETWEEN 2 AND 6 GROUP BY spider
    ),
    judged AS (
        SELECT s.name AS site, s.display_name, l.id AS last_run_id, l.started_at AS last_run_started_at,
               l.status AS last_run_status,
               CASE
                   WHEN l.id IS NULL AND s.status = 'retired' THEN '{RETIRED_UNKNOWN}'
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
                   WHEN l.failed_requests > {MAX_FAILED_SHARE} * l.requests
                       THEN 'over a fifth of requests failed (5xx, error pages, network)'
               END AS warning,
               CASE
                   WHEN l.id IS NULL THEN NULL
                   WHEN l.status = 'finished' AND l.ok_responses > 0
                        AND NOT l.failed_requests > {MAX_FAILED_SHARE} * l.requests THEN 1
                   ELSE 0
               END AS answered_normally
        FROM site s
        LEFT JOIN last l ON l.spider = s.name
        LEFT JOIN earlier e ON e.spider = s.name
    )
    SELECT site, display_name, last_run_id, last_run_started_at, last_run_status,
           CASE WHEN last_run_id IS NULL THEN 'unknown'
                WHEN failing IS NOT NULL THEN 'failing'
                WHEN warning IS NOT NULL THEN 'warning'
                ELSE 'ok' END AS state,
           coalesce(failing, warning) AS reason,
           answered_normally
    FROM judged
    """


def upgrade() -> None:
    op.execute("DROP VIEW IF EXISTS site_health")
    op.execute(f"CREATE VIEW site_health AS {_view(op.get_bind().dialect.name)}")


def downgrade() -> None:
    """Back to 0008's view, built by 0008's own code."""
    spec = importlib.util.spec_from_file_location("site_health_0008",
                                                  Path(__file__).with_name("0008_site_health_answered.py"))
    assert spec is not None and spec.loader is not None
    previous = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previous)
    op.execute("DROP VIEW IF EXISTS site_health")
    op.execute(f"CREATE VIEW site_health AS {previous._view(op.get_bind().dialect.name)}")
