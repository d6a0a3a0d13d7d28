"""Liferay article URLs: canonical form, articleId, the chi-tiet form and source keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.families.base import META_KIND, META_SOURCE_KEY
from crawler.families.liferay import (
    article_id,
    article_source_key,
    canonical_article_url,
    is_chi_tiet_url,
    is_liferay_article_url,
    liferay_site,
)
from spiders.dongthap import DongThapSaDecSpider, DongThapSpider
from spiders.quangngai import QuangNgaiMinhLongSpider

SITES = Path(__file__).parents[1] / "fixtures" / "sites"
QNI = "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/abc?123"
SEED = "https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/tk?4790573"


@pytest.mark.parametrize(
    "url",
    [
        QNI,
        "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher//Content/abc?123",
        "https://QuangNgai.gov.vn/web/portal-qni//xem-chi-tiet/-/asset_publisher/Content/abc?123",
        # a relative link followed from an article page [E]
        "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content"
        "/xem-chi-tiet/-/asset_publisher//Content/abc?123",
        # ... and from that page again
        "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content"
        "/xem-chi-tiet/-/asset_publisher/Content/xem-chi-tiet/-/asset_publisher//Content/abc?123",
    ],
)
def test_doubled_asset_publisher_paths_collapse(url: str) -> None:
    assert canonical_article_url(url) == QNI
    assert canonical_article_url(canonical_article_url(url)) == QNI


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://dongthap.gov.vn/tin-tuc/chi-tiet?id=52301", "https://dongthap.gov.vn/tin-tuc/chi-tiet?id=52301"),
        ("https://dongthap.gov.vn//tin-tuc/tin-tuc/chi-tiet?id=5", "https://dongthap.gov.vn/tin-tuc/chi-tiet?id=5"),
        ("https://sadec.dongthap.gov.vn/web/sadec/tin-tuc/tin-tuc/chi-tiet?id=7",
         "https://sadec.dongthap.gov.vn/web/sadec/tin-tuc/chi-tiet?id=7"),
        ("https://sadec.dongthap.gov.vn/web/sadec//tin-tuc/chi-tiet?id=7&p_p_id=x",
         "https://sadec.dongthap.gov.vn/web/sadec/tin-tuc/chi-tiet?id=7&p_p_id=x"),
    ],
)
def test_chi_tiet_paths_collapse_and_keep_the_query(url: str, canonical: str) -> None:
    assert canonical_article_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (QNI, "123"),
        ("https://h/web/s/xem-chi-tiet/-/asset_publisher/Content/abc?id=77", "77"),
        ("https://h/web/s/xem-chi-tiet/-/asset_publisher/Content/abc?articleId=78&redirect=%2F", "78"),
        ("https://dongthap.gov.vn/tin-tuc/chi-tiet?id=52301", "52301"),
        ("https://h/web/s/xem-chi-tiet/-/asset_publisher/Content/abc", None),
        ("https://h/web/s/tin-tuc/chi-tiet?id=abc", None),
    ],
)
def test_article_id(url: str, expected: str | None) -> None:
    assert article_id(url) == expected


@pytest.mark.parametrize(
    ("url", "article", "chi_tiet"),
    [
        (QNI, True, False),
        ("https://h/web/s/xem-chi-tiet/-/asset_publisher/Content/abc", False, False),  # no id: no article
        ("https://dongthap.gov.vn/tin-tuc/chi-tiet?id=52301", True, True),
        ("https://sadec.dongthap.gov.vn/web/sadec/tin-tuc/chi-tiet?id=51877", True, True),
        ("https://dongthap.gov.vn/tin-tuc/chi-tiet", False, False),
        ("https://dongthap.gov.vn/tin-tuc/chi-tiet?id=", False, False),
        ("https://dongthap.gov.vn/tin-tuc/chi-tiet?page=2", False, False),
        ("https://dongthap.gov.vn/web/dongthap/tin-tuc-su-kien?_101_INSTANCE_Content_cur=2", False, False),
        ("https://dongthap.gov.vn/documents/20126/6013870/KH-12-UBND.pdf/50d7?t=1768180380000", False, False),
        # the 2025 Quảng Ngãi platform shares /tin-tuc/ but is not Liferay
        ("https://quangngai.gov.vn/tin-tuc/tin-tu-cac-so-nganh-dia-phuong/abc.html", False, False),
    ],
)
def test_article_url_forms(url: str, article: bool, chi_tiet: bool) -> None:
    assert is_liferay_article_url(url) is article
    assert is_chi_tiet_url(url) is chi_tiet


def test_liferay_site() -> None:
    assert liferay_site(QNI) == "portal-qni"
    assert liferay_site("https://dongthap.gov.vn/tin-tuc/chi-tiet?id=1") is None


def test_source_keys_keep_the_asset_publisher_rule() -> None:
    assert article_source_key(QNI, "portal-qni") == "quangngai.gov.vn/portal-qni/123"
    assert article_source_key(SEED, "x") == "minhlong.quangngai.gov.vn/minhlong/4790573"
    assert QuangNgaiMinhLongSpider().source_key(SEED) == "minhlong.quangngai.gov.vn/minhlong/4790573"
    doubled = QNI.replace("/Content/abc", "/Content/xem-chi-tiet/-/asset_publisher//Content/abc")
    assert article_source_key(doubled, "portal-qni") == article_source_key(QNI, "portal-qni")


def test_chi_tiet_ids_have_their_own_namespace() -> None:
    """Nothing says ?id=<n> and ?<n> number the same thing: the same digits must not fuse two articles."""
    province = DongThapSpider()
    chi_tiet = province.source_key("https://dongthap.gov.vn/tin-tuc/chi-tiet?id=52301")
    asset = province.source_key("https://dongthap.gov.vn/web/dongthap/xem-chi-tiet/-/asset_publisher/Content/a?52301")
    assert chi_tiet == "dongthap.gov.vn/dongthap/chi-tiet/52301"
    assert asset == "dongthap.gov.vn/dongthap/52301"
    # on the news page only its id= counts, whatever else the query holds
    assert province.source_key("https://dongthap.gov.vn/tin-tuc/chi-tiet?99&id=52301") == chi_tiet


def test_both_spellings_of_a_chi_tiet_page_are_one_article() -> None:
    """Without /web/<site> the page belongs to the host's own site, the spider's liferay_site."""
    province, sadec = DongThapSpider(), DongThapSaDecSpider()
    assert province.source_key("https://dongthap.gov.vn/tin-tuc/chi-tiet?id=52301") == province.source_key(
        "https://dongthap.gov.vn/web/dongthap/tin-tuc/chi-tiet?id=52301"
    )
    assert sadec.source_key("https://sadec.dongthap.gov.vn/tin-tuc/chi-tiet?id=51877") == sadec.source_key(
        "https://sadec.dongthap.gov.vn/web/sadec/tin-tuc/chi-tiet?id=51877"
    )
    # the host stays in the key: one number on two portals is two articles
    assert province.source_key("https://dongthap.gov.vn/web/sadec/tin-tuc/chi-tiet?id=1") != sadec.source_key(
        "https://sadec.dongthap.gov.vn/web/sadec/tin-tuc/chi-tiet?id=1"
    )


def test_a_spider_follows_only_its_own_host() -> None:
    province = DongThapSpider()
    assert province.is_article_url("https://dongthap.gov.vn/tin-tuc/chi-tiet?id=1")
    assert not province.is_article_url("https://sadec.dongthap.gov.vn/web/sadec/tin-tuc/chi-tiet?id=1")


def _fixture_articles(family: str) -> list[dict]:
    return json.loads((SITES / family / "articles.json").read_text(encoding="utf-8"))["articles"]


@pytest.mark.parametrize("family", ["liferay", "liferay_dongthap"])
def test_fixture_article_urls_are_canonical_and_keyed(family: str) -> None:
    for article in _fixture_articles(family):
        url = "https://" + article["key"]
        assert is_liferay_article_url(url), url
        assert canonical_article_url(url) == url
        namespace = "chi-tiet/" if article.get("form") == "chi-tiet" else ""
        key = f"{article['host']}/{article['site']}/{namespace}{article['article_id']}"
        assert article_source_key(url, default_site=article["site"]) == key
        if also := article.get("also_key"):  # the other spelling of a chi-tiet page
            assert article_source_key("https://" + also, default_site=article["site"]) == key


@pytest.mark.parametrize(
    ("spider_cls", "page"), [(DongThapSpider, 1), (DongThapSpider, 2), (DongThapSaDecSpider, 1), (DongThapSaDecSpider, 2)]
)
def test_listing_yields_canonical_article_requests_with_keys(spider_cls: type, page: int) -> None:
    spider = spider_cls()
    articles = [a for a in _fixture_articles("liferay_dongthap") if a["spider"] == spider.name]
    data = json.loads((SITES / "liferay_dongthap" / "articles.json").read_text(encoding="utf-8"))
    listing_key = data["listings"][spider.name][page - 1]
    route = json.loads((SITES / "liferay_dongthap" / "manifest.json").read_text(encoding="utf-8"))["routes"][listing_key]
    url = "https://" + listing_key
    response = HtmlResponse(url, body=(SITES / "liferay_dongthap" / route["file"]).read_bytes(), request=Request(url))
    requests = list(spider.parse_listing(response))
    found = {r.url: r.meta[META_SOURCE_KEY] for r in requests if r.meta[META_KIND] == "article"}
    expected = {"https://" + a["key"] for a in articles if a["listing_page"] == listing_key}
    assert set(found) == expected
    assert all(found[u] == spider.source_key(u) for u in found)
    pager = [r.url for r in requests if r.meta[META_KIND] == "listing"]
    assert pager and all("_cur=" in u for u in pager)
