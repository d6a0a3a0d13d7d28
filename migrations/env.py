"""Alembic environment: the URL comes from archive.db, or tests hand us a connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from archive.db import make_engine, migration_connection
from archive.models import Base

config = context.config
target_metadata = Base.metadata


#: tables in the archive database that the models do not describe on purpose
FOREIGN_TABLES = {"apscheduler_jobs"}  # APScheduler's job store (crawler/service.py) manages its own
#: the search index (migration 0004, archive/search.py): FTS5 tables and their shadow tables
SEARCH_TABLES = ("search_index", "search_text")


def _include_name(name: str | None, type_: str, _parent: object) -> bool:
    return not (type_ == "table" and name and (name in FOREIGN_TABLES or name.startswith(SEARCH_TABLES)))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    from archive.db import database_url

    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = make_engine()
    with migration_connection(engine) as connection:
        _configure(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
