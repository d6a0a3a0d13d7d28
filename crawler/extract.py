"""Turning an article's body element into what the archive stores.

Shared by every family and by the generic extractor (crawler/fallback/): given
the element a family's selectors found, produce paragraph text (loose text beside
paragraphs included, counter lines dropped, table numbers kept), cleaned HTML, the
signature, images with captions and attachment links. docs/extraction.md lists
the rules.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml.html import HtmlElement
from parsel import Selector
from scrapy.http import Response

from archive.capture import AttachmentRef, Image
from archive.normalise import (
    counter_candidate,
    is_volatile_line,
    join_paragraphs,
    normalise_line,
    normalise_text,
    volatile_folded,
)

logger = logging.getLogger(__name__)

BLOCK_TAGS = frozenset(
    "p div section article header footer aside blockquote pre ul ol li dl dt dd table thead tbody tr td th "
    "h1 h2 h3 h4 h5 h6 figure figcaption center address hr".split()
)
DROP_TAGS = frozenset(
    "script style noscript iframe form button input select textarea svg template object embed".split()
)
KEEP_ATTRS = {
    "a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
}
ATTACHMENT_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx ppt pptx odt ods odp rtf zip rar 7z txt csv xml signed".split()
)
SIGNATURE_MAX_CHARS = 60
SIGNATURE_MAX_WORDS = 8
_NAME_SPLIT = re.compile(r"[\s.\-–—/,&()]+")
_SENTENCE_END = re.compile(r"[!?;:…]\s*$|[^A-ZĐ]\.\s*$|\./\.$")
# "Tin, ảnh: Văn Tâm", "Bài và ảnh: …", "Tác giả: …": the label says it is a signature
# ("Ảnh: …" alone credits a photographer, not the author).
_SIGNATURE_LABEL = re.compile(
    r"(?:(?:tin|bài)(?:\s*(?:,|/|và)\s*ảnh)?|tác giả|người viết|thực hiện)\s*:\s*", re.IGNORECASE
)
# A photo credit or a source line closes many articles; neither is the author.
_CREDIT = re.compile(r"(?:ảnh|nguồn|photo|video)\s*:", re.IGNORECASE)
_CAPTION_CLASS = re.compile(r"caption|chu-?thich|image[-_]?desc|img[-_]?desc|photo[-_]?desc", re.IGNORECASE)
_RIGHT_CLASSES = frozenset("text-right right align-right alignright has-text-align-right pull-right".split())


@dataclass
class Body:
    """An article body as the archive stores it."""

    text: str
    html: str
    author: str = ""
    images: list[Image] = field(default_factory=list)
    attachments: list[AttachmentRef] = field(default_factory=list)


def element_text(element: HtmlElement) -> str:
    """Readable text of an element: blocks become paragraphs, <br> a line break."""
    parts: list[str] = []
    _walk_text(element, parts)
    text = normalise_text("".join(parts))
    return "\n".join(line for line in text.split("\n") if not _is_counter(line)).strip("\n")


_BARE_NUMBER = re.compile(r"[\d\s.,]+")
# Counter labels archive.normalise does not know (Joomla, WordPress and home-made portals):
# "Lượt đọc: 400", "Số lần xem: 400", "Đã xem: 400 lần", "Hits: 400", "Số người online: 9",
# "Truy cập hôm nay: 145". Matched on folded text; only with a number, so a heading stays.
_EXTRA_COUNTER = re.compile(
    r"(?:luot doc|so lan xem|lan xem|da xem|hits|so nguoi (?:dang )?online|(?:luot )?truy cap hom nay)"
    r"\s*:?\s*(?:\d{1,3}(?:[ .,]\d{3})+|\d+)(?:\s*(?:lan|luot))?"
)
_COUNTER_SPLIT = re.compile(r"\s*[•·|»]\s*")


def _is_counter(line: str) -> bool:
    """A labelled counter line ("Lượt xem: 86"). A bare number inside an article
    is data (a table cell), not a counter, and stays."""
    if _BARE_NUMBER.fullmatch(line):
        return False
    folded = counter_candidate(normalise_line(line))
    if folded is None:
        return False
    if volatile_folded(folded):
        return True
    segments = [s for s in _COUNTER_SPLIT.split(folded) if s]
    return bool(segments) and all(_EXTRA_COUNTER.fullmatch(s) or is_volatile_line(s) for s in segments)


def _walk_text(element: HtmlElement, parts: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in DROP_TAGS:
        if element.tail:
            parts.append(element.tail)
        return
    if tag == "br":
        parts.append("\n")
    elif tag in BLOCK_TAGS:
        parts.append("\n\n")
    if element.text and tag not in DROP_TAGS:
        parts.append(element.text)
    for child in element:
        _walk_text(child, parts)
    if tag in BLOCK_TAGS:
        parts.append("\n\n")
    if element.tail:
        parts.append(element.tail)


def to_element(selector: Selector) -> HtmlElement:
    """The lxml element behind a parsel selector, detached from its page."""
    return lxml.html.fragment_fromstring(xml_safe(selector.get()), create_parent=False)


def clean_html(element: HtmlElement, base_url: str) -> str:
    """The body's HTML without scripts, styles, forms and presentation attributes;
    links and image sources made absolute."""
    element = _copy(element)
    for bad in [e for e in element.iter() if isinstance(e.tag, str) and e.tag in DROP_TAGS]:
        bad.drop_tree()
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        allowed = KEEP_ATTRS.get(node.tag, set())
        keep = {name: value for name, value in node.attrib.items() if name in allowed}
        node.attrib.clear()  # not one by one: broken pages carry names lxml refuses to address ("upId:")
        node.attrib.update(keep)
        for name in ("href", "src"):
            if name in node.attrib:
                node.attrib[name] = xml_safe(safe_urljoin(base_url, node.attrib[name].strip()) or "")
    # Markup, not text: only NFC and line endings, never entity decoding (it would forge tags).
    markup = lxml.html.tostring(element, encoding="unicode")
    return unicodedata.normalize("NFC", markup.replace("\r\n", "\n")).strip()


def _copy(element: HtmlElement) -> HtmlElement:
    """A detached deep copy, without the element's tail (text that follows it in its page), and
    without control bytes: a mis-declared charset leaves them in the text, and lxml refuses
    every later edit of a tree holding them."""
    markup = lxml.html.tostring(element, encoding="unicode", with_tail=False)
    return lxml.html.fragment_fromstring(xml_safe(markup), create_parent=False)


def blocks(element: HtmlElement) -> list[HtmlElement]:
    """Leaf-level block elements in document order (a <p> inside a <div> counts, the <div> not)."""
    found = [
        node
        for node in element.iter()
        if isinstance(node.tag, str)
        and node.tag in BLOCK_TAGS
        and not any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in node.iterdescendants())
    ]
    return found or [element]


def signature(block: HtmlElement) -> str | None:
    """The author line if ``block`` looks like one: short, no sentence, and either
    right-aligned or a bare name/initials (``Trần Thu Ngân``, ``T.H``, ``P.L``).
    A labelled line (``Tin, ảnh: Văn Tâm``, ``Tác giả: Lê Hoa``) gives the name after the label."""
    return signature_text(normalise_line(element_text(block)), set_apart=right_aligned(block))


def signature_text(text: str, *, set_apart: bool = False) -> str | None:
    """:func:`signature` for a line of text; ``set_apart``: the line is right-aligned."""
    if _CREDIT.match(text):
        return None
    labelled = _SIGNATURE_LABEL.match(text)
    if labelled:
        text = text[labelled.end() :].strip()
    if not text or len(text) > SIGNATURE_MAX_CHARS or len(text.split()) > SIGNATURE_MAX_WORDS:
        return None
    if any(ch.isdigit() for ch in text) or _SENTENCE_END.search(text):
        return None
    words = [w for w in _NAME_SPLIT.split(text) if w]
    looks_like_name = bool(words) and all(w[0].isupper() for w in words)
    return text if (labelled or set_apart or looks_like_name) else None


def right_aligned(block: HtmlElement) -> bool:
    """Right-aligned by the block itself, its only child (``<p><span style=…>``) or a
    wrapper (``<div align="right"><p>…``): editors put it on any of them."""
    only_child = block[0] if len(block) == 1 and not (block.text or "").strip() else None
    parent = block.getparent()
    wrapper = parent if parent is not None and len(parent) == 1 else None
    return any(_aligns_right(node) for node in (block, only_child, wrapper) if node is not None)


def _aligns_right(node: HtmlElement) -> bool:
    if not isinstance(node.tag, str):
        return False
    style = (node.get("style") or "").replace(" ", "").lower()
    classes = (node.get("class") or "").lower().split()
    aligned = "text-align:right" in style or "float:right" in style or (node.get("align") or "").lower() == "right"
    return aligned or any(c in _RIGHT_CLASSES for c in classes)


def images(element: HtmlElement, base_url: str) -> list[Image]:
    return [found for img in element.iter("img") if (found := image_of(img, base_url)) is not None]


def image_of(img: HtmlElement, base_url: str) -> Image | None:
    """One ``<img>`` with its caption; None for an inline ``data:`` image or one without a source."""
    src = (img.get("src") or "").strip()
    if not src or src.startswith("data:"):
        return None
    url = safe_urljoin(base_url, src)
    return Image(url=url, caption=_caption(img)) if url else None


def _caption(img: HtmlElement) -> str:
    figure = next((a for a in img.iterancestors() if a.tag == "figure"), None)
    if figure is not None:
        caption = figure.find(".//figcaption")
        if caption is not None:
            return normalise_line(element_text(caption))
    block = next((a for a in img.iterancestors() if a.tag in BLOCK_TAGS), None)
    if block is not None:
        own = normalise_line(element_text(block))
        if own:
            return own
        following = block.getnext()
        if following is not None and isinstance(following.tag, str) and _is_caption_block(following):
            return normalise_line(element_text(following))
        if (row_caption := _table_caption(block)) is not None:
            return row_caption
    return normalise_line(img.get("alt") or img.get("title") or "")


def _is_caption_block(block: HtmlElement) -> bool:
    style = (block.get("style") or "").replace(" ", "").lower()
    italic = any(c.tag in ("em", "i") for c in block.iter() if isinstance(c.tag, str))
    captioned = _CAPTION_CLASS.search(block.get("class") or "") is not None
    return ("text-align:center" in style or italic or captioned) and len(element_text(block)) < 400


def _table_caption(cell: HtmlElement) -> str | None:
    """An image alone in a table cell, captioned by the next row: the image table many
    Vietnamese CMS editors insert (``<tr><td><img></td></tr><tr><td>caption</td></tr>``)."""
    row = cell.getparent()
    if cell.tag not in ("td", "th") or row is None or row.tag != "tr" or len(row) != 1:
        return None
    following = row.getnext()
    if following is None or following.tag != "tr" or following.find(".//img") is not None:
        return None
    text = normalise_line(element_text(following))
    return text if 0 < len(text) < 400 else None


def attachments(element: HtmlElement, base_url: str) -> list[AttachmentRef]:
    found: dict[str, AttachmentRef] = {}
    for link in element.iter("a"):
        href = (link.get("href") or "").strip()
        url = safe_urljoin(base_url, href) or ""
        if href and is_attachment_url(url) and url not in found:
            found[url] = AttachmentRef(url=url, title=normalise_line(element_text(link)))
    return list(found.values())


def is_attachment_url(url: str) -> bool:
    """A link to a document file: some path segment ends in a document extension
    (Liferay puts the file name before a UUID: /documents/<g>/<f>/<name.pdf>/<uuid>)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    return any(_extension(segment) in ATTACHMENT_EXTENSIONS for segment in parts.path.split("/"))


