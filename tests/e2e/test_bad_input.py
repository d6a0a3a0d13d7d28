"""Bad input, table-driven: every row one command given one bad input (issue #17).

Each row must end in its exit code, exactly one line on stderr that says the
true thing, no traceback anywhere, and no character run of the password in any
output or log record. Rows that read an archive run on SQLite and PostgreSQL
(on PostgreSQL the archive's URL carries the password, which the server's trust
authentication ignores, so every line printed about it is checked for leaks).

The CLI runs in-process (``crawler.cli.main(argv)``: the console script is
``sys.exit(main())``); ``scrapy crawl`` rows run as real processes, since what is
checked there is Scrapy's start-up before the spider exists.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from archive.db import PROJECT_ROOT, make_engine
from crawler.cli import main
from tests.e2e.test_queries import build_archive
from tests.pg import fresh_database

PASSWORD = "Kq7vZx3Tw"


def leaks(text_: str, secret: str = PASSWORD) -> list[str]:
    """Every run of 4 or more characters of the secret found in ``text_``."""
    runs = {secret[i:j] for i in range(len(secret)) for j in range(i + 4, len(secret) + 1)}
    return sorted(run for run in runs if run in text_)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- archives the rows run against


def corrupt_snapshot_table(path: Path) -> None:
    """Overwrite the start of one page of the ``snapshot`` table: damage in the middle of the file."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("SELECT max(pageno) FROM dbstat WHERE name = 'snapshot'").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xff" * 64)


