"""Gone only after repeated failed checks over time; back on the first good fetch; every transition recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from archive.models import Article, ArticleEvent
from archive.removal import GonePolicy, declare_gone, record_missing
from archive.store import ensure_site
from tests.unit.test_store import T0, capture, site, store

DAY = timedelta(days=1)


def fail(sessions, at):  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        assert record_missing(session, ensure_site(session, site()).id, "h/s/1", at)


def gone(sessions, at) -> int:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        return declare_gone(session, ensure_site(session, site()).id, at, GonePolicy(), None)


def status(sessions) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        events = list(session.scalars(select(ArticleEvent.kind).order_by(ArticleEvent.id)))
        return session.scalars(select(Article.status)).one(), events


def test_one_failed_check_is_not_removal(sessions) -> None:
    store(sessions, capture())
    fail(sessions, T0 + DAY)
    assert gone(sessions, T0 + 30 * DAY) == 0
    assert status(sessions) == ("live", [])


def test_three_checks_in_one_day_are_not_enough(sessions) -> None:
    store(sessions, capture())
    for hours in (1, 2, 3):
        fail(sessions, T0 + timedelta(hours=hours))
    assert gone(sessions, T0 + timedelta(hours=4)) == 0


def test_three_checks_over_a_week_make_it_gone_and_one_fetch_brings_it_back(sessions) -> None:
    store(sessions, capture())
    for days in (1, 4, 8):
        fail(sessions, T0 + days * DAY)
    assert gone(sessions, T0 + 9 * DAY) == 1
    assert status(sessions) == ("gone", ["gone"])
    store(sessions, capture(at=T0 + 12 * DAY))
    assert status(sessions) == ("live", ["gone", "back"])
    with sessions() as session:
        article = session.scalars(select(Article)).one()
        assert (article.missing_since, article.missing_checks) == (None, 0)
        reasons = list(session.scalars(select(ArticleEvent.reason)))
        assert "3 failed checks since" in reasons[0]


def test_a_good_fetch_between_failures_resets_the_count(sessions) -> None:
    store(sessions, capture())
    fail(sessions, T0 + DAY)
    fail(sessions, T0 + 4 * DAY)
    store(sessions, capture(at=T0 + 5 * DAY))
    fail(sessions, T0 + 8 * DAY)
    assert gone(sessions, T0 + 20 * DAY) == 0


def test_a_missing_article_is_rechecked_soon_whatever_its_age(sessions) -> None:
    store(sessions, capture())
    fail(sessions, T0 + DAY)
    with sessions() as session:
        assert session.scalars(select(Article.next_check_at)).one() == T0 + 3 * DAY