def _extension(segment: str) -> str:
    return segment.rsplit(".", 1)[-1].lower() if "." in segment else ""


def extract_body(element: HtmlElement, base_url: str) -> Body | None:
    """Text, HTML, author, images and attachments of a body element; None if it holds no text."""
    paragraphs = [(block, element_text(block)) for block in _paragraph_blocks(element)]
    paragraphs = [(block, text) for block, text in paragraphs if text]
    if not paragraphs:
        return None
    author, paragraphs = _split_signature(paragraphs)
    return Body(
        text=join_paragraphs(text for _, text in paragraphs),
        html=clean_html(element, base_url),
        author=author,
        images=images(element, base_url),
        attachments=attachments(element, base_url),
    )


def _split_signature(paragraphs: list[tuple[HtmlElement, str]]) -> tuple[str, list[tuple[HtmlElement, str]]]:
    """The author and the paragraphs without the signature: the last paragraph, or the one
    before a photo credit ("Ảnh: Đức Trung" stays in the text), or the last line of text typed
    with <br><br> instead of paragraphs."""
    credit_last = len(paragraphs) > 2 and _CREDIT.match(normalise_line(paragraphs[-1][1]))
    at = len(paragraphs) - (2 if credit_last else 1)
    if at > 0 and (found := signature(paragraphs[at][0])):
        return found, paragraphs[:at] + paragraphs[at + 1 :]
    chunks = paragraphs[-1][1].split("\n\n")
    if len(chunks) > 1 and (found := signature_text(normalise_line(chunks[-1]))):
        return found, [*paragraphs[:-1], (paragraphs[-1][0], "\n\n".join(chunks[:-1]))]
    return "", paragraphs


