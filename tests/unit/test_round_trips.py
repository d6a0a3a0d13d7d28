"""Statements (round trips to the server) the store costs per article on PostgreSQL: a crawl
with the portal 100 ms away spends its pipeline time waiting on them (docs/benchmarks.md,
measure 1b). Counted by a SQLAlchemy event listener on the engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from archive.db import make_engine, session_factory, upgrade
from archive.models import Article, ArticleUrl, Snapshot, Version
from archive.store import Outcome, ensure_site, store_capture
from tests.pg import fresh_database
from tests.unit.test_store import T0, capture, site

pytestmark = pytest.mark.postgres

#: the issue's bound: at most this many round trips for a new article on PostgreSQL
NEW_ARTICLE_MAX = 5


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *_: object) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def pg_sessions(pg_admin_url: str) -> Iterator[sessionmaker[Session]]:
    with fresh_database(pg_admin_url) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield session_factory(engine)
        engine.dispose()


def test_a_new_article_costs_at_most_five_round_trips(pg_sessions) -> None:
    engine = pg_sessions.kw["bind"]
    with pg_sessions.begin() as session:
        site_id = ensure_site(session, site()).id
    for n in range(3):  # the first, and new articles after it (the plan cache warm)
        with counted(engine) as statements, pg_sessions.begin() as session:
            result = store_capture(session, capture(f"Bài {n}: hội nghị tổng kết.", key=f"k{n}",
                                                    url=f"https://h/{n}"), site_id=site_id)
        assert result.outcome is Outcome.NEW_ARTICLE
        assert len(statements) <= NEW_ARTICLE_MAX, "\n".join(s.split("\n")[0][:100] for s in statements)
    with pg_sessions() as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert (count(Article), count(ArticleUrl), count(Version), count(Snapshot)) == (3, 3, 3, 3)
        version = session.scalars(select(Version).where(Version.number == 1)).first()
        assert version is not None and version.snapshot is not None and version.snapshot.url == version.url


def test_an_unchanged_article_costs_few_round_trips(pg_sessions) -> None:
    engine = pg_sessions.kw["bind"]
    with pg_sessions.begin() as session:
        site_id = ensure_site(session, site()).id
        store_capture(session, capture(), site_id=site_id)
    with counted(engine) as statements, pg_sessions.begin() as session:
        result = store_capture(session, capture(at=T0 + timedelta(days=1)), site_id=site_id)
    assert result.outcome is Outcome.UNCHANGED
    # insert-or-nothing, read it locked, its timeline, the URL sighting, the updates
    assert len(statements) <= 6, "\n".join(s.split("\n")[0][:100] for s in statements)
