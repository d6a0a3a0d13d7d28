"""Where the archive lives, and how to open it safely.

This is the one place that reads ``DATABASE_URL``. Everything that needs the
database (the Scrapy pipeline, the CLI, the scheduler, the tests) goes through
:func:`make_engine`, so SQLite gets the same pragmas everywhere and every
connection error is reported the same way: one line, with the password masked,
saying what to do.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "archive.sqlite3"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


class ArchiveDatabaseError(RuntimeError):
    """The archive database cannot be used; the message is one line a user can act on."""


def demo_database_url() -> str:
    """Where ``portal-archive demo`` keeps the fixture portals' archive: never the real one."""
    return f"sqlite:///{DEFAULT_SQLITE_PATH.with_name('demo.sqlite3')}"


def database_url() -> str:
    """The archive's URL: ``DATABASE_URL`` if set, else the SQLite file under ``data/``."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def mask(url: str | URL) -> str:
    """The URL as it may appear in logs and errors: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ArchiveDatabaseError(
            f"DATABASE_URL {mask(url)!s} is not a database URL; "
            "use sqlite:///path/to/archive.sqlite3 or postgresql+psycopg://user:pass@host/db"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ArchiveDatabaseError(
            f"DATABASE_URL {mask(parsed)} names an unsupported backend "
            f"{parsed.get_backend_name()!r}; use sqlite:/// or postgresql+psycopg://"
        )
    return parsed


def make_engine(url: str | None = None, *, echo: bool = False) -> Engine:
    """An engine for the archive at ``url`` (default: :func:`database_url`).

    SQLite is opened in WAL mode with a busy timeout, and every transaction
    starts with ``BEGIN IMMEDIATE``: several crawls write to one file at once,
    and a deferred transaction that upgrades from read to write fails at once
    with "database is locked" instead of waiting its turn.
    """
    parsed = parse_url(url or database_url())
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed, echo)
        else:
            engine = create_engine(parsed, echo=echo, pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise ArchiveDatabaseError(f"DATABASE_URL {mask(parsed)}: driver not installed ({exc})") from None
    return engine


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control away from pysqlite so BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection; an unreachable database is one ArchiveDatabaseError line, not a traceback."""
    try:
        with engine.connect() as connection:
            yield connection
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        raise ArchiveDatabaseError(
            f"cannot open the archive database {mask(engine.url)} (DATABASE_URL): {reason}. "
            "Check DATABASE_URL, or start the database server."
        ) from None


def check_connection(engine: Engine) -> None:
    """Fail with one line if the database cannot be reached."""
    with connect(engine) as connection:
        connection.execute(text("SELECT 1"))


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for ``migrations/``, optionally bound to an open connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.migration import MigrationContext

    with connect(engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` on ``engine`` (``alembic upgrade head``)."""
    from alembic import command

    with migration_connection(engine) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with migration_connection(engine) as connection:
        command.downgrade(alembic_config(connection), revision)


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction, fit for schema changes.

    On SQLite, Alembic changes a table by copying it, dropping the original and
    renaming the copy. Foreign keys must be off for that (dropping a referenced
    table would delete-cascade-check every row), and the legacy rename
    behaviour must be on (modern SQLite re-checks every view during the rename,
    while the table they name is briefly missing). Both are connection
    settings that only take effect outside a transaction.
    """
    with engine.connect() as connection:
        raw = connection.connection.driver_connection if engine.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("PRAGMA legacy_alter_table=ON")
        try:
            with connection.begin():
                _lock_schema(connection)
                yield connection
                if raw is not None and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise ArchiveDatabaseError("a migration left rows that break foreign keys; rolled back")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
                raw.execute("PRAGMA legacy_alter_table=OFF")


#: the PostgreSQL advisory lock key every schema change takes (an arbitrary constant of this project)
SCHEMA_LOCK_KEY = 0x7061_7263  # "parc"


def _lock_schema(connection: Connection) -> None:
    """Serialise schema changes: N crawls started on an empty database must build it once.

    PostgreSQL: a transaction-level advisory lock, released when the migration commits or
    its connection dies. SQLite: the transaction is already ``BEGIN IMMEDIATE`` (the
    engine's begin hook), which holds the file's write lock until it ends.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})


@contextmanager
def schema_locked(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the schema lock: for tables outside the
    migrations (APScheduler's job store) that several processes may create at once."""
    with connect(engine) as connection, connection.begin():
        _lock_schema(connection)
        yield connection


def ensure_schema(engine: Engine, *, create: bool = True) -> None:
    """Make sure the schema is at the head revision.

    An empty database is a new archive, and building its schema is safe, so it
    is migrated when ``create`` is true. A database at an older revision is
    never migrated behind the user's back: that is an explicit
    ``portal-archive migrate``. The decision is taken again under the schema
    lock, so of several processes that find an empty database one builds the
    schema and the others find it built.
    """
    check_connection(engine)
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None and create:
        from alembic import command
        from alembic.migration import MigrationContext

        with migration_connection(engine) as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current == head:
                return  # another process built it while we waited for the lock
            if current is None and not inspect(connection).get_table_names():
                logger.info("New archive at %s: creating the schema", mask(engine.url))
                command.upgrade(alembic_config(connection), "head")
                return
    if current is None:
        raise ArchiveDatabaseError(
            f"{mask(engine.url)} holds tables but no archive schema version; "
            "point DATABASE_URL at an archive database or an empty one"
        )
    raise ArchiveDatabaseError(
        f"the archive {mask(engine.url)} is at schema revision {current}, this code needs {head}; "
        "run `portal-archive migrate` (alembic upgrade head) first"
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (callers own ``begin()``)."""
    return sessionmaker(engine, expire_on_commit=False)
