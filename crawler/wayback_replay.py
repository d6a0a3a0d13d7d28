"""What a Wayback replay answer says, as pure functions (no Scrapy, no I/O).

Facts from recorded real answers of the Internet Archive (docs/web-archives.md,
"What the archive's answers mean"):

* a capture carries ``Memento-Datetime`` (its own time) and ``X-Archive-Src``;
  the portal's headers arrive prefixed ``X-Archive-Orig-``; the archive's own
  ``Server``, ``Content-Security-Policy``, ``Link``, ``Server-Timing`` … come with them;
* asked for a timestamp it cannot replay as is, the archive redirects to the
  nearest capture (another timestamp, days away) without ``Memento-Datetime``;
* an archived error (a portal's 429, 503, 404 of long ago) is replayed with its
  status *and* ``Memento-Datetime``: history, not the archive throttling us.

pywb replays in ``id_`` mode the stored headers as they are and adds its own
``Memento-Datetime`` and ``Link``: without ``X-Archive-Orig-`` headers the
portal's headers are the answer's minus the archive's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit, urlunsplit

MEMENTO_DATETIME = "memento-datetime"
ARCHIVE_SRC = "x-archive-src"
ORIG_PREFIX = "x-archive-orig-"
#: headers a Wayback server adds of its own (the Internet Archive's, pywb's); never the portal's
ARCHIVE_OWN = frozenset({
    MEMENTO_DATETIME, ARCHIVE_SRC, "link", "content-location", "preference-applied", "server-timing",
    "x-app-server", "x-ts", "x-tr", "x-rl", "x-na", "x-nid", "x-page-cache", "x-location", "x-cache-key",
    "permissions-policy", "referrer-policy",
})
#: a replay URL: ``…/<timestamp><mode>/<original>`` (mode ``id_``, ``im_``, … or none)
_REPLAY = re.compile(r"/(\d{4,14})(?:[a-z]{2}_)?/(.+)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Replay:
    """One replay answer, read: when its capture was made, of which URL, and whose headers are whose."""

    #: the capture's own time (``Memento-Datetime``, else the served URL's timestamp); None if neither says
    captured_at: datetime | None
    #: the original URL of the capture served (after the archive's redirects); None if unreadable
    original: str | None
    #: the answer is an archived one (``Memento-Datetime`` or ``X-Archive-Src``), not the archive's own
    archived: bool
    portal_headers: dict[str, str]
    archive_headers: dict[str, str]


def read_replay(url: str, headers: Mapping[str, str]) -> Replay:
    """The replay answer at ``url`` (the final one, after redirects) with ``headers``."""
    lower = {k.lower(): v for k, v in headers.items()}
    parts = replay_parts(url)
    captured_at = http_date(lower.get(MEMENTO_DATETIME)) or (timestamp_time(parts[0]) if parts else None)
    portal, archive = split_headers(headers)
    return Replay(captured_at, parts[1] if parts else None, is_archived(headers), portal, archive)


def is_archived(headers: Mapping[str, str]) -> bool:
    """An answer that replays a capture (even of an error page), not one of the archive itself."""
    names = {k.lower() for k in headers}
    return MEMENTO_DATETIME in names or ARCHIVE_SRC in names


def split_headers(headers: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(the portal's headers, the archive's headers) of a replay answer."""
    orig = {k[len(ORIG_PREFIX):]: v for k, v in headers.items() if k.lower().startswith(ORIG_PREFIX)}
    if orig:
        # The Internet Archive: every portal header is prefixed; the body's type is the capture's.
        archive = {k: v for k, v in headers.items() if not k.lower().startswith(ORIG_PREFIX)}
        if not any(k.lower() == "content-type" for k in orig):
            orig.update((k, v) for k, v in headers.items() if k.lower() == "content-type")
        return _canonical(orig), archive
    portal = {k: v for k, v in headers.items()
              if k.lower() not in ARCHIVE_OWN and not k.lower().startswith("x-archive")}
    archive = {k: v for k, v in headers.items() if k not in portal}
    return portal, archive


def _canonical(headers: dict[str, str]) -> dict[str, str]:
    # "x-archive-orig-content-type" (lower case on the wire since 2022) as "Content-Type"
    return {"-".join(part.capitalize() for part in k.split("-")): v for k, v in headers.items()}


def replay_parts(url: str) -> tuple[str, str] | None:
    """(timestamp, original URL) of a replay URL, or None. A scheme-less original reads as http."""
    found = _REPLAY.search(urlsplit(url)._replace(scheme="", netloc="").geturl())
    if found is None:
        return None
    timestamp, original = found.groups()
    if not re.match(r"https?:", original):
        original = "http://" + original
    original = re.sub(r"^(https?):/(?!/)", r"\1://", original)  # some servers fold "//" to "/"
    return timestamp, original


def timestamp_time(timestamp: str) -> datetime:
    """A Wayback timestamp (14 digits or a prefix, UTC) as a time."""
    return datetime.strptime(timestamp[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def without_default_port(url: str) -> str:
    """``http://host:80/page`` as ``http://host/page``: CDX listings keep the default port the crawler saw."""
    parts = urlsplit(url)
    if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme) == parts.port:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))
    return url
