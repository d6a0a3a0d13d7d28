"""Argument types that refuse what cannot be meant, so a bad value is one line before any work.

A number reaches SQL only inside the range its column holds: the archive's ids are
32-bit integers on PostgreSQL, and an id or ``--limit`` beyond that was a traceback
with SQL text on PostgreSQL and an ``OverflowError`` on SQLite.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from archive.queries import MAX_ID

#: the longest duration an option takes: a year (timers overflow on absurd values)
MAX_SECONDS = 366 * 24 * 3600.0


class UsageError(Exception):
    """A wrong argument or a request that cannot be met: one line on stderr, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with a bad argument said in one line (argparse prints the usage above it)."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An int type that takes only ``low``..``high``."""

    def convert(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range: give {low} to {high}")
        return value

    convert.__name__ = "whole number"  # argparse names the type in its messages
    return convert


limit = whole_number(1, 100_000)
version_number = whole_number(1, MAX_ID)
port = whole_number(1, 65_535)
concurrency = whole_number(1, 64)


def bounded_seconds(seconds: float) -> float:
    if seconds > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{seconds:.0f}s is longer than a year")
    return seconds


def check_mirror(mirror: str | None, what: str = "mirror") -> None:
    """A mirror (or a pywb collection, ``what``) that does not answer is refused before any crawl starts."""
    from crawler.middlewares import mirror_unreachable

    if mirror and (problem := mirror_unreachable(mirror, what)):
        raise UsageError(problem)


def check_log_dir(path: Path) -> None:
    """The directory crawl logs go to exists (made if need be) and takes files: checked before any crawl."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--log-dir {path}: cannot create it ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--log-dir {path}: this user cannot write there")


def mirror_url(text: str) -> str:
    """``--mirror``: an http(s) URL with a host (and a numeric port, if any); see crawler/middlewares.py."""
    from crawler.middlewares import mirror_problem

    if problem := mirror_problem(text):
        raise argparse.ArgumentTypeError(problem)
    return text


def wayback_url(text: str) -> str:
    """``--wayback``: a pywb collection's URL, checked like a mirror's."""
    from crawler.middlewares import mirror_problem

    if problem := mirror_problem(text, "web archive"):
        raise argparse.ArgumentTypeError(problem)
    return text
