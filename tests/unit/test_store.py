"""The store's versioning rules, on SQLite and PostgreSQL (schema built by the migrations)."""

from __future__ import annotations

import dataclasses
import hashlib
import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from archive.capture import ArticleCapture, AttachmentRef, RawPage, SiteInfo
from archive.models import Article, ArticleUrl, Attachment, Content, Snapshot, Version
from archive.store import Outcome, ensure_site, snapshot_bytes, store_capture

ICT = timezone(timedelta(hours=7))
T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def site(name: str = "quangngai_minhlong") -> SiteInfo:
    return SiteInfo(name=name, display_name=name, province="Quảng Ngãi", level="district", family="liferay",
                    home_url=f"https://{name}.example/")


def capture(body: str = "Chiều ngày 12/01/2023, Ban Thường vụ Huyện ủy tổ chức Hội nghị.", *, key: str = "h/s/1",
            url: str = "https://h/web/s/xem-chi-tiet/-/asset_publisher/Content/a?1", at: datetime = T0,
            attachments: list[AttachmentRef] | None = None, site_name: str = "quangngai_minhlong") -> ArticleCapture:
    return ArticleCapture(
        site=site_name, url=url, source_key=key, title="Tổng kết công tác dân vận năm 2023",
        published_at=datetime(2024, 1, 17, 8, 46, tzinfo=ICT), author="Thị Thoang", lead=body.split("\n\n")[0],
        body_text=body, body_html=f"<p>{body}</p>", attachments=attachments or [],
        page=RawPage(url=url, status=200, headers={"Content-Type": "text/html"}, body=f"<html>{body} {at}</html>".encode(),
                     fetched_at=at),
    )


def store(sessions, cap: ArticleCapture, site_name: str | None = None):  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        site_id = ensure_site(session, site(site_name or cap.site)).id
        return store_capture(session, cap, site_id=site_id)


def count(sessions, model) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_first_capture_is_a_new_article_with_version_1(sessions) -> None:
    result = store(sessions, capture())
    assert (result.outcome, result.version_number) == (Outcome.NEW_ARTICLE, 1)
    assert count(sessions, Article) == count(sessions, Version) == count(sessions, Content) == 1


def test_unchanged_fetch_only_moves_last_seen(sessions) -> None:
    store(sessions, capture())
    later = T0 + timedelta(days=3)
    result = store(sessions, capture(at=later))
    assert result.outcome is Outcome.UNCHANGED
    assert count(sessions, Version) == 1 and count(sessions, Snapshot) == 1
    with sessions() as session:
        version = session.scalars(select(Version)).one()
        assert (version.first_seen_at, version.last_seen_at) == (T0, later)
        assert session.scalars(select(Article)).one().last_seen_at == later


def test_nfd_and_entity_variants_are_the_same_content(sessions) -> None:
    store(sessions, capture("Quang cảnh hội nghị ngày 12/01"))
    nfd = unicodedata.normalize("NFD", "Quang cảnh hội nghị ngày 12/01")
    assert store(sessions, capture(nfd, at=T0 + timedelta(hours=1))).outcome is Outcome.UNCHANGED
    entities = "Quang c&#7843;nh h&#7897;i ngh&#7883;\u00a0ng&agrave;y 12/01\u200b"
    assert store(sessions, capture(entities, at=T0 + timedelta(hours=2))).outcome is Outcome.UNCHANGED


def test_edit_then_revert_makes_three_versions_and_reuses_content(sessions) -> None:
    a, b = "Bản gốc của bài viết.", "Bản đã sửa của bài viết."
    outcomes = [store(sessions, capture(text, at=T0 + timedelta(days=i))) for i, text in enumerate([a, b, a])]
    assert [o.outcome for o in outcomes] == [Outcome.NEW_ARTICLE, Outcome.NEW_VERSION, Outcome.NEW_VERSION]
    assert [o.version_number for o in outcomes] == [1, 2, 3]
    assert outcomes[0].content_id == outcomes[2].content_id != outcomes[1].content_id
    assert count(sessions, Content) == 2 and count(sessions, Version) == 3


def test_cross_posted_article_is_one_content_under_two_articles(sessions) -> None:
    first = store(sessions, capture(key="p/1", site_name="quangngai"))
    second = store(sessions, capture(key="d/9", site_name="quangngai_minhlong"))
    assert first.content_id == second.content_id
    assert (first.duplicate, second.duplicate) == (False, True)
    assert count(sessions, Content) == 1 and count(sessions, Article) == 2


