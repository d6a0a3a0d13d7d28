"""A site's spider class, from its family and its registry entry (crawler/registry/__init__.py).

The class carries the entry as class attributes, as a hand-written site class did: the registry
facts (``site_info()``), the family's parameters, each fact's mark (``facts``), and the crawl
settings that differ from the defaults (``schedule``; politeness and time limit as Scrapy's
``custom_settings``). Other code reads these attributes, not the entry (#16 reads ``status``,
``successor_name`` and ``schedule`` from each class).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import unquote

from crawler.families.base import PortalSpider
from crawler.families.liferay import LiferaySpider
from crawler.families.liferay_qni2025 import LiferayQni2025Spider
from crawler.families.newspaper import NewspaperSpider
from crawler.families.qni2025 import Qni2025Spider
from crawler.families.vnportal import Listing, VnPortalSpider
from crawler.registry import Entry
from spiders.generic import MAX_KEY, GenericSpider, canonical_url

MODULE = "crawler.registry.sites"  # not a SPIDER_MODULES module: Scrapy's scan never lists them twice


class RegistryGenericSpider(GenericSpider):
    """A registered portal whose CMS is no family yet: the generic spider with its arguments
    taken from the entry (``-a`` arguments still override them), and the entry's facts."""

    hosts: ClassVar[tuple[str, ...]] = ()
    listing_urls: ClassVar[tuple[str, ...]] = ()
    article_regex: ClassVar[str] = ""
    id_regex: ClassVar[str | None] = None

    def __init__(self, *args: Any, start_url: str | None = None, article_pattern: str | None = None,
                 site: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, start_url=start_url or self.listing_urls[0],
                         article_pattern=article_pattern or self.article_regex, site=site or self.name, **kwargs)

    @classmethod
    def check_arguments(cls, *, start_url: str | None = None, article_pattern: str | None = None,
                        site: str | None = None, **kwargs: Any) -> Any:
        return super().check_arguments(start_url=start_url or cls.listing_urls[0],
                                       article_pattern=article_pattern or cls.article_regex,
                                       site=site or cls.name, **kwargs)

    site_info = classmethod(PortalSpider.site_info.__func__)  # type: ignore[attr-defined,var-annotated]

    def source_key(self, url: str) -> str | None:
        """``<id>`` by the entry's ``id_pattern``, else the canonical URL without scheme and ``www.``;
        None off the site's hosts or for a URL that is not an article."""
        canonical = canonical_url(url)
        host = canonical.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
        if host not in self.hosts or not self.article_pattern.search(canonical):
            return None
        if self.id_regex and (found := re.search(self.id_regex, unquote(canonical))):
            return found["id"]
        key = canonical.split("://", 1)[-1].removeprefix("www.")
        return key if len(key) <= MAX_KEY else super().source_key(url)

    def is_site_article_url(self, url: str) -> bool:
        return self.source_key(url) is not None


FAMILY_BASES: dict[str, type[PortalSpider]] = {
    "vnportal": VnPortalSpider,
    "liferay": LiferaySpider,
    "liferay+qni2025": LiferayQni2025Spider,
    "qni2025": Qni2025Spider,
    "newspaper": NewspaperSpider,
    "generic": RegistryGenericSpider,
}


def build_spider(entry: Entry) -> type[PortalSpider]:
    attrs: dict[str, Any] = {
        "__module__": MODULE,
        "__doc__": f"{entry.fact('display_name')} (registry entry {entry.name}, family {entry.family}).",
        "name": entry.name,
        "family": entry.family,
        "display_name": entry.fact("display_name"),
        "province": entry.fact("province"),
        "province_after_2025": entry.fact("province_after_2025"),
        "level": entry.fact("level"),
        "status": entry.fact("status"),
        "home_url": entry.fact("home_url"),
        "successor_name": entry.fact("successor"),
        "successor_url": entry.fact("successor_url"),
        "facts": dict(entry.marks),
        "registry_entry": entry,
        **_family_attrs(entry),
        **_crawl_settings(entry),
    }
    base = FAMILY_BASES[entry.family]
    class_name = "".join(part.capitalize() for part in entry.name.split("_")) + "Spider"
    return type(class_name, (base,), attrs)


def _family_attrs(entry: Entry) -> dict[str, Any]:
    hosts = [h.removeprefix("www.") if entry.family != "vnportal" else h for h in entry.facts["hosts"]]
    if entry.family == "vnportal":
        return {
            "domain": entry.fact("domain"),
            "host": hosts[0],
            "hosts": tuple(hosts[1:]),
            "sname": entry.fact("sname"),
            "sid": entry.fact("sid"),
            "listings": tuple(Listing(**listing) for listing in entry.fact("listings", [])),
        }
    if entry.family in ("liferay", "liferay+qni2025"):
        attrs = {
            "domain": entry.fact("domain"),
            "host": hosts[0],
            "virtual_hosts": tuple(hosts[1:]),
            "liferay_site": entry.fact("liferay_site"),
            "listing_paths": tuple(entry.fact("listing_paths", ["/tin-tuc-su-kien"])),
        }
        if entry.family == "liferay+qni2025":
            attrs["qni2025_listing_paths"] = tuple(entry.fact("qni2025_listing_paths"))
        return attrs
    if entry.family == "qni2025":
        return {"host": hosts[0], "qni2025_listing_paths": tuple(entry.fact("qni2025_listing_paths"))}
    if entry.family == "newspaper":
        return {"hosts": tuple(hosts), "listing_urls": tuple(entry.fact("listing_urls"))}
    return {  # generic
        "hosts": tuple(hosts),
        "listing_urls": tuple(entry.fact("listing_urls")),
        "article_regex": entry.fact("article_pattern"),
        "id_regex": entry.fact("id_pattern"),
    }


def _crawl_settings(entry: Entry) -> dict[str, Any]:
    """``schedule`` and, where the entry differs from the defaults, politeness and time limit."""
    # GenericSpider is "off" (it needs arguments); a registered portal has them, so it runs on the default.
    attrs: dict[str, Any] = {"schedule": str(entry.settings.get("schedule", PortalSpider.schedule))}
    custom: dict[str, Any] = {}
    if "download_delay" in entry.settings:
        custom["DOWNLOAD_DELAY"] = float(entry.settings["download_delay"])
    if "concurrency" in entry.settings:
        custom["CONCURRENT_REQUESTS_PER_DOMAIN"] = int(entry.settings["concurrency"])
    if "time_limit" in entry.settings:
        custom["CLOSESPIDER_TIMEOUT"] = int(entry.settings["time_limit"])
    if custom:
        attrs["custom_settings"] = custom
    return attrs
