"""Titles, dates and meta lines (date, view-count and author labels) of a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from lxml.html import HtmlElement

from archive.dates import parse_vn_datetime
from archive.normalise import fold, is_volatile_line, normalise_line
from crawler.extract import element_text
from crawler.fallback.markers import (
    _DATE_TOKEN,
    DATE_META,
    HEADING_WEIGHT,
    META_LABEL,
    SECTION_LABELS,
    TITLE_HINT,
    _attrs,
)


def _is_meta_line(text: str) -> bool:
    """A date, time, view-count or author label line: little is left once those are removed."""
    if is_volatile_line(text):
        return True
    if len(text) > 150:
        return False
    rest = re.sub(r"[\W\d_]+", " ", META_LABEL.sub(" ", _DATE_TOKEN.sub(" ", fold(text)))).strip()
    short_rest = len(rest) <= 20 and len(rest.split()) <= 3  # a name at most: "Tác giả: Văn Tâm | 17/05/2024"
    return (short_rest and parse_vn_datetime(text) is not None) or (not rest and len(text) < 40)


# -- title and date ----------------------------------------------------------------------------


def _title_candidates(root: HtmlElement) -> Iterator[HtmlElement]:
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "head", "body", "title", "meta"):
            continue
        if el.tag in HEADING_WEIGHT or TITLE_HINT.search(_attrs(el)):
            text = normalise_line(element_text(el))
            if 10 <= len(text) <= 300 and fold(text).rstrip(" :") not in SECTION_LABELS:
                yield el


def _title_refs(root: HtmlElement) -> list[tuple[str, float]]:
    """What the page says its title is, folded, with a weight: og:title and friends name the
    article; ``<title>`` (and its pieces around " - ", " | ") is often just the site's name."""
    metas = root.xpath(
        "//meta[@property='og:title' or @name='twitter:title' or @itemprop='headline']/@content"
    )
    titles = [normalise_line(t) for t in root.xpath("//title/text()")]
    pieces = [p for t in titles for p in re.split(r"\s+[-|–—:»]+\s+|\s*[|»]\s*", t)]
    weighted = [*((m, 4.0) for m in metas), *((t, 2.0) for t in (*titles, *pieces))]
    return [(fold(normalise_line(r)), w) for r, w in weighted if len(normalise_line(r)) >= 10]


def _title_score(el: HtmlElement, refs: list[tuple[str, float]], between: int) -> float:
    """Heading level and title-ish class, closeness to the body, agreement with og:title or
    ``<title>``; a capitalised banner or a short label loses."""
    text = normalise_line(element_text(el))
    folded = fold(text)
    score = HEADING_WEIGHT.get(el.tag, 0.0) + (2.0 if TITLE_HINT.search(_attrs(el)) else 0.0)
    score += 4.0 / (1 + between / 2)
    score += max(
        (
            w
            for r, w in refs
            if folded == r
            or (len(folded) >= 0.5 * len(r) and folded in r)
            or (len(r) >= 0.5 * len(folded) and r in folded)
        ),
        default=0.0,
    )
    if text == text.upper():  # "ỦY BAN NHÂN DÂN HUYỆN MINH LONG"
        score -= 3.0
    return score - (2.0 if len(text.split()) < 4 else 0.0)


def _title_from_metadata(root: HtmlElement) -> str:
    for candidate in (*root.xpath("//meta[@property='og:title']/@content"), *root.xpath("//title/text()")):
        if text := normalise_line(candidate):
            return text
    return ""


def _metadata_date(root: HtmlElement) -> datetime | None:
    for path in DATE_META:
        for value in root.xpath(path):
            if found := parse_vn_datetime(str(value)):
                return found
    return None

