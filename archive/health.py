"""Each site's crawl record: its last run, the runs before it, and a simple health rule.

Also the row bookkeeping the crawl service (crawler/service.py) needs for runs whose
``scrapy crawl`` process could not finish its own ``crawl_run`` row (stopped at
its time limit, killed, or dead before its spider opened); which processes are
alive, and the scheduler's job store, are the crawler's business (crawler/runs.py).
The stat names and the "answered normally" rule are archive/runstats.py's.

The health rule compares a site's last finished run with its previous runs
(docs/reliability.md has the thresholds and why):

- ``failing``: the last run failed or timed out, fetched no pages, or saw no
  articles where one of the previous runs saw some;
- ``warning``: the last run was interrupted, had errors, saw under half the
  median of its previous runs' articles, read most of its articles (or a spike
  of them against its history) with the fallback extractor, met challenge pages,
  truncated or mis-decoded pages, DNS or TLS failures, or had more than a fifth
  of its requests fail (5xx, error pages, network errors: the share
  archive/runstats.py allows a run that answered normally);
- ``ok`` otherwise, ``unknown`` for a site never crawled.

A retired portal (``site.status = 'retired'``) is judged by its web-archive runs
(``archive/source = 'wayback'``) and live runs that answered normally (a mirror, the portal
back): a failed live run of it is expected and says nothing; without such a run it is
``unknown``. A backfill's captures already recorded count as seen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import runstats
from archive.models import CrawlRun, Site
from archive.store import finish_run, now_utc, start_run

logger = logging.getLogger(__name__)

#: how many earlier runs the last run is compared with
HISTORY = 5
#: a retired portal's recent runs read to find its web-archive runs among live ones
RETIRED_SCAN = 200
RETIRED_UNKNOWN = "retired portal, never backfilled from a web archive"
#: more than this share of a run's articles read by the fallback extractor is a warning
FALLBACK_SHARE = 0.5
#: a fallback share at least this high, and over twice the median share of the previous runs, is a spike
FALLBACK_SPIKE = 0.2
#: a sharp drop: fewer articles seen than this share of the median of the previous finished runs ...
DROP_SHARE = 0.5
#: ... when that median is at least this many articles, over at least this many previous runs (the
#: first runs of a site walk every listing; the incremental ones after them see much less)
DROP_MIN_ARTICLES, DROP_MIN_RUNS = 10, 3


@dataclass(frozen=True)
class RunSummary:
    id: int
    spider: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    finish_reason: str | None
    pages: int
    new_articles: int
    new_versions: int
    unchanged: int
    fallbacks: int
    errors: int
    #: articles the run came across: stored, unchanged, skipped as not due, or answered 304
    articles_seen: int
    log_path: str | None
    #: from the Scrapy stats: requests made, and those that failed or answered pages refused as articles
    requests: int = 0
    failed_requests: int = 0
    challenges: int = 0
    truncated: int = 0
    mis_decoded: int = 0
    charset_repaired: int = 0
    dns_errors: int = 0
    tls_errors: int = 0
    #: archive/runstats.py's rule: finished, some 200 answers, at most a fifth of the requests failed
    answered_normally: bool = False

    @property
    def duration(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None

    @classmethod
    def of(cls, run: CrawlRun) -> RunSummary:
        stats = run.stats or {}
        seen = run.new_versions + run.unchanged
        seen += runstats.count(stats, runstats.SKIPPED_NOT_DUE) + runstats.count(stats, runstats.NOT_MODIFIED)
        seen += runstats.count(stats, runstats.ALREADY_RECORDED)
        return cls(
            run.id, run.spider, run.started_at, run.finished_at, run.status, run.finish_reason, run.pages,
            run.new_articles, run.new_versions, run.unchanged, run.fallbacks, run.errors, seen, run.log_path,
            **_stat_counts(stats), answered_normally=runstats.answered_normally(run.status, stats),
        )

    def as_json(self) -> dict[str, Any]:
        out = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.__dict__.items()}
        return {**out, "duration": self.duration}


def _stat_counts(stats: dict[str, Any]) -> dict[str, int]:
    requests = runstats.Requests.of(stats)
    return {
        "requests": requests.total, "failed_requests": requests.failed,
        "challenges": runstats.count(stats, runstats.CHALLENGE), "truncated": runstats.count(stats, runstats.TRUNCATED),
        "mis_decoded": runstats.count(stats, runstats.MIS_DECODED),
        "charset_repaired": runstats.count(stats, runstats.CHARSET_REPAIRED),
        "dns_errors": runstats.count(stats, runstats.DNS_ERROR),
        "tls_errors": runstats.count(stats, runstats.TLS_ERROR),
    }


@dataclass(frozen=True)
class Health:
    state: str  # "ok" | "warning" | "failing" | "unknown"
    reasons: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        return self.state == "ok"

    def __str__(self) -> str:
        return self.state + (": " + "; ".join(self.reasons) if self.reasons else "")


@dataclass(frozen=True)
class SiteStatus:
    site: str
    last: RunSummary | None
    running: RunSummary | None
    next_run: datetime | None
    health: Health

    def as_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "last_run": self.last.as_json() if self.last else None,
            "running": self.running.as_json() if self.running else None,
            "next_run": self.next_run.isoformat() if self.next_run else None,
            "health": {"state": self.health.state, "healthy": self.health.healthy,
                       "reasons": list(self.health.reasons)},
        }


def assess(last: RunSummary | None, previous: Sequence[RunSummary]) -> Health:
    """The health rule of the module docstring, for a last run and the runs before it (newest first)."""
    if last is None:
        return Health("unknown", ("never crawled",))
    failing: list[str] = []
    warning: list[str] = []
    if last.status in ("failed", "timed_out"):
        failing.append(f"last run {last.status.replace('_', ' ')} ({last.finish_reason})")
    elif last.status == "interrupted":
        warning.append("last run interrupted")
    if last.pages == 0 and last.status != "interrupted":
        failing.append("fetched no pages")
    seen_before = max((run.articles_seen for run in previous), default=0)
    if last.articles_seen == 0 and seen_before > 0:
        failing.append(f"saw no articles (earlier runs saw up to {seen_before})")
    elif drop := _sharp_drop(last, previous):
        warning.append(drop)
    if last.errors:
        warning.append(f"{last.errors} errors")
    warning += _fallback_reasons(last, previous) + _page_reasons(last)
    if failing:
        return Health("failing", tuple(failing + warning))
    return Health("warning", tuple(warning)) if warning else Health("ok")


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _sharp_drop(last: RunSummary, previous: Sequence[RunSummary]) -> str | None:
    finished = [run.articles_seen for run in previous if run.status == "finished"]
    if len(finished) < DROP_MIN_RUNS or last.status != "finished":
        return None
    median = _median(finished)
    if median >= DROP_MIN_ARTICLES and last.articles_seen < DROP_SHARE * median:
        return f"saw {last.articles_seen} articles, under half the usual {median:g}"
    return None


def _fallback_share(run: RunSummary) -> float:
    return run.fallbacks / max(run.new_versions + run.unchanged, 1)


def _fallback_reasons(last: RunSummary, previous: Sequence[RunSummary]) -> list[str]:
    stored = last.new_versions + last.unchanged
    share = _fallback_share(last)
    usual = _median([_fallback_share(run) for run in previous]) if len(previous) >= DROP_MIN_RUNS else None
    if last.fallbacks >= 2 and share > FALLBACK_SHARE:
        return [f"{last.fallbacks} of {stored} articles read by the fallback extractor"]
    if usual is not None and last.fallbacks >= 3 and share >= FALLBACK_SPIKE and share > 2 * usual:
        return [f"{last.fallbacks} of {stored} articles read by the fallback extractor (usually {usual:.0%})"]
    return []


def _page_reasons(last: RunSummary) -> list[str]:
    """Pages refused or repaired, and requests that failed, as the Scrapy stats of the run tell."""
    reasons = []
    for count, what in ((last.challenges, "challenge pages (bot shield)"), (last.truncated, "truncated pages"),
                        (last.mis_decoded, "mis-decoded pages (wrong charset)"),
                        (last.dns_errors, "DNS lookup failures"), (last.tls_errors, "TLS failures")):
        if count:
            reasons.append(f"{count} {what}")
    if runstats.too_many_failed(last.failed_requests, last.requests):
        reasons.append(f"{last.failed_requests} of {last.requests} requests failed (5xx, error pages, network)")
    return reasons


def site_statuses(
    session: Session, sites: Iterable[str], next_runs: Mapping[str, datetime] | None = None
) -> list[SiteStatus]:
    """One status per site: the given ones and every site with a run in the archive; ``next_runs``
    from the crawl service's schedule (crawler/runs.py ``next_run_times``)."""
    known = set(sites) | set(session.scalars(select(CrawlRun.spider).distinct()))
    next_runs = next_runs or {}
    return [_site_status(session, site, next_runs.get(site)) for site in sorted(known)]


