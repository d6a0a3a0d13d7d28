"""Crawl schedules (docs/service.md): the spider's ``schedule`` class attribute, overridden
by ``schedules.toml`` and then by ``ARCHIVE_SCHEDULE_<SITE>`` in the environment:

- ``every <duration>``: ``every 6h``, ``every 1h30m``, ``every 90s`` (units s, m, h, d);
- a five-field crontab ``minute hour day month weekday`` in Asia/Ho_Chi_Minh time,
  weekdays by name (``0 3 * * mon-fri``);
- ``off``: crawled only by hand.

A retired portal (``status = "retired"``) is scheduled ``RETIRED_SCHEDULE`` (monthly) by
default, and its scheduled run is a web-archive backfill (crawler/service.py), not a live crawl.

Each run starts up to a tenth of its period late (at most 10 minutes), at random,
so sites on the same schedule do not all start at once.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from archive.db import PROJECT_ROOT

if TYPE_CHECKING:
    from crawler.families.base import PortalSpider

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_SCHEDULES_FILE = PROJECT_ROOT / "schedules.toml"
ENV_PREFIX = "ARCHIVE_SCHEDULE_"
MAX_JITTER = 600.0

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


class ScheduleError(ValueError):
    """A schedule that cannot be read; the message says which site and where it came from."""


def parse_duration(text: str) -> float:
    """``"90"``, ``"90s"``, ``"1h30m"``, ``"2d"`` → seconds."""
    text = text.replace(" ", "").lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if not text or _DURATION.sub("", text):
        raise ValueError(f"{text!r} is not a duration like 90s, 30m, 6h, 1h30m or 1d")
    return sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))


def fmt_duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f}s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@dataclass(frozen=True)
class Schedule:
    spec: str  # normalised, as shown by `portal-archive status`
    trigger: BaseTrigger


def parse_schedule(spec: str) -> Schedule | None:
    """A schedule from the grammar of the module docstring; None for ``off``."""
    text = " ".join(spec.split()).lower()
    if text in ("off", "never"):
        return None
    if text.startswith("every "):
        period = parse_duration(text.removeprefix("every "))
        if period <= 0:
            raise ValueError(f"schedule {spec!r}: the period must be positive")
        return Schedule(text, IntervalTrigger(seconds=period, jitter=_jitter(period), timezone=VN_TZ))
    if len(text.split()) == 5:
        if re.search(r"\d", text.split()[4]):
            # APScheduler 3 numbers weekdays from Monday = 0, crontab from Sunday = 0: names are unambiguous.
            raise ValueError(f"schedule {spec!r}: name the weekdays (mon, tue, ..., sun), not numbers")
        trigger = CronTrigger.from_crontab(text, timezone=VN_TZ)
        now = datetime.now(VN_TZ)
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first) if first else None
        trigger.jitter = _jitter((second - first).total_seconds()) if first and second else None
        return Schedule(text, trigger)
    raise ValueError(f"schedule {spec!r}: use 'every 6h', a crontab like '0 3 * * *', or 'off'")


def _jitter(period: float) -> int | None:
    return max(1, int(min(period / 10, MAX_JITTER))) if period >= 10 else None


def read_schedules_file(path: Path | None) -> dict[str, str]:
    """``[schedules]`` of a TOML file: ``site = "every 12h"``; nothing if there is no file."""
    if path is None or not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("schedules", {})
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{path}: {exc}") from None
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ScheduleError(f'{path}: [schedules] must map site names to strings like "every 6h"')
    return table


def resolve_schedules(
    defaults: Mapping[str, str], env: Mapping[str, str], file: Path | None
) -> dict[str, Schedule | None]:
    """Each site's schedule: the environment wins over the file, the file over the spider class."""
    from_file = read_schedules_file(file)
    unknown = sorted(set(from_file) - set(defaults))
    if unknown:
        raise ScheduleError(f"{file}: no such site(s): {', '.join(unknown)}")
    resolved: dict[str, Schedule | None] = {}
    for site, default in defaults.items():
        variable = ENV_PREFIX + site.upper()
        spec, source = default, "the spider class"
        if site in from_file:
            spec, source = from_file[site], str(file)
        if env.get(variable):
            spec, source = env[variable], variable
        try:
            resolved[site] = parse_schedule(spec)
        except ValueError as exc:
            raise ScheduleError(f"schedule of {site} (from {source}): {exc}") from None
    return resolved


#: a retired portal's default schedule: a web-archive backfill once a month (the 1st, 04:00 Vietnam
#: time): the portal answers no more, and the archives add captures slowly
RETIRED_SCHEDULE = "0 4 1 * *"


def loaded_spider_classes() -> dict[str, type[PortalSpider]]:
    """Every site's spider class, by name, through Scrapy's spider loader (loading starts no reactor)."""
    from scrapy.spiderloader import get_spider_loader
    from scrapy.utils.project import get_project_settings

    loader = get_spider_loader(get_project_settings())  # SPIDER_LOADER_CLASS: the registry's sites too
    # Every site spider is a PortalSpider (crawler/families/base.py), the generic one included.
    return {name: cast("type[PortalSpider]", loader.load(name)) for name in sorted(loader.list())}


def is_retired(spider_class: type) -> bool:
    return getattr(spider_class, "status", "active") == "retired"


def retired_sites() -> list[str]:
    """The sites whose portal went dark (``status = "retired"``): their news comes from web archives."""
    return [name for name, cls in loaded_spider_classes().items() if is_retired(cls)]


def spider_schedules() -> dict[str, str]:
    """Every site and the ``schedule`` its spider class declares; a retired portal's is ``RETIRED_SCHEDULE``."""
    return {name: RETIRED_SCHEDULE if is_retired(cls) else str(getattr(cls, "schedule", "off"))
            for name, cls in loaded_spider_classes().items()}


def site_schedules(file: Path | None = DEFAULT_SCHEDULES_FILE) -> dict[str, Schedule | None]:
    return resolve_schedules(spider_schedules(), os.environ, file)
