"""A stored page made safe to look at: what a replay would show, with nothing that runs or loads.

The raw response of a version is the portal's page as received: its scripts,
trackers, frames, forms, stylesheets and images on the portal's servers. Shown
as is, opening it would run the portal's code and call the portal (or fail to,
offline). So, as a web-archive replay does, scripts, event handlers,
``javascript:`` links, frames, embeds, forms and ``<link>``/``<base>``/refresh
tags are removed, and every attribute or CSS ``url()`` that would load
something remote is dropped (an image leaves its alt text). The page is then
served with a Content-Security-Policy that forbids every load but inline style
and ``data:`` images, in a sandbox, so anything missed here still cannot run.
"""

from __future__ import annotations

import html
import logging
import re
from urllib.parse import urljoin

import lxml.html
from lxml_html_clean import Cleaner
from w3lib.encoding import html_to_unicode

logger = logging.getLogger(__name__)

#: how the stored page is served: nothing loads but inline style and data: images; no script at all
RAW_PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
)
_LOADING_ATTRIBUTES = ("src", "srcset", "lowsrc", "dynsrc", "background", "poster", "data", "codebase")
_CSS_URL = re.compile(r"url\s*\(\s*(['\"]?)(?!data:)[^)]*\1\s*\)", re.I)
_CSS_IMPORT = re.compile(r"@import[^;]*;?", re.I)
_BANNER = (
    '<div style="font:14px/1.4 sans-serif;background:#fff3cd;color:#3d2e00;padding:6px 10px;'
    'border-bottom:1px solid #d9c27a">{}</div>'
)
_CLEANER = Cleaner(
    scripts=True,
    javascript=True,
    comments=True,
    style=False,
    inline_style=False,
    links=True,
    meta=True,
    page_structure=False,
    processing_instructions=True,
    embedded=True,
    frames=True,
    forms=True,
    annoying_tags=True,
    remove_unknown_tags=False,
    safe_attrs_only=False,
)


def decode(body: bytes, headers: dict[str, str]) -> str:
    """The page's text, by its HTTP charset, else its meta charset, else a guess (as browsers do)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    _, text = html_to_unicode(content_type, body)
    return text


def safe_page(body: bytes, headers: dict[str, str], url: str, banner: str) -> str:
    """The stored page as HTML that neither runs nor loads anything; ``banner`` on top."""
    text = decode(body, headers)
    if not text.strip():
        return _document(banner, "")
    try:
        tree = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        logger.info("stored page of %s does not parse as HTML (%s); shown as text", url, exc)
        return _document(banner, f"<pre>{html.escape(text)}</pre>")
    _CLEANER(tree)
    _drop_remote_loads(tree, url)
    body_el = tree.find("body")
    if body_el is None:
        body_el = lxml.html.Element("body")
        tree.append(body_el)
    body_el.insert(0, lxml.html.fragment_fromstring(_BANNER.format(html.escape(banner))))
    head = tree.find("head")
    if head is None:
        head = lxml.html.Element("head")
        tree.insert(0, head)
    head.insert(0, lxml.html.Element("meta", charset="utf-8"))
    return "<!DOCTYPE html>\n" + str(lxml.html.tostring(tree, encoding="unicode"))


def _document(banner: str, inner: str) -> str:
    head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>'
    return f"{head}{_BANNER.format(html.escape(banner))}{inner}</body></html>"


def _drop_remote_loads(tree: lxml.html.HtmlElement, url: str) -> None:
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower().rsplit("}", 1)[-1]
        if tag == "base":
            element.drop_tree()
            continue
        for name in list(element.attrib):
            value = element.attrib[name]
            lowered = name.lower().rsplit("}", 1)[-1]
            if lowered in _LOADING_ATTRIBUTES and not value.strip().lower().startswith("data:"):
                element.attrib["data-archive-" + lowered] = value
                del element.attrib[name]
            elif lowered == "href" and tag in ("image", "img", "use", "feimage"):
                del element.attrib[name]  # SVG: these load what they point at
            elif lowered == "style":
                element.attrib[name] = _CSS_IMPORT.sub("", _CSS_URL.sub("none", value))
        if tag == "style" and element.text:
            element.text = _CSS_IMPORT.sub("", _CSS_URL.sub("none", element.text))
        if tag == "a" and element.get("href"):
            # A link is not a load; resolved, it says where it pointed on the portal.
            element.set("href", urljoin(url, element.get("href", "")))
        if tag == "img":
            element.set("class", (element.get("class", "") + " archive-image-not-loaded").strip())
