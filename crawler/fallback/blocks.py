"""Text units and what the page walk does with them: Readability-style scores, chrome
marks, and the cleaning of the chosen body (chrome, header and date lines cut from a copy)."""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

from archive.capture import Image
from archive.normalise import fold, normalise_line
from crawler.extract import BLOCK_TAGS, Body, element_text, is_attachment_url, lead_of, safe_urljoin
from crawler.fallback.markers import (
    CHROME_COMPOUNDS,
    CHROME_LINES,
    CHROME_ROLES,
    CHROME_TAGS,
    FOOTER_LINE,
    HEADER_WORDS,
    HEADING_WEIGHT,
    MEDIA_LINE,
    MIN_PARAGRAPH_CHARS,
    NEGATIVE_HINT,
    P_LIKE,
    POSITIVE_HINT,
    SECTION_LABELS,
    SKIP_TAGS,
    STRONG_WORDS,
    TAXONOMY_TOKEN,
    WEAK_WORDS,
    _attrs,
)
from crawler.fallback.meta import _is_meta_line


@dataclass
class _Unit:
    """A run of text a block element holds itself (not inside a nested block); ``position``
    is where the run starts in document order."""

    block: HtmlElement
    text: str
    link_chars: int
    position: int


# -- runs and scores ---------------------------------------------------------------------------


def _subtree_ends(el: HtmlElement, order: dict[HtmlElement, int], ends: dict[HtmlElement, int]) -> int:
    """Fill ``ends``: the document position just after each element's subtree."""
    last = order[el]
    for child in el:
        last = _subtree_ends(child, order, ends) - 1
    ends[el] = last + 1
    return ends[el]


def _units(root: HtmlElement, order: dict[HtmlElement, int], ends: dict[HtmlElement, int]) -> list[_Unit]:
    """Every run of text a block holds itself, in document order; a nested block ends a run."""
    runs: list[list[Any]] = []  # [block, pieces, link chars, position]
    open_runs: dict[HtmlElement, list[Any]] = {}

    def add(owner: HtmlElement, text: str | None, in_link: bool, position: int) -> None:
        if text and text.strip():
            run = open_runs.get(owner) or open_runs.setdefault(owner, [owner, [], 0, position])
            if not run[1]:
                runs.append(run)
            run[1].append(text)
            run[2] += len(" ".join(text.split())) if in_link else 0

    def walk(el: HtmlElement, owner: HtmlElement, in_link: bool) -> None:
        if isinstance(el.tag, str) and el.tag not in SKIP_TAGS:
            block = el.tag in BLOCK_TAGS
            if block:
                open_runs.pop(owner, None)
            me, link = (el if block else owner), in_link or el.tag == "a"
            add(me, el.text, link, order[el])
            for child in el:
                walk(child, me, link)
        add(owner, el.tail, in_link, ends[el])

    body = root.body if root.find("body") is not None else root
    walk(body, body, False)
    units = [
        _Unit(b, text, min(link, len(text)), pos)
        for b, pieces, link, pos in runs
        if (text := normalise_line(" ".join(pieces)))
    ]
    return sorted(units, key=lambda u: u.position)


def _is_prose(unit: _Unit) -> bool:
    return (
        len(unit.text) >= MIN_PARAGRAPH_CHARS
        and unit.link_chars < 0.5 * len(unit.text)
        and not _is_meta_line(unit.text)
        and not FOOTER_LINE.match(fold(unit.text))
    )


