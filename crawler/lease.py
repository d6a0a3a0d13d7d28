"""The per-site crawl lease: one process crawls a site at a time, whoever started it.

A crawl takes its site's lease before it fetches anything and gives it back when it ends.
The lease is a row in ``crawl_lease`` (migration 0010) that its holder renews every
``ttl / 4`` seconds; a holder that dies stops renewing, and its lease is free once it
expires. On the holder's own machine a dead holder is noticed at once (its pid is gone),
so a crawl killed there does not keep its site locked for a whole ``ttl``.

Taking the lease is one transaction that first inserts the row (``ON CONFLICT DO
NOTHING``) and otherwise locks the existing row (``SELECT … FOR UPDATE`` on PostgreSQL;
on SQLite every transaction is ``BEGIN IMMEDIATE``, archive/db.py, which locks the whole
file), so two crawls that start at the same moment cannot both win, on any backend.

Expiry is measured on the database's clock, never the crawler's: the crawlers may run on
machines whose clocks disagree (Scrapyd nodes, docs/scale-out.md).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Select, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from archive.db import connect
from archive.models import CrawlLease, CrawlRun
from crawler.runs import DEAD_PROCESS, process_alive

logger = logging.getLogger(__name__)

#: a lease not renewed for this many seconds is free (ARCHIVE_LEASE_TTL)
DEFAULT_TTL = 120.0
#: the exit code of a crawl refused because another process holds its site (EX_TEMPFAIL)
EX_TEMPFAIL = 75
#: finish reason of a run whose holder stopped renewing its lease (a dead node)
LEASE_EXPIRED = "lease expired: its crawl process or machine is gone"


@dataclass(frozen=True)
class Holder:
    """Who holds a site's lease, as the refused crawl reports it."""

    site: str
    holder: str
    run_id: int | None
    acquired_at: float
    expires_at: float

    def line(self) -> str:
        run = f", run {self.run_id}" if self.run_id else ""
        return (f"{self.site} is being crawled by {self.holder}{run} since {_clock(self.acquired_at)}; "
                f"not crawled now (its lease runs to {_clock(self.expires_at)} unless renewed)")


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def database_now(connection: Connection) -> float:
    """Seconds since the epoch on the database's clock (SQLite: the clock of the machine
    that holds the file, the only one that can write it)."""
    if connection.dialect.name == "postgresql":
        return float(connection.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one())
    return float(connection.execute(text("SELECT (julianday('now') - 2440587.5) * 86400.0")).scalar_one())


def describe_this_process(job: str | None = None) -> str:
    """The holder as written in the lease: pid and host, and the Scrapyd job (``-a _job``) if any."""
    return f"pid {os.getpid()} on {socket.gethostname()}" + (f" (Scrapyd job {job})" if job else "")


