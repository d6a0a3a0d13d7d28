"""When to look at an article again.

Portals edit most articles in the first hours and days after publication
(typos, a photo, a corrected figure) and almost never years later, so a
scheduled crawl re-checks recent articles often and old ones rarely. The age is
taken from the publication date, or from when the archive first saw the
article if the page states none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

#: (articles younger than this, are re-checked this often)
LADDER: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(days=2), timedelta(hours=6)),
    (timedelta(days=14), timedelta(days=1)),
    (timedelta(days=90), timedelta(days=7)),
    (timedelta(days=365), timedelta(days=30)),
)
OLDEST_INTERVAL = timedelta(days=180)


def recheck_interval(age: timedelta) -> timedelta:
    for younger_than, interval in LADDER:
        if age < younger_than:
            return interval
    return OLDEST_INTERVAL


def next_check(published_or_first_seen: datetime, checked_at: datetime) -> datetime:
    """The next time an article seen at ``checked_at`` is due for a re-check."""
    age = max(checked_at - published_or_first_seen, timedelta(0))
    return checked_at + recheck_interval(age)
