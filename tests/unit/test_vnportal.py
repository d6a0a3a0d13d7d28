"""The vnPortal family (crawler/families/vnportal.py), the Sóc Trăng sites (spiders/soctrang.py)
and the generated vnPortal fixture portals (tests/fixtures/sites/vnportal), without a network."""

from __future__ import annotations

import json
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from scrapy.http import FormRequest, HtmlResponse, Request
from scrapy.utils.test import get_crawler
from scrapy.utils.url import url_is_from_any_domain

from crawler.families.base import META_KIND, META_SOURCE_KEY
from crawler.families.vnportal import META_PAGE, VnPortalSpider, article_ids, postback_of
from crawler.registry import spider_class, spider_classes
from spiders.soctrang import (
    SocTrangChauThanhSpider,
    SocTrangDanVanSpider,
    SocTrangMyXuyenSpider,
    SocTrangSpider,
)
from tests.fixtures.server import FixtureServer
from tests.fixtures.sites.vnportal import build as vnportal_build
from tests.golden import TOKENS
from tests.shared import seed

SITE = Path(__file__).parents[1] / "fixtures" / "sites" / "vnportal"
SEED = "soctrang_chauthanh_2021-07.txt"
MANIFEST = json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))
DATA = json.loads((SITE / "articles.json").read_text(encoding="utf-8"))
RECORDS = DATA["articles"]
SPIDERS = (SocTrangSpider, SocTrangDanVanSpider, SocTrangChauThanhSpider, SocTrangMyXuyenSpider)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def spider(cls: type[VnPortalSpider] = SocTrangSpider) -> VnPortalSpider:
    """The site's spider; one whose sid the registry does not give learns it from its fixture home page."""
    made = cls.from_crawler(get_crawler(cls))
    if made.unproven_identity():
        list(made.learn_identity(response_for(made.home_url.split("://", 1)[1])))
    return made


def owner(rec: dict) -> VnPortalSpider:
    """The registered site an article belongs to: the one whose sid it carries (Mỹ Xuyên learns its own)."""
    cls = next((c for c in spider_classes().values() if getattr(c, "sid", None) == rec["sid"]
                and getattr(c, "domain", None) == "soctrang.gov.vn"), None)
    return spider(cls or spider_class(rec["spider"]))


def record(name: str, spider_name: str | None = None) -> dict:
    return next(r for r in RECORDS if r["name"] == name and spider_name in (None, r["spider"]))


def response_for(key: str, file: str | None = None, meta: dict | None = None) -> HtmlResponse:
    """A fixture page as the spider sees it: its portal URL, counters filled in."""
    body = (SITE / (file or MANIFEST["routes"][key]["file"])).read_bytes()
    for token, value in TOKENS.items():
        body = body.replace(token, value)
    url = f"https://{key}"
    return HtmlResponse(url, body=body, encoding="utf-8", request=Request(url, meta=meta or {}))


def listing_page(key: str, number: int) -> HtmlResponse:
    spec = MANIFEST["postbacks"][key]["pages"][number - 1]
    return response_for(key, spec["file"], meta={META_PAGE: number})


# -- identity ------------------------------------------------------------------------------------

URL_FORMS = [
    "https://www.soctrang.gov.vn/Default.aspx?sname=snnptnt&sid=1282&pageid=1290&catid=1415&id=296530"
    "&catname=Tin-hoat-dong&title=Soc-Trang-khuyen-cao",
    "https://sotuphap.soctrang.gov.vn/Default.aspx?sname=snnptnt&sid=1282&pageid=1290&catid=1415&id=296530",
    "https://www.soctrang.gov.vn/snnptnt/1282/1290/1415/296530/Tin-hoat-dong/Soc-Trang-khuyen-cao.aspx",
    "https://soctrang.gov.vn/snnptnt/1282/9999/1/296530/Tin-t%EF%BF%BDc/S%EF%BF%BDc-Tr%EF%BF%BDng.aspx",
    "https://www.soctrang.gov.vn/mDefault.aspx?sname=snnptnt&sid=1282&pageid=1290&catid=1415&id=296530",
    "https://www.soctrang.gov.vn/default.aspx?SNAME=snnptnt&SID=1282&ID=296530",
    "http://www.soctrang.gov.vn/MDEFAULT.ASPX?id=296530&sid=1282",
]


