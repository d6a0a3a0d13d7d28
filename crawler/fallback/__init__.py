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

from archive.dates import parse_vn_datetime as parse_page_date  # the old name; month names moved there
from crawler.fallback.reader import Extracted, extract_generic

__all__ = ["Extracted", "extract_generic", "parse_page_date"]
