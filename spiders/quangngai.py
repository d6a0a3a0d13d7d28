"""Quảng Ngãi: the provincial portal and the Minh Long district portal.

After 1 July 2025 Quảng Ngãi and Kon Tum became the new Quảng Ngãi and the
district level was abolished; Minh Long stopped publishing around 30 June 2025.
quangngai.gov.vn moved from Liferay to a new platform (shared with Gia Lai) at
the same time, so the provincial spider crawls both on one host and tells them
apart by the shape of each URL.
"""

from __future__ import annotations

from crawler.families.liferay import LiferaySpider, is_liferay_article_url
from crawler.families.qni2025 import Qni2025Family


class QuangNgaiSpider(Qni2025Family, LiferaySpider):
    name = "quangngai"
    family = "liferay+qni2025"
    display_name = "Cổng thông tin điện tử tỉnh Quảng Ngãi"
    province = "Quảng Ngãi"
    province_after_2025 = "Quảng Ngãi"
    level = "province"
    host = "quangngai.gov.vn"
    home_url = "https://quangngai.gov.vn/"
    # Liferay, to June 2025 [E]
    liferay_site = "portal-qni"
    # The new platform, from July 2025. [E] category names (the second seen on the commune
    # sub-domain mangden.); [R] that they are the listings worth starting from.
    qni2025_listing_paths = (
        "/tin-tuc/tin-tu-cac-so-nganh-dia-phuong",
        "/tin-tuc/thong-tin-chi-dao-dieu-hanh-cua-ubnd-tinh-chu-tich-ubnd-tinh",
    )

    def start_page_urls(self) -> list[str]:
        return [*super().start_page_urls(), *self.qni2025_start_urls()]

    def on_new_platform(self, url: str) -> bool:
        # Liferay's pages live under /web/<site>/ or carry /-/; Đồng Tháp-style
        # /tin-tuc/chi-tiet?id= would be Liferay too, although under /tin-tuc/.
        return self.is_qni2025_url(url) and not is_liferay_article_url(url)


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