@pytest.mark.parametrize("url", URL_FORMS)
def test_one_article_has_one_key_whatever_host_form_or_slug(url: str) -> None:
    assert spider(spider_class("soctrang_snnptnt")).source_key(url) == "1282/296530"
    # ... and it is Sở NN&PTNT's: no other site claims it, whichever host served it
    assert [cls.name for cls in SPIDERS if spider(cls).source_key(url) is not None] == []


@pytest.mark.parametrize(
    "url",
    [
        "https://www.soctrang.gov.vn/Default.aspx?sname=ubnd-stg&sid=4&pageid=473&catid=56&catname=Tin-tuc",
        "https://www.soctrang.gov.vn/Default.aspx?sname=ubnd-stg&sid=4&id=abc",
        "https://www.soctrang.gov.vn/SiteFolders/ubnd-stg/4/2022/11/dua-ghe-ngo-2022.jpg",
        "https://www.soctrang.gov.vn/SiteFolders/ubnd-stg/4/VanBan/2024/KH-58-UBND.pdf",
        "https://www.soctrang.gov.vn/ubnd-stg/4/473/56/Tin-tuc-Su-kien.aspx",
        "https://soctrang.gov.vn.example.com/ubnd-stg/4/473/56/1/a/b.aspx",  # not the portal's domain
        "https://www.soctrang.gov.vn/Login.aspx?id=5",
    ],
)
def test_urls_that_are_not_articles_have_no_key(url: str) -> None:
    assert spider().source_key(url) is None


def test_sid_missing_from_a_link_is_the_sites_own_only_for_its_own_sname() -> None:
    chauthanh = spider(SocTrangChauThanhSpider)
    own = "https://www.soctrang.gov.vn/Default.aspx?sname=HuyenChauThanh&id=273340"
    assert chauthanh.source_key(own) == "1308/273340"
    assert chauthanh.source_key("https://www.soctrang.gov.vn/Default.aspx?sname=snnptnt&id=296530") is None
    assert article_ids("https://www.soctrang.gov.vn/Default.aspx?sname=x&sid=&id=7").sid is None


def test_postback_links_are_read_with_either_quote() -> None:
    assert postback_of("javascript:__doPostBack('ctl00$a$pager','Page$3')") == ("ctl00$a$pager", "Page$3")
    assert postback_of('javascript:__doPostBack( "ctl00$b" , "" )') == ("ctl00$b", "")
    assert postback_of("Default.aspx?id=1") is None


# -- the sites ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", SPIDERS, ids=lambda c: c.name)
def test_registry_facts_and_domains(cls: type[VnPortalSpider]) -> None:
    info = cls.site_info()
    assert (info.family, info.province, info.province_after_2025) == ("vnportal", "Sóc Trăng", "Cần Thơ")
    assert info.status == "retired" and info.level in ("province", "district", "agency")
    assert cls.name == "soctrang_danvan" or info.successor_url == "https://cantho.gov.vn/"
    allowed = spider(cls).allowed_domains
    hosts = ("www.soctrang.gov.vn", "soctrang.gov.vn", "sotuphap.soctrang.gov.vn", "danvan.soctrang.gov.vn",
             "chauthanh.soctrang.gov.vn", "storage-vnportal.vnpt.vn")
    for host in hosts:
        assert url_is_from_any_domain(f"https://{host}/Default.aspx", allowed), host
    assert not url_is_from_any_domain("https://soctrang.gov.vn.example.com/", allowed)
    assert not url_is_from_any_domain("https://cantho.gov.vn/", allowed)


def test_levels_and_known_ids() -> None:
    assert [c.level for c in SPIDERS] == ["province", "agency", "district", "district"]
    assert (SocTrangSpider.sname, SocTrangChauThanhSpider.sname, SocTrangChauThanhSpider.sid) == (
        "ubnd-stg", "huyenchauthanh", 1308)
    assert SocTrangDanVanSpider.host == "danvan.soctrang.gov.vn"


@pytest.mark.parametrize("cls", SPIDERS, ids=lambda c: c.name)
def test_start_pages_are_the_fixture_listings(cls: type[VnPortalSpider]) -> None:
    starts = [url.split("://", 1)[1] for url in spider(cls).start_page_urls()]
    assert starts == DATA["listings"][cls.name]


# -- listings and postbacks -------------------------------------------------------------------------

PROVINCE_LISTING = DATA["listings"]["soctrang"][0]