def _paragraph_blocks(element: HtmlElement) -> list[HtmlElement]:
    """:func:`blocks` of a copy in which loose text beside blocks (``<div>text<br>text<p>…</p></div>``,
    common in hand-edited bodies) is wrapped in ``<p>``: :func:`blocks` alone would lose it."""
    copy = _copy(element)
    mixed = [n for n in copy.iter() if isinstance(n.tag, str) and n.tag in BLOCK_TAGS and _has_block_child(n)]
    for node in mixed:
        _wrap_loose_runs(node)
    return blocks(copy)


def _has_block_child(node: HtmlElement) -> bool:
    return any(isinstance(c.tag, str) and c.tag in BLOCK_TAGS for c in node)


def _wrap_loose_runs(node: HtmlElement) -> None:
    children = list(node)
    run = lxml.html.Element("p")
    run.text, node.text = node.text, None
    for child in children:
        node.remove(child)
        if isinstance(child.tag, str) and child.tag in BLOCK_TAGS:
            tail, child.tail = child.tail, None
            _append_run(node, run)
            node.append(child)
            run = lxml.html.Element("p")
            run.text = tail
        else:
            run.append(child)  # an inline element keeps its tail
    _append_run(node, run)


def _append_run(node: HtmlElement, run: HtmlElement) -> None:
    if (run.text or "").strip() or any(isinstance(c.tag, str) and c.tag != "br" for c in run) or any(
        (c.tail or "").strip() for c in run
    ):
        node.append(run)


