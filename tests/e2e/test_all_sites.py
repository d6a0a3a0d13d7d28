"""Every site with fixture pages, crawled end to end through the real pipeline,
then crawled again: the recrawl adds no article and no version."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.crawling import crawl, last_run
from tests.fixtures.server import FixtureServer, all_site_dirs
from tests.golden import cases, parse

SPIDERS = sorted({case.spider for case in cases()})


@pytest.fixture(scope="module")
def portals() -> Iterator[FixtureServer]:
    with FixtureServer(*all_site_dirs()) as server:
        yield server


def stored_articles(spider: str) -> int:
    """Distinct articles the golden files expect the site to store."""
    return len({item["source_key"] for case in cases() if case.spider == spider for item in parse(case)["items"]})


@pytest.mark.parametrize("spider", SPIDERS)
def test_site_crawls_and_recrawls_cleanly(portals: FixtureServer, db_url: str, spider: str) -> None:
    first = crawl(spider, portals.url, db_url)
    assert first.returncode == 0, first.log[-3000:]
    run = last_run(db_url, spider)
    assert run["status"] == "finished" and run["errors"] == 0, first.log[-3000:]
    assert run["new_articles"] == stored_articles(spider), first.log[-3000:]

    again = crawl(spider, portals.url, db_url, "-a", "depth=full")
    run = last_run(db_url, spider)
    assert (run["new_articles"], run["new_versions"], run["errors"]) == (0, 0, 0), again.log[-3000:]
