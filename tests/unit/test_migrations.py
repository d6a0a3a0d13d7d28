"""The schema is built by the migrations, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from archive.db import current_revision, downgrade, head_revision, upgrade
from archive.models import Base

#: the search index (an FTS5 table and its shadow tables on SQLite; the folded
#: text and a tsvector table on PostgreSQL) is built by migration 0004 and has no model
SEARCH_TABLES = ("search_index", "search_text")


def models_only(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return not str(table).startswith(SEARCH_TABLES)


def test_upgrade_from_empty_reaches_head_and_matches_the_models(engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        options = {"compare_type": True, "include_object": models_only}
        diff = compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_back(engine) -> None:
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_each_migration_downgrades_with_data_in_place(engine, sessions) -> None:
    """Table rebuilds on SQLite must survive rows, foreign keys and the views that name the tables."""
    from tests.unit.test_store import capture, store

    store(sessions, capture())
    downgrade(engine, "0002")
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM article_current").scalar() == 1
