"""A wrong or unreachable DATABASE_URL: one line that names it, no password, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from archive.db import PROJECT_ROOT


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://archivist:s3cret-pw@127.0.0.1:1/archive", "not a url at all", "mysql://u:s3cret-pw@h/db"],
    ids=["unreachable", "garbage", "unsupported"],
)
@pytest.mark.parametrize("command", [["-m", "scrapy", "crawl", "quangngai"], ["-m", "crawler.cli", "migrate"]],
                         ids=["scrapy-crawl", "portal-archive"])
def test_bad_database_url(url: str, command: list[str]) -> None:
    done = subprocess.run([sys.executable, *command], cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": url},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "DATABASE_URL" in errors[0], done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "s3cret-pw" not in done.stdout + done.stderr
