"""A Scrapy extension for benchmark runs, enabled only by ``-s BENCH_PROBE_FILE=<path>``.

It times the crawl from ``spider_opened`` to the last response or item (process start-up,
imports and the final database write are outside), counts the CPU time the process and its
children (the archive writer, crawler/writer.py) spent meanwhile, and writes that with Scrapy's
stats and the peak RSS of the process and of its children (the kernel's VmHWM) to the file as
JSON when the spider closes.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class Probe:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler, self.path = crawler, path
        self.opened = self.last = time.perf_counter()
        self.cpu_opened = _cpu()
        for handler, signal in (
            (self.spider_opened, signals.spider_opened),
            (self.activity, signals.response_received),
            (self.activity, signals.item_scraped),
            (self.activity, signals.item_dropped),
            (self.spider_closed, signals.spider_closed),
        ):
            crawler.signals.connect(handler, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Probe:
        path = crawler.settings.get("BENCH_PROBE_FILE")
        if not path:
            raise NotConfigured("BENCH_PROBE_FILE is not set")
        return cls(crawler, Path(path))

    def spider_opened(self, spider: Spider) -> None:
        self.opened = self.last = time.perf_counter()
        self.cpu_opened = _cpu()

    def activity(self, *args: Any, **kwargs: Any) -> None:
        self.last = time.perf_counter()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        report = {
            "reason": reason,
            "crawl_seconds": self.last - self.opened,
            "closed_seconds": time.perf_counter() - self.opened,
            "crawl_cpu_seconds": _cpu() - self.cpu_opened,
            "peak_rss_kb": _peak_rss_kb(),
            "children_peak_rss_kb": _children_peak_rss_kb(),
            "stats": {
                k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v)
                for k, v in stats.items()
            },
        }
        self.path.write_text(json.dumps(report, indent=1), encoding="utf-8")


def _peak_rss_kb(pid: int | str = "self") -> int:
    """A process's peak RSS. /proc's VmHWM belongs to the process image; ru_maxrss would also
    count the parent's peak at fork time (Linux keeps it across exec)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if pid == "self" else 0


def _children_peak_rss_kb() -> int:
    """The children's peak RSS: the living ones' VmHWM, else the largest of those already reaped."""
    living = children_sum(psutil.Process(), lambda child: _peak_rss_kb(child.pid))
    return int(living) or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def children_sum(process: psutil.Process, measure: Callable[[psutil.Process], float]) -> float:
    """``measure`` added over the living children of ``process`` (the archive writer, crawler/writer.py),
    skipping any that ends meanwhile."""
    total = 0.0
    for child in process.children(recursive=True):
        try:
            total += measure(child)
        except psutil.NoSuchProcess:
            continue
    return total


def _cpu() -> float:
    """CPU seconds of this process and of its children, living (the writer, until the crawl ends) or reaped."""
    usage, reaped = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    children = children_sum(psutil.Process(), lambda child: sum(child.cpu_times()[:2]))
    return usage.ru_utime + usage.ru_stime + reaped.ru_utime + reaped.ru_stime + children