def test_same_source_key_under_another_url_is_an_alias(sessions) -> None:
    store(sessions, capture())
    other = "https://h/web/s/xem-chi-tiet/-/asset_publisher/Content/a-khac?1"
    assert store(sessions, capture(url=other, at=T0 + timedelta(hours=1))).outcome is Outcome.UNCHANGED
    with sessions() as session:
        assert sorted(session.scalars(select(ArticleUrl.url))) == sorted([capture().url, other])


def pdf(data: bytes, url: str = "https://h/documents/1/2/KH.pdf/u") -> AttachmentRef:
    return AttachmentRef(url=url, title="KH.pdf", sha256=hashlib.sha256(data).hexdigest(), data=data,
                         media_type="application/pdf")


def test_replaced_attachment_is_a_new_version_and_bytes_are_stored_once(sessions) -> None:
    store(sessions, capture(attachments=[pdf(b"%PDF-1 v1")]))
    assert store(sessions, capture(attachments=[pdf(b"%PDF-1 v1")], at=T0 + timedelta(1))).outcome is Outcome.UNCHANGED
    assert store(sessions, capture(attachments=[pdf(b"%PDF-1 v2")], at=T0 + timedelta(2))).outcome is Outcome.NEW_VERSION
    assert count(sessions, Attachment) == 2
    with sessions() as session:
        assert session.scalar(select(Attachment.data).where(Attachment.size == 9)) in (b"%PDF-1 v1", b"%PDF-1 v2")


def test_failed_attachment_download_reuses_the_known_digest(sessions) -> None:
    store(sessions, capture(attachments=[pdf(b"%PDF-1 v1")]))
    failed = AttachmentRef(url="https://h/documents/1/2/KH.pdf/u", title="KH.pdf", error="HTTP 503")
    assert store(sessions, capture(attachments=[failed], at=T0 + timedelta(1))).outcome is Outcome.UNCHANGED


def test_snapshot_keeps_the_raw_bytes(sessions) -> None:
    cap = capture()
    store(sessions, cap)
    with sessions() as session:
        snap = session.scalars(select(Snapshot)).one()
        assert snapshot_bytes(snap) == cap.page.body
        assert snap.body_sha256 == hashlib.sha256(cap.page.body).hexdigest()


def test_store_never_commits(sessions) -> None:
    with sessions() as session:
        with session.begin():
            site_id = ensure_site(session, site()).id
        session.begin()
        store_capture(session, capture(), site_id=site_id)
        session.rollback()
    assert count(sessions, Article) == 0


def test_published_at_round_trips_as_aware_utc(sessions) -> None:
    store(sessions, capture())
    with sessions() as session:
        published = session.scalars(select(Content.published_at)).one()
    assert published == datetime(2024, 1, 17, 1, 46, tzinfo=UTC)


def test_naive_datetimes_are_refused(sessions) -> None:
    cap = dataclasses.replace(capture(), published_at=datetime(2024, 1, 17, 8, 46))
    with pytest.raises(Exception, match="naive"):
        store(sessions, cap)


def test_every_observation_schedules_the_next_check_by_age(sessions) -> None:
    cap = capture()
    cap.page.headers = {"ETag": '"abc"', "Last-Modified": "Wed, 17 Jan 2024 01:46:00 GMT"}
    store(sessions, cap)
    with sessions() as session:
        article = session.scalars(select(Article)).one()
        # published in January 2024, seen in November 2026: an old article, checked rarely
        assert article.next_check_at == T0 + timedelta(days=180)
        assert (article.etag, article.last_modified) == ('"abc"', "Wed, 17 Jan 2024 01:46:00 GMT")


def test_not_modified_moves_last_seen_without_a_version(sessions) -> None:
    from archive.store import touch_unchanged

    store(sessions, capture())
    later = T0 + timedelta(days=200)
    with sessions.begin() as session:
        site_id = ensure_site(session, site()).id
        assert touch_unchanged(session, site_id, "h/s/1", later)
        assert not touch_unchanged(session, site_id, "h/s/unknown", later)
    with sessions() as session:
        assert session.scalars(select(Version.last_seen_at)).one() == later
    assert count(sessions, Version) == 1


def history(sessions) -> list[tuple[int, str, datetime, datetime]]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        rows = session.execute(
            select(Version.number, Content.body_text, Version.first_seen_at, Version.last_seen_at)
            .join(Content, Content.id == Version.content_id).order_by(Version.number)
        )
        return [tuple(r) for r in rows]


