"""The real article URLs of ../shared/registry-evidence.md §1, each claimed by the right site with
the right key and by no other registered site (the ``source_key(url)`` contract: the article's
identity when the URL is an article of THAT site, else None)."""

from __future__ import annotations

from functools import cache

import pytest
from scrapy.utils.test import get_crawler

from crawler.families.liferay import liferay_site
from crawler.registry import spider_classes

# (URL as the evidence gives it, the site it belongs to or None, its key). Where the evidence
# elides a tail ("…"), the URL is completed with a neutral slug, marked "(tail)". ``{site}`` in a
# key is the site's Liferay name, which the registry marks [I] there and the crawl learns.
EVIDENCE = [
    ("https://soctrang.gov.vn/ubnd-stg/4/469/54333/375630/Tin-huyen--thi-xa--thanh-pho/"
     "Ngay-hoi-Dai-doan-ket-toan-dan-toc-ap-Day-So--xa-Thanh-Quoi--huyen-My-Xuyen.aspx", "soctrang", "4/375630"),
    ("https://danvan.soctrang.gov.vn/bandanvan/1295/32443/55080/360944/dan-van-kheo/"
     "dan-van-kheo-trong-vung-dan-toc-khmer.aspx", "soctrang_danvan", "1295/360944"),
    ("https://vinhchau.soctrang.gov.vn/txvinhchau/1303/32987/63837/326922/cai-cach-hanh-chinh/"
     "thi-xa-vinh-chau-thuc-hien-tot-viec-trao-doi-van-ban-dien-tu.aspx", "soctrang_vinhchau", "1303/326922"),
    ("https://nganam.soctrang.gov.vn/txnganam/1311/33531/56250/285777/Dieu-kien-tu-nhien/"
     "Dieu-kien-tu-nhien-thi-xa-Nga-Nam.aspx", "soctrang_nganam", "1311/285777"),
    # Cù Lao Dung's article on the province host: Cù Lao Dung's (and 1310 is not Mỹ Xuyên)
    ("https://soctrang.gov.vn/huyenculaodung/1310/33463/62110/300489/tiem-nang-phat-trien/"
     "cu-lao-dung-vung-dat-giau-tiem-nang-phat-trien.aspx", "soctrang_culaodung", "1310/300489"),
    ("https://soctrang.gov.vn/mDefault.aspx?catid=57715&catname=Tin+V%C4%83n+h%C3%B3a+-+Th%E1%BB%83+thao+-+Du+l"
     "%E1%BB%8Bch&id=397719&pageid=369&sid=1308&sname=huyenchauthanh", "soctrang_chauthanh", "1308/397719"),
    ("https://pbgdpl.soctrang.gov.vn/pbgdpl/1328/38698/65341/379763/tin-tuc/bai-viet.aspx",  # (tail)
     "soctrang_pbgdpl", "1328/379763"),
    ("https://ubndtp.soctrang.gov.vn/mDefault.aspx?catid=53984&catname=tin&id=366150&pageid=39&sid=1279"  # (tail)
     "&sname=tpsoctrang&title=bai-viet", "soctrang_tp", "1279/366150"),
    # Sở NN&PTNT's article on another agency's host: the sid, not the host, names the owner
    ("https://sotuphap.soctrang.gov.vn/snnptnt/1282/30591/53960/371205/tin/bai-viet.aspx",  # (tail)
     "soctrang_snnptnt", "1282/371205"),
    ("https://vpub.soctrang.gov.vn/Default.aspx?sname=vpubnd&sid=1292&pageid=32237&catid=63645"
     "&catname=hoat-dong-dang-doan-the", None, None),  # a category listing
    ("https://soctrang.gov.vn/Default.aspx?p_steering=27873&pageid=27160&sname=ubnd-stg", "soctrang", "4/steering/27873"),
    ("https://bandantoc.soctrang.gov.vn/Default.aspx?p_steering=27873&pageid=27160&sname=ubnd-stg",
     "soctrang", "4/steering/27873"),
    ("https://duaghengo.soctrang.gov.vn/92_hinh-anh-video-clip-le-hoi/364_du-lich-xanh-soc-trang.html", None, None),
    # Quảng Ngãi province (Liferay): www. or not, doubled path and //Content: one article
    ("https://www.quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/xem-chi-tiet/-/"
     "asset_publisher//Content/tong-hop-mot-so-noi-dung-chi-ao-cua-ubnd-tinh-noi-bat-trong-tuan-tu-ngay-27-9-01-"
     "10-2021-?12150284", "quangngai", "quangngai.gov.vn/portal-qni/12150284"),
    ("https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/tong-hop-mot-so-noi-dung-chi-"
     "ao-cua-ubnd-tinh-noi-bat-trong-tuan-tu-ngay-27-9-01-10-2021-?12150284",
     "quangngai", "quangngai.gov.vn/portal-qni/12150284"),
    # Mộ Đức (a virtual host: no /web/<site>)
    ("https://moduc.quangngai.gov.vn/xem-chi-tiet/-/asset_publisher/Content/xem-chi-tiet/-/asset_publisher/Content/"
     "thi-tran-mo-uc?9779300", "quangngai_moduc", "moduc.quangngai.gov.vn/{site}/9779300"),
    ("https://tunghia.quangngai.gov.vn/web/huyen-tunghia/-ieu-kien-tu-nhien-dan-so", None, None),  # a page
    ("https://tamnong.dongthap.gov.vn/web/htn/chi-tiet-bai-viet/-/asset_publisher/1mOzUrGkrdAE/content/id/14939645"
     "?plidlayout=4524", "dongthap_tamnong", "tamnong.dongthap.gov.vn/htn/content-id/14939645"),
    ("https://lapvo.dongthap.gov.vn/web/hlvo/chi-tiet-bai-viet/-/asset_publisher/1mOzUrGkrdAE/content/id/771735"
     "?plidlayout=6218", "dongthap_lapvo", "lapvo.dongthap.gov.vn/hlvo/content-id/771735"),
    ("https://dongthap.gov.vn/tin-tuc/chi-tiet?id=7742453", "dongthap", "dongthap.gov.vn/{site}/chi-tiet/7742453"),
    # Liferay sites of agencies on the province host (not registered): nobody's, not the province's
    ("https://dongthap.gov.vn/web/sctdt/tin-tuc/chi-tiet?id=7742001", None, None),  # (id elided)
    ("https://dongthap.gov.vn/vi/web/qdtpt/chi-tiet-bai-viet/-/asset_publisher/x/content/id/5", None, None),  # (tail)
    ("https://www.baodongthap.vn/phong-su-anh/40-nam-mot-chang-duong-48437.aspx", "baodongthap", "aspx:48437"),
    ("https://www.baodongthap.vn/don-doc-bao-dong-thap-so-ra-ngay-19-1-2026-a235582.html", "baodongthap", "2026:235582"),
    ("https://www.baodongthap.vn/ban-doc/202508/don-doc-bao-dong-thap-so-ra-ngay-29-8-1048744",
     "baodongthap", "2025:1048744"),
    ("https://www.kontum.gov.vn/pages/detail/54922/Nam-2024-ty-le-che-phu-rung-tren-toan-tinh-dat-6369.html",
     "kontum", "54922"),
    # a Cần Thơ agency's sub-site (Sở Y tế, not registered): not the city portal's
    ("https://soyte.cantho.gov.vn/tin-hoat-dong-nganh/hoi-nghi-khoa-hoc-thuong-nien-353900", None, None),
    # forms of the "also seen" paragraph
    ("https://baodongthap.com.vn/chinh-tri/bai-viet-48437.aspx", "baodongthap", "aspx:48437"),
    ("https://tiengiang.gov.vn/chi-tiet-tin?%2Fbai-viet%2F123456=", "tiengiang", "123456"),
    ("https://tiengiang.gov.vn/chi-tiet-tin?/bai-viet/123456", "tiengiang", "123456"),
    ("https://cantho.gov.vn/tin-tuc-va-su-kien/hoi-nghi-353901", "cantho", "353901"),
]


