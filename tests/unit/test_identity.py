"""Identity learned from the portal's own pages (crawler/identity.py), per family, and a page that
contradicts the registry's evidence stops the crawl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.families.base import META_KIND
from crawler.families.vnportal import subsite_of
from crawler.registry import spider_class

SITES = Path(__file__).parents[1] / "fixtures" / "sites"


def home(folder: str, host: str) -> HtmlResponse:
    """A fixture portal's home page, as the spider fetches it."""
    routes = json.loads((SITES / folder / "manifest.json").read_text(encoding="utf-8"))["routes"]
    url = f"https://{host}/"
    body = (SITES / folder / routes[f"{host}/"]["file"]).read_bytes()
    return HtmlResponse(url, body=body, encoding="utf-8", request=Request(url))


def made(name: str, **override: object) -> object:
    cls = spider_class(name)
    if override:
        cls = type(cls.__name__, (cls,), {"__module__": __name__, **override})
    return cls.from_crawler(get_crawler(cls))


@pytest.mark.parametrize(
    ("url", "pair"),
    [
        ("https://x.soctrang.gov.vn/huyenmyxuyen/1306/1335/1460/291230/a/b.aspx", ("huyenmyxuyen", 1306)),
        ("https://x.soctrang.gov.vn/Default.aspx?sname=HuyenMyXuyen&sid=1306&pageid=1", ("huyenmyxuyen", 1306)),
        ("https://x.soctrang.gov.vn/SiteFolders/huyenmyxuyen/1306/2023/05/a.jpg", ("huyenmyxuyen", 1306)),
        ("https://x.soctrang.gov.vn/Default.aspx?sname=huyenmyxuyen", None),
        ("https://x.soctrang.gov.vn/Login.aspx", None),
    ],
)
def test_vnportal_links_name_their_sub_site(url: str, pair: tuple[str, int] | None) -> None:
    assert subsite_of(url) == pair


def test_a_vnportal_district_learns_its_sid_before_any_listing() -> None:
    spider = made("soctrang_myxuyen")
    assert spider.unproven_identity() == ["sname", "sid"]
    assert spider.source_key("https://myxuyen.soctrang.gov.vn/huyenmyxuyen/1306/1/2/291230/a/b.aspx") is None
    requests = list(spider.learn_identity(home("vnportal", "myxuyen.soctrang.gov.vn")))
    assert (spider.sname, spider.sid) == ("huyenmyxuyen", 1306)
    assert [r.meta[META_KIND] for r in requests] == ["listing"]
    assert "sid=1306" in requests[0].url
    assert spider.crawler.stats.get_value("archive/identity/sid") == 1306
    assert spider.crawler.stats.get_value("archive/identity/source") == "https://myxuyen.soctrang.gov.vn/"
    assert spider.source_key("https://myxuyen.soctrang.gov.vn/huyenmyxuyen/1306/1/2/291230/a/b.aspx") == "1306/291230"


def test_a_liferay_district_learns_its_site_name() -> None:
    spider = made("quangngai_minhlong", liferay_site="something-else")  # an [I] value is never used
    list(spider.learn_identity(home("liferay", "minhlong.quangngai.gov.vn")))
    assert spider.liferay_site == "minhlong"


def test_a_page_contradicting_the_evidence_stops_the_crawl(caplog: pytest.LogCaptureFixture) -> None:
    spider = made("soctrang_myxuyen", sid=1309, facts={**spider_class("soctrang_myxuyen").facts,
                                                        "sid": "[E] a source that says 1309"})
    with pytest.raises(CloseSpider) as stopped:
        list(spider.learn_identity(home("vnportal", "myxuyen.soctrang.gov.vn")))
    assert stopped.value.reason == "identity contradicted: sid 1306 on the portal, 1309 in the registry [E]"
    assert spider.sid == 1309  # nothing learned, nothing used
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert line.startswith("soctrang_myxuyen: identity contradicted") and "https://myxuyen.soctrang.gov.vn/" in line


def test_a_liferay_contradiction_stops_too() -> None:
    spider = made("quangngai_minhlong", liferay_site="huyen-minhlong",
                  facts={**spider_class("quangngai_minhlong").facts, "liferay_site": "[E] a capture"})
    assert spider.unproven_identity() == []  # proven: no home page fetched at all ...
    with pytest.raises(CloseSpider) as stopped:
        list(spider.learn_identity(home("liferay", "minhlong.quangngai.gov.vn")))  # ... but if read, checked
    assert "liferay_site minhlong on the portal, huyen-minhlong in the registry" in stopped.value.reason


def test_a_page_without_identity_stops_the_crawl() -> None:
    spider = made("soctrang_myxuyen")
    empty = HtmlResponse("https://myxuyen.soctrang.gov.vn/", body="<html><body>Trang chủ</body></html>".encode(),
                         encoding="utf-8", request=Request("https://myxuyen.soctrang.gov.vn/"))
    with pytest.raises(CloseSpider) as stopped:
        list(spider.learn_identity(empty))
    assert stopped.value.reason == "identity unknown: no link carries its sname/sid"
    assert spider.sid is None
