"""How far the generic extractor can be trusted: it reads every fixture article page of every
family and is compared with what the family's own selectors read (the reviewed golden files,
tests/fixtures/sites/*/expected/), and with the "unknown portal" fixtures' expected files.

    python -m bench.fallback_agreement            # prints markdown tables (docs/extraction.md quotes them)

Four readings of each page: as served; with every class, id, itemprop and role attribute
removed (an unseen template of the same family, where no class name helps); bare markup, also
without headings or HTML5 sections (``h1``…``h6``, ``header``, ``nav``, ``article`` … become
``div``: a home-made template); and trafilatura alone (its own title, date and text), the
library this extractor was measured against. ``--misses`` lists the pages that disagree.
Golden items that the family itself took from the generic extractor (``extraction:
"fallback"``) are left out: comparing the extractor with itself proves nothing. Pages where
the family stores nothing (an empty article) agree when the generic extractor returns None.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from statistics import mean

import trafilatura
from scrapy.http import HtmlResponse, Request

from archive.dates import parse_vn_datetime
from archive.normalise import normalise_line, normalise_text
from crawler.fallback import extract_generic
from tests.fixtures.sites.generic.articles import ARTICLES
from tests.fixtures.sites.generic.expected import expected
from tests.golden import SITES, TOKENS, cases

GENERIC = SITES / "generic"
_ATTRS = re.compile(r"""\s(?:class|id|itemprop|role)\s*=\s*(?:"[^"]*"|'[^']*')""", re.IGNORECASE)
_HEADINGS = re.compile(r"<(/?)(?:h[1-6]|header|footer|nav|aside|main|article|section)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    family: str
    url: str
    html: str
    want: dict[str, object] | None  # None: the family stores nothing from this page


@dataclass(frozen=True)
class Reading:
    title: str
    published_at: str | None
    body: str
    author: str


def pages() -> Iterator[Page]:
    """Every family's fixture article pages with their golden item, then the generic fixtures."""
    for case in cases():
        if not case.expected_path.exists():
            continue
        items = json.loads(case.expected_path.read_text(encoding="utf-8"))["items"]
        if items and items[0].get("extraction") == "fallback":
            continue
        url = f"https://{case.key}"
        body = case.file.read_bytes()
        for token, value in TOKENS.items():
            body = body.replace(token, value)
        response = HtmlResponse(
            url, body=body, headers={"Content-Type": case.content_type}, request=Request(url)
        )
        yield Page(case.family, url, response.text, items[0] if items else None)
    routes = json.loads((GENERIC / "manifest.json").read_text(encoding="utf-8"))["routes"]
    for article in ARTICLES:
        want = expected(article)
        body = (GENERIC / routes[str(want["key"])]["file"]).read_bytes()
        for token, value in TOKENS.items():
            body = body.replace(token, value)
        yield Page(
            "generic (unknown portals)",
            str(want["url"]),
            body.decode("utf-8"),
            {**want, "body_text": want["body_text"]},
        )


def generic(page: Page, html: str) -> Reading | None:
    found = extract_generic(html, page.url)
    if found is None:
        return None
    stamp = found.published_at.isoformat() if found.published_at else None
    return Reading(found.title, stamp, found.body.text, found.body.author)


def as_served(page: Page) -> Reading | None:
    return generic(page, page.html)


def without_classes(page: Page) -> Reading | None:
    return generic(page, _ATTRS.sub("", page.html))


def bare_markup(page: Page) -> Reading | None:
    return generic(page, _HEADINGS.sub(r"<\1div", _ATTRS.sub("", page.html)))


def trafilatura_alone(page: Page) -> Reading | None:
    doc = trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True, favor_precision=True)
    if doc is None or not getattr(doc, "text", None):
        return None
    date = parse_vn_datetime(getattr(doc, "date", None) or "")
    text = "\n\n".join(line for line in normalise_text(doc.text).split("\n") if line)
    return Reading(
        normalise_line(doc.title or ""),
        date.isoformat() if date else None,
        text,
        normalise_line(getattr(doc, "author", None) or ""),
    )


READERS: dict[str, Callable[[Page], Reading | None]] = {
    "as served": as_served,
    "class/id removed": without_classes,
    "bare markup": bare_markup,
    "trafilatura alone": trafilatura_alone,
}


def score(page: Page, got: Reading | None) -> dict[str, float]:
    want = page.want
    if want is None:
        return {"empty": float(got is None)}
    if got is None:
        return {"title": 0.0, "date": 0.0, "day": 0.0, "author": 0.0, "ratio": 0.0}
    day = str(want["published_at"] or "")[:10]
    return {
        "title": float(got.title == want["title"]),
        "date": float(got.published_at == want["published_at"]),
        "day": float((got.published_at or "")[:10] == day),
        "author": float(got.author == want["author"]),
        "ratio": SequenceMatcher(None, got.body, str(want["body_text"]), autojunk=False).ratio(),
    }


def table(reader: str, all_pages: list[Page]) -> list[str]:
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    for page in all_pages:
        rows[page.family].append(score(page, READERS[reader](page)))
    lines = [
        f"**{reader}**",
        "",
        "| pages of | articles | title exact | date exact | date, day only | author exact | body ratio (mean) "
        "| body ratio ≥ 0.95 | empty pages → None |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    everything = [s for scores in rows.values() for s in scores]
    for family, scores in [*sorted(rows.items()), ("**all**", everything)]:
        lines.append(_row(family, scores))
    return [*lines, ""]


def _row(family: str, scores: list[dict[str, float]]) -> str:
    articles = [s for s in scores if "ratio" in s]
    empty = [s["empty"] for s in scores if "empty" in s]

    def pct(key: str) -> str:
        return f"{100 * mean(s[key] for s in articles):.0f}%" if articles else "–"

    ratios = [s["ratio"] for s in articles]
    return (
        f"| {family} | {len(articles)} | {pct('title')} | {pct('date')} | {pct('day')} | {pct('author')} | "
        f"{mean(ratios):.3f} | {100 * mean(r >= 0.95 for r in ratios):.0f}% | "
        f"{f'{int(sum(empty))}/{len(empty)}' if empty else '–'} |"
        if articles
        else f"| {family} | 0 | | | | | | | |"
    )


def misses(reader: str, all_pages: list[Page]) -> list[str]:
    lines = []
    for page in all_pages:
        got = READERS[reader](page)
        marks = [k for k, v in score(page, got).items() if k != "day" and (v < 0.95 if k == "ratio" else not v)]
        if marks:
            lines.append(f"- {reader}: {page.url} ({', '.join(marks)}; read {got.title if got else None!r})")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(READERS), help="one reading instead of all")
    parser.add_argument("--misses", action="store_true", help="list the pages that disagree")
    args = parser.parse_args()
    all_pages = list(pages())
    for reader in [args.only] if args.only else READERS:
        print("\n".join(table(reader, all_pages)))
        if args.misses:
            print("\n".join([*misses(reader, all_pages), ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