def _site_status(session: Session, site: str, next_run: datetime | None) -> SiteStatus:
    query = select(CrawlRun).where(CrawlRun.spider == site, CrawlRun.status != "running").order_by(CrawlRun.id.desc())
    retired = session.scalar(select(Site.status).where(Site.name == site)) == "retired"
    if retired:
        # A retired portal answers no more: a failed live crawl of it is expected, not unhealthy.
        # It is judged by its web-archive backfills (crawler/wayback.py marks them) and by live
        # runs that answered normally (a mirror of it, or the portal back).
        ended = [run for run in session.scalars(query.limit(RETIRED_SCAN)) if _judges_retired(run)][:HISTORY + 1]
    else:
        ended = list(session.scalars(query.limit(HISTORY + 1)))
    running = session.scalars(
        select(CrawlRun).where(CrawlRun.spider == site, CrawlRun.status == "running")
        .order_by(CrawlRun.id.desc())
    ).first()
    runs = [RunSummary.of(run) for run in ended]
    last = runs[0] if runs else None
    now = RunSummary.of(running) if running else None
    judged = Health("unknown", (RETIRED_UNKNOWN,)) if retired and last is None else assess(last, runs[1:])
    return SiteStatus(site, last, now, next_run, judged)


def _judges_retired(run: CrawlRun) -> bool:
    stats = run.stats or {}
    return stats.get(runstats.SOURCE) == runstats.WAYBACK or runstats.answered_normally(run.status, stats)


