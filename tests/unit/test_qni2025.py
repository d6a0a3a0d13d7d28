"""The new Quảng Ngãi platform (crawler/families/qni2025.py) and the two-platform quangngai spider."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from sqlalchemy.orm import Session, sessionmaker

from archive.capture import ArticleCapture
from archive.store import Outcome, ensure_site, store_capture
from crawler.extract import Body
from crawler.families.base import META_KIND, META_SOURCE_KEY
from crawler.families.qni2025 import Qni2025Spider, slug_of, with_lead
from spiders.quangngai import QuangNgaiSpider
from tests.golden import TOKENS

SITE = Path(__file__).parents[1] / "fixtures" / "sites" / "qni2025"
DATA = json.loads((SITE / "articles.json").read_text(encoding="utf-8"))
ROUTES = json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))["routes"]
ARTICLES = {a["name"]: a for a in DATA["articles"]}
LISTINGS: dict[str, list[str]] = DATA["listings"]["quangngai"]  # category → its listing pages
HOST = "https://quangngai.gov.vn"
LIFERAY_ARTICLE = f"{HOST}/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/abc?123"


def response_for(
    key: str, *, replace: tuple[bytes, bytes] | None = None, tokens: dict[bytes, bytes] = TOKENS
) -> HtmlResponse:
    body = (SITE / ROUTES[key]["file"]).read_bytes()
    for token, value in tokens.items():
        body = body.replace(token, value)
    if replace:
        body = body.replace(*replace)
    url = "https://" + key
    return HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"}, request=Request(url))


def capture_of(key: str, **kwargs: object) -> ArticleCapture:
    (item,) = QuangNgaiSpider().parse_article(response_for(key, **kwargs))  # type: ignore[arg-type]
    return item


# -- identity -------------------------------------------------------------------------------


def test_slug_of() -> None:
    assert slug_of("/tin-tuc/tin-tu-cac-so-nganh-dia-phuong/du-lich.html") == "du-lich.html"
    assert slug_of("/tin-tuc/du-lich.html") == "du-lich.html"
    assert slug_of("/tin-tuc/tin-tu-cac-so-nganh-dia-phuong") is None
    assert slug_of("/tin-tuc/.html") is None


@pytest.mark.parametrize(
    "path",
    [
        "/tin-tuc/tin-tu-cac-so-nganh-dia-phuong/du-lich-quang-ngai-sac-xuan.html",  # [E]
        "/tin-tuc/du-lich-quang-ngai-sac-xuan.html",  # [E] no category
        "/tin-tuc/thong-tin-chi-dao-dieu-hanh-cua-ubnd-tinh-chu-tich-ubnd-tinh/hoat-dong-cua-lanh-dao/"
        "du-lich-quang-ngai-sac-xuan.html",  # [E] nested category
        "/tin-tuc/tin-moi/du-lich-quang-ngai-sac-xuan.html?utm_source=zalo",
    ],
)
def test_the_key_survives_a_category_move(path: str) -> None:
    assert QuangNgaiSpider().source_key(HOST + path) == "quangngai.gov.vn/tin-tuc/du-lich-quang-ngai-sac-xuan.html"


def test_no_key_for_listings_or_other_hosts() -> None:
    spider = QuangNgaiSpider()
    assert spider.qni2025_source_key(f"{HOST}/tin-tuc/tin-tu-cac-so-nganh-dia-phuong?page=2") is None
    assert spider.qni2025_source_key("https://gialai.gov.vn/tin-tuc/x/abc.html") is None
    assert not spider.is_qni2025_article(f"{HOST}/gioi-thieu/lich-su.html")


def test_dispatch_by_url_shape() -> None:
    spider = QuangNgaiSpider()
    assert spider.on_new_platform(f"{HOST}/tin-tuc/tin-tu-cac-so-nganh-dia-phuong")
    assert spider.on_new_platform(f"{HOST}/tin-tuc/tin-tu-cac-so-nganh-dia-phuong/abc.html")
    assert not spider.on_new_platform(f"{HOST}/web/portal-qni/tin-tuc-su-kien")
    assert not spider.on_new_platform(LIFERAY_ARTICLE)
    assert not spider.on_new_platform(f"{HOST}/tin-tuc/chi-tiet?id=12")  # Liferay's news page shape
    assert spider.source_key(LIFERAY_ARTICLE) == "quangngai.gov.vn/portal-qni/123"  # unchanged Liferay keys
    assert spider.start_page_urls() == [
        f"{HOST}/web/portal-qni/tin-tuc-su-kien",
        *(f"{HOST}{path}" for path in QuangNgaiSpider.qni2025_listing_paths),
    ]
    first_pages = {pages[0].removeprefix("quangngai.gov.vn") for pages in LISTINGS.values()}
    assert set(QuangNgaiSpider.qni2025_listing_paths) == first_pages


def test_registry_facts() -> None:
    info = QuangNgaiSpider.site_info()
    assert (info.family, info.level, info.province, info.province_after_2025) == (
        "liferay+qni2025", "province", "Quảng Ngãi", "Quảng Ngãi")


# -- listings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("listing", [k for pages in LISTINGS.values() for k in pages])
def test_listing_yields_articles_with_keys_and_the_next_page(listing: str) -> None:
    spider = QuangNgaiSpider()
    requests = list(spider.parse_listing(response_for(listing)))
    articles = [r for r in requests if r.meta[META_KIND] == "article"]
    category = listing.split("?")[0] + "/"
    expected = {f"https://{k}" for a in DATA["articles"] for k in a["keys"] if k.startswith(category)}
    assert articles and {r.url for r in articles} <= expected
    assert all(r.meta[META_SOURCE_KEY] == spider.source_key(r.url) for r in articles)
    assert all(r.callback == spider.parse_article for r in articles)
    pages = next(ks for ks in LISTINGS.values() if listing in ks)
    following = [r.url for r in requests if r.meta[META_KIND] == "listing"]
    later = pages[pages.index(listing) + 1 :]
    assert following == ([f"https://{later[0]}"] if later else [])


# -- articles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_article_fields(name: str) -> None:
    article = ARTICLES[name]
    item = capture_of(article["key"])
    assert item.extraction == "family"
    assert item.title == article["title"]
    assert item.published_at is not None and item.published_at.isoformat() == article["published"]
    assert item.lead == normalise(article["brief"])
    # what a reader reads: the lead, then the body
    assert item.body_text == "\n\n".join(normalise(p) for p in [article["brief"], *article["paragraphs"]])
    assert item.author == article["signature"]
    assert [a.url for a in item.attachments] == [f"https://{a['key']}" for a in article["attachments"]]
    assert [i.caption for i in item.images] == article["captions"]
    for text in (item.title, item.lead, item.body_text, item.body_html):
        assert unicodedata.is_normalized("NFC", text)
    assert "Lượt xem" not in item.body_text and "Tin liên quan" not in item.body_text


def normalise(text: str) -> str:
    return " ".join(text.replace("\u200b", "").split())


def test_every_url_of_an_article_gives_one_key_and_one_content() -> None:
    for article in DATA["articles"]:
        items = [capture_of(key) for key in article["keys"]]
        assert len({i.source_key for i in items}) == 1
        assert len({(i.title, i.lead, i.body_text, i.author) for i in items}) == 1


def test_a_body_that_already_opens_with_the_lead_is_not_doubled() -> None:
    body = Body(text="Mở đầu.\n\nThân bài.", html="<p>Mở đầu.</p><p>Thân bài.</p>")
    assert with_lead(body, "Mở đầu.", "<div>Mở đầu.</div>") is body
    assert with_lead(body, "", "").text == "Mở đầu.\n\nThân bài."
    assert with_lead(body, "Sapo.", "<div>Sapo.</div>").text == "Sapo.\n\nMở đầu.\n\nThân bài."


def test_an_unknown_template_falls_back_to_the_generic_extractor() -> None:
    key = ARTICLES["q25-flood"]["key"]
    item = capture_of(key, replace=(b'class="article-content"', b'class="noi-dung"'))
    assert item.extraction == "fallback"
    assert "4.200 ngôi nhà" in item.body_text


def test_a_site_on_the_new_platform_alone_is_a_few_lines() -> None:
    class GiaLaiSpider(Qni2025Spider):
        name = "gialai_test"
        host = "gialai.gov.vn"
        qni2025_listing_paths = ("/tin-tuc/thong-tin-chi-dao-dieu-hanh",)

    spider = GiaLaiSpider()
    assert spider.start_page_urls() == ["https://gialai.gov.vn/tin-tuc/thong-tin-chi-dao-dieu-hanh"]
    key = spider.source_key("https://gialai.gov.vn/tin-tuc/tin-kinh-te-tong-hop/abc.html")
    assert key == "gialai.gov.vn/tin-tuc/abc.html"
    assert spider.site_info().family == "qni2025"


# -- versions -------------------------------------------------------------------------------


def store(sessions: sessionmaker[Session], item: ArticleCapture) -> Outcome:
    with sessions.begin() as session:
        site_id = ensure_site(session, QuangNgaiSpider.site_info()).id
        return store_capture(session, item, site_id=site_id).outcome


def test_counters_make_no_version_an_edit_makes_one(sessions: sessionmaker[Session]) -> None:
    key = ARTICLES["q25-entities"]["key"]
    assert store(sessions, capture_of(key)) is Outcome.NEW_ARTICLE
    other_counters = {b"__VISITS__": b"3 001", b"__TOTAL__": b"17000000", b"__ONLINE__": b"42", b"__VIEWS__": b"311"}
    assert store(sessions, capture_of(key, tokens=other_counters)) is Outcome.UNCHANGED
    # the same article under another category: the same article, unchanged
    other_url = next(k for a in DATA["articles"] for k in a["keys"][1:] if a["name"] == "q25-science-plan")
    assert store(sessions, capture_of(ARTICLES["q25-science-plan"]["key"])) is Outcome.NEW_ARTICLE
    assert store(sessions, capture_of(other_url)) is Outcome.UNCHANGED
    assert store(sessions, capture_of(key, replace=(b"98,7%", b"99,1%"))) is Outcome.NEW_VERSION
    # the lead is part of what a reader reads: editing it alone is a new version too
    flood = ARTICLES["q25-flood"]["key"]
    assert store(sessions, capture_of(flood)) is Outcome.NEW_ARTICLE
    edited_lead = capture_of(flood, replace=("cuối tháng 11,".encode(), "cuối tháng 11/2025,".encode()))
    assert "11/2025" in edited_lead.lead
    assert store(sessions, edited_lead) is Outcome.NEW_VERSION
