"""``portal-archive``: one console script with thin subcommands.

Each module in COMMAND_MODULES adds its subcommands with ``register(sub)``;
the work itself lives in ``archive/`` and ``crawler/``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from archive.db import ArchiveDatabaseError, database_url, describe_failure
from crawler.cli.arguments import Parser, UsageError

COMMAND_MODULES = (
    "crawler.cli.crawl",
    "crawler.cli.schedule",
    "crawler.cli.query",
    "crawler.cli.health",
    "crawler.cli.warc",
    "crawler.cli.backfill",
    "crawler.cli.discover",
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="portal-archive", description="Archive of Vietnamese government portals")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # plugin chatter on every connection
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ArchiveDatabaseError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:  # failed mid-command: a corrupted page, the server gone
        print(f"error: {describe_failure(exc, database_url())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
