"""Wayback CDX answers and URLs, as pure functions (no Scrapy, no I/O).

Two answer formats are read:

* the Internet Archive's ``output=json``: one JSON array of arrays, the first row the
  field names (``urlkey timestamp original mimetype statuscode digest length``); an
  empty ``[]`` when nothing matched; with ``showResumeKey=true`` a page cut at
  ``limit`` ends with an empty row and a one-element row holding the resume key;
* pywb's ``output=json``: one JSON object per line, with pywb's field names
  (``url``, ``mime``, ``status``) or the Internet Archive's.

Malformed rows or lines are skipped and counted (``CdxPage.skipped``); an answer in
which nothing at all can be read (an HTML error page, say) raises :class:`CdxError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

#: the Internet Archive's field names, and pywb's spellings of the same fields
_ALIASES = {"url": "original", "mime": "mimetype", "status": "statuscode"}
_TIMESTAMP = "%Y%m%d%H%M%S"


class CdxError(ValueError):
    """A CDX answer that is not one: the message says what arrived."""


@dataclass(frozen=True)
class CdxCapture:
    """One capture listed by a CDX server."""

    timestamp: str  # 14 digits, UTC, as the archive writes it
    original: str
    mimetype: str = ""
    statuscode: str = ""
    digest: str = ""

    @property
    def captured_at(self) -> datetime:
        return datetime.strptime(self.timestamp[:14].ljust(14, "0"), _TIMESTAMP).replace(tzinfo=UTC)

    def replay_url(self, replay: str) -> str:
        """The capture's bytes as archived (``id_``: no rewriting, no archive banner)."""
        return f"{replay.rstrip('/')}/{self.timestamp}id_/{self.original}"


@dataclass
class CdxPage:
    captures: list[CdxCapture] = field(default_factory=list)
    #: where the next page starts (Internet Archive paging); None on the last page
    resume_key: str | None = None
    #: rows or lines that could not be read
    skipped: int = 0


def parse_cdx(text: str) -> CdxPage:
    """The captures in a CDX answer, in either format (see the module docstring)."""
    stripped = text.strip()
    if not stripped:
        return CdxPage()
    if stripped.startswith("["):
        try:
            rows = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise CdxError(f"CDX answer is not valid JSON ({exc}): {_head(stripped)}") from None
        return _parse_rows(rows)
    return _parse_lines(stripped.splitlines())


def _parse_rows(rows: Any) -> CdxPage:
    """The Internet Archive's array of arrays."""
    if not isinstance(rows, list) or (rows and not isinstance(rows[0], list)):
        raise CdxError(f"CDX answer is not an array of arrays: {_head(json.dumps(rows))}")
    page = CdxPage()
    if not rows:
        return page
    names = [_ALIASES.get(str(n), str(n)) for n in rows[0]]
    body = rows[1:]
    if len(body) >= 2 and body[-2] == [] and isinstance(body[-1], list) and len(body[-1]) == 1:
        page.resume_key = str(body[-1][0])
        body = body[:-2]
    for row in body:
        capture = _capture(dict(zip(names, row, strict=True))) if isinstance(row, list) and len(row) == len(names) \
            else None
        _add(page, capture)
    return page


def _parse_lines(lines: list[str]) -> CdxPage:
    """pywb's JSON lines."""
    page = CdxPage()
    for line in filter(None, (raw.strip() for raw in lines)):
        try:
            fields = json.loads(line)
        except json.JSONDecodeError:
            fields = None
        row = {_ALIASES.get(str(k), str(k)): v for k, v in fields.items()} if isinstance(fields, dict) else None
        _add(page, _capture(row) if row is not None else None)
    if not page.captures and page.skipped:
        raise CdxError(f"no line of the CDX answer could be read ({page.skipped} lines): {_head(lines[0])}")
    return page


def _add(page: CdxPage, capture: CdxCapture | None) -> None:
    if capture is None:
        page.skipped += 1
    else:
        page.captures.append(capture)


def _capture(fields: dict[str, Any]) -> CdxCapture | None:
    timestamp, original = str(fields.get("timestamp") or ""), str(fields.get("original") or "")
    if not (timestamp.isdigit() and len(timestamp) >= 4 and original):
        return None
    return CdxCapture(
        timestamp=timestamp,
        original=original,
        mimetype=str(fields.get("mimetype") or ""),
        statuscode=str(fields.get("statuscode") or ""),
        digest=str(fields.get("digest") or ""),
    )


def _head(text: str) -> str:
    return repr(text[:120])


def cdx_query_url(cdx: str, domain: str, *, since: str | None, until: str | None, limit: int,
                  resume_key: str | None = None) -> str:
    """The CDX query listing every HTML page captured with status 200 on ``domain`` and its
    sub-domains, identical consecutive captures collapsed, in pages of ``limit``. No ``fl``: pywb
    drops the fields it names by the Internet Archive's names, and the default fields are enough."""
    params: list[tuple[str, str]] = [
        ("url", domain),
        ("matchType", "domain"),
        ("output", "json"),
        ("filter", "statuscode:200"),
        ("filter", "mimetype:text/html"),
        ("collapse", "digest"),
        ("limit", str(limit)),
        ("showResumeKey", "true"),
        # A deduplicated capture is listed as warc/revisit (status "-") unless resolved: without this an
        # A→B→A change loses its second A to the status filter.
        ("resolveRevisits", "true"),
    ]
    params += [(name, value) for name, value in (("from", since), ("to", until)) if value]
    if resume_key:
        params.append(("resumeKey", resume_key))
    return f"{cdx}?{urlencode(params)}"


#: what a refusing archive's answer names (the Internet Archive's Java exceptions), and what it means
_REFUSALS = {
    "AdministrativeAccessControlException": "Blocked Site Error (the archive excludes the site)",
    "RobotAccessControlException": "Blocked By Robots (the site's robots.txt excludes it)",
}


def refusal(status: int, body: str) -> str:
    """One line saying why a CDX listing was refused: ``HTTP 403, Blocked Site Error (…)``."""
    meaning = next((text for name, text in _REFUSALS.items() if name in body), None)
    if meaning is None:
        first = next((line.strip() for line in body.splitlines() if line.strip()), "")
        meaning = first[:120] or "no explanation"
    return f"HTTP {status}, {meaning}"


def cdx_day(value: str | None) -> str | None:
    """``2015-01-01`` (or ``2015``, ``2015-01``, ``20150101…``) as a CDX ``from``/``to`` bound; None if
    unset. CDX servers read a short bound as a prefix, so ``to=20250630`` takes in the whole day."""
    if not value:
        return None
    digits = value.replace("-", "")
    dashed = "-" not in value or re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", value)
    if not dashed or not digits.isdigit() or len(digits) not in (4, 6, 8, 10, 12, 14):
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")
    if len(digits) >= 8:
        date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))  # refuses 2015-02-30
    return digits
