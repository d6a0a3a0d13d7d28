"""Chromium's memory over a long crawl: one crawl renders N pages of the script-rendered fixture
portal (tests/fixtures/sites/browser) through the browser, with the project's settings (one
context, two pages at a time, images/fonts/media blocked), and samples the memory of every
Chromium process every K pages.

    python -m bench.browser_memory                  # 500 pages, a sample every 50
    python -m bench.browser_memory --pages 100 --every 20

One page in five is the category page (its script fetches the list, "Xem thêm" is clicked twice,
three JSON fetches); the others are article pages. Every URL is distinct (``?lan=<n>``), so
nothing is served from one cached render. Prints a table (pages, processes, RSS and PSS in MiB)
and the ratio of the last sample to the first. RSS counts shared pages once per process; PSS
shares them out, so the PSS sum is the memory the browser really holds. Linux only (/proc).
Results: docs/browser.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.http import Response
from scrapy.utils.project import get_project_settings

from tests.e2e.browser_spiders import JsPortalRenderedSpider
from tests.fixtures.server import FixtureServer
from tests.fixtures.sites.browser import build

JSPORTAL = Path(build.__file__).parent
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Sample:
    pages: int
    processes: int
    rss_mib: float
    pss_mib: float
    seconds: float


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _kib(path: Path, field: str) -> int:
    try:
        line = next(line for line in path.read_text().splitlines() if line.startswith(field))
    except (OSError, StopIteration):
        return 0
    return int(line.split()[1])


def chromium_memory() -> tuple[int, int, int]:
    """(processes, RSS KiB, PSS KiB) of the Chromium processes below this one."""
    tree, todo, found = _children(), [os.getpid()], []
    while todo:
        for child in tree.get(todo.pop(), []):
            todo.append(child)
            try:
                if "chrom" in os.path.basename(os.readlink(f"/proc/{child}/exe")):
                    found.append(child)
            except OSError:
                continue
    rss = sum(_kib(Path(f"/proc/{pid}/status"), "VmRSS:") for pid in found)
    pss = sum(_kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss:") for pid in found)
    return len(found), rss, pss


class MemorySpider(JsPortalRenderedSpider):
    """Renders ``pages`` distinct URLs and samples Chromium every ``every`` responses."""

    name = "bench_browser_memory"

    def __init__(self, *args: Any, pages: int = 500, every: int = 50, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages, self.every = int(pages), int(every)
        self.seen = 0
        self.started = time.monotonic()
        self.samples: list[Sample] = []

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for n in range(self.pages):
            url = f"https://{self.host}{page_path(n)}"
            make = self.listing_request if n % 5 == 0 else self.article_request
            yield make(url, dont_filter=True)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        return self._rendered(response)

    def parse_article(self, response: Response) -> Iterator[Any]:
        return self._rendered(response)

    def _rendered(self, response: Response) -> Iterator[Any]:
        self.seen += 1
        if self.seen % self.every == 0 or self.seen == self.pages:
            processes, rss, pss = chromium_memory()
            spent = time.monotonic() - self.started
            self.samples.append(Sample(self.seen, processes, rss / 1024, pss / 1024, spent))
        return iter(())


def page_path(n: int) -> str:
    """The n-th page of the bench: the category page one time in five, else an article; made
    distinct by ``?lan=<n>``."""
    base = "/tin-tuc/thoi-su" if n % 5 == 0 else build.article_path(build.ARTICLES[n % len(build.ARTICLES)])
    return f"{base}?lan={n}"


def serve_aliases(server: FixtureServer, pages: int) -> None:
    """Answer every page of the bench with the fixture file it stands for."""
    for n in range(pages):
        route = server.manifest_route(build.HOST + page_path(n).split("?", 1)[0])
        assert route is not None
        body = route.file.read_bytes()
        server.route(build.HOST + page_path(n), lambda *_, body=body: (200, {"Content-Type": HTML}, body))


def run(pages: int, every: int) -> tuple[list[Sample], dict[str, Any]]:
    settings = get_project_settings()
    settings.setdict({
        "ITEM_PIPELINES": {}, "ARCHIVE_INCREMENTAL": False, "LOG_LEVEL": "ERROR",
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
    }, priority="cmdline")
    with FixtureServer(JSPORTAL) as server:
        serve_aliases(server, pages)
        process = AsyncCrawlerProcess(settings)
        crawler = process.create_crawler(MemorySpider)
        process.crawl(crawler, mirror=server.url, pages=pages, every=every)
        process.start()
    return crawler.spider.samples, crawler.stats.get_stats()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_memory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--every", type=int, default=50)
    args = parser.parse_args(argv)
    samples, stats = run(args.pages, args.every)
    if len(samples) < 2:
        print("error: fewer than two samples; is Chromium installed?", file=sys.stderr)
        return 1
    print(f"{'pages':>6} {'procs':>6} {'RSS MiB':>8} {'PSS MiB':>8} {'seconds':>8}")
    for s in samples:
        print(f"{s.pages:>6} {s.processes:>6} {s.rss_mib:>8.1f} {s.pss_mib:>8.1f} {s.seconds:>8.1f}")
    first, last = samples[0], samples[-1]
    print(f"last/first: RSS {last.rss_mib / first.rss_mib:.2f}, PSS {last.pss_mib / first.pss_mib:.2f}; "
          f"peak PSS {max(s.pss_mib for s in samples):.1f} MiB")
    print("pages opened/closed: {}/{}; requests aborted: {}; max pages at once: {}".format(
        stats.get("playwright/page_count"), stats.get("playwright/page_count/closed"),
        stats.get("playwright/request_count/aborted"), stats.get("playwright/page_count/max_concurrent")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
