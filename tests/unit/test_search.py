"""Vietnamese full-text search: folding, query syntax, the index kept in step by
the store, and the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from archive.capture import ArticleCapture, SiteInfo
from archive.db import downgrade, upgrade
from archive.normalise import fold
from archive.queries import SearchQueryError, Term, parse_query, to_fts5, to_tsquery
from archive.search import (
    SearchFilters,
    _fold_fast,
    highlight_spans,
    index_text,
    rebuild_index,
    search,
    snippet,
)
from archive.store import ensure_site, store_capture

ICT = timezone(timedelta(hours=7))
T0 = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


# ---------------------------------------------------------------- folding and syntax


def test_index_text_folds_vietnamese_and_drops_punctuation() -> None:
    assert index_text("Thị xã Đức Phổ") == "thi xa duc pho"
    assert index_text("Quyết định số 02/2019/QĐ-UBND.") == "quyet dinh so 02 2019 qd ubnd"
    assert index_text(unicodedata.normalize("NFD", "DÂN VẬN khéo")) == "dan van kheo"
    assert index_text("“Dân vận khéo” – 2021_x") == "dan van kheo 2021 x"


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬĐÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ"


@given(st.text(alphabet=st.sampled_from(VIETNAMESE + " -/.,\u0301\u0323\u00a0ðÐİßǅ\u0345") | st.characters()))
def test_fast_fold_is_fold(value: str) -> None:
    assert _fold_fast(value) == fold(value)


def test_query_syntax() -> None:
    query = parse_query('Đức Phổ "dân vận khéo" qd-ubnd covid* lũ OR bão -"hội nghị" -x')
    assert query.clauses == (
        (Term(("duc",)),),
        (Term(("pho",)),),
        (Term(("dan", "van", "kheo")),),
        (Term(("qd", "ubnd")),),
        (Term(("covid",), prefix=True),),
        (Term(("lu",)), Term(("bao",))),
    )
    assert query.excluded == (Term(("hoi", "nghi")), Term(("x",)))
    assert parse_query('"unclosed phrase').clauses == ((Term(("unclosed", "phrase")),),)
    for nothing in ("", "  ", "-only", "— / –", "OR"):
        with pytest.raises(SearchQueryError):
            parse_query(nothing)


def test_queries_compile_for_fts5_and_tsquery() -> None:
    query = parse_query("qd-ubnd covid* lu OR bao -x")
    assert to_fts5(query) == '(("qd ubnd") AND ("covid" *) AND ("lu" OR "bao")) NOT ("x")'
    assert to_tsquery(parse_query("duc pho* -x")) == "('duc') & ('pho':*) & !'x'"
    # A phrase stays inside title (A), lead (B) or body (C), as it does in FTS5.
    assert to_tsquery(parse_query("qd-ubnd")) == (
        "((('qd':A <-> 'ubnd':A) | ('qd':B <-> 'ubnd':B) | ('qd':C <-> 'ubnd':C)))"
    )


def test_highlights_are_found_in_the_stored_spelling() -> None:
    value = "Thị xã ĐỨC PHỔ; Quyết định 02/2019/QĐ-UBND về Covid-19"
    spans = highlight_spans(value, parse_query("duc pho qd-ubnd covid*").terms)
    assert [value[a:b] for a, b in spans] == ["ĐỨC PHỔ", "QĐ-UBND", "Covid"]
    nfd = unicodedata.normalize("NFD", value)
    assert [nfd[a:b] for a, b in highlight_spans(nfd, parse_query("duc pho").terms)] == [
        unicodedata.normalize("NFD", "ĐỨC PHỔ")
    ]


def test_snippet_is_a_window_around_the_matches() -> None:
    body = (
        "Mở đầu bài viết.\n\n"
        + "Câu chuyện dài dòng không liên quan. " * 20
        + "Ban Dân vận Huyện ủy\n\nchủ trì."
    )
    text_, spans = snippet(body, parse_query("dan van").terms, width=80)
    assert text_.startswith("… ") and not text_.endswith(" …") and "\n" not in text_
    assert [text_[a:b] for a, b in spans] == ["Dân vận"]
    short, spans = snippet("Một câu ngắn.", parse_query("xyz").terms)
    assert (short, spans) == ("Một câu ngắn.", [])


# ---------------------------------------------------------------- the archive


def site(name: str, province: str = "Quảng Ngãi") -> SiteInfo:
    return SiteInfo(
        name=name,
        display_name=name,
        province=province,
        level="district",
        family="liferay",
        home_url=f"https://{name}.example/",
    )


def cap(
    key: str,
    title: str,
    body: str,
    *,
    lead: str = "",
    site_name: str = "quangngai",
    published: datetime = datetime(2023, 3, 10, 9, 0, tzinfo=ICT),
) -> ArticleCapture:
    return ArticleCapture(
        site=site_name,
        url=f"https://{site_name}.example/{key}",
        source_key=key,
        title=title,
        published_at=published,
        lead=lead,
        body_text=body,
    )


def store_all(sessions, *captures: ArticleCapture) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = {}
    for capture in captures:
        with sessions.begin() as session:
            province = "Sóc Trăng" if capture.site.startswith("soctrang") else "Quảng Ngãi"
            site_id = ensure_site(session, site(capture.site, province)).id
            ids[capture.source_key] = store_capture(session, capture, site_id=site_id).article_id
    return ids


CORPUS = [
    cap(
        "ducpho",
        unicodedata.normalize("NFD", "Thị xã Đức Phổ ra quân chống khai thác hải sản"),
        unicodedata.normalize("NFD", "UBND thị xã Đức Phổ tổ chức Lễ ra quân tại cảng Mỹ Á."),
    ),
    cap(
        "rules",
        "Ban hành Quy định quản lý Cổng thông tin",
        "Quyết định số 02/2019/QĐ-UBND ngày 08/01/2019.",
        published=datetime(2019, 1, 22, 10, 0, tzinfo=ICT),
    ),
    cap(
        "kheo",
        "Mô hình “Dân vận khéo” ở Châu Thành",
        "Ban Dân vận Huyện ủy ra mắt mô hình dân vận khéo.",
        site_name="soctrang_chauthanh",
        published=datetime(2021, 7, 8, 10, 15, tzinfo=ICT),
    ),
    cap(
        "apart",
        "Tiêm vắc xin Covid-19",
        "Cán bộ khéo léo sắp xếp; các tổ vận động người dân đi tiêm.",
        site_name="soctrang_chauthanh",
        published=datetime(2021, 9, 2, 14, 0, tzinfo=ICT),
    ),
    cap("boundary", "Gặp mặt nhân dân", "Hội nghị tổng kết năm.", lead="Vận động quyên góp ủng hộ."),
    cap("storm", "Khắc phục hậu quả bão số 9", "Hội nghị trực tuyến về bão và lũ lụt."),
    cap("covidmeet", "Hội nghị phòng chống Covid-19", "Hội nghị trực tuyến với các huyện."),
]


def keys(hits, ids) -> set[str]:  # type: ignore[no-untyped-def]
    names = {v: k for k, v in ids.items()}
    return {names[h.article_id] for h in hits}


@pytest.fixture
def corpus(sessions) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return store_all(sessions, *CORPUS)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("duc pho", {"ducpho"}),
        ("ĐỨC PHỔ", {"ducpho"}),
        ("qd-ubnd", {"rules"}),
        ("02/2019/QĐ-UBND", {"rules"}),
        ("dan van", {"kheo", "apart", "boundary"}),  # both words, anywhere
        ('"dan van"', {"kheo"}),
        ('"dân vận khéo"', {"kheo"}),
        ("dân vận khéo", {"kheo", "apart"}),
        ("covid*", {"apart", "covidmeet"}),
        ("bao OR lu", {"storm"}),
        ("hoi nghi -covid", {"boundary", "storm"}),
        ('"nhan dan van dong"', set()),  # title "…nhân dân" + lead "Vận động…": no phrase across fields
        ("nhan dan van dong", {"boundary"}),
        ("xyzzy", set()),
    ],
)
def test_search_finds_the_same_articles_on_both_backends(sessions, corpus, query, expected) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        assert keys(search(session, query), corpus) == expected


def test_hits_carry_site_date_snippet_and_highlights(sessions, corpus) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        [hit] = search(session, "duc pho")
    assert (hit.site, hit.version, hit.url) == ("quangngai", 1, "https://quangngai.example/ducpho")
    assert hit.published_at == datetime(2023, 3, 10, 2, 0, tzinfo=UTC) and hit.score > 0
    assert [hit.title[a:b] for a, b in hit.title_highlights] == ["Đức Phổ"]  # stored NFC
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["Đức Phổ"]


def test_title_matches_rank_first(sessions, corpus) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        hits = search(session, "hoi nghi")
    assert keys(hits[:1], corpus) == {"covidmeet"}  # in the title and twice in the body


def test_words_side_by_side_rank_first(sessions, corpus) -> None:  # type: ignore[no-untyped-def]
    """ "dân vận" is one word of two syllables; "nhân dân … vận động" is not it."""
    assert parse_query("dan van 2021").adjacent == [Term(("dan", "van", "2021"))]
    assert parse_query('dan van OR x "a b" c*').adjacent == []
    with sessions() as session:
        hits = search(session, "dan van")
    assert keys(hits[:1], corpus) == {"kheo"} and keys(hits, corpus) == {"kheo", "apart", "boundary"}


def test_filters_by_site_and_date(sessions, corpus) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        chauthanh = session.scalar(text("SELECT id FROM site WHERE name = 'soctrang_chauthanh'"))
        by_site = search(session, "khéo", SearchFilters(site_ids=[chauthanh]))
        in_july = search(
            session,
            "khéo",
            SearchFilters(since=datetime(2021, 7, 1, tzinfo=ICT), until=datetime(2021, 8, 1, tzinfo=ICT)),
        )
        nowhere = search(session, "khéo", SearchFilters(site_ids=[]))
    assert keys(by_site, corpus) == {"kheo", "apart"} and keys(in_july, corpus) == {"kheo"} and nowhere == []


def test_only_current_versions_are_found_and_shared_content_under_each_article(sessions) -> None:  # type: ignore[no-untyped-def]
    ids = store_all(
        sessions,
        cap("a", "Lũ lụt ở Minh Long", "Mưa lớn gây lũ lụt."),
        cap("a", "Mưa lớn ở Minh Long", "Mưa lớn kéo dài."),
        cap("p/1", "Bản tin chung", "Cùng một nội dung.", site_name="quangngai"),
        cap("d/9", "Bản tin chung", "Cùng một nội dung.", site_name="quangngai_minhlong"),
    )
    with sessions() as session:
        assert search(session, "lu lut") == []
        assert [(h.version, keys([h], ids)) for h in search(session, "mua lon")] == [(2, {"a"})]
        shared = search(session, "cung mot noi dung")
    assert keys(shared, ids) == {"p/1", "d/9"} and len({h.content_id for h in shared}) == 1


def test_ranking_a_few_candidates_first_gives_the_same_pages(sessions, corpus, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With the candidate lists cut to almost nothing, every page equals the page
    ranked from every match (the cut lists only hold up the fallback)."""
    import archive.search

    queries = ["hoi nghi", "dan van", "covid* OR bao", "khéo", "nhan dan van dong"]
    pages = [(limit, offset) for limit in (1, 2, 3) for offset in (0, 1, 2)]
    with sessions() as session:
        wanted = {
            (q, p): [(h.article_id, h.version) for h in search(session, q, limit=p[0], offset=p[1])]
            for q in queries
            for p in pages
        }
        monkeypatch.setattr(archive.search, "CANDIDATES", 1)
        monkeypatch.setattr(archive.search, "FILTERED_CANDIDATES", 1)
        for (q, (limit, offset)), expected in wanted.items():
            assert [
                (h.article_id, h.version) for h in search(session, q, limit=limit, offset=offset)
            ] == expected


def test_the_index_is_written_in_the_capture_transaction(sessions) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), sessions.begin() as session:
        site_id = ensure_site(session, site("quangngai")).id
        store_capture(session, cap("x", "Đức Phổ", "Thân bài."), site_id=site_id)
        assert search(session, "duc pho")  # visible inside the transaction
        raise RuntimeError("the crawl failed after storing")
    with sessions() as session:
        assert session.scalar(text("SELECT count(*) FROM search_index")) == 0
        assert session.scalar(text("SELECT count(*) FROM content")) == 0


def test_migration_backfills_and_reindex_rebuilds(engine, sessions) -> None:  # type: ignore[no-untyped-def]
    ids = store_all(sessions, *CORPUS[:3])
    downgrade(engine, "0003")
    upgrade(engine)
    with sessions.begin() as session:
        assert keys(search(session, "duc pho"), ids) == {"ducpho"}
        session.execute(text("DELETE FROM search_index"))
        assert search(session, "duc pho") == []
        assert rebuild_index(session, batch=2) == 3
        assert keys(search(session, "qd-ubnd"), ids) == {"rules"}
