from datetime import UTC, datetime, timedelta

import pytest

from archive.ladder import LADDER, OLDEST_INTERVAL, next_check, recheck_interval

NOW = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "interval"),
    [(timedelta(hours=1), timedelta(hours=6)), (timedelta(days=5), timedelta(days=1)),
     (timedelta(days=30), timedelta(days=7)), (timedelta(days=200), timedelta(days=30)),
     (timedelta(days=3000), OLDEST_INTERVAL)],
)
def test_recent_articles_are_checked_often_old_ones_rarely(age: timedelta, interval: timedelta) -> None:
    assert recheck_interval(age) == interval
    assert next_check(NOW - age, NOW) == NOW + interval


def test_ladder_only_grows() -> None:
    intervals = [i for _, i in LADDER] + [OLDEST_INTERVAL]
    assert intervals == sorted(intervals)


def test_a_date_in_the_future_counts_as_brand_new() -> None:
    assert next_check(NOW + timedelta(days=3), NOW) == NOW + timedelta(hours=6)