def test_listing_yields_each_article_once_and_a_postback_for_page_two() -> None:
    out = list(spider().parse_listing(listing_page(PROVINCE_LISTING, 1)))
    articles = [r for r in out if r.meta[META_KIND] == "article"]
    listed = [r for r in RECORDS if r["listing"] == PROVINCE_LISTING and r["listing_page"] == 1]
    expected = [r for r in listed if r["sid"] == 4]  # the agencies' and districts' articles are theirs
    assert len(expected) < len(listed)
    assert [r.url for r in articles] == [f"https://{r['key']}" for r in expected]
    assert [r.meta[META_SOURCE_KEY] for r in articles] == [r["source_key"] for r in expected]
    (postback,) = [r for r in out if r.meta[META_KIND] == "listing"]
    assert isinstance(postback, FormRequest) and postback.method == "POST"
    assert postback.url == f"https://{PROVINCE_LISTING}" and postback.meta[META_PAGE] == 2
    form = {k: v[0] for k, v in parse_qs(postback.body.decode("ascii"), keep_blank_values=True).items()}
    page_one = MANIFEST["postbacks"][PROVINCE_LISTING]["pages"][0]
    assert form == {
        "__EVENTTARGET": vnportal_build.PAGER_TARGET,
        "__EVENTARGUMENT": "Page$2",
        "__VIEWSTATE": page_one["viewstate"],
        "__VIEWSTATEGENERATOR": vnportal_build.VIEWSTATE_GENERATOR,
        "__EVENTVALIDATION": page_one["eventvalidation"],
    }  # hidden fields only: never the search box or its submit button


def test_pages_are_walked_one_after_the_other_through_the_ellipsis_link() -> None:
    second = list(spider().parse_listing(listing_page(PROVINCE_LISTING, 2)))
    (postback,) = [r for r in second if r.meta[META_KIND] == "listing"]
    form = parse_qs(postback.body.decode("ascii"))
    assert form["__EVENTARGUMENT"] == ["Page$3"] and postback.meta[META_PAGE] == 3
    assert form["__VIEWSTATE"] == [MANIFEST["postbacks"][PROVINCE_LISTING]["pages"][1]["viewstate"]]
    last = list(spider().parse_listing(listing_page(PROVINCE_LISTING, 3)))
    assert [r.meta[META_KIND] for r in last] == ["article"]  # only a link back to page 2: the end


def test_a_single_page_listing_posts_nothing() -> None:
    key = DATA["listings"]["soctrang_myxuyen"][0]
    out = list(spider(SocTrangMyXuyenSpider).parse_listing(response_for(key)))
    assert out and all(r.meta[META_KIND] == "article" for r in out)


LISTING_HTML = """<html><body>{form_open}<ul class="ArticleList"><li>
<a href="/Default.aspx?sname=ubnd-stg&amp;sid=4&amp;id=5"><img src="/x.jpg"/></a></li></ul>
<a class="ButtonPage" href="javascript:__doPostBack('ctl00$pager$ctl02','')">2</a>
<a class="ButtonPage" href="javascript:__doPostBack('ctl00$pager$ctl03','')">3</a>
{form_close}</body></html>"""


def _synthetic(form: bool) -> HtmlResponse:
    html = LISTING_HTML.format(
        form_open='<form action="./Default.aspx?sname=ubnd-stg&amp;sid=4&amp;catid=9"><input type="hidden" '
                  'name="__VIEWSTATE" value="abc+/=" />' if form else "",
        form_close="</form>" if form else "",
    )
    url = "https://www.soctrang.gov.vn/Default.aspx?sname=ubnd-stg&sid=4&catid=9"
    return HtmlResponse(url, body=html.encode(), encoding="utf-8", request=Request(url))


def test_a_pager_without_page_arguments_is_followed_by_its_labels() -> None:
    out = list(spider().parse_listing(_synthetic(form=True)))
    (postback,) = [r for r in out if isinstance(r, FormRequest)]
    assert parse_qs(postback.body.decode("ascii"), keep_blank_values=True) == {
        "__VIEWSTATE": ["abc+/="], "__EVENTTARGET": ["ctl00$pager$ctl02"], "__EVENTARGUMENT": [""]}


def test_a_pager_without_a_form_is_logged_not_guessed(caplog: pytest.LogCaptureFixture) -> None:
    out = list(spider().parse_listing(_synthetic(form=False)))
    assert [r.meta[META_KIND] for r in out] == ["article"]
    assert "Pager without an ASP.NET form" in caplog.text


