"""``portal-archive backfill``: every retired portal by default, one after another, a summary per
site, resumable; against the double of the Internet Archive (tests/fixtures/wayback/fake_ia.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from archive.db import PROJECT_ROOT
from crawler.schedules import retired_sites
from tests.e2e.crawling import query
from tests.fixtures.wayback import EDITED, RETITLED, T1, T2, T3, page
from tests.fixtures.wayback.fake_ia import InternetArchiveDouble, Memento


def run_backfill(db_url: str, ia: InternetArchiveDouble, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": db_url}
    argv = [sys.executable, "-m", "crawler.cli", "backfill", *args, "--log-dir", str(tmp_path / "logs"),
            "-s", f"ARCHIVE_WAYBACK_CDX={ia.cdx}", "-s", f"ARCHIVE_WAYBACK_REPLAY={ia.replay}",
            "-s", "ARCHIVE_WAYBACK_DELAY=0"]
    return subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=400)


def test_backfill_runs_site_after_site_says_why_and_resumes(db_url: str, tmp_path: Path) -> None:
    mementos = [Memento(EDITED, T1, page(EDITED, 1)), Memento(EDITED, T2, page(EDITED, 2)),
                Memento(RETITLED, T3, page(RETITLED, 3))]
    with InternetArchiveDouble(mementos, blocked=["soctrang.gov.vn"]) as ia:
        done = run_backfill(db_url, ia, tmp_path, "quangngai_minhlong", "soctrang")
        assert done.returncode == 1, done.stdout + done.stderr  # one of them failed
        summary = done.stdout.split("backfill summary:", 1)[1].splitlines()
        lines = {line.strip().split(":", 1)[0]: line.strip() for line in summary if line.strip()}
        assert set(lines) == {"quangngai_minhlong", "soctrang"}, done.stdout
        # EDITED's two captures have one content (counters differ): 3 fetched, 2 articles, 2 versions
        assert lines["quangngai_minhlong"] == ("quangngai_minhlong: finished: 3 captures listed, 3 fetched, "
                                               "2 new articles, 2 new versions, 0 failures"), done.stdout
        assert lines["soctrang"].startswith("soctrang: failed (CDX listing of soctrang.gov.vn: HTTP 403, "
                                            "Blocked Site Error"), done.stdout
        # One site after another: the runs never overlap.
        runs = query(db_url, "SELECT started_at, finished_at FROM crawl_run ORDER BY started_at")
        assert len(runs) == 2 and runs[0][1] <= runs[1][0], runs

        again = run_backfill(db_url, ia, tmp_path, "quangngai_minhlong", "--since", "2024-01-01")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "quangngai_minhlong: finished: 3 captures listed, 0 fetched, 0 new articles, 0 new versions" \
        in again.stdout, again.stdout


def test_without_sites_every_retired_portal_is_backfilled() -> None:
    from argparse import Namespace

    from crawler.cli.backfill import _sites

    retired = retired_sites()
    assert "quangngai_minhlong" in retired and "quangngai" not in retired
    assert _sites(Namespace(sites=[], retired=False)) == _sites(Namespace(sites=[], retired=True)) == retired


def test_backfill_refuses_bad_arguments(db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url}
    for args, message in ((["nosuch"], "unknown site(s) nosuch"), (["--since", "2015-02-30"], "not a date"),
                          (["quangngai_minhlong", "--retired"], "not both")):
        done = subprocess.run([sys.executable, "-m", "crawler.cli", "backfill", *args], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
