"""Báo Đồng Tháp (the newspaper family, three URL eras), built from the registry
(crawler/registry/portals.toml). Kept so that ``from spiders.baodongthap import BaoDongThapSpider``
goes on working.
"""

from __future__ import annotations

from crawler.registry import spider_class

BaoDongThapSpider = spider_class("baodongthap")
