"""Backfilling from web-archive captures, and exporting the archive as WARC, end to end.

pywb (a real Wayback implementation) serves a WARC collection of the Minh Long fixture
portal captured at three times (tests/fixtures/wayback); ``scrapy crawl … -a
source=wayback`` backfills from it into SQLite and PostgreSQL. The Internet Archive's own
answers (JSON, paging, redirects, archived errors, throttling) are in test_wayback_ia.py.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

from archive.db import PROJECT_ROOT, make_engine
from archive.models import Article, Content, Snapshot, Version
from archive.store import snapshot_bytes
from tests.e2e.crawling import Crawl, crawl, last_run, query
from tests.fixtures.server import FixtureServer
from tests.fixtures.wayback import (
    EDITED,
    LIFERAY,
    NEW_WORDING,
    OLD_TITLE,
    OLD_WORDING,
    REMOVED,
    RETITLED,
    T1,
    T2,
    T3,
    WITH_FILE,
    Pywb,
    current_title,
    minhlong_history,
    write_warc,
)

SITE = "quangngai_minhlong"
QUICK = ["-s", "ARCHIVE_WAYBACK_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]


def backfill(db_url: str, *args: str, timeout: int = 180) -> Crawl:
    env = {**os.environ, "DATABASE_URL": db_url}
    argv = [sys.executable, "-m", "scrapy", "crawl", SITE, "-a", "source=wayback", *QUICK, *args]
    done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return Crawl(done.returncode, done.stdout + done.stderr)


@dataclass(frozen=True)
class Row:
    key: str
    number: int
    first_seen: datetime
    last_seen: datetime
    source: str
    capture_url: str | None
    fetched_at: datetime | None
    title: str
    body: str


def versions(db_url: str, url: str) -> list[Row]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(Article.source_key, Version.number, Version.first_seen_at, Version.last_seen_at,
                       Version.source, Snapshot.capture_url, Snapshot.fetched_at, Content.title, Content.body_text)
                .join(Version, Version.article_id == Article.id)
                .join(Content, Content.id == Version.content_id)
                .outerjoin(Snapshot, Snapshot.id == Version.snapshot_id)
                .where(Article.source_key.like(f"%/{url.rsplit('?', 1)[1]}"))
                .order_by(Version.number)
            )
            return [Row(*row) for row in rows]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pywb]:
    warc = tmp_path_factory.mktemp("warc") / "minhlong.warc.gz"
    with warc.open("wb") as out:
        write_warc(out, minhlong_history())
    with Pywb(warc) as pywb:
        yield pywb


@pytest.fixture(scope="module")
def portal() -> Iterator[FixtureServer]:
    with FixtureServer(LIFERAY) as server:
        yield server


def replays(pywb: Pywb) -> list[str]:
    """Raw-capture requests pywb has answered so far (its log)."""
    return [line for line in (pywb.root / "pywb.log").read_text(errors="replace").splitlines()
            if '"GET ' in line and "id_/" in line]


def capture_url(pywb: Pywb, at: datetime, url: str) -> str:
    return f"{pywb.base}/{at:%Y%m%d%H%M%S}id_/{url}"


def test_backfill_dates_versions_by_capture_time_and_resumes(archive: Pywb, db_url: str) -> None:
    result = backfill(db_url, "-a", f"wayback={archive.base}")
    assert result.returncode == 0, result.log[-3000:]
    run = last_run(db_url, SITE)
    assert run["status"] == "finished" and run["errors"] == 0, result.log[-3000:]
    assert (run["new_articles"], run["new_versions"]) == (7, 9), result.log[-3000:]
    # The registry marks Minh Long's Liferay site name [I]: learned from the captured URLs first.
    assert f"{SITE}: learned liferay_site=minhlong from {archive.base}/cdx?" in result.log, result.log[-3000:]

    edited = versions(db_url, EDITED)
    assert [(r.number, r.first_seen, r.last_seen) for r in edited] == [(1, T1, T1), (2, T2, T3)]
    assert OLD_WORDING in edited[0].body and NEW_WORDING in edited[1].body
    # Each snapshot is its version's earliest capture, whatever order the captures were fetched in.
    assert (edited[0].fetched_at, edited[0].capture_url) == (T1, capture_url(archive, T1, EDITED))
    assert (edited[1].fetched_at, edited[1].capture_url) == (T2, capture_url(archive, T2, EDITED))
    assert {r.source for r in edited} == {"wayback"}

    retitled = versions(db_url, RETITLED)
    assert [(r.title, r.first_seen) for r in retitled] == [(OLD_TITLE, T1), (current_title(RETITLED), T3)]
    # The T2 capture equal to T1's was collapsed; the 404 at T3 is no version and no removal.
    removed = versions(db_url, REMOVED)
    assert [(r.first_seen, r.last_seen) for r in removed] == [(T1, T1)]
    assert query(db_url, "SELECT status, missing_checks FROM article WHERE source_key LIKE '%/2511902'") == [("live", 0)]
    # The linked file came from the archive (captured at T1, asked for at the article's T2).
    assert query(db_url, "SELECT count(*) FROM attachment WHERE first_url LIKE '%Danh-sach-ho-ngheo-2023.doc%'") \
        == [(1,)]
    assert versions(db_url, WITH_FILE)[0].first_seen == T2

    # A second run: the archive's index is read again, no capture is fetched again, nothing added.
    fetched = len(replays(archive))
    result = backfill(db_url, "-a", f"wayback={archive.base}")
    run = last_run(db_url, SITE)
    assert (run["new_articles"], run["new_versions"]) == (0, 0), result.log[-3000:]
    assert len(replays(archive)) == fetched, replays(archive)[fetched:]
    assert "'archive/wayback_already_recorded': 10" in result.log, result.log[-3000:]


def test_backfill_merges_with_live_versions_in_time_order(archive: Pywb, portal: FixtureServer, db_url: str) -> None:
    assert crawl(SITE, portal.url, db_url).returncode == 0
    live_edited = versions(db_url, EDITED)
    assert [r.source for r in live_edited] == ["live"]
    now = live_edited[0].first_seen

    result = backfill(db_url, "-a", f"wayback={archive.base}", "-a", "since=2024-01-01", "-a", "until=2025-06-30")
    assert result.returncode == 0, result.log[-3000:]
    # The older wording becomes version 1; the live version, equal to the T2 and T3 captures, reaches back to T2.
    edited = versions(db_url, EDITED)
    assert [(r.number, r.source, r.first_seen) for r in edited] == [(1, "wayback", T1), (2, "live", T2)]
    assert edited[1].last_seen == now and edited[1].capture_url is None
    retitled = versions(db_url, RETITLED)
    assert [(r.source, r.title, r.first_seen) for r in retitled] == [
        ("wayback", OLD_TITLE, T1), ("live", current_title(RETITLED), T3)]
    # A capture equal to the live page adds no version: the version is seen earlier.
    assert [(r.source, r.first_seen) for r in versions(db_url, REMOVED)] == [("live", T1)]
    run = last_run(db_url, SITE)
    assert (run["new_articles"], run["new_versions"]) == (0, 2), result.log[-3000:]
    assert query(db_url, "SELECT count(*) FROM article_event") == [(0,)]


def test_exported_warc_replays_the_stored_bytes(archive: Pywb, portal: FixtureServer, db_url: str,
                                                tmp_path: Path) -> None:
    assert crawl(SITE, portal.url, db_url).returncode == 0
    assert backfill(db_url, "-a", f"wayback={archive.base}").returncode == 0
    out = tmp_path / "minhlong.warc.gz"
    env = {**os.environ, "DATABASE_URL": db_url}
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "export-warc", "--site", SITE, str(out)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    stored = _snapshots(db_url)
    files = query(db_url, "SELECT DISTINCT ca.url, a.sha256 FROM content_attachment ca "
                          "JOIN attachment a ON a.id = ca.attachment_id JOIN version v ON v.content_id = ca.content_id "
                          "WHERE v.snapshot_id IS NOT NULL")
    assert files, "the fixture's article links a file"
    records = _records(out)
    assert records[0][0] == "warcinfo" and len(records) == len(stored) + len(files) + 1
    wayback = [r for r in records if r[3]]
    assert wayback and all(r[3].startswith(archive.base) for r in wayback)  # WARC-Source-URI
    # Each file follows the page that links it, tied to it by WARC-Concurrent-To.
    with out.open("rb") as stream:
        page_ids, tied = set(), []
        for record in ArchiveIterator(stream):
            if concurrent := record.rec_headers.get_header("WARC-Concurrent-To"):
                tied.append((record.rec_headers.get_header("WARC-Target-URI"), concurrent in page_ids,
                             record.rec_headers.get_header("WARC-Date")))
            elif record.rec_type == "response":
                page_ids.add(record.rec_headers.get_header("WARC-Record-ID"))
    assert sorted(url for url, _, _ in tied) == sorted(url for url, _ in files) and all(ok for _, ok, _ in tied)
    with Pywb(out) as replay:
        for url, fetched_at, body in stored:
            with urllib.request.urlopen(f"{replay.base}/{fetched_at:%Y%m%d%H%M%S}id_/{url}") as answer:
                assert answer.read() == body, url
        for url, when in {(url, when) for url, _, when in tied}:
            stamp = when.replace("-", "").replace("T", "").replace(":", "").rstrip("Z")
            with urllib.request.urlopen(f"{replay.base}/{stamp}id_/{url}") as answer:
                digest = hashlib.sha256(answer.read()).hexdigest()
            assert (url, digest) in files, url


def test_a_backfill_from_the_exported_warc_gives_the_same_archive(archive: Pywb, db_url: str, tmp_path: Path) -> None:
    """The WARC round trip: backfill, export, backfill a fresh archive from the export through pywb."""
    assert backfill(db_url, "-a", f"wayback={archive.base}").returncode == 0
    out = tmp_path / "export.warc.gz"
    env = {**os.environ, "DATABASE_URL": db_url}
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "export-warc", "--site", SITE, str(out)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}" if db_url.startswith("sqlite") else _fresh_pg(db_url)
    with Pywb(out) as replay:
        result = backfill(fresh, "-a", f"wayback={replay.base}")
    assert result.returncode == 0, result.log[-3000:]
    assert _archive_facts(fresh) == _archive_facts(db_url)


def _archive_facts(db_url: str) -> dict[str, list[tuple]]:
    """Articles, versions (number, first seen, content hash, snapshot time: to the second) and files."""
    return {
        "versions": query(db_url, "SELECT a.source_key, v.number, v.first_seen_at, c.content_hash, c.title, "
                                  "s.fetched_at FROM article a JOIN version v ON v.article_id = a.id "
                                  "JOIN content c ON c.id = v.content_id LEFT JOIN snapshot s ON s.id = v.snapshot_id "
                                  "ORDER BY a.source_key, v.number"),
        "files": query(db_url, "SELECT DISTINCT ca.url, at.sha256, at.size FROM content_attachment ca "
                               "JOIN attachment at ON at.id = ca.attachment_id ORDER BY ca.url"),
    }


def _fresh_pg(db_url: str) -> str:
    """Another database on the same PostgreSQL server."""
    from sqlalchemy import create_engine, text

    name = f"roundtrip_{os.getpid()}"
    engine = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        engine.dispose()
    return db_url.rsplit("/", 1)[0] + f"/{name}"


def _snapshots(db_url: str) -> list[tuple[str, datetime, bytes]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return [(s.url, s.fetched_at, snapshot_bytes(s)) for s in session.scalars(select(Snapshot))]
    finally:
        engine.dispose()


def _records(path: Path) -> list[tuple[str, str | None, str | None, str | None]]:
    with path.open("rb") as stream:
        return [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.rec_headers.get_header("WARC-Date"),
                 r.rec_headers.get_header("WARC-Source-URI")) for r in ArchiveIterator(stream)]