def lead_of(text: str) -> str:
    """The opening paragraph, used as the lead when a portal marks none."""
    return next(iter(text.split("\n\n")), "")


def iter_links(selector: Selector | Response, css: str, base_url: str) -> Iterator[str]:
    """Absolute link targets of the ``href`` values ``css`` selects; scripts, mail, in-page and broken links skipped."""
    for href in selector.css(css).getall():
        href = href.strip()
        if href and not href.startswith(("javascript:", "mailto:", "#")) and (url := safe_urljoin(base_url, href)):
            yield url


def text_of(selector: Selector | Response, css: str) -> str:
    """Every text node under what ``css`` selects, joined by spaces (not normalised)."""
    return " ".join(selector.css(f"{css} ::text").getall())


def first_with_text(selector: Selector | Response, selectors: Sequence[str]) -> Selector | None:
    """The first element, selectors in order of preference, that holds some text: a family's
    template names where the body (or lead) is, newest markup first, and an empty match is not it."""
    for css in selectors:
        for found in selector.css(css):
            if found.xpath("string()").get("").strip():
                return found
    return None


def title_of(selector: Selector | Response, selectors: Sequence[str]) -> str:
    """The first non-empty title the selectors find, else the page's ``og:title``."""
    for css in selectors:
        if title := normalise_line(text_of(selector, css)):
            return title
    return normalise_line(selector.css("meta[property='og:title']::attr(content)").get() or "")


def safe_urljoin(base_url: str, href: str) -> str | None:
    """``urljoin``, or None for an href no URL can be made of (``http://[bad`` raises in urllib)."""
    try:
        joined = urljoin(base_url, href)
        urlsplit(joined).hostname  # noqa: B018 - validates the netloc (IPv6 brackets, ports)
        urlsplit(joined).port  # noqa: B018
    except ValueError:
        return None
    return joined


_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: str) -> str:
    """Attribute text lxml accepts: control characters from broken pages removed."""
    return _XML_UNSAFE.sub("", value)