def _scores(units: list[_Unit]) -> dict[HtmlElement, float]:
    """Readability's scores: each prose paragraph adds to its parent fully, its grandparent by
    half, further ancestors by a third per level (a div or cell holding loose text scores
    itself too; headings score nothing); then each candidate loses its link density."""
    scores: dict[HtmlElement, float] = {}
    chars: dict[HtmlElement, list[int]] = {}
    holders: set[HtmlElement] = set()  # elements holding a prose paragraph directly (or being one)
    for unit in units:
        prose = _is_prose(unit) and unit.block.tag not in HEADING_WEIGHT
        points = 1 + unit.text.count(",") + min(len(unit.text) // 100, 3)
        first = 0 if unit.block.tag not in P_LIKE else 1
        for level, el in enumerate([unit.block, *unit.block.iterancestors()][:6]):
            counted = chars.setdefault(el, [0, 0])
            counted[0], counted[1] = counted[0] + len(unit.text), counted[1] + unit.link_chars
            if prose and level >= first and el.tag not in ("html", "body"):
                scores[el] = scores.get(el, 0.0) + points / (
                    1 if level <= 1 else 2 if level == 2 else level * 3
                )
                holders.update((el,) if level == first else ())
    weighted = {
        el: (s + _class_weight(el, el in holders)) * (1 - chars[el][1] / max(chars[el][0], 1))
        for el, s in scores.items()
    }
    return {el: score for el, score in weighted.items() if score > 0}


def _class_weight(el: HtmlElement, holds_prose: bool) -> float:
    """Readability's class weight; the bonus only for the element that holds the paragraphs,
    so a ``main.content`` wrapper does not beat the unnamed ``div`` inside it."""
    attrs = _attrs(el)
    bonus = 25.0 if holds_prose and POSITIVE_HINT.search(attrs) else 0.0
    return bonus - (25.0 if NEGATIVE_HINT.search(attrs) else 0.0)



# -- chrome ------------------------------------------------------------------------------------


def _chrome(root: HtmlElement, units: list[_Unit], weak: bool) -> frozenset[HtmlElement]:
    """Chrome by tag, role or a strong word; with ``weak``, also elements whose class, id or
    form fields look like chrome unless they hold half the page's prose (a page-wide wrapper
    such as ASP.NET's form)."""
    prose: dict[HtmlElement, int] = {}
    for unit in (u for u in units if _is_prose(u)):
        for el in (unit.block, *unit.block.iterancestors()):
            prose[el] = prose.get(el, 0) + len(unit.text)
    total = max(prose.get(root, 0), 1)
    return frozenset(
        el
        for el in root.iter()
        if isinstance(el.tag, str)
        and (
            _chrome_by_tag(el)
            or _chrome_by_words(el, STRONG_WORDS)
            or (weak and _looks_like_chrome(el) and prose.get(el, 0) < 0.5 * total)
        )
    )


def _chrome_by_tag(el: HtmlElement) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    hidden = "display:none" in style or "visibility:hidden" in style or el.get("hidden") is not None
    return hidden or el.tag in CHROME_TAGS or (el.get("role") or "").lower() in CHROME_ROLES


def _looks_like_chrome(el: HtmlElement) -> bool:
    if el.tag == "form":  # a comment or search form; ASP.NET's page-wide form is kept by the size rule
        return el.find(".//textarea") is not None or el.find(".//input[@type='text']") is not None
    return _chrome_by_words(el, WEAK_WORDS)


def _chrome_by_words(el: HtmlElement, words: frozenset[str]) -> bool:
    for token in _attrs(el).split():
        if TAXONOMY_TOKEN.match(token):
            continue
        joined = token.replace("-", "").replace("_", "")
        if (
            words.intersection(re.split(r"[-_]", token))
            or joined in words
            or (words is STRONG_WORDS and any(c in joined for c in CHROME_COMPOUNDS))
        ):
            return True
    return False


def _is_header_chrome(el: HtmlElement) -> bool:
    return el.tag == "header" or any(
        HEADER_WORDS.intersection(re.split(r"[-_]", t)) for t in _attrs(el).split()
    )


# -- cleaning the body -------------------------------------------------------------------------


def _copy_without(el: HtmlElement, chrome: frozenset[HtmlElement]) -> HtmlElement:
    copied = deepcopy(el)
    copied.tail = None
    for node in [c for o, c in zip(el.iter(), copied.iter(), strict=True) if o in chrome and o is not el]:
        if node.getparent() is not None:
            node.drop_tree()
    return copied


def _cut_chrome_blocks(wrapper: HtmlElement) -> None:
    """Link lists ("Tin liên quan" without a class), chrome lines (share, print, back), and
    everything after a section label such as "Tin liên quan"."""
    after_label = False
    for el in list(wrapper.iterdescendants()):
        if not isinstance(el.tag, str) or not _attached(el, wrapper):
            continue
        text = normalise_line(element_text(el))
        leaf = _is_leafish(el)
        if after_label and leaf:
            el.drop_tree()
        elif leaf and fold(text).rstrip(" :") in SECTION_LABELS:
            after_label = True
            el.drop_tree()
        elif _is_link_list(el) or (leaf and len(text) < 80 and CHROME_LINES.match(fold(text))):
            el.drop_tree()


def _cut_header_lines(wrapper: HtmlElement, title: str) -> None:
    """The title and what precedes it (a category label) when the body holds its own header,
    then the breadcrumb, date and view-count lines before the first paragraph."""
    leaves = [b for b in wrapper.iterdescendants() if _is_leafish(b)]
    texts = [normalise_line(element_text(b)) for b in leaves]
    folded_title = fold(title)
    at = next((i for i, t in enumerate(texts[:6]) if folded_title and fold(t) == folded_title), None)
    if at is not None and all(len(t) < 100 for t in texts[:at]):
        for block in leaves[: at + 1]:
            block.drop_tree()
        leaves, texts = leaves[at + 1 :], texts[at + 1 :]
    for block, text in zip(leaves, texts, strict=True):
        if block.find(".//img") is not None or not _attached(block, wrapper):
            break
        if text and not (_is_meta_line(text) or _is_link_list(block)):
            break
        block.drop_tree()


def _media_lines_to_images(body: Body) -> None:
    """A paragraph that is only a video or audio URL is media, not text (Báo Đồng Tháp [E])."""
    paragraphs = body.text.split("\n\n")
    media = [p for p in paragraphs if MEDIA_LINE.fullmatch(p)]
    if media:
        body.text = "\n\n".join(p for p in paragraphs if p not in media)
        body.images = [*(Image(url=m) for m in media), *body.images]


def _lead(body: Body) -> str:
    """The first paragraph that is not an image caption (a photo often opens the body)."""
    captions = {image.caption for image in body.images}
    return next((p for p in body.text.split("\n\n") if p not in captions), lead_of(body.text))


def _attached(el: HtmlElement, wrapper: HtmlElement) -> bool:
    return any(a is wrapper for a in el.iterancestors())


def _is_leafish(el: HtmlElement) -> bool:
    return el.tag in BLOCK_TAGS and not any(
        isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in el.iterdescendants()
    )


def _is_link_list(el: HtmlElement) -> bool:
    links = [a for a in el.iter("a") if not is_attachment_url(safe_urljoin("http://x/", a.get("href") or "") or "")]
    return el.tag in ("ul", "ol", "table", "div", "p", "dl") and len(links) >= 2 and _link_share(el) > 0.6


def _link_share(el: HtmlElement) -> float:
    linked = sum(len(normalise_line(element_text(a))) for a in el.iter("a"))
    return linked / max(len(normalise_line(element_text(el))), 1)

