"""``portal-archive search|history|diff|export|browse|reindex``: asking the archive.

The work is in archive/search.py, archive/queries.py and archive/diff.py; this
module parses arguments and prints. Output is plain text for pipes and
coloured on a terminal (``--color`` overrides, ``NO_COLOR`` is honoured);
``--json`` and ``export`` are for other tools.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from archive.db import ensure_schema, make_engine, session_factory
from archive.diff import ICT, diff_versions, render_diff
from archive.queries import (
    EXPORT_COLUMNS,
    ArticleHistory,
    export_rows,
    history,
    latest_version,
    parse_when,
    reader_engine,
    resolve_article,
    site_ids,
    version_text,
)
from archive.search import SearchFilters, SearchHit, SearchQueryError, rebuild_index, search
from crawler.cli import arguments
from crawler.cli.arguments import UsageError

_BOLD, _MARK, _DIM, _RESET = "\x1b[1m", "\x1b[1;33m", "\x1b[2m", "\x1b[0m"


def _use_color(args: argparse.Namespace, stream: TextIO) -> bool:
    if args.color == "auto":
        return stream.isatty() and not os.environ.get("NO_COLOR")
    return str(args.color) == "always"


def _reader() -> Engine:
    # The schema check is Alembic's; its INFO lines are noise in a query's output.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return reader_engine()


def _reading(work: Callable[[Session], int]) -> int:
    engine = _reader()
    try:
        with Session(engine) as session:
            return work(session)
    finally:
        engine.dispose()


def _local(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return value.astimezone(ICT).strftime(fmt) if value else "—"


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _marked(value: str, spans: Iterable[tuple[int, int]], color: bool, style: str = "") -> str:
    """``value`` with the spans marked: bold yellow on a terminal (then back to ``style``), else **…**."""
    before, after = (_MARK, _RESET + style) if color else ("**", "**")
    out, at = [], 0
    for start, end in spans:
        out += [value[at:start], before, value[start:end], after]
        at = end
    return "".join(out) + value[at:]


# ---------------------------------------------------------------- search


def cmd_search(args: argparse.Namespace) -> int:
    def work(session: Session) -> int:
        filters = SearchFilters(site_ids(session, args.site or (), args.province), args.since, args.until)
        hits = search(session, " ".join(args.query), filters, limit=args.limit)
        if args.json:
            json.dump(
                {"query": " ".join(args.query), "count": len(hits), "results": [_hit_json(h) for h in hits]},
                sys.stdout,
                ensure_ascii=False,
                indent=2,
            )
            sys.stdout.write("\n")
        else:
            _print_hits(hits, _use_color(args, sys.stdout))
        return 0

    return _reading(work)


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "article_id": hit.article_id,
        "version": hit.version,
        "score": hit.score,
        "site": hit.site,
        "site_display_name": hit.site_display_name,
        "province": hit.province,
        "url": hit.url,
        "title": hit.title,
        "published_at": _iso(hit.published_at.astimezone(ICT)) if hit.published_at else None,
        "snippet": hit.snippet,
        "highlights": hit.highlights,
        "title_highlights": hit.title_highlights,
    }


def _print_hits(hits: list[SearchHit], color: bool) -> None:
    if not hits:
        print("no article matches")
        return
    for rank, hit in enumerate(hits, 1):
        title = _marked(hit.title, hit.title_highlights, color, _BOLD)
        where = (
            f"{hit.site} · {_local(hit.published_at, '%d/%m/%Y')} · article {hit.article_id} v{hit.version}"
        )
        print(f"{rank:>2}. {_BOLD + title + _RESET if color else title}")
        print(f"    {_DIM + where + _RESET if color else where}")
        if hit.snippet:
            print(f"    {_marked(hit.snippet, hit.highlights, color)}")
        print(f"    {hit.url}")


# ---------------------------------------------------------------- history and diff


def _one_article(session: Session, ref: str) -> int:
    ids = resolve_article(session, ref)
    if not ids:
        raise UsageError(f"no article with id or URL {ref!r} in the archive")
    if len(ids) > 1:
        raise UsageError(
            f"{ref!r} names {len(ids)} articles over time (ids {', '.join(map(str, ids))}); give an id"
        )
    return ids[0]


def cmd_history(args: argparse.Namespace) -> int:
    def work(session: Session) -> int:
        ids = resolve_article(session, args.article)
        if not ids:
            raise UsageError(f"no article with id or URL {args.article!r} in the archive")
        histories = [history(session, article_id) for article_id in ids]
        if args.json:
            json.dump(
                [_history_json(h) for h in histories], sys.stdout, ensure_ascii=False, indent=2, default=_iso
            )
            sys.stdout.write("\n")
        else:
            for entry in histories:
                _print_history(entry)
        return 0

    return _reading(work)


def _history_json(entry: ArticleHistory) -> dict[str, Any]:
    return {
        **{k: v for k, v in vars(entry).items() if k != "versions"},
        "versions": [vars(v) for v in entry.versions],
    }


def _print_history(entry: ArticleHistory) -> None:
    print(f"article {entry.article_id} · {entry.site} ({entry.site_display_name}) · {entry.status}")
    print(f"  {entry.canonical_url}")
    for url in entry.urls:
        if url != entry.canonical_url:
            print(f"  also seen at {url}")
    print(
        f"  {'v':>3}  {'first seen':<16}  {'last seen':<16}  {'published':<16}  {'chars':>6}  changes / title"
    )
    for v in entry.versions:
        changes = v.changes if v.changes is not None else v.title
        print(
            f"  {v.version:>3}  {_local(v.first_seen_at):<16}  {_local(v.last_seen_at):<16}  "
            f"{_local(v.published_at):<16}  {v.body_chars:>6}  {changes}"
        )
    print("  (times are Vietnam time, UTC+7)")


def cmd_diff(args: argparse.Namespace) -> int:
    def work(session: Session) -> int:
        article_id = _one_article(session, args.article)
        latest = latest_version(session, article_id)
        old, new = _versions_to_compare(args.versions, latest)
        if max(old, new) > latest:
            raise UsageError(
                f"article {article_id} has versions 1 to {latest}; there is no version {max(old, new)}"
            )
        if old < 1 and latest == 1:
            print(f"article {article_id} has only one version")
            return 0
        if old < 1:
            raise UsageError(f"version 1 is the first of article {article_id}: nothing before it to compare; "
                             f"give two versions, like `diff {article_id} 1 2`")
        diff = diff_versions(version_text(session, article_id, old), version_text(session, article_id, new))
        sys.stdout.write(f"article {article_id} · " + render_diff(diff, _use_color(args, sys.stdout)))
        return 0

    return _reading(work)


def _versions_to_compare(given: list[int], latest: int) -> tuple[int, int]:
    """No number: the two latest versions; one (N): N-1 and N; two: those."""
    if len(given) > 2:
        raise UsageError("give at most two version numbers")
    if not given:
        return latest - 1, latest
    if len(given) == 1:
        return given[0] - 1, given[0]
    return given[0], given[1]


# ---------------------------------------------------------------- export, reindex


def cmd_export(args: argparse.Namespace) -> int:
    engine = _reader()
    try:
        with Session(engine) as session:
            site_ids(session, [args.site] if args.site else ())  # an unknown site is named, not an empty export
        with engine.connect() as connection:
            rows = export_rows(connection, args.site)
            _write_csv(rows) if args.format == "csv" else _write_jsonl(rows)
    finally:
        engine.dispose()
    return 0


def _write_jsonl(rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False, default=_iso) + "\n")


def _write_csv(rows: Iterable[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _iso(v) for k, v in row.items()})


def cmd_reindex(args: argparse.Namespace) -> int:
    engine = make_engine()
    ensure_schema(engine, create=False)
    with session_factory(engine).begin() as session:
        count = rebuild_index(session)
    print(f"search index rebuilt: {count} contents")
    return 0


def cmd_browse(args: argparse.Namespace) -> int:
    try:
        from crawler.browse import serve
    except ModuleNotFoundError as exc:
        if exc.name != "datasette":
            raise
        print("error: portal-archive browse needs Datasette: pip install 'portal-archive[browse]' "
              "(scripts/bootstrap installs it)", file=sys.stderr)
        return 2

    try:
        return serve(host=args.host, port=args.port, open_browser=args.open)
    except OSError as exc:  # the port is taken, or the host is not this machine's
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------- wiring


def _since(value: str) -> datetime:
    try:
        return parse_when(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _until(value: str) -> datetime:
    try:
        return parse_when(value, end=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (UsageError, LookupError, SearchQueryError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except BrokenPipeError:  # `portal-archive export | head`
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
            return 0

    return run


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    color = argparse.ArgumentParser(add_help=False)
    color.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour the output"
    )

    p = sub.add_parser(
        "search", parents=[color], help="full-text search, accents optional (duc pho, qd-ubnd)"
    )
    p.add_argument("query", nargs="+", help='words, "a phrase", prefix*, a OR b, -excluded')
    p.add_argument("--site", action="append", help="only this site (repeatable)")
    p.add_argument("--province", help="only sites of this province (before or after the 2025 merger)")
    p.add_argument("--since", type=_since, help="published on or after YYYY[-MM[-DD]] (Vietnam time)")
    p.add_argument("--until", type=_until, help="published on or before YYYY[-MM[-DD]] (that day included)")
    p.add_argument("--limit", type=arguments.limit, default=20, help="at most this many results (default 20)")
    p.add_argument("--json", action="store_true", help="JSON for other tools")
    p.set_defaults(func=_guarded(cmd_search))

    p = sub.add_parser("history", help="the versions of an article (by id or any URL it was seen under)")
    p.add_argument("article", metavar="ARTICLE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_guarded(cmd_history))

    p = sub.add_parser("diff", parents=[color], help="word-level diff of two versions of an article")
    p.add_argument("article", metavar="ARTICLE")
    p.add_argument("versions", nargs="*", type=arguments.version_number, metavar="V",
                   help="V1 V2 (default: the two latest)")
    p.set_defaults(func=_guarded(cmd_diff))

    p = sub.add_parser("export", help="current versions of every article, streamed (JSON lines or CSV)")
    p.add_argument("--site", help="only this site")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.set_defaults(func=_guarded(cmd_export))

    p = sub.add_parser(
        "browse",
        help="the reader's pages (articles, versions and diffs, portal timelines, search) on one port; "
        "on SQLite also Datasette under /datasette/",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=arguments.port, default=8001)
    p.add_argument("--open", action="store_true", help="open a browser")
    p.set_defaults(func=_guarded(cmd_browse))

    sub.add_parser("reindex", help="rebuild the full-text search index").set_defaults(
        func=_guarded(cmd_reindex)
    )
