"""The project's shared texts: ``../shared`` beside the project root.

Every checkout of this project has it there: a developer's worktree (``/work/wt14`` beside
``/work/shared``), and CI's fresh clone, which gets a copy of ``shared/`` beside it. The seed
texts in ``shared/seeds`` are the portals' own words, which fixture articles must quote verbatim.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.db import PROJECT_ROOT

SHARED = PROJECT_ROOT.parent / "shared"
SEEDS = SHARED / "seeds"


def seed(name: str) -> Path:
    """``shared/seeds/<name>``. The test is skipped, saying where it looked, only when no
    ``../shared`` is beside the project at all; a seed missing from it fails the test."""
    if not SHARED.is_dir():
        pytest.skip(f"no shared/ beside the project (looked for {SHARED})")
    path = SEEDS / name
    assert path.is_file(), f"seed text {path} is missing"
    return path
