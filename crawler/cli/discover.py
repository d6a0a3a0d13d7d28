"""``portal-archive discover DOMAIN [--cdx URL] [--json]``: what a web archive holds under a domain.

Hosts and sub-sites (vnPortal sname/sid pairs, Liferay site names) with their captured article
URLs and first and last capture dates, and each registry entry on the domain marked confirmed,
contradicted or unknown (crawler/discover.py, docs/registry.md). Needs no archive database.
Exit 0; 2 when the CDX server cannot be reached, refuses, or answers something else (one line).
"""

from __future__ import annotations

import argparse
import re
import sys

from crawler.discover import DiscoverError, as_json, as_text, discover, read_cdx, verdicts
from crawler.registry import RegistryError

_DOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("discover", help="hosts and sub-sites a web archive captured under a domain, "
                                        "held against the registry")
    p.add_argument("domain", metavar="DOMAIN", help="e.g. soctrang.gov.vn")
    p.add_argument("--cdx", help="a Wayback-compatible CDX endpoint (default: ARCHIVE_WAYBACK_CDX, the "
                                 "Internet Archive's; for pywb <collection URL>/cdx)")
    p.add_argument("--json", action="store_true", help="one JSON document instead of text")
    p.set_defaults(func=cmd_discover)


def cmd_discover(args: argparse.Namespace) -> int:
    domain = args.domain.strip().lower().removeprefix("www.")
    if not _DOMAIN.fullmatch(domain):
        print(f"error: {args.domain!r} is not a domain name (e.g. soctrang.gov.vn)", file=sys.stderr)
        return 2
    cdx = args.cdx or _default_cdx()
    if not cdx.startswith(("http://", "https://")):
        print(f"error: --cdx must be an http(s) URL, not {cdx!r}", file=sys.stderr)
        return 2
    try:
        found = discover(read_cdx(cdx, domain), domain)
        judged = verdicts(found)
    except (DiscoverError, RegistryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(as_json(found, judged) if args.json else "\n".join(as_text(found, judged)))
    return 0


def _default_cdx() -> str:
    from scrapy.utils.project import get_project_settings

    return str(get_project_settings().get("ARCHIVE_WAYBACK_CDX"))
