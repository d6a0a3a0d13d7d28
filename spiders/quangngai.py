"""Quảng Ngãi: the provincial portal and the Minh Long district portal (Liferay).

After 1 July 2025 Quảng Ngãi and Kon Tum became the new Quảng Ngãi and the
district level was abolished; Minh Long stopped publishing around 30 June 2025.
"""

from __future__ import annotations

from crawler.families.liferay import LiferaySpider


class QuangNgaiSpider(LiferaySpider):
    name = "quangngai"
    display_name = "Cổng thông tin điện tử tỉnh Quảng Ngãi"
    province = "Quảng Ngãi"
    province_after_2025 = "Quảng Ngãi"
    level = "province"
    host = "quangngai.gov.vn"
    home_url = "https://quangngai.gov.vn/"
    liferay_site = "portal-qni"


class QuangNgaiMinhLongSpider(LiferaySpider):
    name = "quangngai_minhlong"
    display_name = "Cổng thông tin điện tử huyện Minh Long"
    province = "Quảng Ngãi"
    province_after_2025 = "Quảng Ngãi"
    level = "district"
    status = "retired"
    successor_name = "quangngai"
    successor_url = "https://quangngai.gov.vn/"
    # [R] host and Liferay site name: no capture of the district portal's URLs here.
    host = "minhlong.quangngai.gov.vn"
    home_url = "https://minhlong.quangngai.gov.vn/"
    liferay_site = "minhlong"