# -- slugs with U+FFFD --------------------------------------------------------------------------------


def test_fffd_slugs_are_requested_byte_for_byte() -> None:
    """Scrapy's URL safe-encoding must leave %EF%BF%BD alone; the end-to-end test checks the wire."""
    mojibake = [r for r in RECORDS if "%EF%BF%BD" in r["key"]]
    assert len({r["form"] for r in mojibake}) == 2  # friendly paths and query strings
    for rec in mojibake:
        url = f"https://{rec['key']}"
        request = owner(rec).article_request(url)
        assert request.url == url
        assert request.meta[META_SOURCE_KEY] == rec["source_key"]


# -- articles -------------------------------------------------------------------------------------------


def parse(rec: dict) -> list:
    """The article page through the spider of the site it belongs to."""
    return list(owner(rec).parse_article(response_for(rec["key"])))


def test_seed_is_extracted_verbatim_under_both_sites() -> None:
    lines = seed(SEED).read_text(encoding="utf-8").split("\n")
    # Linked by the province and by the district: Châu Thành's article (its sid) either way, and
    # the province files nothing under itself.
    assert list(spider().parse_article(response_for(record("seed", "soctrang")["key"]))) == []
    for spider_name in ("soctrang", "soctrang_chauthanh"):
        (item,) = parse(record("seed", spider_name))
        assert item.title == lines[0] and item.source_key == "1308/273340"
        assert item.author == "Trần Thu Ngân"
        paragraphs = [line.strip("\xa0 ") for line in lines[1:10] if line.strip("\xa0 ")]
        assert item.body_text.split("\n\n") == paragraphs
        assert item.published_at.isoformat() == "2021-07-08T10:15:00+07:00"
        assert [i.caption for i in item.images] == ["Quang cảnh hội nghị sơ kết công tác dân vận"]
        assert item.images[0].url.startswith("https://www.soctrang.gov.vn/SiteFolders/huyenchauthanh/1308/")
        assert "lượt truy cập" not in item.body_text and "Cơ quan chủ quản" not in item.body_text


def test_two_hosts_one_article_one_content() -> None:
    first, second = (parse(r)[0] for r in RECORDS if r["name"] == "snnptnt-two-hosts")
    assert first.url != second.url and first.source_key == second.source_key == "1282/296530"
    assert (first.title, first.body_text, first.author, first.published_at) == (
        second.title, second.body_text, second.author, second.published_at)


def test_nfd_and_entity_pages_give_nfc_text() -> None:
    for name in ("dv-nfd", "stg-entities"):
        rec = record(name)
        raw = (SITE / MANIFEST["routes"][rec["key"]]["file"]).read_text(encoding="utf-8")
        assert rec["title"] not in raw  # the page does not spell the title in NFC
        (item,) = parse(rec)
        assert item.title == rec["title"]
        assert unicodedata.is_normalized("NFC", item.body_text) and "&" not in item.body_text
    assert "96.000 hồ sơ" in parse(record("stg-entities"))[0].body_text


def test_counters_never_reach_the_text() -> None:
    (item,) = parse(record("mx-counter-in-body"))
    assert item.author == "Hồng Nhung" and "Lượt xem" not in item.body_text


def test_author_line_when_there_is_no_signature() -> None:
    (item,) = parse(record("ct-author-line"))
    assert item.author == "Hữu Nghĩa" and not item.body_text.startswith("Hữu Nghĩa")


def test_attachments_on_the_portal_and_on_vnpt_storage() -> None:
    (pdf,) = parse(record("stg-pdf-attachment"))[0].attachments
    assert pdf.url == "https://www.soctrang.gov.vn/SiteFolders/ubnd-stg/4/VanBan/2024/KH-58-UBND.pdf"
    (doc,) = parse(record("dv-storage-attachment"))[0].attachments
    assert doc.url.startswith("https://storage-vnportal.vnpt.vn/") and doc.title == "Kế hoạch số 42-KH/BDVTU"


def test_mobile_page_reads_like_the_desktop_one() -> None:
    (item,) = parse(record("sotttt-mobile"))
    assert (item.source_key, item.extraction, item.author) == ("1229/299870", "family", "Ngọc Hân")


def test_empty_body_stores_nothing_and_unknown_template_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    assert parse(record("mx-empty-body")) == []
    assert "No article body" in caplog.text
    (legacy,) = parse(record("stg-legacy-template"))
    assert legacy.extraction == "fallback" and legacy.source_key == "4/201977"
    assert legacy.body_text.startswith("Ngày 19/4/2018")


