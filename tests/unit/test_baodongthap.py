"""Báo Đồng Tháp: URL eras and identity, the ĐTO lead mark, listings, and every fixture
article page against its source data (tests/fixtures/sites/newspaper)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from archive.capture import ArticleCapture
from archive.hashing import content_hash
from archive.normalise import normalise_text
from crawler.families.base import META_KIND, META_SOURCE_KEY
from crawler.families.newspaper import ERA_2025, ERA_2026, article_key, choose_lead, era_of, has_dto_prefix
from spiders.baodongthap import BaoDongThapSpider
from tests.fixtures.sites.newspaper import build
from tests.golden import TOKENS
from tests.shared import seed

FIXTURE = Path(__file__).parents[1] / "fixtures" / "sites" / "newspaper"
ROUTES: dict[str, dict[str, Any]] = json.loads((FIXTURE / "manifest.json").read_text(encoding="utf-8"))["routes"]
RECORDS: list[dict[str, Any]] = json.loads((FIXTURE / "articles.json").read_text(encoding="utf-8"))["articles"]
ARTICLES = {r["name"]: r for r in RECORDS}
SEED = "baodongthap_2020-07.txt"
HOST, OLD_HOST = "https://baodongthap.vn/", "https://baodongthap.com.vn/"
CHROME = ("Trở về trang trước", "Gửi bình luận", "Lượt xem", "Đang truy cập", "database/video", "__VIEWSTATE", "Các tin khác")


@pytest.fixture(scope="module")
def spider() -> BaoDongThapSpider:
    return BaoDongThapSpider()


def response(key: str, scheme: str = "https") -> HtmlResponse:
    body = (FIXTURE / ROUTES[key]["file"]).read_bytes()
    for token, value in TOKENS.items():
        body = body.replace(token, value)
    url = f"{scheme}://{key}"
    return HtmlResponse(url, body=body, headers={"Content-Type": ROUTES[key]["type"]}, request=Request(url))


def capture(spider: BaoDongThapSpider, key: str) -> ArticleCapture:
    items = list(spider.parse_article(response(key)))
    assert len(items) == 1, key
    return items[0]


def digest(item: ArticleCapture) -> str:
    return content_hash(title=item.title, lead=item.lead, body_text=item.body_text, author=item.author,
                        published_at=item.published_at, attachment_digests=[a.hash_token() for a in item.attachments])


# -- the ĐTO lead mark -------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "ĐTO - Sáng 3/7, tại Bộ Chỉ huy Quân sự tỉnh",
    "(ĐTO) Ngày 10/5, Công an tỉnh cho biết",
    "ĐTO- Chiều 27/6",
    "ĐTO – Tối 18/1",  # en dash
    "( ĐTO ) Ngày 14/10",
    "&#272;TO - S&aacute;ng 3/7",  # entities
    unicodedata.normalize("NFD", "ĐTO - Sáng 3/7"),
    "\u00a0ĐTO\u00a0-\u00a0Sáng 3/7",  # NBSP
    "ÐTO - Sáng 3/7",  # U+00D0 from legacy converters
])
def test_lead_mark_is_recognised(text: str) -> None:
    assert has_dto_prefix(text)


@pytest.mark.parametrize("text", [
    "Sở Y tế vừa có văn bản chỉ đạo",
    "Theo ĐTO - nguồn tin",
    "ĐTO Sáng 3/7",
    "ĐTOX - Sáng 3/7",
    "đto - viết thường",
    "",
])
def test_other_openings_are_not_the_lead_mark(text: str) -> None:
    assert not has_dto_prefix(text)


def test_lead_is_the_marked_paragraph_after_a_caption() -> None:
    assert choose_lead("Lực lượng chức năng làm việc\n\n(ĐTO) Ngày 10/5, ...\n\nVụ việc") == "(ĐTO) Ngày 10/5, ..."
    assert choose_lead("Sở Y tế vừa có văn bản.\n\nCác bệnh viện bố trí") == "Sở Y tế vừa có văn bản."
    assert choose_lead("") == ""


# -- URL eras and identity ---------------------------------------------------------------------


@pytest.mark.parametrize(("url", "key"), [
    ("https://baodongthap.vn/chinh-tri/tiep-tuc-thuc-hien-tot-cong-tac-dan-van-quy-che-dan-chu-co-so-79915.aspx",
     "aspx:79915"),
    ("http://baodongthap.com.vn/chinh-tri/tiep-tuc-thuc-hien-tot-cong-tac-dan-van-quy-che-dan-chu-co-so-79915.aspx",
     "aspx:79915"),
    ("https://www.baodongthap.vn/xa-hoi/a-slug-changed-by-an-editor-79915.ASPX", "aspx:79915"),
    ("https://baodongthap.vn/kinh-te/nam-2020-tang-10-phan-tram-118220.aspx#comment", "aspx:118220"),
    ("https://baodongthap.vn/kinh-te/202508/trai-cay-dong-thap-tang-toc-xuat-khau-1027730", "2025:1027730"),
    ("https://baodongthap.vn/kinh-te/202508/trai-cay-dong-thap-tang-toc-xuat-khau-1027730/", "2025:1027730"),
    ("https://baodongthap.vn/trai-cay-dong-thap-tang-toc-xuat-khau-nhung-thang-cuoi-nam-a231540.html", "2026:231540"),
    ("https://baodongthap.vn/trien-lam-anh-chao-xuan-2026-a237115.html", "2026:237115"),
])
def test_article_key_is_the_era_and_the_numeric_id(url: str, key: str) -> None:
    assert article_key(url) == key


@pytest.mark.parametrize("url", [
    "https://baodongthap.vn/",
    "https://baodongthap.vn/chinh-tri?cate=342&page=2",
    "https://baodongthap.vn/chinh-tri/",
    "https://baodongthap.vn/chinh-tri/?page=2",
    "https://baodongthap.vn/database/image/2020/07/03/dv1.jpg",
    "http://baodongthap.com.vn/database/video/20200703065338Quyche2020.mp4",
    "https://baodongthap.vn/database/file/2021/03/12/45-KH-UBND.pdf",
    "https://baodongthap.vn/kinh-te/202508/trai-cay-123456",  # six digits: not the 2025 grammar
    "https://baodongthap.vn/chinh-tri/dong-thap-a238812.html",  # the 2026 grammar has no category
])
def test_other_urls_have_no_article_key(url: str) -> None:
    assert article_key(url) is None


def test_eras_namespace_the_id(spider: BaoDongThapSpider) -> None:
    assert era_of("https://baodongthap.vn/x/202508/y-1027730") == (ERA_2025, "1027730")
    assert era_of("https://baodongthap.vn/y-a1027730.html") == (ERA_2026, "1027730")
    assert article_key("https://baodongthap.vn/x/y-1027730.aspx") != article_key("https://baodongthap.vn/y-a1027730.html")
    assert spider.source_key("https://baomoi.com/x/y-79915.aspx") is None  # not the paper's host


def test_registry_facts(spider: BaoDongThapSpider) -> None:
    info = spider.site_info()
    assert (info.name, info.level, info.family) == ("baodongthap", "newspaper", "newspaper")
    assert (info.province, info.province_after_2025) == ("Đồng Tháp", "Đồng Tháp")
    assert info.home_url == "https://baodongthap.vn/"
    assert set(spider.allowed_domains) == {"baodongthap.vn", "baodongthap.com.vn"}


def test_every_start_page_is_a_served_listing(spider: BaoDongThapSpider) -> None:
    starts = spider.start_page_urls()
    assert "https://baodongthap.vn/chinh-tri?cate=342&page=1" in starts
    assert "https://baodongthap.vn/van-hoa-nghe-thuat?cate=353&page=1" in starts
    assert "https://baodongthap.vn/" in starts and "https://baodongthap.vn/xa-hoi/" in starts
    assert all(ROUTES[url.split("://", 1)[1]]["kind"] == "listing" for url in starts)


# -- listings ----------------------------------------------------------------------------------


def listing(spider: BaoDongThapSpider, key: str) -> tuple[list[Request], list[Request]]:
    requests = list(spider.parse_listing(response(key)))
    articles = [r for r in requests if r.meta[META_KIND] == "article"]
    listings = [r for r in requests if r.meta[META_KIND] == "listing"]
    assert len(articles) + len(listings) == len(requests)
    return articles, listings


def test_aspx_listing_yields_its_articles_and_its_next_page_only(spider: BaoDongThapSpider) -> None:
    articles, listings = listing(spider, "baodongthap.vn/chinh-tri?cate=342&page=1")
    expected = [a for a in RECORDS if "baodongthap.vn/chinh-tri?cate=342&page=1" in a["listed_on"]]
    assert sorted(r.meta[META_SOURCE_KEY] for r in articles) == sorted(a["source_key"] for a in expected)
    assert [r.url for r in listings] == ["https://baodongthap.vn/chinh-tri?cate=342&page=2"]  # not the menu
    assert all(r.callback == spider.parse_article for r in articles)


def test_old_host_link_keeps_its_host_and_its_identity(spider: BaoDongThapSpider) -> None:
    articles, _ = listing(spider, "baodongthap.vn/xa-hoi?cate=344&page=1")
    old = [r for r in articles if "baodongthap.com.vn" in r.url]
    assert [r.meta[META_SOURCE_KEY] for r in old] == ["aspx:79915"]
    assert old[0].url.startswith("http://baodongthap.com.vn/chinh-tri/")


def test_2026_home_and_section_listings(spider: BaoDongThapSpider) -> None:
    home, home_pages = listing(spider, "baodongthap.vn/")
    assert {r.meta[META_SOURCE_KEY] for r in home} == {
        a["source_key"] for a in RECORDS if "baodongthap.vn/" in a["listed_on"]}
    assert home_pages == []
    section, pages = listing(spider, "baodongthap.vn/chinh-tri/")
    assert [r.meta[META_SOURCE_KEY] for r in section] == ["2026:238812", "2026:236401"]
    assert [r.url for r in pages] == ["https://baodongthap.vn/chinh-tri/?page=2"]
    older, _ = listing(spider, "baodongthap.vn/chinh-tri/?page=2")
    assert [r.meta[META_SOURCE_KEY] for r in older] == ["2025:1024518"]  # an Aug-Oct 2025 URL


def test_listing_of_an_unknown_template_still_finds_article_links(spider: BaoDongThapSpider) -> None:
    html = ('<html><body><ul><li><a href="/kinh-te/xoai-103457.aspx">Xoài</a></li>'
            '<li><a href="/gioi-thieu">Giới thiệu</a></li><li><a href="/x-a231540.html">Trái cây</a></li></ul></body></html>')
    page = HtmlResponse("https://baodongthap.vn/tim-kiem?q=xoai", body=html.encode(), encoding="utf-8")
    keys = [r.meta[META_SOURCE_KEY] for r in spider.parse_listing(page)]
    assert keys == ["aspx:103457", "2026:231540"]


# -- articles ----------------------------------------------------------------------------------

CASES = [(r["name"], key) for r in RECORDS for key in r["keys"]]


@pytest.mark.parametrize(("name", "key"), CASES, ids=[f"{n}@{k.split('/')[0]}" for n, k in CASES])
def test_article_page_reads_as_published(spider: BaoDongThapSpider, name: str, key: str) -> None:
    expected = ARTICLES[name]
    item = capture(spider, key)
    paragraphs = [normalise_text(p) for p in expected["paragraphs"]]
    assert item.source_key == expected["source_key"]
    if expected["template"] == "emagazine":  # the rest is the generic extractor's business
        assert item.extraction == "fallback"
        assert all(p in item.body_text for p in paragraphs)
        return
    assert item.extraction == "family"
    assert item.body_text.split("\n\n") == paragraphs
    assert item.title == expected["title"]
    assert item.author == expected["signature"]
    assert item.lead == normalise_text(expected["lead"])
    assert item.published_at is not None and item.published_at.isoformat() == expected["published"]
    images = [i.url.replace(OLD_HOST, HOST) for i in item.images]  # relative sources resolve on the page's host
    assert images == ([expected["video"]] if expected["video"] else []) + expected["images"]
    assert [i.caption for i in item.images if i.caption] == expected["captions"]
    assert [(a.url, a.title) for a in item.attachments] == [
        (f"https://{a['key']}", a["label"]) for a in expected["attachments"]]


def test_seed_is_read_verbatim(spider: BaoDongThapSpider) -> None:
    lines = [normalise_text(line) for line in seed(SEED).read_text(encoding="utf-8").splitlines() if line.strip()]
    title, date, video, *body = lines
    body = body[: body.index("P.L")]
    item = capture(spider, ARTICLES["dto-seed"]["keys"][0])
    assert item.title == title
    assert item.published_at is not None and item.published_at.strftime("Cập nhật ngày: %d/%m/%Y %H:%M:%S") == date
    assert item.body_text.split("\n\n") == body
    assert item.author == "P.L" and item.lead == body[0] and item.lead.startswith("ĐTO - ")
    assert item.images[0].url == video


def test_chrome_counters_and_video_lines_are_never_text(spider: BaoDongThapSpider) -> None:
    for name, key in CASES:
        item = capture(spider, key)
        text = "\n".join((item.title, item.lead, item.body_text, item.author))
        assert not [c for c in CHROME if c in text], name
        assert unicodedata.is_normalized("NFC", text), name


def test_same_article_under_both_hosts_is_one_identity_and_one_content(spider: BaoDongThapSpider) -> None:
    new, old = (capture(spider, key) for key in ARTICLES["dto-seed"]["keys"])
    assert new.url != old.url
    assert new.source_key == old.source_key == "aspx:79915"
    assert digest(new) == digest(old)


def test_story_carried_across_eras_is_two_articles_with_one_content(spider: BaoDongThapSpider) -> None:
    old, new = (capture(spider, ARTICLES[name]["keys"][0]) for name in ("dto2025-carried", "dto2026-carried"))
    assert (old.source_key, new.source_key) == ("2025:1027730", "2026:231540")
    assert digest(old) == digest(new)


def test_counters_never_change_the_content(spider: BaoDongThapSpider) -> None:
    key = ARTICLES["dto-chrome-inside"]["keys"][0]
    raw = (FIXTURE / ROUTES[key]["file"]).read_bytes()
    digests = set()
    for views, online in ((b"86", b"9"), (b"1 234", b"4321")):
        body = raw.replace(b"__VIEWS__", views).replace(b"__ONLINE__", online).replace(b"__VISITS__", b"2 063")
        page = HtmlResponse(f"https://{key}", body=body, encoding="utf-8")
        digests |= {digest(item) for item in spider.parse_article(page)}
    assert len(digests) == 1


# -- the body rules on hand-written markup -----------------------------------------------------


def read(spider: BaoDongThapSpider, content: str) -> Any:
    return spider._read_body(lxml.html.fragment_fromstring(f'<div id="content">{content}</div>'), "https://baodongthap.vn/x")


def test_author_is_the_last_right_aligned_paragraph(spider: BaoDongThapSpider) -> None:
    body = read(spider, '<p>ĐTO - Tin chính.</p><p align="right"><b>Thu Ngân</b></p><p><em>Ảnh: Đức Trung</em></p>'
                        '<p>&lt; Trở về trang trước</p>')
    assert body.author == "Thu Ngân"
    assert body.text == "ĐTO - Tin chính.\n\nẢnh: Đức Trung"


def test_without_a_right_aligned_paragraph_the_last_name_line_signs(spider: BaoDongThapSpider) -> None:
    body = read(spider, "<p>ĐTO - Tin chính.</p><p>Đoạn hai.</p><p>P.L</p>")
    assert (body.author, body.text) == ("P.L", "ĐTO - Tin chính.\n\nĐoạn hai.")


def test_video_line_is_media_not_text(spider: BaoDongThapSpider) -> None:
    body = read(spider, '<p><a href="/database/video/a.mp4">https://baodongthap.vn/database/video/a.mp4</a></p>'
                        "<p>http://baodongthap.com.vn/database/video/b.flv</p><p>ĐTO - Tin chính.</p>"
                        "<p>Xem video tại http://baodongthap.com.vn/database/video/c.mp4 nhé.</p>")
    assert [i.url for i in body.images] == ["https://baodongthap.vn/database/video/a.mp4",
                                            "http://baodongthap.com.vn/database/video/b.flv"]
    assert body.text.startswith("ĐTO - Tin chính.")
    assert "c.mp4" in body.text  # a sentence naming a video is text


def test_page_without_family_markup_falls_back(spider: BaoDongThapSpider) -> None:
    item = capture(spider, ARTICLES["dto-emagazine"]["keys"][0])
    assert item.extraction == "fallback" and item.source_key == "aspx:124610"


# -- the fixture itself ------------------------------------------------------------------------


def test_fixture_output_is_fresh(tmp_path: Path) -> None:
    build.build(tmp_path)
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert built, "the builder wrote nothing"
    for rel in built:
        assert (tmp_path / rel).read_bytes() == (FIXTURE / rel).read_bytes(), f"{rel} is stale: rebuild the fixture"
    committed = {p.relative_to(FIXTURE) for p in (FIXTURE / "pages").rglob("*") if p.is_file()}
    assert committed == {rel for rel in built if rel.parts[0] == "pages"}
