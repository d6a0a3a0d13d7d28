"""The per-site crawl lease and the schema lock (crawler/lease.py, archive/db.py), on both backends.

Races are made real with threads released by one barrier, each with its own engine
(its own connections), so the database, not the test's timing, decides who wins."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update

from archive.db import current_revision, ensure_schema, head_revision, make_engine
from archive.models import CrawlLease, CrawlRun
from archive.store import start_run
from crawler.lease import DEFAULT_TTL, LEASE_EXPIRED, SiteLease, attach_run, current_holder, settle_expired_runs

SITE = "quangngai"


def together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same moment; their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # reported to the test, not swallowed
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def expire(engine: Engine, site: str = SITE) -> None:
    with engine.begin() as connection:
        connection.execute(update(CrawlLease).where(CrawlLease.site == site).values(expires_at=0.0))


def test_a_held_site_is_refused_with_its_holder_and_free_after_release(engine) -> None:
    first = SiteLease(engine, SITE, holder="pid 1 on node-a")
    assert first.acquire() is None
    holder = SiteLease(engine, SITE).acquire()
    assert holder is not None and holder.holder == "pid 1 on node-a"
    line = holder.line()
    assert "\n" not in line and "quangngai is being crawled by pid 1 on node-a" in line
    first.release()
    again = SiteLease(engine, SITE)
    assert again.acquire() is None
    assert SiteLease(engine, "quangngai_minhlong").acquire() is None  # another site is another lease
    again.release()


def test_only_one_of_many_simultaneous_takers_wins(db_url) -> None:
    engine = make_engine(db_url)
    ensure_schema(engine)
    engines = [make_engine(db_url) for _ in range(6)]
    leases = [SiteLease(e, SITE, holder=f"taker {i}") for i, e in enumerate(engines)]
    results = together(len(leases), lambda i: leases[i].acquire())
    assert not [r for r in results if isinstance(r, Exception)], results
    winners = [i for i, r in enumerate(results) if r is None]
    assert len(winners) == 1, results
    assert {r.holder for r in results if r is not None} == {f"taker {winners[0]}"}
    for e in (*engines, engine):
        e.dispose()


def test_an_expired_lease_is_taken_over_and_its_run_interrupted(engine, sessions) -> None:
    dead = SiteLease(engine, SITE, holder="pid 9 on a dead node")
    assert dead.acquire() is None
    with sessions.begin() as session:
        run_id = start_run(session, SITE, None).id
        assert attach_run(session.connection(), SITE, run_id)
    assert SiteLease(engine, SITE).acquire() is not None  # not expired yet: refused
    expire(engine)
    with engine.connect() as connection:
        assert current_holder(connection, SITE) is None
    taker = SiteLease(engine, SITE)
    assert taker.acquire() is None
    with sessions() as session:
        run = session.get_one(CrawlRun, run_id)
        assert (run.status, run.finish_reason) == ("interrupted", LEASE_EXPIRED)
        assert run.finished_at is not None
    assert dead.renew() is False  # the old holder learns it lost the site
    assert taker.renew() is True
    taker.release()


def test_a_lease_of_a_dead_process_on_this_machine_is_free_at_once(engine) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True)
    lease = SiteLease(engine, SITE)
    assert lease.acquire() is None
    with engine.begin() as connection:
        connection.execute(update(CrawlLease).values(pid=int(gone.stdout)))
    assert SiteLease(engine, SITE).acquire() is None


def test_expired_runs_are_settled_for_status(engine, sessions) -> None:
    lease = SiteLease(engine, SITE, ttl=DEFAULT_TTL)
    assert lease.acquire() is None
    with sessions.begin() as session:
        run_id = start_run(session, SITE, None).id
        attach_run(session.connection(), SITE, run_id)
    with engine.begin() as connection:
        assert settle_expired_runs(connection) == []  # alive: left alone
    expire(engine)
    with engine.begin() as connection:
        assert settle_expired_runs(connection, SITE) == [run_id]
        status = connection.execute(select(CrawlRun.status).where(CrawlRun.id == run_id)).scalar()
        assert status == "interrupted"


def test_a_held_lease_is_renewed_by_its_thread(engine) -> None:
    lease = SiteLease(engine, SITE, ttl=0.4)
    assert lease.acquire() is None
    lease.hold()
    try:
        with engine.connect() as connection:
            before = connection.execute(select(CrawlLease.expires_at)).scalar_one()
        threading.Event().wait(1.0)
        with engine.connect() as connection:
            assert connection.execute(select(CrawlLease.expires_at)).scalar_one() > before
    finally:
        lease.release()
    with engine.connect() as connection:
        assert connection.execute(select(CrawlLease)).first() is None


def test_many_processes_build_an_empty_archive_once(db_url) -> None:
    """N crawls on an empty database: one builds the schema under the lock, the others find it built."""
    engines = [make_engine(db_url) for _ in range(4)]
    results = together(len(engines), lambda i: ensure_schema(engines[i]))
    assert results == [None] * len(engines), results
    assert current_revision(engines[0]) == head_revision()
    with engines[0].connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    for e in engines:
        e.dispose()


def test_the_lease_takes_no_lock_from_a_process_without_one(engine, sessions) -> None:
    with sessions.begin() as session:
        run_id = start_run(session, SITE, None).id
        assert attach_run(session.connection(), SITE, run_id) is False
    assert os.getpid()  # nothing to release: no row was written
    with engine.connect() as connection:
        assert connection.execute(select(CrawlLease)).first() is None


@pytest.mark.parametrize("ttl", [0, -1])
def test_a_lease_time_must_be_positive(engine, ttl) -> None:
    with pytest.raises(ValueError):
        SiteLease(engine, SITE, ttl=ttl)
