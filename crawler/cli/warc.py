"""``portal-archive export-warc [--site S] OUT.warc.gz``: the raw pages as a WARC file.

The work is in archive/warc.py (records) and archive/webarchive.py (reading snapshots
in batches); docs/web-archives.md says what a record holds.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Site
from archive.queries import reader_engine
from archive.warc import write_warc
from archive.webarchive import stored_pages

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("export-warc", help="the stored raw pages as a WARC file (gzipped records)")
    p.add_argument("out", type=Path, metavar="OUT.warc.gz", help="file to write ('-' for standard output)")
    p.add_argument("--site", help="only this site (a spider name, as in `scrapy list`)")
    p.set_defaults(func=export_warc)


def export_warc(args: argparse.Namespace) -> int:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    engine = reader_engine()
    try:
        with Session(engine) as session:
            if args.site and session.scalar(select(Site.id).where(Site.name == args.site)) is None:
                print(f"error: the archive holds no site {args.site!r}", file=sys.stderr)
                return 2
            count = _write(session, args.out, args.site)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"{count} pages written to {args.out}", file=sys.stderr)
    return 0


def _write(session: Session, out: Path, site: str | None) -> int:
    pages = stored_pages(session, site)
    options = {"software": "portal-archive", "description": f"raw pages of {site or 'every site'}"}
    if str(out) == "-":
        return write_warc(sys.stdout.buffer, pages, filename="stdout.warc.gz", **options)
    # Written beside the target and renamed: a failed export never leaves half a WARC under its name.
    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("wb") as stream:
            count = write_warc(stream, pages, filename=out.name, **options)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return count
