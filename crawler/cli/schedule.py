"""Subcommands registered by crawler/cli/__init__.py (being written)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    return None