class SiteLease:
    """One process's lease on one site: :meth:`acquire`, then :meth:`hold` renews it in a
    thread until :meth:`release`."""

    def __init__(
        self, engine: Engine, site: str, *, ttl: float = DEFAULT_TTL, holder: str | None = None
    ) -> None:
        if ttl <= 0:
            raise ValueError(f"lease time {ttl!r} must be positive")
        self.engine = engine
        self.site = site
        self.ttl = ttl
        self.holder = holder or describe_this_process()
        self.token = secrets.token_hex(16)
        self.host, self.pid = socket.gethostname(), os.getpid()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self) -> Holder | None:
        """Take the lease: None when taken, else who holds it. A lease its holder let expire,
        or held by a dead process of this machine, is taken over, and the run it held is
        settled as interrupted."""
        with connect(self.engine) as connection, connection.begin():
            now = database_now(connection)
            if self._insert(connection, now):
                return None
            current = connection.execute(self._locked_row()).first()
            if current is None:  # released between our insert and our read: it is ours to take
                return None if self._insert(connection, now) else self._holder(connection)
            if current.expires_at > now and process_alive((current.host, current.pid)) is not False:
                return Holder(self.site, current.holder, current.run_id, current.acquired_at,
                              current.expires_at)
            self._take_over(connection, current, now)
            return None

    def _insert(self, connection: Connection, now: float) -> bool:
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        row = {"site": self.site, "token": self.token, "holder": self.holder[:300], "host": self.host,
               "pid": self.pid, "run_id": None, "acquired_at": now, "expires_at": now + self.ttl}
        statement = insert(CrawlLease).values(**row).on_conflict_do_nothing(index_elements=["site"])
        return bool(connection.execute(statement.returning(CrawlLease.site)).first())

    def _locked_row(self) -> Select[CrawlLease]:
        return select(CrawlLease).where(CrawlLease.site == self.site).with_for_update()

    def _holder(self, connection: Connection) -> Holder | None:
        row = connection.execute(select(CrawlLease).where(CrawlLease.site == self.site)).first()
        return Holder(self.site, row.holder, row.run_id, row.acquired_at, row.expires_at) if row else None

    def _take_over(self, connection: Connection, current, now: float) -> None:  # type: ignore[no-untyped-def]
        expired = current.expires_at <= now
        logger.warning("%s: taking over the lease of %s (%s)", self.site, current.holder,
                       "expired" if expired else "its process is gone")
        if current.run_id is not None:
            reason = LEASE_EXPIRED if expired else DEAD_PROCESS
            connection.execute(
                update(CrawlRun).where(CrawlRun.id == current.run_id, CrawlRun.status == "running")
                .values(status="interrupted", finish_reason=reason[:100], finished_at=datetime.now(UTC))
            )
        connection.execute(
            update(CrawlLease).where(CrawlLease.site == self.site, CrawlLease.token == current.token)
            .values(token=self.token, holder=self.holder[:300], host=self.host, pid=self.pid, run_id=None,
                    acquired_at=now, expires_at=now + self.ttl)
        )

    def renew(self) -> bool:
        """Push the expiry ``ttl`` on; False if the lease is no longer ours (it expired and was taken)."""
        with connect(self.engine) as connection, connection.begin():
            now = database_now(connection)
            done = connection.execute(
                update(CrawlLease).where(CrawlLease.site == self.site, CrawlLease.token == self.token)
                .values(expires_at=now + self.ttl)
            )
            return done.rowcount == 1

    def hold(self, on_lost: Callable[[], None] = lambda: None) -> None:
        """Renew the lease in a daemon thread until :meth:`release`; ``on_lost`` is called once
        if it is lost (renewal failed until it expired, and another crawl took it)."""
        self._thread = threading.Thread(target=self._renew_loop, args=(on_lost,), name=f"lease-{self.site}",
                                        daemon=True)
        self._thread.start()

    def _renew_loop(self, on_lost: Callable[[], None]) -> None:
        while not self._stop.wait(self.ttl / 4):
            try:
                if not self.renew():
                    logger.error("%s: the crawl lease was lost (not renewed in time); stopping", self.site)
                    on_lost()
                    return
            except Exception as exc:  # a database hiccup: the next renewal may still be in time
                logger.warning("%s: could not renew the crawl lease: %s", self.site, exc)

    def release(self) -> None:
        """Give the lease back (only if it is still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with connect(self.engine) as connection, connection.begin():
            connection.execute(
                delete(CrawlLease).where(CrawlLease.site == self.site, CrawlLease.token == self.token)
            )

    def attach_run(self, connection: Connection, run_id: int) -> None:
        """Record the run this lease's crawl opened (in the transaction that opened it)."""
        attach_run(connection, self.site, run_id)


def attach_run(connection: Connection, site: str, run_id: int) -> bool:
    """Mark the lease this process holds on ``site`` as held by ``run_id``: a crawl that
    takes over an expired lease settles that run. False when this process holds no lease
    (a crawl run in-process, as the benchmarks do)."""
    done = connection.execute(
        update(CrawlLease)
        .where(CrawlLease.site == site, CrawlLease.host == socket.gethostname())
        .where(CrawlLease.pid == os.getpid())
        .values(run_id=run_id)
    )
    return done.rowcount == 1


def current_holder(connection: Connection, site: str) -> Holder | None:
    """Who holds ``site`` now: None if nobody, or the lease expired, or its holder on this machine is dead."""
    row = connection.execute(select(CrawlLease).where(CrawlLease.site == site)).first()
    if row is None or row.expires_at <= database_now(connection):
        return None
    if process_alive((row.host, row.pid)) is False:
        return None
    return Holder(site, row.holder, row.run_id, row.acquired_at, row.expires_at)


def settle_expired_runs(connection: Connection, site: str | None = None) -> list[int]:
    """Runs still 'running' whose lease expired (their machine died, not only their process):
    interrupted. Runs without a lease row (in-process crawls) are left to their pid."""
    now = database_now(connection)
    query = select(CrawlLease.run_id).where(CrawlLease.run_id.is_not(None), CrawlLease.expires_at <= now)
    if site is not None:
        query = query.where(CrawlLease.site == site)
    ids = [i for i in connection.execute(query).scalars() if i is not None]
    if ids:
        connection.execute(
            update(CrawlRun).where(CrawlRun.id.in_(ids), CrawlRun.status == "running")
            .values(status="interrupted", finish_reason=LEASE_EXPIRED[:100], finished_at=datetime.now(UTC))
        )
    return ids
