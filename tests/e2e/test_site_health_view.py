"""The site_health view (migration 0007) says what archive/health.py says, on both backends,
for every rule it implements; the history rules (median drop, fallback spike) are Python-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from archive import health
from archive.store import SiteInfo, ensure_site, finish_run, start_run

OK = {"status": "finished", "pages": 12, "new_versions": 5}
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
    "challenge": [{**OK, "stats": {"archive/challenge": 1}}],
    "truncated": [{**OK, "stats": {"archive/truncated": 2}}],
    "dns": [{**OK, "stats": {"archive/dns_error": 3}}],
    "not_due": [OK, {**OK, "new_versions": 0, "stats": {"archive/skipped_not_due": 5}}],
    "recovered": [{**OK, "status": "failed"}, OK],
}


def build(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        for site, runs in SCENARIOS.items():
            info = SiteInfo(name=site, display_name=site.title(), province="Quảng Ngãi", level="district",
                            family="liferay", home_url=f"https://{site}.example/")
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
    assert set(view) == set(SCENARIOS)
    assert {site: row.state for site, row in view.items()} == {site: h.state for site, h in python.items()}
    expected = {"never": "unknown", "fine": "ok", "failed": "failing", "timed_out": "failing",
                "no_pages": "failing", "no_articles": "failing", "interrupted": "warning", "errors": "warning",
                "fallbacks": "warning", "one_fallback": "ok", "challenge": "warning", "truncated": "warning",
                "dns": "warning", "not_due": "ok", "recovered": "ok"}
    assert {site: row.state for site, row in view.items()} == expected
    assert view["fine"].reason is None
    assert view["no_articles"].reason == "saw no articles"
    assert view["never"].last_run_id is None and view["failed"].last_run_status == "failed"
