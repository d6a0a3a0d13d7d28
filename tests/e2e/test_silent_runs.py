"""Silence is never success: a crawl that reached nothing ends failed, and the summaries say why."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from archive.db import PROJECT_ROOT
from tests.e2e.crawling import last_run

SITE = "quangngai_minhlong"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: every connection is refused


def test_a_crawl_that_reached_nothing_fails_and_says_so(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {**os.environ, "DATABASE_URL": db_url}
    argv = [sys.executable, "-m", "crawler.cli", "crawl", SITE, "--mirror", f"http://127.0.0.1:{closed_port()}",
            "--log-dir", str(tmp_path), "-s", "RETRY_TIMES=1", "-s", "DOWNLOAD_DELAY=0"]
    done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 1, done.stdout + done.stderr
    run = last_run(db_url, SITE)
    assert run["status"] == "failed" and str(run["finish_reason"]).startswith("fetched nothing: "), run
    assert "ConnectionRefusedError" in str(run["finish_reason"]), run
    line = next(line for line in done.stdout.splitlines() if line.startswith(f"{SITE}: "))
    assert line.startswith(f"{SITE}: failed (fetched nothing: "), done.stdout
