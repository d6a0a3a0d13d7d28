"""The generic extractor: for portals with no family class, and for family pages
whose selectors find no body (a template nobody here has seen).

trafilatura finds the main text. The date is ours, not trafilatura's: its
parser guesses month-first on ``03/07/2020``, while Vietnamese pages are always
day-first. We take the date nearest above the body, because portal headers
often show today's date ("Thứ Hai, 22/11/2026") far above the article's own.
"""

from __future__ import annotations

import logging
from html import escape
from dataclasses import dataclass
from datetime import datetime

import lxml.html
import trafilatura

from archive.dates import parse_vn_datetime
from archive.normalise import is_volatile_line, normalise_line, normalise_text
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
    lines = [line for line in normalise_text(getattr(doc, "text", None) or "").split("\n") if line] if doc else []
    lines = [line for line in lines if not is_volatile_line(line)]
    if sum(len(line) for line in lines) < MIN_BODY_CHARS:
        return None
    root = lxml.html.document_fromstring(html)
    # trafilatura often keeps the page's own title and date line as the first lines.
    container = _container_of(root, lines)
    title = _title(root, container, getattr(doc, "title", None))
    if lines and normalise_line(lines[0]) == title:
        lines = lines[1:]
    published_at = None
    for i, line in enumerate(lines[:2]):
        if len(line) <= 60 and (published_at := parse_vn_datetime(line)):
            lines = lines[:i] + lines[i + 1 :]
            break
    body = extract_body(container, url) if container is not None else None
    if body is None:
        body = Body(text="\n\n".join(lines), html="".join(f"<p>{escape(line)}</p>" for line in lines),
                    images=images(root, url), attachments=attachments(root, url))
    published_at = published_at or _date_above(root, body.text)
    return Extracted(title=title, published_at=published_at, lead=lead_of(body.text), body=body)


def _container_of(root: lxml.html.HtmlElement, lines: list[str]) -> lxml.html.HtmlElement | None:
    """The smallest element holding the last line and a body line near the top
    (not the title or date, which may sit outside the body element)."""
    if not lines:
        return None
    probe = [line[:60] for line in (lines[2:3] or lines[:1])]
    last = lines[-1][:60]
    best, best_size = None, 0
    for node in root.iter():
        if not isinstance(node.tag, str) or node.tag in ("html", "body", "head"):
            continue
        own = element_text(node)
        if last in own and all(p in own for p in probe) and (best is None or len(own) < best_size):
            best, best_size = node, len(own)
    return best


def _title(root: lxml.html.HtmlElement, container: lxml.html.HtmlElement | None, found: str | None) -> str:
    """The heading nearest above the body; else og:title, trafilatura's title, <title>."""
    nearest = ""
    for node in root.iter():
        if node is container:
            break
        if isinstance(node.tag, str) and node.tag in ("h1", "h2", "h3"):
            text = normalise_line(element_text(node))
            if len(text) >= 10:
                nearest = text
    if nearest and container is not None:
        return nearest
    for candidate in (*root.xpath("//meta[@property='og:title']/@content"), found, *root.xpath("//title/text()")):
        if candidate and normalise_line(candidate):
            return normalise_line(candidate)
    return nearest


def _date_above(root: lxml.html.HtmlElement, body_text: str) -> datetime | None:
    page = element_text(root.body if root.body is not None else root)
    start = page.find(body_text[:40])
    above = page[:start] if start > 0 else page
    for line in reversed(above.splitlines()):
        if found := parse_vn_datetime(line):
            return found
    return None
