"""The benchmark still runs (python -m bench, at its tiny size). Not a performance test:
nothing here asserts a timing, only that every measure produced its rows and the report.
It takes a minute or two: every crawl is a real scrapy process, as in the benchmark."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import main
from bench.inprocess import Pages
from bench.portal import FAMILIES, edited
from bench.sizes import SIZES


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_synthetic_portal_pages_have_realistic_sizes_and_are_stable(family: str) -> None:
    portal = FAMILIES[family](40)
    sizes = [len(portal.render("article", s)) for s in range(10)]
    assert all(30 * 1024 <= size <= 125 * 1024 for size in sizes), sizes
    assert portal.render("article", 3) == portal.render("article", 3)
    assert portal.render("file", 3).startswith(b"%PDF-")
    changed = next(s for s in range(40) if edited(s, 1, portal.edit_share))
    before = portal.render("article", changed)
    portal.revision = 1
    assert portal.render("article", changed) != before


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_the_site_spider_reads_the_synthetic_pages_with_its_family_selectors(family: str) -> None:
    portal = FAMILIES[family](40)
    capture = Pages(portal).capture(3)  # serial 3 links a PDF
    assert capture.extraction == "family"
    assert capture.title and capture.published_at is not None and capture.author
    assert len(capture.body_text) > 1000
    assert [a.url for a in capture.attachments] == [portal.attachment_url(3)]
    assert "__VIEWS__" not in capture.body_text and "Lượt xem" not in capture.body_text


@pytest.mark.timeout(900)  # a dozen scrapy processes; slow when the machine is shared
def test_bench_runs_every_measure_at_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    assert main(["--size", "tiny", "--backends", "sqlite", "--out", str(out)]) == 0
    report = out.read_text(encoding="utf-8")
    for heading in (
        "## Machine",
        "## Results",
        "bare Scrapy spider",
        "1b. Crawl throughput at the project's crawl settings",
        "recrawl requests",
        "bytes per article",
        "unchanged recrawl(s) add",
        "store_capture, new article",
        "peak RSS",
        "search",
        "Profile",
    ):
        assert heading in report, heading
    assert f"size `{SIZES['tiny'].name}`" in report


@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_bench_postgresql_paths(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    assert (
        main(["--size", "tiny", "--backends", "postgresql", "--only", "recrawl,store", "--out", str(out)])
        == 0
    )
    report = out.read_text(encoding="utf-8")
    assert "(postgresql)" in report and "store_capture, unchanged article (postgresql)" in report
