"""Measure 6: search latency on the archive, delegated to bench/search_bench.py (owned by the
search work) when it exists; a clearly marked pending row otherwise."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from bench.common import Bench, Row, Section


def search(b: Bench) -> Section:
    section = Section("search", "6. Search latency")
    if importlib.util.find_spec("bench.search_bench") is None:
        section.rows.append(
            Row(
                "6",
                f"search latency on {b.size.search_articles:,} articles",
                "PENDING: bench/search_bench.py has not landed",
                "",
                None,
            )
        )
        return section
    module: Any = importlib.import_module("bench.search_bench")
    for backend in b.heavy_backends:
        with b.database(backend) as url:
            found = module.run(url, articles=b.size.search_articles)
        section.data[backend] = found
        for what, value, target, ok in found.get("rows", []):
            section.rows.append(Row("6", f"{what} ({backend})", value, target, ok))
        section.details += found.get("details", [])
    return section
