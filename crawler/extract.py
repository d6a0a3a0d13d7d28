"""Turning an article's body element into what the archive stores.

Shared by every family: given the element a family's selectors found, produce
paragraph text, cleaned HTML, the signature, images with captions and
attachment links. Also the generic fallback extractor (trafilatura) for pages
whose family selectors find nothing.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml.html import HtmlElement
from parsel import Selector

from archive.capture import AttachmentRef, Image
from archive.normalise import is_volatile_line, join_paragraphs, normalise_line, normalise_text

logger = logging.getLogger(__name__)

BLOCK_TAGS = frozenset(
    "p div section article header footer aside blockquote pre ul ol li dl dt dd table thead tbody tr td th "
    "h1 h2 h3 h4 h5 h6 figure figcaption center address hr".split()
)
DROP_TAGS = frozenset("script style noscript iframe form button input select textarea svg template object embed".split())
KEEP_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
ATTACHMENT_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx ppt pptx odt ods odp rtf zip rar 7z txt csv xml signed".split()
)
SIGNATURE_MAX_CHARS = 60
SIGNATURE_MAX_WORDS = 8
_NAME_SPLIT = re.compile(r"[\s.\-–—/,&()]+")
_SENTENCE_END = re.compile(r"[!?;:…]\s*$|[^A-ZĐ]\.\s*$|\./\.$")


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


def _is_counter(line: str) -> bool:
    """A labelled counter line ("Lượt xem: 86"). A bare number inside an article
    is data (a table cell), not a counter, and stays."""
    return is_volatile_line(line) and not _BARE_NUMBER.fullmatch(line)


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
    return lxml.html.fragment_fromstring(selector.get(), create_parent=False)


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
        for name in list(node.attrib):
            if name not in allowed:
                del node.attrib[name]
        for name in ("href", "src"):
            if name in node.attrib:
                node.attrib[name] = urljoin(base_url, node.attrib[name].strip())
    # Markup, not text: only NFC and line endings, never entity decoding (it would forge tags).
    markup = lxml.html.tostring(element, encoding="unicode")
    return unicodedata.normalize("NFC", markup.replace("\r\n", "\n")).strip()


def _copy(element: HtmlElement) -> HtmlElement:
    return lxml.html.fragment_fromstring(lxml.html.tostring(element, encoding="unicode"), create_parent=False)


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
    right-aligned or a bare name/initials (``Trần Thu Ngân``, ``T.H``, ``P.L``)."""
    text = normalise_line(element_text(block))
    if not text or len(text) > SIGNATURE_MAX_CHARS or len(text.split()) > SIGNATURE_MAX_WORDS:
        return None
    if any(ch.isdigit() for ch in text) or _SENTENCE_END.search(text):
        return None
    style = (block.get("style") or "").replace(" ", "").lower()
    set_apart = "text-align:right" in style or (block.get("align") or "").lower() == "right"
    words = [w for w in _NAME_SPLIT.split(text) if w]
    looks_like_name = bool(words) and all(w[0].isupper() for w in words)
    return text if (set_apart or looks_like_name) else None


def images(element: HtmlElement, base_url: str) -> list[Image]:
    found: list[Image] = []
    for img in element.iter("img"):
        src = (img.get("src") or "").strip()
        if not src or src.startswith("data:"):
            continue
        found.append(Image(url=urljoin(base_url, src), caption=_caption(img)))
    return found


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
    return normalise_line(img.get("alt") or img.get("title") or "")


def _is_caption_block(block: HtmlElement) -> bool:
    style = (block.get("style") or "").replace(" ", "").lower()
    italic = any(c.tag in ("em", "i") for c in block.iter() if isinstance(c.tag, str))
    return ("text-align:center" in style or italic) and len(element_text(block)) < 400


def attachments(element: HtmlElement, base_url: str) -> list[AttachmentRef]:
    found: dict[str, AttachmentRef] = {}
    for link in element.iter("a"):
        href = (link.get("href") or "").strip()
        url = urljoin(base_url, href)
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
    paragraphs = [(block, element_text(block)) for block in blocks(element)]
    paragraphs = [(block, text) for block, text in paragraphs if text]
    if not paragraphs:
        return None
    author = ""
    last_block, _ = paragraphs[-1]
    if len(paragraphs) > 1 and (found := signature(last_block)):
        author = found
        paragraphs = paragraphs[:-1]
    return Body(
        text=join_paragraphs(text for _, text in paragraphs),
        html=clean_html(element, base_url),
        author=author,
        images=images(element, base_url),
        attachments=attachments(element, base_url),
    )


def lead_of(text: str) -> str:
    """The opening paragraph, used as the lead when a portal marks none."""
    return next(iter(text.split("\n\n")), "")


def iter_links(selector: Selector, css: str, base_url: str) -> Iterator[str]:
    for href in selector.css(css).getall():
        href = href.strip()
        if href and not href.startswith(("javascript:", "mailto:", "#")):
            yield urljoin(base_url, href)
