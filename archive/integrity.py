"""``portal-archive check --deep``: is every table of the archive readable, and which one is not.

Opening an archive reads only its schema, and most commands read a few tables,
so damage in the middle of a file (a bad disk block, a copy cut short and
patched, a file edited while open) goes unnoticed until the one query that
needs that page fails. This reads everything once:

* SQLite: ``PRAGMA quick_check`` over the file (every page of every table and
  index, without the slower cross-check of index entries against rows); if it
  finds damage, ``PRAGMA quick_check(<table>)`` per table says which.
* PostgreSQL: every row of every table, de-toasted (``row::text``), so damaged
  heap or TOAST pages fail on their table (page checksums, if the cluster has
  them, are verified on each read). Indexes are not checked (that is amcheck's
  work, and needs the extension).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Damage:
    table: str
    problem: str


def damaged_tables(engine: Engine) -> list[Damage]:
    """The damaged tables of the archive (empty if every table reads whole)."""
    if engine.dialect.name == "sqlite":
        return _sqlite_damage(engine)
    return [damage for table in _tables(engine) if (damage := _read_whole(engine, table))]


def _tables(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(inspect(connection).get_table_names())


def _problem(exc: DBAPIError) -> str:
    return str(exc.orig or exc).strip().splitlines()[0]


def _sqlite_damage(engine: Engine) -> list[Damage]:
    with engine.connect() as connection:
        try:
            if _quick_check(connection, None) is None:
                return []
        except DBAPIError:
            pass  # named per table below
        tables = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        ).scalars().all()
        found = []
        for table in tables:
            try:
                problem = _quick_check(connection, table)
            except DBAPIError as exc:
                problem = _problem(exc)
            if problem is not None:
                found.append(Damage(table, problem))
        # Damage outside every table (the free-page list, the schema's own pages) still is damage.
        return found or [Damage("(the database file)", _quick_check(connection, None) or "quick_check failed")]


def _quick_check(connection, table: str | None) -> str | None:  # type: ignore[no-untyped-def]
    """None if SQLite's quick_check finds nothing wrong, else its first finding."""
    quoted = '"' + table.replace('"', '""') + '"' if table else None
    rows = connection.exec_driver_sql(f"PRAGMA quick_check({quoted})" if quoted else "PRAGMA quick_check").all()
    findings = [row[0] for row in rows if row[0] != "ok"]
    return findings[0] if findings else None


def _read_whole(engine: Engine, table: str) -> Damage | None:
    quoted = engine.dialect.identifier_preparer.quote(table)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"SELECT count(*) FROM {quoted} AS r WHERE r::text IS NOT NULL")).scalar()
    except DBAPIError as exc:
        return Damage(table, _problem(exc))
    return None
