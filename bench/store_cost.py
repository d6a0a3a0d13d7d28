"""Measure 4: what storing one capture costs with 1,000 and with 100,000 articles archived.

The archive is filled with realistic filler rows (bench/populate.py), then captures made by
the real spider from synthetic pages are stored one transaction each, as the pipeline does:
new articles, and unchanged re-fetches of articles already archived. On SQLite every
statement of one store is also run through EXPLAIN QUERY PLAN to show it uses an index.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event, text

from archive.capture import ArticleCapture
from archive.db import make_engine, session_factory, upgrade
from archive.store import ensure_site, start_run, store_capture
from bench.inprocess import Pages
from bench.populate import Filler
from bench.portal import LiferayPortal

WARMUP = 5


def measure_backend(url: str, sizes: tuple[int, ...], samples: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    portal = LiferayPortal(200_000)
    pages = Pages(portal)
    with sessions.begin() as session:
        site_id = ensure_site(session, pages.spider.site_info()).id
        run_id = start_run(session, "bench", site_id).id
    filler = Filler(engine, site_id=site_id, run_id=run_id, host=portal.site.host, site=portal.site.site)

    def store(capture: ArticleCapture) -> float:
        started = time.perf_counter()
        with sessions.begin() as session:
            store_capture(session, capture, site_id=site_id, run_id=run_id)
        return time.perf_counter() - started

    out: dict[str, Any] = {"sizes": {}}
    filled, next_serial = 0, 0
    for size in sizes:
        known = list(range(next_serial, next_serial + samples + WARMUP))
        fresh = range(known[-1] + 1, known[-1] + 1 + samples + WARMUP)
        next_serial = fresh.stop
        started = time.perf_counter()
        need = max(size - _count(engine) - len(known), 0)
        filler.add(filled, filled + need)
        filled += need
        for serial in known:
            store(pages.capture(serial))
        settle(engine)
        out["sizes"][size] = {
            "articles": _count(engine),
            "fill_seconds": time.perf_counter() - started,
            **_timed(store, [pages.capture(s) for s in fresh], "new"),
            **_timed(store, [pages.capture(s, fetch=1) for s in known], "unchanged"),
        }
    if engine.dialect.name == "sqlite":
        new, again = pages.capture(next_serial), pages.capture(0, fetch=2)
        out["plans"] = query_plans(engine, lambda: (store(new), store(again)))
    engine.dispose()
    return out


def _timed(
    store: Callable[[ArticleCapture], float], captures: list[ArticleCapture], kind: str
) -> dict[str, float]:
    """Median and mean milliseconds per store, the warm-up stores left out."""
    times = [store(c) for c in captures][WARMUP:]
    return {f"{kind}_ms": 1000 * statistics.median(times), f"{kind}_mean_ms": 1000 * statistics.fmean(times)}


def settle(engine: Engine) -> None:
    """After a bulk fill: fresh planner statistics, and (SQLite) the write-ahead log folded into
    the database, so the first timed commits do not pay for the fill's checkpoint."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.connection.driver_connection.execute("ANALYZE")
            connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.connection.driver_connection.autocommit = True
            connection.connection.driver_connection.execute("VACUUM ANALYZE")


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM article")).scalar_one())


def query_plans(engine: Engine, action: Callable[[], Any]) -> dict[str, Any]:
    """Every statement ``action`` runs, with SQLite's plan; the ones that scan a whole table."""
    statements: list[tuple[str, Any]] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "EXPLAIN")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    scans: list[str] = []
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT")):
                continue
            plan = raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            scans += [
                f"{row[-1]} — in: {' '.join(statement.split())[:140]}"
                for row in plan
                if str(row[-1]).startswith("SCAN") and "VIRTUAL TABLE" not in str(row[-1])
            ]
    return {"statements": len(statements), "scans": scans}


STORE_TARGET = 1.5


def store_cost(b: Any) -> Any:
    from bench.common import Row, Section

    section = Section("store", "4. Store cost per item against the archive's size")
    small, large = b.size.store_sizes[0], b.size.store_sizes[-1]
    for backend in b.heavy_backends:
        with b.database(backend) as url:
            found = measure_backend(url, b.size.store_sizes, b.size.store_samples)
        section.data[backend] = found
        at = found["sizes"]
        for kind in ("new", "unchanged"):
            ratio = at[large][f"{kind}_ms"] / at[small][f"{kind}_ms"]
            section.rows.append(
                Row(
                    "4",
                    f"store_capture, {kind} article ({backend}): {large:,} ÷ {small:,} archived",
                    f"{ratio:.2f} ({at[small][f'{kind}_ms']:.1f} ms → {at[large][f'{kind}_ms']:.1f} ms per "
                    "item)",
                    f"≤ {STORE_TARGET}",
                    ratio <= STORE_TARGET,
                )
            )
        if plans := found.get("plans"):
            scans = plans["scans"]
            section.rows.append(
                Row(
                    "4",
                    f"full-table scans in a new and an unchanged store ({backend}, EXPLAIN QUERY PLAN)",
                    f"{len(scans)} of {plans['statements']} statements",
                    "0",
                    not scans,
                )
            )
            section.details += [f"- scan: `{s}`" for s in scans]
    section.details.insert(
        0,
        (
            f"Median of {b.size.store_samples} stores per kind and size, one transaction each (as the "
            "pipeline does), "
            "after 5 warm-up stores; the archive is filled with filler rows (bench/populate.py), the timed "
            "captures are "
            "made by the real spider from synthetic pages. Fill times: "
            + "; ".join(
                f"{backend} {size:,}: {v['fill_seconds']:.0f} s"
                for backend, d in section.data.items()
                for size, v in d["sizes"].items()
            )
            + "."
        ),
    )
    return section