def set_revision(url: str, revision: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


@dataclass
class Archives:
    """URLs of one backend: ``good`` an archive, the others broken in one way each."""

    good: str
    newer: str
    article: int
    files: Path | None = None  # SQLite only: where the broken files live


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def archives(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archives]:
    if request.param == "sqlite":
        root = tmp_path_factory.mktemp("bad-input")
        good, newer = root / "archive.sqlite3", root / "newer.sqlite3"
        ids = build_archive(f"sqlite:///{good}")
        build_archive(f"sqlite:///{newer}")
        set_revision(f"sqlite:///{newer}", "9999")
        yield Archives(f"sqlite:///{good}", f"sqlite:///{newer}", min(ids.values()), root)
        return
    admin = request.getfixturevalue("pg_admin_url")
    with fresh_database(admin) as good, fresh_database(admin) as newer:
        ids = build_archive(good)
        build_archive(newer)
        set_revision(newer, "9999")
        yield Archives(_with_password(good), _with_password(newer), min(ids.values()))


def _with_password(url: str) -> str:
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


# ---------------------------------------------------------------- the table

#: (id, DATABASE_URL, argv, exit code, what the one line says). In URLs and argv: {good}, {newer},
#: {files} (SQLite's broken files), {pw}, {closed} (a closed port), {article} (an article's id).
URL_ROWS = [
    ("pw-in-userinfo", "postgresql+psycopg://archivist:{pw}@127.0.0.1:{closed}/archive", ["status"], 2,
     "cannot open the archive database"),
    ("pw-in-query", "postgresql+psycopg://archivist@127.0.0.1:{closed}/archive?password={pw}", ["search", "x"], 2,
     "password=***"),
    ("pw-with-unescaped-at", "postgresql+psycopg://archivist:Kq7v@Zx3Tw@127.0.0.1:{closed}/archive", ["migrate"],
     2, "%40"),
    ("port-not-a-number", "postgresql+psycopg://archivist:{pw}@127.0.0.1:abc/archive", ["check"], 2,
     "port that is not a number"),
    ("driver-not-installed", "postgresql+psycopg2://archivist:{pw}@127.0.0.1/archive", ["history", "1"], 2,
     "psycopg2"),
    ("driver-unknown", "postgresql+nosuch://archivist:{pw}@127.0.0.1/archive", ["export"], 2, "driver"),
    ("not-a-url", "not a url {pw}", ["reindex"], 2, "not a database URL"),
    ("unsupported-backend", "mysql://archivist:{pw}@127.0.0.1/archive", ["diff", "1"], 2, "unsupported backend"),
    ("random-file", "sqlite:///{files}/random.sqlite3", ["check"], 2, "not a SQLite archive"),
    ("truncated-file", "sqlite:///{files}/truncated.sqlite3", ["status"], 2, "corrupted or truncated"),
    ("truncated-file-check", "sqlite:///{files}/truncated.sqlite3", ["check", "--deep"], 2,
     "corrupted or truncated"),
    ("corrupted-middle", "sqlite:///{files}/corrupt.sqlite3", ["check", "--deep"], 2,
     "damaged in table snapshot"),
    ("no-archive-yet", "sqlite:///{files}/nothing-here.sqlite3", ["history", "1"], 2, "no archive at"),
    ("read-only-reindex", "sqlite:///{files}/archive.sqlite3?mode=ro", ["reindex"], 2, "read-only"),
    ("immutable-migrate", "sqlite:///{files}/archive.sqlite3?immutable=1", ["migrate"], 2, "read-only"),
]

#: rows against a real archive, run on both backends
ARCHIVE_ROWS = [
    ("newer-schema-migrate", "{newer}", ["migrate"], 2, "does not know"),
    ("newer-schema-search", "{newer}", ["search", "dan van"], 2, "does not know"),
    ("newer-schema-status", "{newer}", ["status"], 2, "does not know"),
    ("limit-negative", "{good}", ["search", "dan", "--limit", "-1"], 2, "out of range"),
    ("limit-huge", "{good}", ["search", "dan", "--limit", "99999999999999999999"], 2, "out of range"),
    ("limit-not-a-number", "{good}", ["search", "dan", "--limit", "ten"], 2, "not a whole number"),
    ("search-empty-query", "{good}", ["search", "--", "-"], 2, ""),
    ("search-bad-date", "{good}", ["search", "dan", "--since", "2024-13"], 2, "--since"),
    ("search-unknown-site", "{good}", ["search", "dan", "--site", "nosuch"], 2, "nosuch"),
    ("history-huge-id", "{good}", ["history", "99999999999999999999"], 2, "no article"),
    ("history-id-past-int32", "{good}", ["history", "2147483648"], 2, "no article"),
    ("history-negative-id", "{good}", ["history", "-1"], 2, "no article"),
    ("diff-huge-id", "{good}", ["diff", "99999999999999999999"], 2, "no article"),
    ("diff-version-zero", "{good}", ["diff", "{article}", "0", "1"], 2, "0 is out of range"),
    ("diff-version-missing", "{good}", ["diff", "{article}", "1", "99"], 2, "there is no version 99"),
    ("diff-version-huge", "{good}", ["diff", "{article}", "99999999999"], 2, "out of range"),
    ("diff-three-versions", "{good}", ["diff", "{article}", "1", "2", "3"], 2, "at most two"),
    ("export-unknown-site", "{good}", ["export", "--site", "nosuch"], 2, "nosuch"),
    ("export-bad-format", "{good}", ["export", "--format", "xml"], 2, "invalid choice"),
    ("export-warc-unknown-site", "{good}", ["export-warc", "--site", "nosuch", "{tmp}/out.warc.gz"], 2, "nosuch"),
    ("export-warc-unwritable", "{good}", ["export-warc", "/nonexistent-dir/out.warc.gz"], 2, "cannot write"),
    ("check-unknown-site", "{good}", ["check", "nosuch"], 2, "unknown site"),
    ("crawl-unknown-site", "{good}", ["crawl", "nosuch"], 2, "unknown site"),
    ("crawl-mirror-closed", "{good}", ["crawl", "quangngai", "--mirror", "http://127.0.0.1:{closed}"], 2,
     "cannot be reached"),
    ("crawl-mirror-malformed", "{good}", ["crawl", "quangngai", "--mirror", "127.0.0.1:8000"], 2,
     "not an http:// or https:// URL"),
    ("crawl-concurrency-zero", "{good}", ["crawl", "quangngai", "--concurrency", "0"], 2, "out of range"),
    ("crawl-time-limit-huge", "{good}", ["crawl", "quangngai", "--time-limit", "99999999h"], 2,
     "longer than a year"),
    ("crawl-log-dir-unmakeable", "{good}", ["crawl", "quangngai", "--log-dir", "/proc/no-such-dir"], 2,
     "--log-dir"),
    ("schedule-log-dir-unmakeable", "{good}", ["schedule", "--once", "--log-dir", "/proc/no-such-dir"], 2,
     "--log-dir"),
    ("backfill-unknown-site", "{good}", ["backfill", "nosuch"], 2, "unknown site"),
    ("backfill-bad-date", "{good}", ["backfill", "quangngai", "--since", "2024-13-45"], 2, "not a date"),
    ("backfill-wayback-malformed", "{good}", ["backfill", "quangngai", "--wayback", "pywb:8080"], 2,
     "not an http:// or https:// URL"),
    ("backfill-wayback-closed", "{good}", ["backfill", "quangngai", "--wayback", "http://127.0.0.1:{closed}/c"], 2,
     "cannot be reached"),
    ("backfill-log-dir-unmakeable", "{good}", ["backfill", "quangngai", "--log-dir", "/proc/no-such-dir"], 2,
     "--log-dir"),
    ("run-mirror-bad-port", "{good}", ["run", "--mirror", "http://127.0.0.1:abc"], 2, "not a URL"),
    ("schedule-mirror-closed", "{good}", ["schedule", "--once", "--mirror", "http://127.0.0.1:{closed}"], 2,
     "cannot be reached"),
    ("schedule-bad-grace", "{good}", ["schedule", "--grace", "soon"], 2, "not a duration"),
    ("demo-bad-stagger", "{good}", ["demo", "--stagger=-5s"], 2, "not a duration"),
    ("browse-port-out-of-range", "{good}", ["browse", "--port", "70000"], 2, "out of range"),
    ("status-bad-option", "{good}", ["status", "--jsn"], 2, "unrecognized arguments"),
    ("no-such-command", "{good}", ["nosuch"], 2, "invalid choice"),
]


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    logs: str


def run_cli(argv: list[str], url: str, capsys: pytest.CaptureFixture[str],
            caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    monkeypatch.setenv("DATABASE_URL", url)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: the console script's sys.exit(main()) exits the same way
            code = int(exc.code or 0)
    out, err = capsys.readouterr()
    logs = "\n".join(
        f"{r.getMessage()} {caplog.handler.formatter.formatException(r.exc_info) if r.exc_info else ''}"
        for r in caplog.records
    )
    return Outcome(code, out, err, logs)


def check_outcome(outcome: Outcome, code: int, says: str) -> None:
    everything = outcome.out + outcome.err + outcome.logs
    lines = outcome.err.splitlines()
    assert outcome.code == code, everything[-3000:]
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.err[-3000:]
    assert says in lines[0], lines[0]
    assert "Traceback" not in everything, everything[-3000:]
    assert not leaks(everything), (leaks(everything), everything[-3000:])


def fill(value: str, archives: Archives | None, tmp_path: Path, closed: int) -> str:
    return value.format(
        pw=PASSWORD,
        closed=closed,
        tmp=tmp_path,
        files=archives.files if archives else "",
        good=archives.good if archives else "",
        newer=archives.newer if archives else "",
        article=archives.article if archives else 0,
    )


@pytest.mark.parametrize(("url", "argv", "code", "says"), [row[1:] for row in URL_ROWS],
                         ids=[row[0] for row in URL_ROWS])
def test_bad_database(url: str, argv: list[str], code: int, says: str, request: pytest.FixtureRequest,
                      tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite_files = "{files}" in url
    archives = request.getfixturevalue("sqlite_archives") if sqlite_files else None
    closed = closed_port()
    outcome = run_cli([fill(a, archives, tmp_path, closed) for a in argv], fill(url, archives, tmp_path, closed),
                      capsys, caplog, monkeypatch)
    check_outcome(outcome, code, says)


@pytest.mark.parametrize(("url", "argv", "code", "says"), [row[1:] for row in ARCHIVE_ROWS],
                         ids=[row[0] for row in ARCHIVE_ROWS])
def test_bad_argument(archives: Archives, url: str, argv: list[str], code: int, says: str, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    closed = closed_port()
    outcome = run_cli([fill(a, archives, tmp_path, closed) for a in argv], fill(url, archives, tmp_path, closed),
                      capsys, caplog, monkeypatch)
    check_outcome(outcome, code, says)


@pytest.fixture(scope="module")
def sqlite_archives(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archives]:
    """The SQLite archives alone, for the rows about files (whatever the backend parameter)."""
    root = tmp_path_factory.mktemp("bad-files")
    good = root / "archive.sqlite3"
    ids = build_archive(f"sqlite:///{good}")
    with sqlite3.connect(good) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root / "corrupt.sqlite3").write_bytes(good.read_bytes())
    corrupt_snapshot_table(root / "corrupt.sqlite3")
    (root / "random.sqlite3").write_bytes(os.urandom(20000))
    (root / "truncated.sqlite3").write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    yield Archives(f"sqlite:///{good}", "", min(ids.values()), root)


# ---------------------------------------------------------------- spider arguments: real `scrapy crawl` processes

#: (id, site, -a arguments, what the one error line says); DATABASE_URL carries the password in its query
SPIDER_ROWS = [
    ("mirror-closed-port", "quangngai", ["mirror=http://127.0.0.1:{closed}"], "cannot be reached"),
    ("mirror-malformed", "quangngai_minhlong", ["mirror=127.0.0.1:8000"], "not an http:// or https:// URL"),
    ("mirror-port-out-of-range", "baodongthap", ["mirror=http://127.0.0.1:99999"], "not a URL"),
    ("source-unknown", "quangngai", ["source=ftp"], "source must be one of"),
    ("since-not-a-date", "quangngai", ["source=wayback", "since=2024-13-45"], "since"),
    ("mirror-with-wayback", "quangngai", ["source=wayback", "mirror=http://127.0.0.1:{closed}"], "do not go together"),
    ("wayback-malformed", "quangngai", ["source=wayback", "wayback=pywb:8080"], "not an http:// or https:// URL"),
    ("wayback-closed-port", "quangngai", ["source=wayback", "wayback=http://127.0.0.1:{closed}/c"],
     "cannot be reached"),
    ("generic-no-start-url", "generic", [], "start_url"),
    ("until-not-a-date", "quangngai", ["source=wayback", "until=yesterday"], "until"),
    ("generic-bad-pattern", "generic", ["start_url=https://example.gov.vn/tin-tuc", "article_pattern=(unclosed"],
     "article_pattern"),
    ("generic-bad-site-name", "generic", ["start_url=https://example.gov.vn/tin-tuc", "article_pattern=/tin/",
                                          "site=Bad Name!"], "site"),
    ("generic-max-pages-negative", "generic", ["start_url=https://example.gov.vn/tin-tuc", "article_pattern=/tin/",
                                               "max_pages=-1"], "max_pages"),
]


def scrapy_crawl(site: str, arguments: list[str], db_url: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "scrapy", "crawl", site, *[x for a in arguments for x in ("-a", a)]]
    return subprocess.run(argv, cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": db_url},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("site", "arguments", "says"), [row[1:] for row in SPIDER_ROWS],
                         ids=[row[0] for row in SPIDER_ROWS])
def test_bad_spider_argument(sqlite_archives: Archives, site: str, arguments: list[str], says: str) -> None:
    closed = closed_port()
    # The password sits in the URL's query, which SQLite ignores: it must still never be printed.
    url = f"{sqlite_archives.good}?password={PASSWORD}"
    done = scrapy_crawl(site, [a.format(closed=closed) for a in arguments], url)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2, done.stderr[-3000:]
    assert len(errors) == 1 and says in errors[0], done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert not leaks(done.stdout + done.stderr)


def test_a_crawl_starts_no_remote_control(sqlite_archives: Archives, tmp_path: Path) -> None:
    """Scrapy 2.13+ starts an HTTP server that runs any Python code sent with its token; no crawl does."""
    server = subprocess.Popen([sys.executable, "-m", "tests.fixtures.server", "--port", "0"], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        mirror = server.stdout.readline().split()[3]
        done = scrapy_crawl("quangngai_minhlong", [f"mirror={mirror}"], f"sqlite:///{tmp_path / 'a.sqlite3'}")
    finally:
        server.terminate()
        server.wait()
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "scrapy.extensions.corestats.CoreStats" in log  # the list of enabled extensions was logged
    assert "RemoteControl" not in log and "Remote control" not in log
    assert "TelnetConsole" not in log


# ---------------------------------------------------------------- what must keep working


def test_read_only_archives_are_read(sqlite_archives: Archives, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """``mode=ro`` and ``immutable=1`` open a read-only archive; a plain reader writes nothing either:
    an archive in rollback-journal mode stays so, and no -wal file appears beside it."""
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(Path(sqlite_archives.good.removeprefix("sqlite:///")).read_bytes())
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    before = path.read_bytes()
    article = str(sqlite_archives.article)
    for url in (f"sqlite:///{path}?mode=ro", f"sqlite:///{path}?immutable=1", f"sqlite:///{path}"):
        for argv in (["search", "dan van"], ["history", article], ["diff", article], ["export"], ["status"],
                     ["check", "--deep"], ["export-warc", str(tmp_path / "out.warc.gz")]):
            outcome = run_cli(argv, url, capsys, caplog, monkeypatch)
            assert outcome.code in (0, 1), (url, argv, outcome.err)  # check: 1 is an unhealthy site, not an error
            assert "error" not in outcome.err, (url, argv, outcome.err)
    assert path.read_bytes() == before
    assert not path.with_name(path.name + "-wal").exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_check_deep_passes_a_whole_archive(archives: Archives, capsys: pytest.CaptureFixture[str],
                                           caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = run_cli(["check", "--deep", "--json"], archives.good, capsys, caplog, monkeypatch)
    assert outcome.code in (0, 1) and not outcome.err, outcome.err
    assert not leaks(outcome.out + outcome.err + outcome.logs)
