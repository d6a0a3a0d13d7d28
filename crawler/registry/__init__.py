"""The registry: every portal, as data (``portals.toml`` beside this file; docs/registry.md).

:func:`load_registry` reads and checks the file; :func:`spider_class` builds a site's spider
class from its family and its entry; :class:`RegistrySpiderLoader` (``SPIDER_LOADER_CLASS``) lists
them beside the hand-written spiders of ``SPIDER_MODULES`` (``generic``). A bad entry stops with
one line naming it (:class:`RegistryError`).
"""

from __future__ import annotations

import logging
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from scrapy.spiderloader import SpiderLoader

logger = logging.getLogger(__name__)

#: plain settings (our choices, no evidence mark): the rest of an entry is facts
SETTINGS = ("group", "schedule", "download_delay", "concurrency", "time_limit")
COMMON = ("family", "display_name", "province", "level", "status", "hosts", "home_url")
OPTIONAL = ("province_after_2025", "successor", "successor_url")
#: per family: (required facts, optional facts)
FAMILY_FACTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vnportal": (("domain", "sname"), ("sid", "listings")),
    "liferay": (("domain",), ("liferay_site", "listing_paths")),
    "liferay+qni2025": (("domain", "liferay_site", "qni2025_listing_paths"), ("listing_paths",)),
    "qni2025": (("qni2025_listing_paths",), ()),
    "newspaper": (("listing_urls",), ()),
    "generic": (("listing_urls", "article_pattern"), ("id_pattern",)),
}
LEVELS = ("province", "district", "commune", "agency", "newspaper", "other")
STATUSES = ("active", "retired", "redirected")
_MARK = re.compile(r"\[(E|I)\] \S")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


class RegistryError(ValueError):
    """A registry entry that cannot be used; the message is one line naming it."""


@dataclass(frozen=True)
class Entry:
    """One site of the registry: its facts (values), their marks, and its settings."""

    name: str
    facts: Mapping[str, Any]
    marks: Mapping[str, str]
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> str:
        return str(self.facts["family"])

    def fact(self, key: str, default: Any = None) -> Any:
        value = self.facts.get(key, default)
        return default if value == "" else value

    def is_evidence(self, key: str) -> bool:
        return self.marks.get(key, "").startswith("[E]")


def registry_path() -> Path:
    return Path(str(resources.files(__package__).joinpath("portals.toml")))


@cache
def load_registry(path: Path | None = None) -> dict[str, Entry]:
    """Every entry of the registry file, checked (:class:`RegistryError` on the first bad one)."""
    path = path or registry_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"registry {path}: {exc}") from None
    unknown = set(data) - {"group", "site"}
    if unknown:
        raise RegistryError(f"registry {path}: unknown table(s) {', '.join(sorted(unknown))}")
    groups, sites = data.get("group", {}), data.get("site", {})
    entries = {name: _entry(name, table, groups) for name, table in sites.items()}
    _check_successors(entries)
    _check_identities(entries)
    return entries


def _entry(name: str, table: Mapping[str, Any], groups: Mapping[str, Any]) -> Entry:
    where = f"registry: site {name}"
    if not _NAME.fullmatch(name):
        raise RegistryError(f"{where}: the name must be lower-case ASCII letters, digits and _")
    merged = _with_groups(where, table, groups)
    facts, marks = {}, {}
    for key, value in merged.items():
        if key in SETTINGS:
            continue
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)):
            raise RegistryError(f"{where}: fact {key!r} must be [value, \"[E] source\"] or [value, \"[I] reason\"]")
        if not _MARK.match(value[1]):
            raise RegistryError(
                f"{where}: fact {key!r} is marked {value[1]!r}, not \"[E] <source>\" or \"[I] <reason>\"")
        facts[key], marks[key] = value[0], value[1]
    entry = Entry(name, facts, marks, {k: merged[k] for k in SETTINGS if k in merged and k != "group"})
    _check_entry(where, entry)
    return entry


def _with_groups(where: str, table: Mapping[str, Any], groups: Mapping[str, Any]) -> dict[str, Any]:
    chain, group = [table], table.get("group")
    while group is not None:
        if group not in groups:
            raise RegistryError(f"{where}: no such group {group!r}")
        if any(g is groups[group] for g in chain):
            raise RegistryError(f"{where}: group {group!r} includes itself")
        chain.append(groups[group])
        group = groups[group].get("group")
    merged: dict[str, Any] = {}
    for layer in reversed(chain):
        merged.update(layer)
    return merged


