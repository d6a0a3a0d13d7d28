"""Quảng Ngãi's sites (Liferay, and the new platform since July 2025 on the province host), built
from the registry (crawler/registry/portals.toml).

Kept so that ``from spiders.quangngai import QuangNgaiSpider`` goes on working.
"""

from __future__ import annotations

from crawler.registry import spider_class

QuangNgaiSpider = spider_class("quangngai")
QuangNgaiMinhLongSpider = spider_class("quangngai_minhlong")
