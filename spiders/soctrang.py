"""Sóc Trăng: the provincial portal, Ban Dân vận Tỉnh ủy and two district portals (VNPT vnPortal).

On 1 July 2025 Sóc Trăng and Hậu Giang were merged into Cần Thơ city, which planned to fold the
three e-portals into its own, and the district level was abolished: the district portals stopped
publishing around 30 June 2025.

Every sub-site runs on one engine whose hosts all end in soctrang.gov.vn; a sub-site is chosen
by ``sname``/``sid``, so a district is a few lines. Every listing's ``pageid``/``catid`` is [R]:
no capture of a category page's URL is at hand.
"""

from __future__ import annotations

from typing import ClassVar

from crawler.families.vnportal import Listing, VnPortalSpider

CAN_THO = "https://cantho.gov.vn/"


class SocTrangPortal(VnPortalSpider):
    """What every Sóc Trăng sub-site shares (no ``name``: not a spider of its own)."""

    domain = "soctrang.gov.vn"
    host = "www.soctrang.gov.vn"  # [E] the Châu Thành seed was read there, under the district's sname/sid
    province = "Sóc Trăng"
    province_after_2025 = "Cần Thơ"
    status = "retired"  # [R] no news after the merger; Cần Thơ planned to fold the portals into its own [E]
    successor_url: ClassVar[str | None] = CAN_THO


class SocTrangSpider(SocTrangPortal):
    name = "soctrang"
    display_name = "Cổng thông tin điện tử tỉnh Sóc Trăng"
    level = "province"
    home_url = "https://www.soctrang.gov.vn/"
    sname = "ubnd-stg"  # [E]
    sid = 1  # [R] the province's sid was never seen
    listings = (
        Listing(pageid=473, catid=56, catname="Tin-tuc-Su-kien"),  # [R]
        Listing(pageid=473, catid=61, catname="Tin-So-nganh"),  # [R]
    )


class SocTrangDanVanSpider(SocTrangPortal):
    name = "soctrang_danvan"
    display_name = "Trang thông tin điện tử Ban Dân vận Tỉnh ủy Sóc Trăng"
    level = "agency"
    host = "danvan.soctrang.gov.vn"  # [E]
    home_url = "https://danvan.soctrang.gov.vn/"
    sname = "bdvtu"  # [R] unknown
    sid = 1337  # [R] unknown
    listings = (Listing(pageid=1380, catid=1490, catname="Tin-hoat-dong"),)  # [R]
    # [R] the party body's successor under Cần Thơ has no known portal.
    successor_url = None


class SocTrangChauThanhSpider(SocTrangPortal):
    name = "soctrang_chauthanh"
    display_name = "Cổng thông tin điện tử huyện Châu Thành"
    level = "district"
    home_url = "https://www.soctrang.gov.vn/Default.aspx?sname=huyenchauthanh&sid=1308"
    sname = "huyenchauthanh"  # [E]
    sid = 1308  # [E]
    listings = (Listing(pageid=1320, catid=1402, catname="Tin-tuc-Su-kien"),)  # [R]


class SocTrangMyXuyenSpider(SocTrangPortal):
    name = "soctrang_myxuyen"
    display_name = "Cổng thông tin điện tử huyện Mỹ Xuyên"
    level = "district"
    home_url = "https://www.soctrang.gov.vn/Default.aspx?sname=huyenmyxuyen&sid=1310"
    sname = "huyenmyxuyen"  # [R] districts probably follow huyen<name>
    sid = 1310  # [R] unknown
    listings = (Listing(pageid=1335, catid=1460, catname="Tin-tuc-Su-kien"),)  # [R]