def _check_entry(where: str, entry: Entry) -> None:
    for key in COMMON:
        if key not in entry.facts:
            raise RegistryError(f"{where}: missing {key!r}")
    if entry.family not in FAMILY_FACTS:
        raise RegistryError(f"{where}: unknown family {entry.family!r} (known: {', '.join(FAMILY_FACTS)})")
    required, optional = FAMILY_FACTS[entry.family]
    for key in required:
        if key not in entry.facts:
            raise RegistryError(f"{where}: missing {key!r} (the {entry.family} family needs it)")
    unknown = set(entry.facts) - {*COMMON, *OPTIONAL, *required, *optional}
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} for family {entry.family}")
    if entry.facts["level"] not in LEVELS:
        raise RegistryError(f"{where}: level {entry.facts['level']!r} is not one of {', '.join(LEVELS)}")
    if entry.facts["status"] not in STATUSES:
        raise RegistryError(f"{where}: status {entry.facts['status']!r} is not one of {', '.join(STATUSES)}")
    hosts = entry.facts["hosts"]
    if not (isinstance(hosts, list) and hosts and all(isinstance(h, str) and h for h in hosts)):
        raise RegistryError(f"{where}: hosts must be a non-empty list of host names")
    if domain := entry.facts.get("domain"):
        off = [h for h in hosts if not (h == domain or h.endswith("." + domain))]
        if off:
            raise RegistryError(f"{where}: host(s) {', '.join(off)} outside the family's domain {domain}")
    if "schedule" in entry.settings:
        from crawler.schedules import parse_schedule

        try:
            parse_schedule(str(entry.settings["schedule"]))
        except ValueError as exc:
            raise RegistryError(f"{where}: schedule {entry.settings['schedule']!r}: {exc}") from None
    for key in ("download_delay", "concurrency", "time_limit"):
        value = entry.settings.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise RegistryError(f"{where}: {key} must be a positive number, not {value!r}")
    for key in ("article_pattern", "id_pattern"):
        if key in entry.facts:
            try:
                re.compile(entry.facts[key])
            except re.error as exc:
                raise RegistryError(f"{where}: {key} is not a regular expression ({exc})") from None


def _check_successors(entries: Mapping[str, Entry]) -> None:
    for entry in entries.values():
        successor = entry.fact("successor")
        if successor and successor not in entries:
            raise RegistryError(f"registry: site {entry.name}: successor {successor!r} is not a registered site")


def identities(entry: Entry) -> list[str]:
    """What the entry claims: no two sites may claim one (an article would have two owners)."""
    facts, hosts = entry.facts, [h.removeprefix("www.") for h in entry.facts["hosts"]]
    if entry.family == "vnportal":
        claims = [f"vnPortal {facts['domain']} sname {str(facts['sname']).lower()}"]
        return claims + ([f"vnPortal {facts['domain']} sid {facts['sid']}"] if "sid" in facts else [])
    if entry.family.startswith("liferay"):
        claims = [f"Liferay {facts['domain']} host {host}" for host in hosts]
        site = facts.get("liferay_site")
        return claims + ([f"Liferay {facts['domain']} site {str(site).lower()}"] if site else [])
    return [f"{entry.family} host {host}" for host in hosts]


def _check_identities(entries: Mapping[str, Entry]) -> None:
    owners: dict[str, str] = {}
    for entry in entries.values():
        for claim in identities(entry):
            if claim in owners:
                raise RegistryError(
                    f"registry: site {entry.name} claims the identity of site {owners[claim]} ({claim})")
            owners[claim] = entry.name


# -- spider classes -----------------------------------------------------------------------------


@cache
def spider_class(name: str, path: Path | None = None) -> type:
    """The spider class of registry site ``name``, built from its family and its entry."""
    from crawler.registry.build import build_spider

    return build_spider(load_registry(path)[name])


def spider_classes(path: Path | None = None) -> dict[str, type]:
    return {name: spider_class(name, path) for name in load_registry(path)}


class RegistrySpiderLoader(SpiderLoader):
    """Scrapy's loader, plus one spider per registry site. A bad registry stops here, with one line.
    ``ARCHIVE_REGISTRY`` (a path) replaces the packaged registry file."""

    def __init__(self, settings: Any) -> None:
        self._registry_path = settings.get("ARCHIVE_REGISTRY")
        super().__init__(settings)

    def _load_all_spiders(self) -> None:
        super()._load_all_spiders()
        path = self._registry_path
        try:
            built = spider_classes(Path(path) if path else None)
        except RegistryError as exc:
            print(exc, file=sys.stderr)  # one line, no traceback: `scrapy list` and every command
            raise SystemExit(2) from None
        for name, cls in built.items():
            if name in self._spiders and self._spiders[name] is not cls:
                print(f"registry: site {name}: a spider module defines it too ({self._spiders[name].__module__})",
                      file=sys.stderr)
                raise SystemExit(2)
            self._spiders[name] = cls
