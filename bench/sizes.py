"""How big each benchmark run is. ``default`` finishes in under 10 minutes on 2 cores."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    name: str
    throughput_articles: int  # measure 1: one portal per family, crawled by each side
    rounds: int  # measure 1: crawls per side; the best of them counts (others share the machine)
    recrawl_articles: int  # measures 2-3
    recrawls: int  # measure 3: unchanged recrawls after the first crawl
    store_sizes: tuple[int, ...]  # measure 4: archived articles when the store is timed
    store_samples: int  # measure 4: captures timed per size and kind
    memory_articles: int  # measure 5
    profile_articles: int  # the cProfile run
    search_articles: int  # measure 6
    families: tuple[str, ...] = ("liferay", "vnportal")  # measure 1
    #: backends of measures 4 and 6 (None: every backend of the run); each fills 100,000 articles
    heavy_backends: tuple[str, ...] | None = None


SIZES = {
    "tiny": Size("tiny", 15, 1, 15, 1, (100, 400), 10, 15, 10, 1_000, ("liferay",)),
    "small": Size("small", 100, 1, 100, 10, (1_000, 10_000), 40, 500, 100, 10_000),
    # about 8 minutes on 2 idle cores; the 100,000-article fills of measures 4 and 6 on SQLite only
    "default": Size(
        "default", 120, 2, 150, 10, (1_000, 100_000), 60, 1_000, 150, 100_000, heavy_backends=("sqlite",)
    ),
    # about 30 minutes: the 10,000-article memory crawl, both backends everywhere
    "large": Size("large", 500, 2, 500, 10, (1_000, 100_000), 100, 10_000, 300, 100_000),
}
