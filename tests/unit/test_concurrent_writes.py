"""Writers that meet: sites, articles, URLs and contents stored by several processes at the
same moment (threads with their own engines, released by one barrier) on both backends.
Check-then-insert lost these races on PostgreSQL with unique-key errors; the store's
``INSERT … ON CONFLICT`` must not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from archive.db import ensure_schema, make_engine, session_factory
from archive.models import Article, ArticleUrl, Content, Site, Version
from archive.store import ensure_site, store_capture
from tests.unit.test_lease import together
from tests.unit.test_store import T0, capture, site

WRITERS = 6


def test_simultaneous_writers_of_one_new_site_and_article_make_one_of_each(db_url) -> None:
    ensure_schema(make_engine(db_url))
    engines = [make_engine(db_url) for _ in range(WRITERS)]

    def write(i: int) -> str:
        with session_factory(engines[i]).begin() as session:
            site_id = ensure_site(session, site()).id
            # The same article seen at the same moment, one writer at a second URL (an alias).
            url = "https://h/alias" if i == 0 else capture().url
            seen = capture(url=url, at=T0 + timedelta(seconds=i))
            return str(store_capture(session, seen, site_id=site_id).outcome)

    outcomes = together(WRITERS, write)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert outcomes.count("new_article") == 1, outcomes
    with session_factory(engines[0])() as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert (count(Site), count(Article), count(Content), count(Version)) == (1, 1, 1, 1)
        urls = {u.url: u for u in session.scalars(select(ArticleUrl))}
        assert set(urls) == {capture().url, "https://h/alias"}
        article = session.scalars(select(Article)).one()
        assert article.first_seen_at == T0
        assert article.last_seen_at == T0 + timedelta(seconds=WRITERS - 1)
    for engine in engines:
        engine.dispose()


def test_a_url_seen_out_of_order_keeps_its_earliest_and_latest_sighting(sessions) -> None:
    with sessions.begin() as session:
        site_id = ensure_site(session, site()).id
    for at in (T0 + timedelta(days=2), T0, T0 + timedelta(days=1)):
        with sessions.begin() as session:
            store_capture(session, capture(at=at), site_id=site_id)
    with sessions() as session:
        url = session.scalars(select(ArticleUrl)).one()
        assert (url.first_seen_at, url.last_seen_at) == (T0, T0 + timedelta(days=2))
