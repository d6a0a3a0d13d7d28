"""Schedules, the health rule, and the service's bookkeeping (job store, dead runs), without crawling."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, select

from archive.db import PROJECT_ROOT, session_factory
from archive.health import Health, RunSummary, assess, site_statuses
from archive.models import CrawlRun
from archive.runstats import HOST as STAT_HOST
from archive.runstats import PID as STAT_PID
from archive.store import finish_run, start_run
from crawler.schedules import ScheduleError, parse_duration, parse_schedule, resolve_schedules, spider_schedules
from crawler.service import CrawlService, ServiceConfig

QN, ML = "quangngai", "quangngai_minhlong"


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("1h30m", 5400),
                                               ("2d", 172800), ("1.5h", 5400)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("spec", ["hourly", "every", "every 5x", "every 0s", "1 2 3", "0 3 * * 1",
                                  "every 6h please"])
def test_bad_schedules_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(spec)


def test_every_schedules_with_jitter_of_a_tenth_at_most_ten_minutes() -> None:
    six_hours = parse_schedule("Every  6h")
    assert six_hours is not None and six_hours.spec == "every 6h"
    assert isinstance(six_hours.trigger, IntervalTrigger) and six_hours.trigger.interval == timedelta(hours=6)
    assert six_hours.trigger.jitter == 600
    assert parse_schedule("every 90s").trigger.jitter == 9  # type: ignore[union-attr]
    assert parse_schedule("every 3s").trigger.jitter is None  # type: ignore[union-attr]
    assert parse_schedule("off") is None and parse_schedule("never") is None


def test_crontab_schedules_run_in_vietnam_time() -> None:
    daily = parse_schedule("0 3 * * mon-fri")
    assert daily is not None and isinstance(daily.trigger, CronTrigger)
    fire = daily.trigger.get_next_fire_time(None, datetime(2026, 11, 23, 12, tzinfo=UTC))  # a Monday
    assert fire is not None and fire.utcoffset() == timedelta(hours=7)
    assert (fire.hour, fire.weekday()) == (3, 1)
    assert daily.trigger.jitter == 600
    assert parse_schedule("*/5 * * * *").trigger.jitter == 30  # type: ignore[union-attr]


def test_environment_wins_over_the_file_which_wins_over_the_class(tmp_path: Path) -> None:
    file = tmp_path / "schedules.toml"
    file.write_text('[schedules]\nb = "every 1h"\nc = "every 1h"\n', encoding="utf-8")
    defaults = {"a": "every 6h", "b": "every 6h", "c": "every 6h"}
    resolved = resolve_schedules(defaults, {"ARCHIVE_SCHEDULE_C": "off"}, file)
    specs = {site: s.spec if s else None for site, s in resolved.items()}
    assert specs == {"a": "every 6h", "b": "every 1h", "c": None}
    no_file = resolve_schedules(defaults, {}, tmp_path / "missing.toml")
    assert no_file["b"] is not None and no_file["b"].spec == "every 6h"


def test_schedule_errors_say_which_site_and_where(tmp_path: Path) -> None:
    file = tmp_path / "schedules.toml"
    file.write_text('[schedules]\nb = "sometimes"\n', encoding="utf-8")
    with pytest.raises(ScheduleError, match=r"schedule of b \(from .*schedules.toml\)"):
        resolve_schedules({"b": "every 6h"}, {}, file)
    with pytest.raises(ScheduleError, match="ARCHIVE_SCHEDULE_B"):
        resolve_schedules({"b": "every 6h"}, {"ARCHIVE_SCHEDULE_B": "every 5 parsecs"}, None)
    file.write_text('[schedules]\nnosuch = "every 1h"\n', encoding="utf-8")
    with pytest.raises(ScheduleError, match="no such site"):
        resolve_schedules({"b": "every 6h"}, {}, file)


def test_every_spider_has_a_valid_schedule_and_the_service_never_imports_the_reactor() -> None:
    code = ("import sys; from crawler.schedules import site_schedules; import crawler.cli.crawl; "
            "print(len(site_schedules(None))); assert 'twisted.internet.reactor' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_SCHEDULE_")})
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(spider_schedules()) >= 2


# -- health ----------------------------------------------------------------------------------


def summary(status: str = "finished", *, pages: int = 20, seen: int = 10, errors: int = 0, fallbacks: int = 0,
            new: int = 0) -> RunSummary:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return RunSummary(1, QN, start, start + timedelta(minutes=3), status, status, pages, new, new, seen - new,
                      fallbacks, errors, seen, None)


@pytest.mark.parametrize(("last", "previous", "state", "reason"), [
    (None, [], "unknown", "never crawled"),
    (summary(), [summary()], "ok", None),
    (summary(seen=0), [summary(seen=0)], "ok", None),  # a site that never shows articles is not worse today
    (summary(seen=0), [summary(seen=12)], "failing", "saw no articles (earlier runs saw up to 12)"),
    (summary("timed_out"), [], "failing", "last run timed out"),
    (summary("failed", pages=0), [], "failing", "fetched no pages"),
    (summary("interrupted"), [], "warning", "last run interrupted"),
    (summary(errors=3), [], "warning", "3 errors"),
    (summary(seen=4, new=4, fallbacks=3), [], "warning", "3 of 4 articles read by the fallback extractor"),
    (summary(seen=10, new=10, fallbacks=1), [], "ok", None),
])
def test_health_rule(
    last: RunSummary | None, previous: list[RunSummary], state: str, reason: str | None
) -> None:
    health = assess(last, previous)
    assert health.state == state
    assert reason is None or any(r.startswith(reason) for r in health.reasons), health.reasons
    assert health.healthy is (state == "ok") and str(Health("ok")) == "ok"


def add_run(engine: Engine, site: str, status: str = "finished", *, seen: int = 5, **stats: object) -> int:
    with session_factory(engine).begin() as session:
        run = start_run(session, site, None)
        if status != "running":
            finish_run(session, run.id, status=status, reason=status, counts={"pages": 9, "unchanged": seen},
                       stats={})
        else:
            run.stats = dict(stats)
        return run.id


def test_site_status_last_run_running_and_health(engine: Engine) -> None:
    add_run(engine, QN, seen=8)
    add_run(engine, QN, seen=0)
    add_run(engine, QN, "running", **{STAT_PID: os.getpid(), STAT_HOST: socket.gethostname()})
    with session_factory(engine).begin() as session:
        statuses = {s.site: s for s in site_statuses(session, [QN, ML])}
    assert statuses[QN].last is not None and statuses[QN].last.articles_seen == 0
    assert statuses[QN].running is not None and statuses[QN].health.state == "failing"
    assert statuses[ML].last is None and statuses[ML].health.state == "unknown"
    assert statuses[QN].as_json()["health"]["healthy"] is False and statuses[QN].next_run is None


# -- the service's job store and bookkeeping -------------------------------------------------


def service(engine: Engine, tmp_path: Path, **specs: str) -> CrawlService:
    schedules = {site: parse_schedule(spec) for site, spec in specs.items()}
    return CrawlService(ServiceConfig(log_dir=tmp_path, stagger=10), schedules, engine)


def next_runs(engine: Engine, tmp_path: Path, **specs: str) -> dict[str, datetime]:
    svc = service(engine, tmp_path, **specs)
    svc.open()
    try:
        return svc.next_runs()
    finally:
        svc.close()


def test_jobs_keep_their_next_run_across_restarts(engine: Engine, tmp_path: Path) -> None:
    add_run(engine, QN)
    now = datetime.now(UTC)
    first = next_runs(engine, tmp_path, quangngai="every 1h", quangngai_minhlong="every 2h")
    assert first[ML] <= now + timedelta(seconds=5)  # never crawled: due now
    assert timedelta(minutes=59) < first[QN] - now < timedelta(minutes=67)  # crawled: on its schedule
    assert next_runs(engine, tmp_path, quangngai="every 1h", quangngai_minhlong="every 2h") == first
    changed = next_runs(engine, tmp_path, quangngai="every 3h", quangngai_minhlong="off")
    assert set(changed) == {QN} and changed[QN] - now > timedelta(hours=2, minutes=59)


def test_overdue_sites_start_a_stagger_apart(engine: Engine, tmp_path: Path) -> None:
    svc = service(engine, tmp_path, quangngai="every 1h", quangngai_minhlong="every 1h")
    svc.open()
    try:
        svc._stagger_due()
        times = sorted(svc.next_runs().values())
        assert times[0] < times[1] and times[1] - datetime.now(UTC) > timedelta(seconds=9)
    finally:
        svc.close()


def test_dead_runs_are_settled_and_live_ones_block_their_site(engine: Engine, tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = add_run(engine, QN, "running", **{STAT_PID: gone.pid, STAT_HOST: socket.gethostname()})
    live = add_run(engine, ML, "running", **{STAT_PID: os.getpid(), STAT_HOST: socket.gethostname()})
    elsewhere = add_run(engine, ML, "running", **{STAT_PID: 1, STAT_HOST: "another-machine"})
    svc = service(engine, tmp_path, quangngai="every 1h")
    svc.open()
    try:
        result = svc.run_site(ML)
    finally:
        svc.close()
    assert result.status == "skipped" and f"run {live}" in result.reason
    with session_factory(engine)() as session:
        status = {run.id: (run.status, run.finish_reason) for run in session.scalars(select(CrawlRun))}
    assert status[dead][0] == "interrupted" and "process gone" in str(status[dead][1])
    assert status[live] == ("running", None) and status[elsewhere] == ("running", None)


def test_a_retired_portal_is_backfilled_monthly_from_the_archive() -> None:
    from sqlalchemy import create_engine

    from crawler.schedules import RETIRED_SCHEDULE, retired_sites
    from crawler.service import CrawlResult, CrawlService, ServiceConfig

    schedules = spider_schedules()
    retired = retired_sites()
    assert "quangngai_minhlong" in retired and "quangngai" not in retired
    assert {schedules[site] for site in retired} == {RETIRED_SCHEDULE}
    assert schedules["quangngai"] != RETIRED_SCHEDULE

    class Runner:
        calls: list[tuple[str, tuple[str, ...]]] = []

        def run(self, site: str, *, extra=(), spider_args=()):  # type: ignore[no-untyped-def]
            self.calls.append((site, tuple(spider_args)))
            return CrawlResult(site, "finished", "finished")

    for mirror, expected in ((None, ("source=wayback",)), ("http://127.0.0.1:1", ())):
        service = CrawlService(ServiceConfig(mirror=mirror), {}, create_engine("sqlite://"), retired=retired)
        service.runner = Runner()  # type: ignore[assignment]
        service.run_site("quangngai_minhlong")
        service.run_site("quangngai")
        assert Runner.calls[-2:] == [("quangngai_minhlong", expected), ("quangngai", ())]
        assert service.spider_args("quangngai_minhlong") == expected  # the main job (`run`) asks the same
