"""Deciding that an article is gone from its portal, and that it came back.

An archive is trusted only if it never records a falsehood, and "removed" is
the easiest falsehood to record: a portal down for an hour, a bot shield, a
CMS migration would each make hundreds of articles look deleted. So:

* a failed check (404/410, a 200 page saying the article does not exist, a
  redirect to the home page) only counts; the article stays live;
* an article is declared gone only after ``min_checks`` failed checks spread
  over at least ``min_span``, and only at the end of a run in which its site
  otherwise answered normally (the caller decides that);
* one successful fetch makes it live again;
* every transition is an ``article_event`` row with its time and reason.

Defaults (3 checks over 7 days, re-checked every 2 days while missing) are in
docs/reliability.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Article, ArticleEvent, Site

MISSING_RECHECK = timedelta(days=2)


@dataclass(frozen=True)
class GonePolicy:
    min_checks: int = 3
    min_span: timedelta = timedelta(days=7)


def record_missing(session: Session, site_id: int, source_key: str, at: datetime) -> bool:
    """Count one failed check of a known article; False if the archive does not know it."""
    article = session.scalar(select(Article).where(Article.site_id == site_id, Article.source_key == source_key))
    if article is None:
        return False
    if article.missing_since is None:
        article.missing_since = at
    article.missing_checks += 1
    article.next_check_at = at + MISSING_RECHECK  # a missing article is re-checked soon, whatever its age
    return True


def record_present(session: Session, article: Article, at: datetime, run_id: int | None) -> None:
    """The article was fetched successfully: clear its failed checks, revive it if it was gone."""
    if article.status == "gone":
        session.add(ArticleEvent(article_id=article.id, at=at, kind="back", crawl_run_id=run_id,
                                 reason=f"fetched again with an article page after being gone since {_day(article)}"))
        article.status = "live"
    article.missing_since = None
    article.missing_checks = 0


def declare_gone(session: Session, site_id: int, at: datetime, policy: GonePolicy, run_id: int | None) -> int:
    """Mark gone the live articles of a site whose failed checks meet the policy; how many."""
    candidates = session.scalars(
        select(Article).where(
            Article.site_id == site_id,
            Article.status == "live",
            Article.missing_checks >= policy.min_checks,
            Article.missing_since <= at - policy.min_span,
        )
    ).all()
    for article in candidates:
        article.status = "gone"
        session.add(ArticleEvent(
            article_id=article.id, at=at, kind="gone", crawl_run_id=run_id,
            reason=f"{article.missing_checks} failed checks since {article.missing_since:%Y-%m-%d %H:%M} UTC "
                   "(not found, soft 404 or redirect to the home page) while the site answered normally",
        ))
    return len(candidates)


def mark_site_redirected(session: Session, site_id: int, target: str) -> None:
    """The portal now sends its pages elsewhere (a successor after the merger)."""
    site = session.get_one(Site, site_id)
    site.status = "redirected"
    site.successor_url = target


def _day(article: Article) -> str:
    return f"{article.missing_since:%Y-%m-%d}" if article.missing_since else "an earlier run"