# -- bookkeeping for the crawl service ----------------------------------------------------


def crawled_sites(session: Session) -> set[str]:
    """Sites with at least one run that ended (a new site is crawled soon, a known one on its schedule)."""
    return set(session.scalars(select(CrawlRun.spider).where(CrawlRun.status != "running").distinct()))


def run_by_log_path(session: Session, log_path: str) -> CrawlRun | None:
    """The run a crawl process opened: the service gives each process its own log file."""
    query = select(CrawlRun).where(CrawlRun.log_path == log_path).order_by(CrawlRun.id.desc())
    return session.scalars(query).first()


def open_runs(session: Session, site: str | None = None) -> list[CrawlRun]:
    query = select(CrawlRun).where(CrawlRun.status == "running")
    return list(session.scalars(query.where(CrawlRun.spider == site) if site else query))


def settle_run(session: Session, run: CrawlRun, status: str, reason: str) -> None:
    """End a run its own process could not end; counts stay as the process left them."""
    run.status = status
    run.finish_reason = reason[:100]
    run.finished_at = run.finished_at or now_utc()


def record_unopened_run(
    session: Session, site: str, *, status: str, reason: str, log_path: str, started_at: datetime
) -> CrawlRun:
    """A run whose process ended before its spider opened (a crash at start-up, a bad setting)."""
    site_id = session.scalar(select(Site.id).where(Site.name == site))
    run = start_run(session, site, site_id, started_at=started_at)
    run.log_path = log_path
    finish_run(session, run.id, status=status, reason=reason[:100], counts={}, stats={})
    return run
