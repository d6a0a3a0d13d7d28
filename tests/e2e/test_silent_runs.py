"""Silence is never success: a crawl that reached nothing ends failed, and the summaries say why."""

from __future__ import annotations

import os
import subprocess
import sys

from archive.db import PROJECT_ROOT
from tests.e2e.crawling import last_run
from tests.fixtures.server import FixtureServer

SITE = "quangngai_minhlong"


def test_a_crawl_that_reached_nothing_fails_and_says_so(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": db_url}
    with FixtureServer() as empty:  # it answers, but 404 to every page: no page of the portal was fetched
        argv = [sys.executable, "-m", "crawler.cli", "crawl", SITE, "--mirror", empty.url,
                "--log-dir", str(tmp_path), "-s", "DOWNLOAD_DELAY=0"]
        done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 1, done.stdout + done.stderr
    run = last_run(db_url, SITE)
    assert run["status"] == "failed" and str(run["finish_reason"]).startswith("fetched nothing: "), run
    assert "HTTP 404" in str(run["finish_reason"]), run
    line = next(line for line in done.stdout.splitlines() if line.startswith(f"{SITE}: "))
    assert line.startswith(f"{SITE}: failed (fetched nothing: "), done.stdout
