"""Running crawls as the user would: ``scrapy crawl`` (or ``runspider`` for the bare baseline)
in a process of its own, against a portal served on 127.0.0.1, with the probe extension on.
The parent samples the process's RSS with psutil while it runs."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from archive.db import PROJECT_ROOT
from bench.probe import children_sum

#: the same for the bare spider and the full pipeline: no delay, no throttling, the project's concurrency
THROUGHPUT_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS": "8",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "LOG_LEVEL": "INFO",
    "EXTENSIONS": json.dumps({"bench.probe.Probe": 0}),
}
BARE_SPIDER = Path(__file__).with_name("bare_spider.py")


@dataclass
class CrawlResult:
    wall_seconds: float
    crawl_seconds: float
    peak_rss_bytes: int
    maxrss_bytes: int
    #: the peak RSS of the crawl process's children (the archive writer, crawler/writer.py): VmHWM
    children_maxrss_bytes: int = 0
    #: CPU seconds of the crawl process and of this process (the portal server) during the crawl
    cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    #: CPU seconds of the crawl process from spider_opened to spider_closed (no start-up)
    crawl_cpu_seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    returncode: int = 0
    log_tail: str = ""

    @property
    def responses(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def pages_per_second(self) -> float:
        return self.responses / self.crawl_seconds if self.crawl_seconds else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.crawl_cpu_seconds / self.responses if self.responses else 0.0


def scrapy_argv(
    *,
    spider: str | None,
    mirror: str,
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    profile_to: Path | None = None,
) -> list[str]:
    """``scrapy crawl <spider>``, or ``scrapy runspider bench/bare_spider.py`` when spider is None."""
    argv = [sys.executable]
    if profile_to is not None:
        argv += ["-m", "cProfile", "-o", str(profile_to)]
    argv += ["-m", "scrapy", *(["crawl", spider] if spider else ["runspider", str(BARE_SPIDER)])]
    for key, value in {"mirror": mirror, **(args or {})}.items():
        argv += ["-a", f"{key}={value}"]
    for key, value in {**THROUGHPUT_SETTINGS, **(settings or {})}.items():
        argv += ["-s", f"{key}={value}"]
    return argv


def run_crawl(argv: list[str], *, database_url: str | None = None, timeout: float = 3600) -> CrawlResult:
    """Run one crawl process to its end; fail loudly if it did not finish cleanly."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        probe, log = Path(tmp) / "probe.json", Path(tmp) / "crawl.log"
        argv = [*argv, "-s", f"BENCH_PROBE_FILE={probe}", "-s", f"LOG_FILE={log}"]
        env = {**os.environ, **({"DATABASE_URL": database_url} if database_url else {})}
        children, own = resource.getrusage(resource.RUSAGE_CHILDREN), psutil.Process().cpu_times()
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        peak = _sample_rss(process, started + timeout)
        _, stderr = process.communicate()
        wall = time.perf_counter() - started
        children_after, own_after = resource.getrusage(resource.RUSAGE_CHILDREN), psutil.Process().cpu_times()
        tail = (log.read_text(encoding="utf-8", errors="replace") if log.exists() else "")[-3000:]
        tail += stderr.decode("utf-8", "replace")[-2000:]
        if process.returncode != 0 or not probe.exists():
            raise RuntimeError(f"crawl failed (exit {process.returncode}): {' '.join(argv)}\n{tail}")
        report = json.loads(probe.read_text(encoding="utf-8"))
    return CrawlResult(
        wall_seconds=wall,
        crawl_seconds=report["crawl_seconds"],
        peak_rss_bytes=peak,
        maxrss_bytes=report["peak_rss_kb"] * 1024,
        children_maxrss_bytes=report.get("children_peak_rss_kb", 0) * 1024,
        stats=report["stats"],
        cpu_seconds=_cpu(children_after) - _cpu(children),
        crawl_cpu_seconds=report["crawl_cpu_seconds"],
        server_cpu_seconds=own_after.user + own_after.system - own.user - own.system,
        returncode=process.returncode,
        log_tail=tail,
    )


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _sample_rss(process: subprocess.Popen[bytes], deadline: float, every: float = 0.05) -> int:
    """The largest RSS seen while the process runs, its children (the archive writer) included (psutil, sampled)."""
    peak = 0
    try:
        watched = psutil.Process(process.pid)
        while process.poll() is None:
            if time.perf_counter() > deadline:
                process.kill()
                raise TimeoutError(f"crawl still running after its time limit: pid {process.pid}")
            peak = max(peak, watched.memory_info().rss + int(children_sum(watched, lambda p: p.memory_info().rss)))
            time.sleep(every)
    except psutil.NoSuchProcess:
        pass
    return peak
