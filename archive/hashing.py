"""Content hashes: one article version, one hash, whatever bytes the portal sent.

A new version is stored only when the hash changes, so the hash must ignore what
a portal varies between fetches of an unchanged article (NFD vs NFC, entities,
NBSP, zero-width characters, blank ``<p>``, the offset a time is printed in,
the order attachments are listed in) and must see every change of a word.

The fields are normalised here rather than trusted to be, so hashing the
stored (already normalised) fields gives the hash of the capture they came
from. The hashed document is JSON with one key per field, so moving text
from the lead into the body is a change. Bump :data:`HASH_SCHEME` whenever
anything here or in :mod:`archive.normalise` changes what is hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime

from archive.dates import to_utc
from archive.normalise import normalise_line, normalise_text

__all__ = ["HASH_SCHEME", "content_hash", "normalised_content_hash", "sha256_hex"]

HASH_SCHEME = "v1"


def sha256_hex(data: bytes) -> str:
    """64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def content_hash(
    *,
    title: str,
    lead: str,
    body_text: str,
    author: str,
    published_at: datetime | None,
    attachment_digests: Iterable[str] = (),
) -> str:
    """sha256 (hex) of the canonical JSON form of one article version."""
    return normalised_content_hash(
        title=normalise_line(title),
        lead=normalise_text(lead),
        body_text=normalise_text(body_text),
        author=normalise_line(author),
        published_at=published_at,
        attachment_digests=attachment_digests,
    )


def normalised_content_hash(
    *,
    title: str,
    lead: str,
    body_text: str,
    author: str,
    published_at: datetime | None,
    attachment_digests: Iterable[str] = (),
) -> str:
    """:func:`content_hash` of fields that are already normalised the way the store
    keeps them (``normalise_line`` for title and author, ``normalise_text`` for lead
    and body), without normalising them again. Normalisation is idempotent, so this
    equals :func:`content_hash` of the same fields; anything else gives a wrong hash."""
    document = {
        "scheme": HASH_SCHEME,
        "title": title,
        "lead": lead,
        "body": body_text,
        "author": author,
        "published_at": _instant(published_at),
        "attachments": _digests(attachment_digests),
    }
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return sha256_hex(canonical.encode("utf-8"))


def _instant(published_at: datetime | None) -> str | None:
    """UTC to the second: portals print minutes or seconds, so sub-second noise
    from a parser or a database round trip must not make a new version."""
    if published_at is None:
        return None
    try:
        utc = to_utc(published_at)
    except ValueError as exc:
        raise ValueError(
            "published_at must be timezone-aware: the same wall time in Vietnam and in UTC "
            f"is seven hours apart, so a naive value cannot be hashed reproducibly ({exc})"
        ) from exc
    return utc.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _digests(digests: Iterable[str]) -> list[str]:
    """Sorted, unique, lowercase: listing order and duplicate links are page layout."""
    if isinstance(digests, str):
        raise TypeError("attachment_digests must be an iterable of digests, not one string")
    return sorted({d.strip().lower() for d in digests})
