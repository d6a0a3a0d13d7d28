"""Backfilling against a double of the Internet Archive that answers as the real one does
(tests/fixtures/wayback/fake_ia.py, after recorded real answers): a listed capture redirected to
another timestamp, an archived 429, the archive throttling, a revisit-only listing, a blocked domain."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest

from archive.db import PROJECT_ROOT
from tests.e2e.crawling import Crawl, crawl, last_run, query
from tests.e2e.test_wayback import SITE, backfill, versions
from tests.fixtures.server import FixtureServer
from tests.fixtures.wayback import (
    EDITED,
    FILE,
    LIFERAY,
    NEW_WORDING,
    OLD_WORDING,
    REMOVED,
    RETITLED,
    T1,
    T2,
    T3,
    WITH_FILE,
    page,
)
from tests.fixtures.wayback.fake_ia import InternetArchiveDouble, Memento
from tests.fixtures.wayback.recorded import ARCHIVED_429_BODY, ARCHIVED_429_ORIG

DOMAIN = "minhlong.quangngai.gov.vn"
#: EDITED's first capture: listed at T1, replayed through a 302 to its real time, three days earlier
T1_REAL = T1 - timedelta(days=3, hours=2, minutes=7, seconds=5)
#: RETITLED's listed timestamp whose nearest capture is a page the portal answered 429 then
ASKED_429 = T3 - timedelta(hours=2)
ARCHIVED_429_AT = ASKED_429 - timedelta(minutes=5)
OLD_BODY = page(EDITED, 1).replace(NEW_WORDING.encode(), OLD_WORDING.encode())


def stamp(at) -> str:  # type: ignore[no-untyped-def]
    return at.strftime("%Y%m%d%H%M%S")


def ia_backfill(db_url: str, ia: InternetArchiveDouble, *args: str) -> Crawl:
    return backfill(db_url, "-s", f"ARCHIVE_WAYBACK_CDX={ia.cdx}", "-s", f"ARCHIVE_WAYBACK_REPLAY={ia.replay}",
                    "-s", "ARCHIVE_WAYBACK_BACKOFF=0.5", *args)


def history() -> list[Memento]:
    return [
        Memento(EDITED, T1_REAL, OLD_BODY, listed_as=stamp(T1)),
        Memento(EDITED, T2, page(EDITED, 5)),
        # A→B→A: the third capture repeats the first byte for byte; the index deduplicated it
        Memento(EDITED, T3, OLD_BODY, revisit=True),
        Memento(RETITLED, T1, page(RETITLED, 2)),
        Memento(RETITLED, T3, page(RETITLED, 3), listed_as=stamp(ASKED_429)),
        Memento(RETITLED, ARCHIVED_429_AT, ARCHIVED_429_BODY, status=429, headers=ARCHIVED_429_ORIG),
    ]


@pytest.fixture
def ia() -> Iterator[InternetArchiveDouble]:
    with InternetArchiveDouble(history()) as double:
        yield double


def test_captures_are_dated_by_the_capture_served(ia: InternetArchiveDouble, db_url: str) -> None:
    result = ia_backfill(db_url, ia)
    assert result.returncode == 0, result.log[-3000:]
    edited = versions(db_url, EDITED)
    # Dated by Memento-Datetime, not by the listed T1; the listed capture URL is kept as where it was asked.
    assert [(r.number, r.first_seen, r.last_seen) for r in edited] == [(1, T1_REAL, T1_REAL), (2, T2, T2),
                                                                       (3, T3, T3)]
    assert OLD_WORDING in edited[0].body and NEW_WORDING in edited[1].body and OLD_WORDING in edited[2].body
    assert edited[0].fetched_at == T1_REAL and edited[0].capture_url == f"{ia.replay}{stamp(T1_REAL)}id_/{EDITED}"
    (headers, replay), = query(db_url, "SELECT headers, replay FROM snapshot WHERE capture_url = :u",
                               u=edited[0].capture_url)
    headers, replay = _json(headers), _json(replay)
    assert replay["asked"] == f"{ia.replay}{stamp(T1)}id_/{EDITED}"
    # The portal's own headers, not the archive's.
    assert headers["Server"] == "Apache-Coyote/1.1" and headers["Content-Type"].startswith("text/html")
    lower = {k.lower() for k in headers}
    assert not lower & {"memento-datetime", "link", "x-archive-src", "content-security-policy", "server-timing"}
    assert not any(k.startswith("x-archive") for k in lower), headers
    assert replay["headers"]["Memento-Datetime"] == "Mon, 29 Jan 2024 00:52:55 GMT"
    assert "X-Archive-Src" in replay["headers"] and replay["headers"]["Server"] == "nginx/1.15.8"

    # The archived 429 is history: asked once, never retried, no version.
    assert ia.statuses(f"{stamp(ASKED_429)}id_/") == [302]
    assert ia.statuses(f"{stamp(ARCHIVED_429_AT)}id_/") == [429]
    assert "Waiting" not in result.log and "waiting" not in result.log, result.log[-3000:]
    assert "'archive/wayback_archived_error': 1" in result.log, result.log[-3000:]
    assert [r.first_seen for r in versions(db_url, RETITLED)] == [T1]
    # Resolved revisits were asked for: the A→B→A capture is listed as what it repeats.
    assert all("resolveRevisits=true" in path for _, path, _ in ia.log if path.startswith("/cdx"))

    # A second run asks no capture again but the archived error (a refused page records nothing).
    before = len(ia.log)
    result = ia_backfill(db_url, ia)
    assert result.returncode == 0, result.log[-3000:]
    assert [path for _, path, _ in ia.log[before:] if "/web/" in path] == [
        f"/web/{stamp(ASKED_429)}id_/{RETITLED}", f"/web/{stamp(ARCHIVED_429_AT)}id_/{RETITLED}"]
    assert last_run(db_url, SITE)["new_versions"] == 0


def test_the_archive_throttling_is_waited_out(db_url: str) -> None:
    with FixtureServer(LIFERAY) as portal:
        assert crawl(SITE, portal.url, db_url).returncode == 0  # REMOVED is a known article
    mementos = [Memento(EDITED, T1, OLD_BODY), Memento(REMOVED, T1, page(REMOVED, 1)),
                Memento(RETITLED, T1, page(RETITLED, 2))]
    with InternetArchiveDouble(mementos) as ia:
        edited = f"{stamp(T1)}id_/{EDITED}"
        ia.fail_first(edited, (429, {"Retry-After": "1"}, b"slow down"), (429, {"Retry-After": "1"}, b""))
        ia.fail_first("resumeKey=", (503, {}, b"busy"))
        ia.fail_first(f"{stamp(T1)}id_/{REMOVED}", (404, {"Content-Type": "text/html"}, b"lost"))
        result = ia_backfill(db_url, ia, "-s", "ARCHIVE_WAYBACK_CDX_LIMIT=2")
    assert result.returncode == 0, result.log[-3000:]
    assert ia.statuses(edited) == [429, 429, 200]
    assert ia.statuses("resumeKey=") == [503, 200]  # the second page, after its resume key
    # The waits the code scheduled (a measured gap can shrink on a busy machine; the schedule cannot).
    waits = re.findall(r"Archive answered (HTTP \d+); waiting ([\d.]+) s", result.log)
    assert sorted(waits) == [("HTTP 429", "1.0"), ("HTTP 429", "1.0"), ("HTTP 503", "0.5")], waits
    assert [(r.source, r.first_seen) for r in versions(db_url, EDITED)][0] == ("wayback", T1)
    # The archive's 404 says nothing about the portal.
    assert query(db_url, "SELECT status, missing_checks FROM article WHERE source_key LIKE '%/2511902'") == [("live", 0)]


def test_a_refused_listing_fails_the_run(db_url: str) -> None:
    with InternetArchiveDouble(history(), blocked=["quangngai.gov.vn"]) as ia:
        result = ia_backfill(db_url, ia)
        assert ia.statuses("/cdx/") == [403]  # refused is final: not retried
    assert result.returncode == 0, result.log[-3000:]
    run = last_run(db_url, SITE)
    assert run["status"] == "failed", run
    assert "Blocked Site Error" in str(run["finish_reason"]) and DOMAIN in str(run["finish_reason"]), run
    env = {**os.environ, "DATABASE_URL": db_url}
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "check", SITE], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Blocked Site Error" in done.stdout, done.stdout + done.stderr


def test_an_unreachable_archive_fails_the_run(db_url: str) -> None:
    with InternetArchiveDouble([]) as ia:
        cdx = ia.cdx
    result = backfill(db_url, "-s", f"ARCHIVE_WAYBACK_CDX={cdx}", "-s", "ARCHIVE_WAYBACK_RETRIES=1",
                      "-s", "ARCHIVE_WAYBACK_BACKOFF=0.1")
    run = last_run(db_url, SITE)
    assert run["status"] == "failed" and "CDX listing" in str(run["finish_reason"]), (run, result.log[-2000:])


def _json(value: object) -> dict:
    return json.loads(value) if isinstance(value, str) else value  # type: ignore[return-value]


def test_bad_captures_are_reported_never_stored_never_retried(db_url: str) -> None:
    """A capture that is HTML where a file was expected, and a capture whose bytes are cut short."""
    login = b"<!DOCTYPE html><html><body><form>Dang nhap</form></body></html>"
    whole = page(REMOVED, 1)
    mementos = [Memento(WITH_FILE, T2, page(WITH_FILE, 2)), Memento(FILE, T1, login),
                Memento(REMOVED, T1, whole[: len(whole) * 6 // 10])]
    with InternetArchiveDouble(mementos) as ia:
        result = ia_backfill(db_url, ia)
        assert ia.statuses(f"id_/{FILE}") == [302, 200] and ia.statuses(f"id_/{REMOVED}") == [200], ia.log
    assert result.returncode == 0, result.log[-3000:]
    assert "the server answered with an HTML page instead of the file" in result.log, result.log[-3000:]
    assert query(db_url, "SELECT attachment_id FROM content_attachment WHERE url = :u", u=FILE) == [(None,)]
    assert query(db_url, "SELECT count(*) FROM attachment") == [(0,)]
    assert versions(db_url, REMOVED) == [] and "'archive/truncated': 1" in result.log, result.log[-3000:]
    assert [r.first_seen for r in versions(db_url, WITH_FILE)] == [T2]
