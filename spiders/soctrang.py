"""Sóc Trăng's sites (VNPT vnPortal), built from the registry (crawler/registry/portals.toml).

Kept so that ``from spiders.soctrang import SocTrangSpider`` goes on working; the sites themselves
are registry entries, and ``scrapy list`` shows them all.
"""

from __future__ import annotations

from crawler.registry import spider_class

SocTrangSpider = spider_class("soctrang")
SocTrangDanVanSpider = spider_class("soctrang_danvan")
SocTrangChauThanhSpider = spider_class("soctrang_chauthanh")
SocTrangMyXuyenSpider = spider_class("soctrang_myxuyen")
