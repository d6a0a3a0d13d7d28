"""The generic extractor: for portals with no family class, and for family pages
whose selectors find no body (a template nobody here has seen).

How it reads a page (docs/extraction.md has the reasons and the measured agreement):

* **Chrome** (menus, sidebars, "Tin liên quan", comments, share bars, counters,
  footers) is marked by tag, ARIA role and class/id words; a class-marked element
  holding half the page's prose is a wrapper, not chrome (ASP.NET's page-wide form).
* **Body**: prose paragraphs outside chrome score their ancestors the way Readability
  does; the best element wins, with sibling blocks that read like prose (a lead in
  its own ``div``). Leftover chrome, the title and date/view lines are cut from a
  copy, and :func:`crawler.extract.extract_body` gives text, signature, images, files.
* **Title**: the heading (or ``*title*``/``tieude`` element) closest above the first
  body paragraph, helped by og:title and ``<title>``; a capitalised banner loses.
* **Date**: day first, only from the article's own header (between the title and the
  first paragraph), then page metadata, then a labelled line right after the body;
  never from a header widget showing today ("Thứ Hai, 22/11/2026"), a sidebar or the body.

Why not trafilatura alone (measured beside this extractor in bench/fallback_agreement.py):
its text cannot give the signature, captions, images or attachments; it keeps titles, date
lines and "Tin liên quan" in the text, takes the banner for the title on Liferay portals, and
its dates carry no time of day.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from archive.capture import Image
from archive.dates import parse_vn_datetime
from archive.normalise import fold, is_volatile_line, normalise_line
from crawler.extract import (
    BLOCK_TAGS,
    DROP_TAGS,
    Body,
    element_text,
    extract_body,
    image_of,
    is_attachment_url,
    lead_of,
    safe_urljoin,
    signature_text,
    xml_safe,
)

logger = logging.getLogger(__name__)

MIN_BODY_CHARS = 80
MIN_PARAGRAPH_CHARS = 25
# Chrome: words of a class/id token (split at - and _), compounds found inside a token, tags, roles.
# Strong words never name a wrapper of the article; weak ones sometimes do ("content-sidebar-wrap").
STRONG_WORDS = frozenset(
    "footer copyright comment comments respond reply related breadcrumb breadcrumbs share "
    "sharing social sharedaddy counter visitor visitors weblink weblinks".split()
)
WEAK_WORDS = frozenset(
    "nav navbar navigation menu menubar mainmenu megamenu submenu sidebar widget widgets header masthead "
    "banner topbar toolbar print tags keywords pager paging pagination pagenav search login statistic "
    "statistics weather advert ads quangcao popup modal cookie rating vote gotop backtotop subscribe "
    "newsletter marquee slider carousel hotline moduletable".split()
)
CHROME_COMPOUNDS = tuple(
    "lienquan tinkhac tinmoi xemnhieu docnhieu binhluan ykien gopy chiase thongke truycap lienket timkiem "
    "dangnhap duongdan thoitiet othernews".split()
)
CHROME_TAGS = frozenset("nav aside footer header menu marquee select button".split())
CHROME_ROLES = frozenset("navigation banner contentinfo complementary search menu menubar".split())
HEADER_WORDS = frozenset("header masthead banner topbar".split())  # chrome that may hold the article's title
# WordPress and Joomla put taxonomy classes on the article element itself: "tag-nong-thon-moi".
TAXONOMY_TOKEN = re.compile(r"^(?:tag|category|categories|post|type|status|format)-")
# ASP.NET (vnPortal, SharePoint) wraps the whole page in a <form>: only its fields are skipped.
SKIP_TAGS = DROP_TAGS - {"form"}
POSITIVE_HINT = re.compile(
    r"article|entry|content|detail|chitiet|chi-tiet|noidung|noi-dung|journal|fulltext|"
    r"itembody|articlebody|ms-rtestate|story|post-body|news-body",
    re.IGNORECASE,
)
NEGATIVE_HINT = re.compile(r"hidden|meta|date|author|footnote|promo|sponsor|extra", re.IGNORECASE)
TITLE_HINT = re.compile(r"title|tieu-?de|headline|heading|subject", re.IGNORECASE)
AUTHOR_HINT = re.compile(r"author|tac-?gia|signature|chu-?ky|nguoi-?viet|byline", re.IGNORECASE)
HEADING_WEIGHT = {"h1": 3.0, "h2": 2.0, "h3": 1.5, "h4": 1.0, "h5": 0.5, "h6": 0.5}
P_LIKE = frozenset("p li dd dt blockquote pre figcaption".split())
# Folded section labels: never a title; in a body, where the chrome begins.
SECTION_LABELS = frozenset(
    "tin lien quan|cac tin lien quan|bai viet lien quan|tin khac|cac tin khac|tin moi|tin moi nhat|"
    "tin cung chuyen muc|tin da dua|cac tin da dua|xem them|binh luan|y kien ban doc|gui y kien|"
    "gui binh luan|de lai mot binh luan|chia se|tin tuc|tin tuc - su kien|thong ke truy cap|"
    "lien ket website|van ban moi|tin noi bat|tin xem nhieu".split("|")
)
CHROME_LINES = re.compile(
    r"^[<«‹\s]*(?:tro ve|quay lai|ve dau trang|len dau trang|in bai|in trang|ban in|gui email|"
    r"gui bai|chia se|share|tweet|luu bai|bai truoc|bai sau|tin truoc|tin sau)"
)
META_LABEL = re.compile(
    r"dang ngay|ngay dang|ngay cap nhat|cap nhat|ngay ban hanh|thoi gian|ngay|luc|gio|luot xem|"
    r"so lan xem|luot doc|tac gia|nguoi dang|nguoi viet|viet boi|dang boi|danh muc|chuyen muc|chi tiet|"
    r"posted on|published|gmt|utc|thu (?:hai|ba|tu|nam|sau|bay)|chu nhat|thu|thang|nam|am|pm"
)
# Every portal footer opens with its owner [E]: "Cơ quan chủ quản: UBND tỉnh Sóc Trăng - Điện thoại: …".
FOOTER_LINE = re.compile(
    r"[@©\s]*(?:co quan chu quan|don vi quan ly|giay phep|ban quyen|copyright|ghi ro nguon|"
    r"chiu trach nhiem noi dung|dia chi|dien thoai|email)\b"
)
DATE_LABEL = re.compile(r"(?:ngay dang|dang ngay|ngay cap nhat|cap nhat|ngay)\b")
CMS_USERS = frozenset("admin|administrator|super user|quan tri|quan tri vien|webmaster|editor".split("|"))
# [E] Báo Đồng Tháp puts a bare video URL above the lead.
MEDIA_LINE = re.compile(r"https?://\S+\.(?:mp4|flv|wmv|webm|avi|mov|mp3|m4a)", re.IGNORECASE)
_DATE_TOKEN = re.compile(r"\d{1,4}\s*[/.\-–:hH]\s*\d{1,2}(?:\s*[/.\-–:]\s*\d{1,4})?")
_MONTH_WORDS = "mot:1 gieng:1 hai:2 ba:3 tu:4 bon:4 nam:5 sau:6 bay:7 tam:8 chin:9 muoi:10 chap:12"
_MONTHS = {w: int(n) for w, n in (p.split(":") for p in _MONTH_WORDS.split())} | {"muoi mot": 11, "muoi hai": 12}
_MONTH_DATE = re.compile(
    r"(?<!\d)(\d{1,2})\s*thang\s*"
    r"(\d{1,2}|muoi mot|muoi hai|muoi|mot|gieng|hai|ba|tu|bon|nam|sau|bay|tam|chin|chap)"
    r"\s*(?:,|nam)?\s*(\d{4})(?!\d)"
)
_TIME_AFTER = re.compile(r"\s*[,|\-–]?\s*(?:luc\s*)?(\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?)")
DATE_META = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//*[@itemprop='datePublished']/@datetime",
    "//meta[@name='pubdate' or @name='publishdate']/@content",
    "//meta[@name='dc.date.issued' or @name='DC.date.issued' or @name='date']/@content",
)


@dataclass
class Extracted:
    title: str
    published_at: datetime | None
    lead: str
    body: Body


@dataclass
class _Unit:
    """A run of text a block element holds itself (not inside a nested block); ``position``
    is where the run starts in document order."""

    block: HtmlElement
    text: str
    link_chars: int
    position: int


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


def parse_page_date(text: str) -> datetime | None:
    """:func:`archive.dates.parse_vn_datetime`, plus month names: Joomla's "12 Tháng 3 2024",
    WordPress's "17 Tháng Năm, 2024", "ngày 12 tháng 3 năm 2024"."""
    line = normalise_line(text)
    folded = fold(line)
    match = _MONTH_DATE.search(folded) if len(folded) == len(line) else None
    if match:
        day, month, year = match.groups()
        time = _TIME_AFTER.match(folded, match.end())
        line = f"{day}/{int(month) if month.isdigit() else _MONTHS[month]}/{year}" + (
            f" {time.group(1)}" if time else ""
        )
    return parse_vn_datetime(line)


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
        dated = following is not None and _is_meta_line(following.text) and parse_page_date(following.text)
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
            if _is_meta_line(line.text) and parse_page_date(line.text):
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
            if _is_meta_line(unit.text) and (found := parse_page_date(unit.text)):
                return found
        return None

    def date_after(self, body_els: list[HtmlElement]) -> datetime | None:
        """A labelled date line ("Ngày đăng: …") among the few runs right after the body."""
        for unit in [u for u in self.units if u.position >= self.ends[body_els[-1]]][:3]:
            if DATE_LABEL.match(fold(unit.text)) and _is_meta_line(unit.text):
                return parse_page_date(unit.text)
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
    runs: list[list] = []  # [block, pieces, link chars, position]
    open_runs: dict[HtmlElement, list] = {}

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


def _attrs(el: HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''} {el.get('itemprop') or ''}".lower()


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


def _is_meta_line(text: str) -> bool:
    """A date, time, view-count or author label line: little is left once those are removed."""
    if is_volatile_line(text):
        return True
    if len(text) > 150:
        return False
    rest = re.sub(r"[\W\d_]+", " ", META_LABEL.sub(" ", _DATE_TOKEN.sub(" ", fold(text)))).strip()
    short_rest = len(rest) <= 20 and len(rest.split()) <= 3  # a name at most: "Tác giả: Văn Tâm | 17/05/2024"
    return (short_rest and parse_page_date(text) is not None) or (not rest and len(text) < 40)


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
