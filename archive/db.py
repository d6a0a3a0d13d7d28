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
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from archive import dburl
from archive.dburl import mask as mask  # re-exported: the one masker (archive/dburl.py)

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "archive.sqlite3"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
#: seconds a new connection waits to switch a SQLite file to WAL (the busy timeout's length)
WAL_SWITCH_WAIT = 60


class ArchiveDatabaseError(RuntimeError):
    """The archive database cannot be used; the message is one line a user can act on."""


class ArchiveReadOnly(ArchiveDatabaseError):
    """The archive can be read but not written (a read-only file, ``mode=ro``, ``immutable=1``)."""


def demo_database_url() -> str:
    """Where ``portal-archive demo`` keeps the fixture portals' archive: never the real one."""
    return f"sqlite:///{DEFAULT_SQLITE_PATH.with_name('demo.sqlite3')}"


def database_url() -> str:
    """The archive's URL: ``DATABASE_URL`` if set, else the SQLite file under ``data/``."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def parse_url(url: str) -> URL:
    """The parsed URL (SQLite URI parameters made effective), or one ArchiveDatabaseError line."""
    try:
        return dburl.parse_url(url)
    except dburl.BadDatabaseURL as exc:
        raise ArchiveDatabaseError(str(exc)) from None


def make_engine(url: str | None = None, *, echo: bool = False, reader: bool = False) -> Engine:
    """An engine for the archive at ``url`` (default: :func:`database_url`).

    A writer's SQLite connection is put in WAL mode with a busy timeout, and
    every transaction starts with ``BEGIN IMMEDIATE``: several crawls write to
    one file at once, and a deferred transaction that upgrades from read to
    write fails at once with "database is locked" instead of waiting its turn.
    A ``reader`` never writes, not even a pragma: it can read an archive on
    read-only storage, and never holds up a crawl (WAL readers and writers do
    not block each other).
    """
    raw = url or database_url()
    parsed = parse_url(raw)
    try:
        if parsed.get_backend_name() != "sqlite":
            # A reader's transactions are READ ONLY on PostgreSQL too: a write is refused by the server.
            readonly = {"postgresql_readonly": True} if reader else {}
            return create_engine(parsed, echo=echo, pool_pre_ping=True, execution_options=readonly)
        return _sqlite_reader(parsed, echo) if reader else _sqlite_writer(parsed, echo)
    except NoSuchModuleError:
        raise ArchiveDatabaseError(
            f"DATABASE_URL {mask(raw)} names a driver SQLAlchemy does not know ({parsed.drivername}); "
            "use sqlite:/// or postgresql+psycopg://"
        ) from None
    except ImportError as exc:
        raise ArchiveDatabaseError(
            f"DATABASE_URL {mask(raw)} needs the Python module {exc.name or exc}, which is not installed; "
            "use postgresql+psycopg:// (installed with portal-archive) or install that driver"
        ) from None


def _sqlite_writer(url: URL, echo: bool) -> Engine:
    if dburl.read_only(url):
        raise ArchiveReadOnly(
            f"DATABASE_URL {mask(url)} opens the archive read-only (mode=ro or immutable=1); "
            "this command writes to it: drop those parameters"
        )
    if path := dburl.sqlite_path(url):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Take transaction control away from pysqlite so BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _switch_to_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """``PRAGMA journal_mode=WAL``, waiting while another connection holds the file. Switching a new
    file to WAL needs it alone, and SQLite answers "database is locked" at once instead of calling the
    busy handler when several connections try together (N crawls on an empty archive did): retry,
    bounded like the busy timeout. Once the file is in WAL mode the pragma takes no lock."""
    deadline = time.monotonic() + WAL_SWITCH_WAIT
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_reader(url: URL, echo: bool) -> Engine:
    path = dburl.sqlite_path(url)
    if path is not None and not Path(path).exists():
        raise ArchiveDatabaseError(f"there is no archive at {mask(url)} yet; crawl first, or set DATABASE_URL")
    engine = create_engine(url, echo=echo, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # No journal_mode switch, no BEGIN IMMEDIATE: both write, and a reader may not be allowed to.
        dbapi_connection.execute("PRAGMA busy_timeout=60000")
        dbapi_connection.execute("PRAGMA query_only=ON")

    return engine


def reader_engine(url: str | None = None) -> Engine:
    """An engine that only reads the archive at ``url`` (default: DATABASE_URL), checked to be
    an archive at the head revision: one ArchiveDatabaseError line otherwise."""
    engine = make_engine(url, reader=True)
    try:
        check_connection(engine)
        if current_revision(engine) is None:
            raise ArchiveDatabaseError(
                f"{mask(engine.url)} holds no archive; run `portal-archive migrate` or crawl first"
            )
        ensure_schema(engine, create=False)
    except BaseException:
        engine.dispose()
        raise
    return engine


def describe_failure(exc: BaseException, url: str | URL) -> ArchiveDatabaseError:
    """The one line to print for a database failure: what went wrong, in the user's terms.

    Every failure to open or read the archive goes through here, so a random,
    truncated or corrupted SQLite file, a read-only file, an unreachable server
    each say what they are, and nothing of the URL's secrets reaches the text."""
    if isinstance(exc, ArchiveDatabaseError):
        return exc
    orig = getattr(exc, "orig", None) or exc
    reason = dburl.scrub((str(orig).strip().splitlines() or [type(orig).__name__])[0], url)
    where = mask(url)
    lowered = reason.lower()
    if "file is not a database" in lowered:
        return ArchiveDatabaseError(
            f"{where} is not a SQLite archive ({reason}): a random, truncated or encrypted file? "
            "Point DATABASE_URL at the archive, or restore it from a backup"
        )
    if "malformed" in lowered or "corrupt" in lowered:
        return ArchiveDatabaseError(
            f"the archive {where} is corrupted or truncated ({reason}); restore it from a backup "
            "(`portal-archive check --deep` names the damaged table while the schema still reads)"
        )
    if "readonly" in lowered or "read-only" in lowered:
        return ArchiveReadOnly(
            f"the archive {where} is read-only for this user ({reason}); reading commands work, "
            "crawls and migrate need write access"
        )
    if isinstance(exc, OperationalError) or isinstance(orig, OSError):
        hint = "Check DATABASE_URL, or start the database server."
        if "unable to open" in lowered:
            hint = ("Check that the file and its directory exist and are readable; an archive on read-only "
                    "storage opens with DATABASE_URL=sqlite:///path?immutable=1.")
        return ArchiveDatabaseError(f"cannot open the archive database {where} (DATABASE_URL): {reason}. {hint}")
    return ArchiveDatabaseError(f"the archive database {where} failed: {reason}")


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection; a database that cannot be opened or read is one ArchiveDatabaseError line."""
    try:
        with engine.connect() as connection:
            yield connection
    except DBAPIError as exc:
        raise describe_failure(exc, engine.url) from None


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
    refuse_unknown_revision(engine, current)
    raise ArchiveDatabaseError(
        f"the archive {mask(engine.url)} is at schema revision {current}, this code needs {head}; "
        "run `portal-archive migrate` (alembic upgrade head) first"
    )


def refuse_unknown_revision(engine: Engine, current: str | None) -> None:
    """An archive written by a newer portal-archive (a revision ``migrations/`` does not hold)
    is one true line: migrating it with this code is impossible, and going back would lose data."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if current is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(current)
    except CommandError:
        raise ArchiveDatabaseError(
            f"the archive {mask(engine.url)} is at schema revision {current}, which this portal-archive "
            f"does not know (its newest is {head_revision()}): a newer version wrote it; "
            "upgrade portal-archive to read it"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (callers own ``begin()``)."""
    return sessionmaker(engine, expire_on_commit=False)
