"""The site_health view (migrations 0007, 0008) says what archive/health.py and
archive/runstats.py say, on both backends, for every rule it implements; the history rules
(median drop, fallback spike) are Python-only."""

from __future__ import annotations

import importlib.util
from typing import Any

from sqlalchemy import text

from archive import health, runstats
from archive.capture import SiteInfo
from archive.db import MIGRATIONS_DIR
from archive.store import ensure_site, finish_run, start_run

#: a run that fetched 12 pages, every one answered 200
FETCHED = {runstats.RESPONSES: 12, runstats.STATUS_OK: 12}
OK = {"status": "finished", "pages": 12, "new_versions": 5, "stats": FETCHED}
BACKFILL = {**OK, "stats": {**FETCHED, runstats.SOURCE: runstats.WAYBACK}}
#: site -> its runs, oldest first: (status, counts and stats)
SCENARIOS: dict[str, list[dict[str, Any]]] = {
    "never": [],
    "fine": [OK],
    "failed": [OK, {**OK, "status": "failed"}],
    "timed_out": [{**OK, "status": "timed_out"}],
    "no_pages": [OK, {**OK, "pages": 0, "new_versions": 0}],
    "no_articles": [OK, {**OK, "new_versions": 0}],
    "interrupted": [{**OK, "status": "interrupted"}],
    "errors": [{**OK, "errors": 2}],
    "fallbacks": [{**OK, "new_versions": 4, "fallbacks": 3}],
    "one_fallback": [{**OK, "new_versions": 1, "fallbacks": 1}],
    "challenge": [{**OK, "stats": {**FETCHED, runstats.CHALLENGE: 1}}],
    "truncated": [{**OK, "stats": {**FETCHED, runstats.TRUNCATED: 2}}],
    "dns": [{**OK, "stats": {**FETCHED, runstats.DNS_ERROR: 3}}],
    "not_due": [OK, {**OK, "new_versions": 0, "stats": {**FETCHED, runstats.SKIPPED_NOT_DUE: 5}}],
    "recovered": [{**OK, "status": "failed"}, OK],
    # The failed-request share, on its edge: 2 of 10 failed is normal, 3 of 10 is not.
    "share_edge": [{**OK, "stats": {runstats.RESPONSES: 8, runstats.STATUS_OK: 7, runstats.EXCEPTIONS: 2,
                                    runstats.STATUS_PREFIX + "404": 1}}],
    "server_errors": [{**OK, "stats": {runstats.RESPONSES: 10, runstats.STATUS_OK: 7,
                                       runstats.STATUS_PREFIX + "500": 2, runstats.STATUS_PREFIX + "503": 1}}],
    "error_pages": [{**OK, "stats": {**FETCHED, runstats.ERROR_PAGE: 3}}],
    "no_200": [{**OK, "stats": {runstats.RESPONSES: 12, runstats.STATUS_PREFIX + "304": 12}}],
    # Retired portals: judged by their web-archive runs; a failed live run of one is expected.
    "retired_never": [],
    "retired_live_failed": [{**OK, "status": "failed", "pages": 0}],
    "retired_backfilled": [BACKFILL, {**OK, "status": "failed", "pages": 0}],
    "retired_backfill_failed": [BACKFILL, OK, {**BACKFILL, "status": "failed"}, {**OK, "status": "failed"}],
    # A live run that answered normally (a mirror of the portal, or the portal back) counts.
    "retired_live_ok": [{**OK, "status": "failed", "pages": 0}, OK],
    # A second backfill that finds every capture recorded saw its articles: not "saw no articles".
    "retired_resumed": [BACKFILL, {**BACKFILL, "new_versions": 0,
                                   "stats": {**BACKFILL["stats"], runstats.ALREADY_RECORDED: 5}}],
}
RETIRED = {site for site in SCENARIOS if site.startswith("retired_")}


def build(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        for site, runs in SCENARIOS.items():
            info = SiteInfo(name=site, display_name=site.title(), province="Quảng Ngãi", level="district",
                            family="liferay", home_url=f"https://{site}.example/",
                            status="retired" if site in RETIRED else "active")
            site_id = ensure_site(session, info).id
            for run in runs:
                row = start_run(session, site, site_id)
                counts = {k: run.get(k, 0) for k in ("pages", "new_versions", "errors", "fallbacks")}
                finish_run(session, row.id, status=run["status"], reason=run["status"], counts=counts,
                           stats=run.get("stats", {}))
        start_run(session, "fine", None)  # a run in progress is not the last ended run


def test_the_view_agrees_with_assess_for_every_rule(sessions) -> None:  # type: ignore[no-untyped-def]
    build(sessions)
    with sessions() as session:
        view = {row.site: row for row in session.execute(text("SELECT * FROM site_health"))}
        python = {s.site: s.health for s in health.site_statuses(session, SCENARIOS)}
        last = {s.site: s.last for s in health.site_statuses(session, SCENARIOS)}
    assert set(view) == set(SCENARIOS)
    assert {site: row.state for site, row in view.items()} == {site: h.state for site, h in python.items()}
    expected = {"never": "unknown", "fine": "ok", "failed": "failing", "timed_out": "failing",
                "no_pages": "failing", "no_articles": "failing", "interrupted": "warning", "errors": "warning",
                "fallbacks": "warning", "one_fallback": "ok", "challenge": "warning", "truncated": "warning",
                "dns": "warning", "not_due": "ok", "recovered": "ok", "share_edge": "ok",
                "server_errors": "warning", "error_pages": "warning", "no_200": "ok",
                "retired_never": "unknown", "retired_live_failed": "unknown", "retired_backfilled": "ok",
                "retired_backfill_failed": "failing", "retired_resumed": "ok", "retired_live_ok": "ok"}
    assert {site: row.state for site, row in view.items()} == expected
    assert view["server_errors"].reason == "over a fifth of requests failed (5xx, error pages, network)"
    # "Answered normally", the rule removal detection trusts: the view's column is runstats' verdict.
    verdicts = {site: None if run is None else int(run.answered_normally) for site, run in last.items()}
    assert {site: row.answered_normally for site, row in view.items()} == verdicts
    assert {site for site, ok in verdicts.items() if ok == 0} == {
        "failed", "timed_out", "interrupted", "server_errors", "error_pages", "no_200", "retired_backfill_failed"}
    assert view["retired_live_failed"].reason == health.RETIRED_UNKNOWN == python["retired_live_failed"].reasons[0]
    assert view["fine"].reason is None
    assert view["no_articles"].reason == "saw no articles"
    assert view["never"].last_run_id is None and view["failed"].last_run_status == "failed"


def test_the_migration_reads_the_stats_runstats_names() -> None:
    """Migration 0008 keeps its own copy of the stat names and the share: they are runstats'."""
    spec = importlib.util.spec_from_file_location("m0008", MIGRATIONS_DIR / "versions" / "0008_site_health_answered.py")
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration.STATS.values()) == {
        runstats.SKIPPED_NOT_DUE, runstats.NOT_MODIFIED, *runstats.REFUSED_PAGES, runstats.DNS_ERROR,
        runstats.TLS_ERROR, runstats.RESPONSES, runstats.EXCEPTIONS, runstats.STATUS_OK}
    assert migration.STATUS_PREFIX == runstats.STATUS_PREFIX
    assert migration.MAX_FAILED_SHARE == runstats.MAX_FAILED_SHARE