# -- the fixture portals ------------------------------------------------------------------------------


def test_build_output_is_current_and_deterministic(tmp_path: Path) -> None:
    vnportal_build.build(tmp_path)
    built = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    for rel in built:
        assert (tmp_path / rel).read_bytes() == (SITE / rel).read_bytes(), f"{rel} is stale: rerun build"
    committed = {p.relative_to(SITE) for p in (SITE / "pages").rglob("*") if p.is_file()}
    assert committed == {rel for rel in built if rel.parts[0] == "pages"}


def test_seed_article_is_verbatim_in_the_fixture() -> None:
    lines = seed(SEED).read_text(encoding="utf-8").split("\n")
    for rec in (r for r in RECORDS if r["name"] == "seed"):
        assert rec["title"] == lines[0]
        assert rec["lines"] == lines[1:11]


def test_portal_shape() -> None:
    assert {r["spider"] for r in RECORDS} == {c.name for c in SPIDERS}
    assert {r["form"] for r in RECORDS} == {"query", "friendly", "mobile"}
    hosts = {"www.soctrang.gov.vn", "sotuphap.soctrang.gov.vn", "danvan.soctrang.gov.vn"}
    assert {r["host"] for r in RECORDS} >= hosts
    for key, spec in MANIFEST["postbacks"].items():
        states = [page["viewstate"] for page in spec["pages"]]
        assert len(set(states)) == len(states) > 1, key  # a new __VIEWSTATE on every page
    on_later_pages = {r["name"] for r in RECORDS if r["listing_page"] > 1}
    assert {"seed", "stg-legacy-template", "dv-election-2021"} <= on_later_pages


# -- the postback handler --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(SITE) as server:
        yield server


def post(server: FixtureServer, key: str, form: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(server.url_for(key), data=urlencode(form).encode(), method="POST")
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def valid_form(key: str, source: int, wanted: int) -> dict[str, str]:
    page = MANIFEST["postbacks"][key]["pages"][source - 1]
    return {"__EVENTTARGET": vnportal_build.PAGER_TARGET, "__EVENTARGUMENT": f"Page${wanted}",
            "__VIEWSTATE": page["viewstate"], "__EVENTVALIDATION": page["eventvalidation"],
            "__VIEWSTATEGENERATOR": vnportal_build.VIEWSTATE_GENERATOR}


def page_file(key: str, number: int) -> bytes:
    return (SITE / MANIFEST["postbacks"][key]["pages"][number - 1]["file"]).read_bytes()


def test_postback_answers_the_requested_page(portal: FixtureServer) -> None:
    key = PROVINCE_LISTING
    with _OPENER.open(portal.url_for(key), timeout=10) as response:
        first = response.read()
    status, third = post(portal, key, valid_form(key, 2, 3))
    assert status == 200
    pages = MANIFEST["postbacks"][key]["pages"]
    assert pages[2]["viewstate"].encode() in third and pages[1]["viewstate"].encode() not in third
    assert pages[0]["viewstate"].encode() in first
    assert b"__ONLINE__" not in third  # the server still fills the counters
    assert ("POST", key) in portal.requests


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"__VIEWSTATE": None}, b"missing __VIEWSTATE"),
        ({"__EVENTTARGET": None}, b"missing __EVENTTARGET"),
        ({"__VIEWSTATE": "/wEPDwUKLTEwMDk="}, b"Validation of viewstate MAC failed"),
        ({"__EVENTVALIDATION": "/wEdAAx"}, b"Invalid postback or callback argument"),
        ({"__EVENTARGUMENT": "Page$3"}, b"Invalid postback or callback argument"),  # page 1 links to 2 only
        ({"__EVENTTARGET": "ctl00$Header1$btnSearch"}, b"Invalid postback or callback argument"),
    ],
)
def test_postback_refuses_what_aspnet_refuses(portal: FixtureServer, change: dict, error: bytes) -> None:
    key = DATA["listings"]["soctrang_chauthanh"][0]
    form = {k: v for k, v in {**valid_form(key, 1, 2), **change}.items() if v is not None}
    status, body = post(portal, key, form)
    assert status == 500 and error in body
    status, body = post(portal, key, valid_form(key, 1, 2))
    assert status == 200 and MANIFEST["postbacks"][key]["pages"][1]["viewstate"].encode() in body