@cache
def spiders() -> dict[str, object]:
    return {name: cls.from_crawler(get_crawler(cls)) for name, cls in spider_classes().items()}


@pytest.mark.parametrize(("url", "site", "key"), EVIDENCE, ids=[f"{i:02d}" for i in range(len(EVIDENCE))])
def test_each_real_url_is_claimed_by_its_site_alone(url: str, site: str | None, key: str | None) -> None:
    claims = {name: found for name, spider in spiders().items() if (found := spider.source_key(url)) is not None}
    if site is None:
        assert claims == {}
    else:
        expected = key.format(site=getattr(spiders()[site], "liferay_site", None))
        assert claims == {site: expected}


def test_the_guesses_the_issue_names_are_gone() -> None:
    classes = spider_classes()
    assert (classes["soctrang"].sname, classes["soctrang"].sid) == ("ubnd-stg", 4)
    assert (classes["soctrang_danvan"].sname, classes["soctrang_danvan"].sid) == ("bandanvan", 1295)
    assert classes["soctrang_myxuyen"].sid is None  # unknown: learned from the portal, never 1310
    assert classes["soctrang_culaodung"].sid == 1310


def test_language_prefix_is_not_a_site() -> None:
    assert liferay_site("https://dongthap.gov.vn/vi/web/qdtpt/chi-tiet-bai-viet/x") == "qdtpt"
    assert liferay_site("https://dongthap.gov.vn/web/sctdt/tin-tuc/chi-tiet?id=1") == "sctdt"
    assert liferay_site("https://moduc.quangngai.gov.vn/xem-chi-tiet/-/asset_publisher/Content/x?1") is None
