"""The generic extractor on the "unknown portal" fixtures (tests/fixtures/sites/generic), whose
expected files come from the article data, not from the extractor; plus its date, title
and chrome rules on small pages."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from crawler.fallback import Extracted, extract_generic, parse_page_date
from tests.fixtures.sites.generic import build, expected
from tests.fixtures.sites.generic.articles import ARTICLES, Article
from tests.golden import TOKENS

GENERIC = Path(__file__).parents[1] / "fixtures" / "sites" / "generic"
ROUTES = json.loads((GENERIC / "manifest.json").read_text(encoding="utf-8"))["routes"]


def page_of(article: Article) -> str:
    data = (GENERIC / ROUTES[expected.expected(article)["key"]]["file"]).read_bytes()
    for token, value in TOKENS.items():
        data = data.replace(token, value)
    return data.decode("utf-8")


def fields(found: Extracted) -> dict[str, Any]:
    return {
        "title": found.title,
        "published_at": found.published_at.isoformat() if found.published_at else None,
        "author": found.body.author,
        "lead": found.lead,
        "body_text": found.body.text,
        "images": [{"url": i.url, "caption": i.caption} for i in found.body.images],
        "attachments": [{"url": a.url, "title": a.title} for a in found.body.attachments],
    }


@pytest.mark.parametrize("article", ARTICLES, ids=[a.name for a in ARTICLES])
def test_extracts_unknown_portal_article(article: Article) -> None:
    want = json.loads(expected.expected_path(article).read_text(encoding="utf-8"))
    found = extract_generic(page_of(article), want["url"])
    assert found is not None
    got = fields(found)
    assert got == {key: want[key] for key in got}


@pytest.mark.parametrize("article", ARTICLES, ids=[a.name for a in ARTICLES])
def test_without_class_names_body_date_and_author_still_hold(article: Article) -> None:
    """Unseen templates of the same families: every class, id, itemprop and role removed."""
    want = expected.expected(article)
    bare = re.sub(r'\s(?:class|id|itemprop|role)="[^"]*"', "", page_of(article))
    found = extract_generic(bare, want["url"])
    assert found is not None
    assert (found.body.text, found.body.author) == (want["body_text"], want["author"])
    assert found.published_at is not None and found.published_at.isoformat() == want["published_at"]
    if article.layout != "date-below":  # no class, no heading, no date line under it: nothing says "title"
        assert found.title == want["title"]


def test_text_is_nfc_and_counters_never_reach_the_body() -> None:
    for article in ARTICLES:
        found = extract_generic(page_of(article), expected.expected(article)["url"])
        assert found is not None
        text = found.body.text
        assert not re.search(
            r"Hôm nay|Đang (?:online|truy cập)|Lượt xem|Tổng lượt|16620562|111\.497|3,038", text
        )
        assert not re.search(r"Tin mới|Chia sẻ|bình luận|In trang|Trang chủ", text, re.IGNORECASE)
        assert unicodedata.is_normalized("NFC", text)


def test_fixture_output_is_current(tmp_path: Path) -> None:
    build.build(tmp_path)
    expected.write(tmp_path)
    for generated in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        committed = GENERIC / generated.relative_to(tmp_path)
        assert committed.exists() and committed.read_bytes() == generated.read_bytes(), (
            f"{committed} is stale: python -m tests.fixtures.sites.generic.build && "
            "python -m tests.fixtures.sites.generic.expected"
        )


# -- small pages --------------------------------------------------------------------------------

BODY = "".join(
    f"<p>Đoạn {n}: Ủy ban nhân dân xã tổ chức hội nghị, các đại biểu thảo luận, thống nhất nhiều giải pháp "
    f"phát triển kinh tế - xã hội trên địa bàn trong thời gian tới.</p>"
    for n in range(1, 4)
)


def page(*parts: str, title: str = "Cổng thông tin điện tử xã") -> str:
    return f"<html><head><title>{title}</title></head><body>{''.join(parts)}</body></html>"


def test_header_widget_date_is_never_the_articles_date() -> None:
    html = page(
        '<div class="top">Thứ Hai, 22/11/2026</div><h1>UBND XÃ TỊNH PHONG</h1>',
        "<h2>Hội nghị tổng kết công tác năm 2023 của xã</h2><p>Ngày đăng: 12/01/2024 14:00</p>",
        f"<div>{BODY}</div>",
    )
    found = extract_generic(html, "https://xa.vn/tin/1")
    assert found is not None
    assert found.title == "Hội nghị tổng kết công tác năm 2023 của xã"
    assert found.published_at is not None and found.published_at.isoformat() == "2024-01-12T14:00:00+07:00"


def test_no_date_in_the_header_means_none_not_a_sidebar_or_body_date() -> None:
    html = page(
        "<h2>Hội nghị tổng kết công tác năm 2023 của xã</h2>",
        f"<div>{BODY}<p>Ngày 3/2/1930 là ngày thành lập Đảng Cộng sản Việt Nam, một mốc son lịch sử.</p></div>",
        '<div><h3>Tin mới</h3><ul><li><a href="/a">Tin A</a> (21/11/2026)</li><li><a href="/b">Tin B</a> (20/11/2026)</li></ul></div>',
    )
    found = extract_generic(html, "https://xa.vn/tin/1")
    assert found is not None and found.published_at is None


def test_page_without_an_article_gives_none() -> None:
    html = page(
        "<h2>Hội nghị kỷ niệm 113 năm Ngày Quốc tế Phụ nữ 08/3</h2><p>08/03/2023 15:00</p><div></div>",
        "<footer><p>Cơ quan chủ quản: Ủy ban nhân dân huyện Minh Long. Địa chỉ: xã Long Hiệp, huyện Minh Long, "
        "tỉnh Quảng Ngãi.</p></footer>",
    )
    assert extract_generic(html, "https://x.vn/a") is None
    assert extract_generic("", "https://x.vn/a") is None


def test_og_title_beats_a_nearer_heading_and_the_video_line_is_media() -> None:
    html = page(
        '<h2 class="sapo-title">Chuyên mục Xã hội - Tin trong tỉnh</h2>',
        '<h1>Tiếp tục thực hiện tốt công tác dân vận</h1><div class="date">03/07/2020 17:45:55</div>',
        f"<div><p>http://baodongthap.com.vn/database/video/20200703065338Quyche2020.mp4</p>{BODY}</div>",
        title="Tiếp tục thực hiện tốt công tác dân vận - Báo Đồng Tháp",
    )
    found = extract_generic(html, "https://baodongthap.com.vn/a-1.aspx")
    assert found is not None
    assert found.title == "Tiếp tục thực hiện tốt công tác dân vận"
    assert found.body.images[0].url.endswith("Quyche2020.mp4") and ".mp4" not in found.body.text
    assert found.published_at is not None and found.published_at.isoformat() == "2020-07-03T17:45:55+07:00"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Ngày đăng: Thứ Ba, 12 Tháng 3 2024 08:30", "2024-03-12T08:30:00+07:00"),
        ("17 Tháng Năm, 2024", "2024-05-17T00:00:00+07:00"),
        ("Hà Nội, ngày 12 tháng 03 năm 2024", "2024-03-12T00:00:00+07:00"),
        ("Thứ hai, 04 Tháng 12 2023 15:10", "2023-12-04T15:10:00+07:00"),
        ("04 THÁNG MƯỜI HAI 2023", "2023-12-04T00:00:00+07:00"),
        ("Đăng ngày 17 - 05 - 2024", "2024-05-17T00:00:00+07:00"),
        ("Cập nhật lúc: 09:19 04/01/2017", "2017-01-04T09:19:00+07:00"),
        ("Sáng ngày 08/7", None),
    ],
)
def test_page_dates_are_day_first_with_month_names(text: str, iso: str | None) -> None:
    found = parse_page_date(text)
    assert (found.isoformat() if found else None) == iso
