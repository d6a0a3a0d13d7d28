"""Quảng Ngãi's provincial host: Liferay until June 2025, the new platform (crawler/families/qni2025.py)
since 1 July 2025, on one host. A page is told apart by the shape of its URL: the platform's
hooks (``source_key``, ``parse_listing``, ``read_*``) take the pages ``on_new_platform`` names."""

from __future__ import annotations

from crawler.families.liferay import LiferaySpider, is_liferay_article_url
from crawler.families.qni2025 import Qni2025Family


class LiferayQni2025Spider(Qni2025Family, LiferaySpider):
    """A site that ran Liferay and then the 2025 platform: sets ``host``, ``liferay_site``,
    ``listing_paths`` and ``qni2025_listing_paths``."""

    family = "liferay+qni2025"

    def start_page_urls(self) -> list[str]:
        return [*super().start_page_urls(), *self.qni2025_start_urls()]

    def on_new_platform(self, url: str) -> bool:
        # Liferay's pages live under /web/<site>/ or carry /-/; Đồng Tháp-style
        # /tin-tuc/chi-tiet?id= would be Liferay too, although under /tin-tuc/.
        return self.is_qni2025_url(url) and not is_liferay_article_url(url)