def test_an_older_capture_of_a_new_text_is_inserted_in_time_order(sessions) -> None:
    """A web-archive capture from before the live versions becomes version 1; later ones renumber."""
    day = timedelta(days=1)
    store(sessions, capture("B", at=T0))
    store(sessions, capture("C", at=T0 + 10 * day))
    result = store(sessions, capture("A", at=T0 - 100 * day))
    assert (result.outcome, result.version_number) == (Outcome.NEW_VERSION, 1)
    assert [(n, body) for n, body, _, _ in history(sessions)] == [(1, "A"), (2, "B"), (3, "C")]


def test_an_older_capture_of_the_same_text_extends_the_version_backwards(sessions) -> None:
    day = timedelta(days=1)
    store(sessions, capture("A", at=T0))
    assert store(sessions, capture("A", at=T0 - 30 * day)).outcome is Outcome.UNCHANGED
    assert history(sessions) == [(1, "A", T0 - 30 * day, T0)]


def test_a_capture_between_two_versions_matching_the_earlier_extends_it(sessions) -> None:
    day = timedelta(days=1)
    store(sessions, capture("A", at=T0))
    store(sessions, capture("B", at=T0 + 10 * day))
    assert store(sessions, capture("A", at=T0 + 5 * day)).outcome is Outcome.UNCHANGED
    assert history(sessions) == [(1, "A", T0, T0 + 5 * day), (2, "B", T0 + 10 * day, T0 + 10 * day)]


def test_a_capture_between_two_versions_with_a_third_text_is_a_version_between(sessions) -> None:
    day = timedelta(days=1)
    store(sessions, capture("A", at=T0))
    store(sessions, capture("C", at=T0 + 10 * day))
    result = store(sessions, capture("B", at=T0 + 5 * day))
    assert result.version_number == 2
    assert [body for _, body, _, _ in history(sessions)] == ["A", "B", "C"]


def wayback(cap: ArticleCapture) -> ArticleCapture:
    assert cap.page is not None
    page = dataclasses.replace(cap.page, source="wayback", headers={"ETag": '"archive-etag"'},
                               capture_url=f"http://archive/web/2026id_/{cap.url}")
    return dataclasses.replace(cap, page=page)


def test_a_capture_from_before_the_failed_checks_does_not_revive_a_gone_article(sessions) -> None:
    day = timedelta(days=1)
    store(sessions, capture("A", at=T0))
    with sessions.begin() as session:
        article = session.scalars(select(Article)).one()
        article.status, article.missing_since, article.missing_checks = "gone", T0 + 20 * day, 3
    store(sessions, wayback(capture("A", at=T0 + 10 * day)))  # newer than every version, older than the checks
    with sessions() as session:
        article = session.scalars(select(Article)).one()
        assert (article.status, article.missing_checks) == ("gone", 3)
    store(sessions, wayback(capture("A", at=T0 + 30 * day)))  # the archive saw it after our checks failed
    with sessions() as session:
        assert session.scalars(select(Article)).one().status == "live"


def test_an_archive_etag_is_never_sent_to_the_portal(sessions) -> None:
    store(sessions, wayback(capture("A", at=T0)))
    with sessions() as session:
        article = session.scalars(select(Article)).one()
        assert (article.etag, article.last_modified) == (None, None)
        assert session.scalars(select(Snapshot)).one().capture_url.startswith("http://archive/")


def snapshots(sessions) -> list[tuple[datetime, str | None]]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return [(s.fetched_at, s.source) for s in session.scalars(select(Snapshot).order_by(Snapshot.id))]


def test_a_backfilled_versions_snapshot_is_its_earliest_capture(sessions) -> None:
    """The capture that first showed a version is its evidence (a WARC export then dates it right),
    whatever order a backfill fetched the captures in."""
    day = timedelta(days=1)
    store(sessions, wayback(capture("A", at=T0)))
    assert store(sessions, wayback(capture("A", at=T0 - 30 * day))).outcome is Outcome.UNCHANGED
    assert history(sessions) == [(1, "A", T0 - 30 * day, T0)]
    assert snapshots(sessions) == [(T0 - 30 * day, "wayback")]  # the later capture's raw page is not kept


def test_a_live_versions_snapshot_stays_the_live_page(sessions) -> None:
    day = timedelta(days=1)
    store(sessions, capture("A", at=T0))
    store(sessions, wayback(capture("A", at=T0 - 30 * day)))
    assert history(sessions) == [(1, "A", T0 - 30 * day, T0)]
    assert snapshots(sessions) == [(T0, "live")]
