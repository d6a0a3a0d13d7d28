"""The page walk: where the body, title, date, byline and lead images of an article page of
unknown structure are (the method is described in :mod:`crawler.fallback`)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from archive.capture import Image
from archive.dates import parse_vn_datetime
from archive.normalise import fold, normalise_line
from crawler.extract import Body, element_text, extract_body, image_of, safe_urljoin, signature_text, xml_safe
from crawler.fallback.blocks import (
    _chrome,
    _copy_without,
    _cut_chrome_blocks,
    _cut_header_lines,
    _is_header_chrome,
    _is_prose,
    _lead,
    _media_lines_to_images,
    _scores,
    _subtree_ends,
    _Unit,
    _units,
)
from crawler.fallback.markers import (
    AUTHOR_HINT,
    CMS_USERS,
    DATE_LABEL,
    HEADING_WEIGHT,
    MIN_BODY_CHARS,
    TITLE_HINT,
    _attrs,
)
from crawler.fallback.meta import (
    _is_meta_line,
    _metadata_date,
    _title_candidates,
    _title_from_metadata,
    _title_refs,
    _title_score,
)

logger = logging.getLogger(__name__)


@dataclass
class Extracted:
    title: str
    published_at: datetime | None
    lead: str
    body: Body


def extract_generic(html: str, url: str) -> Extracted | None:
    """Title, date and body of an article page of unknown structure; None if no article text is found."""
    root = _document(html)
    if root is None:
        return None
    page = _Page(root, url, weak_chrome=True)
    body_els = page.body_elements()
    anchor = page.anchor(body_els)
    if anchor is None:  # the article may sit in something only weakly chrome-like ("print-area")
        page = _Page(root, url, weak_chrome=False)
        body_els = page.body_elements()
        anchor = page.anchor(body_els)
    if anchor is None:
        return None
    heading = page.title_element(anchor)
    title = normalise_line(element_text(heading)) if heading is not None else _title_from_metadata(root)
    body = extract_body(page.cleaned_body(body_els, title), url)
    if body is None or len(body.text) < MIN_BODY_CHARS:
        return None
    _media_lines_to_images(body)
    body.images = [*page.lead_images(heading, body_els), *body.images]
    start = page.ends[heading] if heading is not None else page.header_start(anchor)
    body.author = body.author or page.byline(body_els, start, anchor)
    published_at = page.header_date(start, anchor) or _metadata_date(root) or page.date_after(body_els)
    return Extracted(title=title, published_at=published_at, lead=_lead(body), body=body)


# -- the page ----------------------------------------------------------------------------------


class _Page:
    """One parsed page: document order, chrome marks, text runs, candidate scores."""

    def __init__(self, root: HtmlElement, url: str, *, weak_chrome: bool) -> None:
        self.root = root
        self.url = url
        self.order = {el: i for i, el in enumerate(root.iter())}
        self.ends: dict[HtmlElement, int] = {}
        _subtree_ends(root, self.order, self.ends)
        self.all_units = _units(root, self.order, self.ends)
        self.chrome = _chrome(root, self.all_units, weak_chrome)
        self.units = [u for u in self.all_units if not self.in_chrome(u.block)]
        self.refs = _title_refs(root)

    def in_chrome(self, el: HtmlElement, *, except_header: bool = False) -> bool:
        marks = [a for a in (el, *el.iterancestors()) if a in self.chrome]
        return any(not (except_header and _is_header_chrome(a)) for a in marks)

    def body_elements(self) -> list[HtmlElement]:
        """The best-scoring element and the sibling blocks that read like it, in page order."""
        scores = _scores(self.units)
        if not scores:
            return []
        best = max(scores, key=lambda el: (round(scores[el], 6), self.order[el]))
        parent = best.getparent()
        if parent is None:
            return [best]
        threshold = max(10.0, scores[best] * 0.2)
        prose = {
            u.block: u
            for u in self.units
            if _is_prose(u) and len(u.text) >= 80 and u.link_chars < 0.25 * len(u.text)
        }
        return [
            el
            for el in parent
            if el is best or (not self.in_chrome(el) and (scores.get(el, 0) >= threshold or el in prose))
        ]

    def anchor(self, body_els: list[HtmlElement]) -> _Unit | None:
        """The first body paragraph: the first prose run of the body that is not a title (a
        heading, a ``*title*`` element, og:title/``<title>`` itself, a line over the date line)."""
        spans = [(self.order[el], self.ends[el]) for el in body_els]
        inside = [u for u in self.all_units if any(s <= u.position < e for s, e in spans)]
        for i, unit in enumerate(inside):
            if unit.block.tag in HEADING_WEIGHT or TITLE_HINT.search(_attrs(unit.block)):
                continue
            following = inside[i + 1] if i + 1 < len(inside) else None
            if _is_prose(unit) and not self.in_chrome(unit.block) and not self._title_like(unit, following):
                return unit
        return None

    def _title_like(self, unit: _Unit, following: _Unit | None) -> bool:
        if len(unit.text) > 300:
            return False
        dated = following is not None and _is_meta_line(following.text) and parse_vn_datetime(following.text)
        return bool(dated) or any(fold(unit.text) == ref for ref, _ in self.refs)

    def title_element(self, anchor: _Unit) -> HtmlElement | None:
        refs = self.refs
        over_date = self._over_date_line(anchor)
        candidates = dict.fromkeys(
            [*_title_candidates(self.root), *([over_date] if over_date is not None else [])]
        )
        scored = []
        for el in candidates:
            if self.order[el] >= anchor.position or self._elsewhere(el):
                continue
            between = sum(1 for u in self.all_units if self.ends[el] <= u.position < anchor.position)
            bonus = 2.0 if el is over_date else 0.0
            scored.append((_title_score(el, refs, between) + bonus, self.order[el], el))
        best = max(scored, key=lambda item: item[:2], default=None)
        return best[2] if best and best[0] > 0 else None

    def _over_date_line(self, anchor: _Unit) -> HtmlElement | None:
        """The short block just above the article's date line: where titles sit, class or no class."""
        runs = [u for u in self.all_units if u.position < anchor.position][-6:]
        for before, line in reversed(list(pairwise(runs))):
            if _is_meta_line(line.text) and parse_vn_datetime(line.text):
                fits = 10 <= len(normalise_line(element_text(before.block))) <= 300 and not before.link_chars
                return before.block if fits and not _is_meta_line(before.text) else None
        return None

    def _elsewhere(self, el: HtmlElement) -> bool:
        """In a menu, sidebar or link list, or linking to another page: another article's heading."""
        if self.in_chrome(el, except_header=True) or any(a.tag in ("a", "li") for a in el.iterancestors()):
            return True
        targets = {urlsplit(safe_urljoin(self.url, a.get("href") or "") or "").path for a in el.iter("a")}
        return bool(targets) and targets != {urlsplit(self.url).path}

    def header_start(self, anchor: _Unit) -> int:
        """Without a title: the article's header is at most the four runs above the first paragraph."""
        above = [u.position for u in self.units if u.position < anchor.position]
        return above[-4] if len(above) >= 4 else (above[0] if above else anchor.position)

    def header_date(self, start: int, anchor: _Unit) -> datetime | None:
        """The first date of the article's header: a ``<time datetime>``, else a short date line."""
        for el in self.root.iter():
            stamp = el.get("datetime") if isinstance(el.tag, str) else None
            if stamp and start <= self.order[el] < anchor.position and (found := parse_vn_datetime(stamp)):
                return found
        for unit in (u for u in self.all_units if start <= u.position < anchor.position):
            if _is_meta_line(unit.text) and (found := parse_vn_datetime(unit.text)):
                return found
        return None

    def date_after(self, body_els: list[HtmlElement]) -> datetime | None:
        """A labelled date line ("Ngày đăng: …") among the few runs right after the body."""
        for unit in [u for u in self.units if u.position >= self.ends[body_els[-1]]][:3]:
            if DATE_LABEL.match(fold(unit.text)) and _is_meta_line(unit.text):
                return parse_vn_datetime(unit.text)
        return None

    def byline(self, body_els: list[HtmlElement], start: int, anchor: _Unit) -> str:
        """An author element in the body or the article's header, else a bare name line in the
        header (vnPortal prints one between the title and the body [E]); never a CMS account."""
        hinted = [
            d
            for el in body_els
            for d in el.iter()
            if isinstance(d.tag, str) and AUTHOR_HINT.search(_attrs(d))
        ]
        header = [u for u in self.all_units if start <= u.position < anchor.position]
        lines = [
            *(normalise_line(element_text(el)) for el in hinted),
            *(normalise_line(element_text(u.block)) for u in header if AUTHOR_HINT.search(_attrs(u.block))),
        ]
        for text in lines:
            text = re.sub(
                r"^(?:bởi|viết bởi|đăng bởi|người đăng|posted by|by)\s*:?\s*", "", text, flags=re.IGNORECASE
            )
            if (name := signature_text(text, set_apart=True)) and fold(name) not in CMS_USERS:
                return name
        names = [name for u in header if len(u.text.split()) <= 4 and (name := signature_text(u.text))]
        return names[-1] if names and fold(names[-1]) not in CMS_USERS else ""

    def lead_images(self, heading: HtmlElement | None, body_els: list[HtmlElement]) -> list[Image]:
        """Images between the start of the article block (title and body's common ancestor) and
        the body: an e-magazine cover, WordPress's featured image. Not logos, not linked thumbnails."""
        if heading is None:
            return []
        block = next((a for a in body_els[0].iterancestors() if heading in a.iterdescendants()), None)
        if block is None or block.tag in ("body", "html") or self.in_chrome(block):
            return []
        found = [
            img
            for img in block.iter("img")
            if self.order[img] < self.order[body_els[0]]
            and not self.in_chrome(img)
            and not any(a.tag == "a" for a in img.iterancestors())
        ]
        return [image for img in found if (image := image_of(img, self.url)) is not None]

    def cleaned_body(self, body_els: list[HtmlElement], title: str) -> HtmlElement:
        """A copy of the body elements without chrome, the title and the date/view lines."""
        wrapper = lxml.html.Element("div")
        for el in body_els:
            wrapper.append(_copy_without(el, self.chrome))
        _cut_chrome_blocks(wrapper)
        _cut_header_lines(wrapper, title)
        return wrapper


# -- parsing ---------------------------------------------------------------


def _document(html: str) -> HtmlElement | None:
    try:
        root = lxml.html.document_fromstring(xml_safe(html))  # control bytes would break every later edit
    except (lxml.etree.ParserError, ValueError):
        return None
    for node in root.xpath("//script|//style|//noscript|//template|//comment()|//processing-instruction()"):
        if node.getparent() is not None:  # a comment before <html> has none
            node.drop_tree()
    return root
