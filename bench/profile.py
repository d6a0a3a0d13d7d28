"""The profile: one full-pipeline crawl under cProfile, its costs grouped by stage, and the same
stages timed in-process without a profiler (cProfile inflates pure-Python code)."""

from __future__ import annotations

import pstats
from typing import Any

from archive.db import make_engine, session_factory, upgrade
from archive.store import ensure_site, store_capture
from bench.common import Bench, Row, Section, serve
from bench.inprocess import Pages, stage_costs
from bench.portal import LiferayPortal
from bench.run import run_crawl, scrapy_argv

#: stages of one page, by the function that enters them ((file suffix, function name))
STAGES = {
    "extraction (family parse_article)": ("crawler/families/liferay.py", "parse_article"),
    "page guard (crawler/guards.py classify)": ("crawler/guards.py", "classify"),
    "store (archive/store.py store_capture)": ("archive/store.py", "store_capture"),
    "archive pipeline process_item (store + commit)": ("crawler/pipelines/archive.py", "process_item"),
    "listing parse (family parse_listing)": ("crawler/families/liferay.py", "parse_listing"),
    "text folding (archive/normalise.py fold), all callers": ("archive/normalise.py", "fold"),
    "text normalisation (normalise_text), all callers": ("archive/normalise.py", "normalise_text"),
    "search indexing (archive/search.py index_content)": ("archive/search.py", "index_content"),
}


def profile(b: Bench) -> Section:
    portal = LiferayPortal(b.size.profile_articles)
    out = b.workdir / "crawl.prof"
    with serve(portal) as server, b.database("sqlite") as url:
        # The store on the crawl's own thread (crawler/writer.py InlineWriter): one profile sees every stage.
        run_crawl(scrapy_argv(spider=portal.spider, mirror=server.url, profile_to=out,
                              settings={"ARCHIVE_STORE_PROCESS": "0"}), database_url=url)
    stats = pstats.Stats(str(out))
    section = Section("profile", "Profile of the full pipeline (SQLite)")
    loop = _loop_seconds(stats)
    section.details += [
        f"`python -m cProfile` around `scrapy crawl -s ARCHIVE_STORE_PROCESS=0` of {portal.n} articles (the "
        "store on the crawl's thread, as before crawler/writer.py, so that one profile sees every stage); "
        "shares are of the time inside "
        "the "
        f"reactor loop ({loop:.1f} s under the profiler). Stages nest: process_item contains store_capture; "
        "fold and normalise_text are called from extraction, store and guard alike.",
        "",
        "| stage | cumulative share |",
        "|---|---|",
        *(f"| {name} | {share:.0%} |" for name, share in stage_shares(stats, loop).items()),
        "",
        "Top functions by own time:",
        "",
        "| function | own share | calls |",
        "|---|---|---|",
        *(f"| `{name}` | {share:.1%} | {calls:,} |" for name, share, calls in top_functions(stats, loop)),
        "",
    ]
    costs = in_process_costs(b, portal)
    section.details += [
        f"Per article page, timed in-process without a profiler (ms, mean of {len(costs['serials'])} pages):",
        "",
        "| " + " | ".join(costs["ms"]) + " |",
        "|" + "---|" * len(costs["ms"]),
        "| " + " | ".join(f"{v:.1f}" for v in costs["ms"].values()) + " |",
        "",
    ]
    biggest = max(((k, v) for k, v in costs["ms"].items() if k != "render"), key=lambda kv: kv[1])
    section.rows.append(
        Row("P", "biggest cost per article page (in-process)", f"{biggest[0]}: {biggest[1]:.1f} ms")
    )
    section.data = {"stages": stage_shares(stats, loop), "in_process_ms": costs["ms"]}
    return section


def _loop_seconds(stats: pstats.Stats) -> float:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    found = [v[3] for (file, _, name), v in raw.items() if name == "run_forever"]
    return max(found) if found else max(v[3] for v in raw.values())


def stage_shares(stats: pstats.Stats, total: float) -> dict[str, float]:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    shares: dict[str, float] = {}
    for label, (suffix, function) in STAGES.items():
        cumulative = sum(
            v[3] for (file, _, name), v in raw.items() if file.endswith(suffix) and name == function
        )
        shares[label] = cumulative / total if total else 0.0
    return shares


def top_functions(stats: pstats.Stats, total: float, count: int = 12) -> list[tuple[str, float, int]]:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:count]
    return [(_name(key), v[2] / total, v[1]) for key, v in rows]


def _name(key: tuple[str, int, str]) -> str:
    file, line, function = key
    if file == "~":
        return function
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{file}:{line} {function}"


def in_process_costs(b: Bench, portal: LiferayPortal) -> dict[str, Any]:
    pages = Pages(portal)
    with b.database("sqlite") as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            site_id = ensure_site(session, pages.spider.site_info()).id

        def store(capture: Any) -> None:
            with sessions.begin() as session:
                store_capture(session, capture, site_id=site_id)

        stage_costs(pages, range(0, 5), store)  # warm-up: SQL compilation, imports
        serials = range(5, min(portal.n, 5 + max(20, b.size.profile_articles)))
        ms = stage_costs(pages, serials, store)
        engine.dispose()
    return {"ms": ms, "serials": serials}
