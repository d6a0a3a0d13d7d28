"""The crawler–archive contract: one config, one archive handle per crawl, one rule for
"answered normally" (archive/runstats.py, crawler/config.py, crawler/handle.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from archive import runstats
from crawler.config import archive_config
from crawler.handle import archive_handle
from crawler.incremental import ConditionalRequestMiddleware, IncrementalMiddleware, archive_state
from crawler.pipelines.archive import ArchivePipeline
from crawler.removal import RemovalMiddleware
from spiders.quangngai import QuangNgaiMinhLongSpider


@pytest.fixture(autouse=True)
def archive_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'a.sqlite3'}")


def test_archive_settings_are_read_once_per_crawl() -> None:
    crawler = get_crawler(QuangNgaiMinhLongSpider, {"ARCHIVE_GONE_MIN_CHECKS": 2, "ARCHIVE_GONE_MIN_HOURS": 1.5,
                                                     "ARCHIVE_MIRROR": "http://127.0.0.1:1", "ARCHIVE_WAYBACK_DELAY": 0})
    config = archive_config(crawler)
    assert archive_config(crawler) is config
    assert (config.gone.min_checks, config.gone.min_span) == (2, timedelta(hours=1.5))
    assert config.mirror == "http://127.0.0.1:1" and config.wayback.delay == 0
    assert archive_config(get_crawler(QuangNgaiMinhLongSpider)) is not config  # another crawl reads its own


def test_every_component_of_a_crawl_shares_one_engine() -> None:
    crawler = get_crawler(QuangNgaiMinhLongSpider)
    pipeline = ArchivePipeline.from_crawler(crawler)
    removal = RemovalMiddleware.from_crawler(crawler)
    incremental = IncrementalMiddleware.from_crawler(crawler)
    handle = archive_handle(crawler)
    assert pipeline.sessions is removal.state.sessions is incremental.state.sessions is handle.sessions
    assert archive_handle(get_crawler(QuangNgaiMinhLongSpider)).engine is not handle.engine


def test_removal_keeps_its_archive_state_with_incremental_crawling_off() -> None:
    crawler = get_crawler(QuangNgaiMinhLongSpider, {"ARCHIVE_INCREMENTAL": False})
    with pytest.raises(NotConfigured):
        IncrementalMiddleware.from_crawler(crawler)
    with pytest.raises(NotConfigured):
        ConditionalRequestMiddleware.from_crawler(crawler)
    removal = RemovalMiddleware.from_crawler(crawler)
    assert removal.state is archive_state(crawler)
    # The state loads itself when the spider opens, whoever asked for it.
    loaded: list[str] = []
    removal.state.load = loaded.append  # type: ignore[method-assign]
    crawler.signals.send_catch_log(signal=signals.spider_opened, spider=QuangNgaiMinhLongSpider())
    assert loaded == ["quangngai_minhlong"]


@pytest.mark.parametrize(
    ("status", "stats", "normal"),
    [
        ("finished", {runstats.RESPONSES: 10, runstats.STATUS_OK: 10}, True),
        ("finished", {runstats.RESPONSES: 8, runstats.STATUS_OK: 8, runstats.EXCEPTIONS: 2}, True),  # 2 of 10
        ("finished", {runstats.RESPONSES: 7, runstats.STATUS_OK: 7, runstats.EXCEPTIONS: 3}, False),  # 3 of 10
        ("finished", {runstats.RESPONSES: 10, runstats.STATUS_OK: 7, runstats.STATUS_PREFIX + "503": 3}, False),
        ("finished", {runstats.RESPONSES: 10, runstats.STATUS_OK: 10, runstats.CHALLENGE: 3}, False),
        ("finished", {runstats.RESPONSES: 10, runstats.STATUS_PREFIX + "304": 10}, False),  # no 200 at all
        ("finished", {}, False),
        ("interrupted", {runstats.RESPONSES: 10, runstats.STATUS_OK: 10}, False),
    ],
)
def test_answered_normally(status: str, stats: dict[str, int], normal: bool) -> None:
    assert runstats.answered_normally(status, stats) is normal


def test_run_status_from_scrapys_finish_reason() -> None:
    assert [runstats.run_status(r) for r in ("finished", "shutdown", "closespider_timeout", "browser_missing")] == [
        "finished", "interrupted", "timed_out", "failed"]
