"""Benchmarks of the archiver against a bare Scrapy spider, on synthetic portals served on
127.0.0.1 (docs/benchmarks.md holds the last results).

    python -m bench              # default size (< 10 minutes on 2 cores), writes docs/benchmarks.md
    python -m bench --size small --only throughput,recrawl --out /tmp/b.md

Measures: throughput (1), paced (1b: at the project's concurrency, portal 100 ms away), recrawl (2-3: recrawl cost, archive growth), store (4: store cost at
1,000 and 100,000 articles), memory (5), search (6, from bench/search_bench.py), profile.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from archive.db import PROJECT_ROOT
from bench.common import Bench, Row, Section
from bench.measures import memory, paced, recrawl, throughput
from bench.profile import profile
from bench.report import machine, print_table, render
from bench.search_latency import search
from bench.sizes import SIZES
from bench.store_cost import store_cost

MEASURES: dict[str, Callable[[Bench], Section]] = {
    "throughput": throughput,
    "paced": paced,
    "recrawl": recrawl,
    "store": store_cost,
    "memory": memory,
    "search": search,
    "profile": profile,
}
BACKENDS = ("sqlite", "postgresql")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=SIZES, default="default", help="how big (default: %(default)s)")
    parser.add_argument("--only", default=",".join(MEASURES), help="comma-separated measures (default: all)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql (default: both)")
    parser.add_argument(
        "--out",
        type=Path,
        default=PROJECT_ROOT / "docs" / "benchmarks.md",
        help="report file (default: docs/benchmarks.md)",
    )
    args = parser.parse_args(argv)
    args.only = [m.strip() for m in args.only.split(",") if m.strip()]
    args.backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    if unknown := [m for m in args.only if m not in MEASURES] + [
        b for b in args.backends if b not in BACKENDS
    ]:
        parser.error(f"unknown: {', '.join(unknown)}")
    return args


@contextmanager
def postgres(backends: tuple[str, ...]) -> Iterator[str | None]:
    if "postgresql" not in backends:
        yield None
        return
    from tests.pg import postgres_server

    with postgres_server() as admin:
        yield admin


def run_measure(name: str, bench: Bench) -> Section:
    """One measure; a failure is reported in its row (and the exit code), the others still run."""
    try:
        return MEASURES[name](bench)
    except Exception as exc:  # a benchmark run is long: keep what the other measures found
        traceback.print_exc()
        detail = " ".join(str(exc).split())[:300]
        return Section(
            name,
            f"{name}: FAILED",
            [Row("!", f"{name} failed", f"{type(exc).__name__}: {detail}", "", False)],
            data={"failed": True},
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = time.perf_counter()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        admin = stack.enter_context(postgres(args.backends))
        bench = Bench(SIZES[args.size], workdir, args.backends, admin)
        described = machine(admin)
        sections: list[Section] = []
        for name in args.only:
            print(f"bench: {name} ({args.size}) ...", file=sys.stderr, flush=True)
            began = time.perf_counter()
            sections.append(run_measure(name, bench))
            print(f"bench: {name} done in {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(sections, described, bench.size, argv, seconds), encoding="utf-8")
    print_table(sections)
    print(f"bench: wrote {args.out} ({seconds:.0f} s)", file=sys.stderr)
    return 1 if any(section.data.get("failed") for section in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
