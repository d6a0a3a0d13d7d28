"""Datasette's query time limit, kept by the project's SQL functions too (crawler/browse.py).

Datasette stops a query through SQLite's progress handler, which runs every 1,000
virtual-machine steps. A step that calls a Python function runs as long as the
function does, so a query of a few rows whose function calls each take a second
ran on unchecked: 12 s against a 5 s limit. Here Datasette's time-limit context
also records the query's deadline per connection, and each function call made past
it interrupts the query (``sqlite3.Connection.interrupt``), which Datasette then
reports as its own "query took too long". Each call is also kept short
(archive/search.py's snippet is linear; crawler/browse.py bounds its input).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

logger = logging.getLogger(__name__)

#: id(connection) -> time.perf_counter() deadline of the query running on it
_deadlines: dict[int, float] = {}
_installed = False


def install() -> None:
    """Wrap Datasette's time-limit context so the deadline of each query is known (once)."""
    global _installed
    if _installed:
        return
    import datasette.database as database

    original: Callable[[sqlite3.Connection, int], AbstractContextManager[None]] | None = getattr(
        database, "sqlite_timelimit", None
    )
    if original is None:
        logger.warning("Datasette has no sqlite_timelimit: archive_* functions cannot see its time limit")
        return

    @contextmanager
    def sqlite_timelimit(conn: sqlite3.Connection, ms: int) -> Iterator[None]:
        _deadlines[id(conn)] = time.perf_counter() + ms / 1000
        try:
            with original(conn, ms):
                yield
        finally:
            _deadlines.pop(id(conn), None)

    database.sqlite_timelimit = sqlite_timelimit
    _installed = True


def within_limit(conn: sqlite3.Connection, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` as a SQL function of ``conn`` that interrupts the query once past its deadline."""

    def call(*args: Any) -> Any:
        deadline = _deadlines.get(id(conn))
        if deadline is not None and time.perf_counter() >= deadline:
            conn.interrupt()  # SQLite stops at its next step with "interrupted": Datasette's time-out
            return None
        return function(*args)

    return call
