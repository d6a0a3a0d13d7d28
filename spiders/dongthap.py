"""Đồng Tháp: the provincial portal and the Sa Đéc city portal (Liferay).

On 1 July 2025 Đồng Tháp and Tiền Giang became the new Đồng Tháp, seated in Mỹ
Tho, and the district level was abolished: Sa Đéc city became wards of the new
province and its portal stopped publishing. Both portals link their 2025–26
news as ``tin-tuc/chi-tiet?id=<n>`` beside the older asset_publisher URLs; the
Liferay family reads both (crawler/families/liferay.py).
"""

from __future__ import annotations

from crawler.families.liferay import LiferaySpider


class DongThapSpider(LiferaySpider):
    name = "dongthap"
    display_name = "Cổng thông tin điện tử tỉnh Đồng Tháp"
    province = "Đồng Tháp"
    province_after_2025 = "Đồng Tháp"
    level = "province"
    host = "dongthap.gov.vn"
    home_url = "https://dongthap.gov.vn/"
    # [R] the Liferay site name: only /tin-tuc/chi-tiet?id= (no /web/<site>) was seen on this host.
    liferay_site = "dongthap"


class DongThapSaDecSpider(LiferaySpider):
    name = "dongthap_sadec"
    display_name = "Cổng thông tin điện tử thành phố Sa Đéc"
    province = "Đồng Tháp"
    province_after_2025 = "Đồng Tháp"
    level = "district"
    status = "retired"
    successor_name = "dongthap"
    successor_url = "https://dongthap.gov.vn/"
    host = "sadec.dongthap.gov.vn"  # [E]
    home_url = "https://sadec.dongthap.gov.vn/"
    liferay_site = "sadec"  # [R]
