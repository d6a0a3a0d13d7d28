"""Đồng Tháp's sites (Liferay), built from the registry (crawler/registry/portals.toml).

Kept so that ``from spiders.dongthap import DongThapSpider`` goes on working.
"""

from __future__ import annotations

from crawler.registry import spider_class

DongThapSpider = spider_class("dongthap")
DongThapSaDecSpider = spider_class("dongthap_sadec")
