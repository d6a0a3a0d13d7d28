"""Báo Đồng Tháp, the provincial newspaper, in all three URL eras.

The ASP.NET site moved from baodongthap.com.vn to baodongthap.vn; in August
2025 the paper merged with Báo Ấp Bắc (Tiền Giang) and moved platform twice
(Aug-Oct 2025, then 2026). Old articles stay reachable under their old URLs,
so the ASP.NET category listings are walked as well as the 2026 site.
"""

from __future__ import annotations

from crawler.families.newspaper import NewspaperSpider

HOME = "https://baodongthap.vn/"
# [E] ASP.NET category ids (portals.md); the slugs are those a public crawler of the site requests.
ASPX_CATEGORIES = (
    ("chinh-tri", 342),
    ("kinh-te", 343),
    ("xa-hoi", 344),
    ("phap-luat-an-ninh-trat-tu", 345),
    ("van-hoa-nghe-thuat", 353),
)
# The 2026 site's section paths (/<slug>/), as a public crawler of the site requests them.
SECTIONS_2026 = ("chinh-tri", "kinh-te", "xa-hoi", "phap-luat", "van-hoa-nghe-thuat")


class BaoDongThapSpider(NewspaperSpider):
    name = "baodongthap"
    display_name = "Báo Đồng Tháp"
    province = "Đồng Tháp"
    province_after_2025 = "Đồng Tháp"  # merged with Tiền Giang on 1 July 2025, seat in Mỹ Tho
    home_url = HOME
    hosts = ("baodongthap.vn", "baodongthap.com.vn")
    listing_urls = (
        *(f"{HOME}{slug}?cate={cate}&page=1" for slug, cate in ASPX_CATEGORIES),
        HOME,
        *(f"{HOME}{slug}/" for slug in SECTIONS_2026),
    )
