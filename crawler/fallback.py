"""The generic extractor: for portals with no family class, and for family pages
whose selectors find no body (a template nobody here has seen).

trafilatura finds the main text. The date is ours, not trafilatura's: its
parser guesses month-first on ``03/07/2020``, while Vietnamese pages are always
day-first. We take the date nearest above the body, because portal headers
often show today's date ("Thứ Hai, 22/11/2026") far above the article's own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import lxml.html
import trafilatura

from archive.dates import parse_vn_datetime
from archive.normalise import drop_volatile_lines, normalise_line, normalise_text
from crawler.extract import Body, attachments, element_text, extract_body, images, lead_of

logger = logging.getLogger(__name__)

MIN_BODY_CHARS = 80


@dataclass
class Extracted:
    title: str
    published_at: datetime | None
    lead: str
    body: Body


def extract_generic(html: str, url: str) -> Extracted | None:
    """Title, date and body of an article page of unknown structure; None if no article text is found."""
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True, favor_precision=True
    )
    text = normalise_text(drop_volatile_lines(getattr(doc, "text", None) or "")) if doc else ""
    if len(text) < MIN_BODY_CHARS:
        return None
    root = lxml.html.document_fromstring(html)
    title = _title(root, getattr(doc, "title", None))
    body = _body_from_text(text, root, url)
    return Extracted(title=title, published_at=_date_above(root, text), lead=lead_of(body.text), body=body)


def _body_from_text(text: str, root: lxml.html.HtmlElement, url: str) -> Body:
    container = _container_of(root, text)
    if container is not None and (body := extract_body(container, url)) is not None:
        return body
    paragraphs = text.split("\n\n")
    return Body(text=text, html="".join(f"<p>{p}</p>" for p in paragraphs), images=images(root, url),
                attachments=attachments(root, url))


def _container_of(root: lxml.html.HtmlElement, text: str) -> lxml.html.HtmlElement | None:
    """The smallest element holding the first and last paragraph trafilatura found."""
    paragraphs = text.split("\n\n")
    first, last = paragraphs[0][:60], paragraphs[-1][:60]
    best = None
    for node in root.iter():
        if not isinstance(node.tag, str) or node.tag in ("html", "body"):
            continue
        own = element_text(node)
        if first in own and last in own and (best is None or len(own) < len(element_text(best))):
            best = node
    return best


def _title(root: lxml.html.HtmlElement, found: str | None) -> str:
    for xpath in ("//h1", "//meta[@property='og:title']/@content", "//title"):
        hits = root.xpath(xpath)
        if hits:
            value = hits[0] if isinstance(hits[0], str) else element_text(hits[0])
            if normalise_line(value):
                return normalise_line(value)
    return normalise_line(found or "")


def _date_above(root: lxml.html.HtmlElement, body_text: str) -> datetime | None:
    page = element_text(root.body if root.body is not None else root)
    start = page.find(body_text[:40])
    above = page[:start] if start > 0 else page
    for line in reversed(above.splitlines()):
        if found := parse_vn_datetime(line):
            return found
    return None
