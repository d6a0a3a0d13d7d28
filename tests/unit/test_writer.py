"""The crawl's archive writer (crawler/writer.py): captures stored by a process of its own, in
order, with the same results as on the crawl's thread; its failures reach the crawl as errors,
never as silence; it dies with its crawl process and ignores the terminal's Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from archive.capture import ArticleCapture
from archive.models import Version
from archive.store import Outcome, StoreResult, ensure_site
from crawler.writer import InlineWriter, ProcessWriter, StoreFailed, Writer, WriterDied, writer_for
from tests.unit.test_store import T0, capture, site


def store(writer: Writer, cap: ArticleCapture, site_id: int) -> StoreResult:
    return asyncio.run(writer.store(cap, site_id=site_id, run_id=None))


@pytest.fixture
def site_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return ensure_site(session, site()).id


@pytest.fixture
def writer(db_url: str, engine: Engine) -> Iterator[ProcessWriter]:
    writer = ProcessWriter(db_url)
    yield writer
    writer.close()


def gone(pid: int, within: float = 30.0) -> bool:
    """True once ``pid`` has exited (a zombie counts: it runs no more), polled for up to ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_a_file_archive_gets_a_writer_process_and_an_in_memory_one_does_not(tmp_path: Path) -> None:
    sessions = sessionmaker()
    assert isinstance(writer_for(f"sqlite:///{tmp_path / 'a.sqlite3'}", sessions, process=True), ProcessWriter)
    assert isinstance(writer_for("postgresql+psycopg://u@127.0.0.1/a", sessions, process=True), ProcessWriter)
    assert isinstance(writer_for(f"sqlite:///{tmp_path / 'a.sqlite3'}", sessions, process=False), InlineWriter)
    # another process would open another, empty, in-memory database
    for memory in ("sqlite://", "sqlite:///:memory:", "sqlite:///file:a?mode=memory&uri=true"):
        assert isinstance(writer_for(memory, sessions, process=True), InlineWriter), memory


def test_the_writer_process_stores_in_order_what_the_crawl_thread_would(
    writer: ProcessWriter, site_id: int, sessions: sessionmaker[Session]
) -> None:
    assert writer.pid() != os.getpid()
    edited = "Chiều ngày 12/01/2023, Ban Thường vụ Huyện ủy tổ chức Hội nghị tổng kết."
    captures = [capture(), capture(at=T0 + timedelta(hours=1)), capture(edited, at=T0 + timedelta(days=1))]
    results = [store(writer, cap, site_id) for cap in captures]
    assert [r.outcome for r in results] == [Outcome.NEW_ARTICLE, Outcome.UNCHANGED, Outcome.NEW_VERSION]
    assert [r.version_number for r in results] == [1, 1, 2]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 2
    # the same captures on the crawl's thread, into the same archive: nothing new
    inline = InlineWriter(sessions)
    assert [store(inline, cap, site_id).outcome for cap in captures] == [Outcome.UNCHANGED] * 3


def test_captures_handed_over_together_are_stored_in_the_order_given(
    writer: ProcessWriter, site_id: int, sessions: sessionmaker[Session]
) -> None:
    texts = [f"Bản tin số {i}: Ban Thường vụ Huyện ủy tổ chức Hội nghị." for i in range(6)]

    async def all_at_once() -> list[StoreResult]:
        return list(await asyncio.gather(*(
            writer.store(capture(text, at=T0 + timedelta(hours=i)), site_id=site_id, run_id=None)
            for i, text in enumerate(texts)
        )))

    results = asyncio.run(all_at_once())
    assert [r.version_number for r in results] == [1, 2, 3, 4, 5, 6]
    assert results[0].outcome is Outcome.NEW_ARTICLE
    assert {r.outcome for r in results[1:]} == {Outcome.NEW_VERSION}


def test_a_failed_store_is_that_captures_error_and_the_writer_goes_on(writer: ProcessWriter, site_id: int) -> None:
    with pytest.raises((IntegrityError, StoreFailed)) as failed:
        store(writer, capture(), site_id + 1000)  # no such site: the foreign key refuses it
    # the writer's own traceback comes with it, for the crawl's log
    assert "store_capture" in "".join(str(failed.value.__cause__ or ""))
    assert store(writer, capture(), site_id).outcome is Outcome.NEW_ARTICLE


def test_a_killed_writer_is_an_error_not_silence(writer: ProcessWriter, site_id: int) -> None:
    assert store(writer, capture(), site_id).outcome is Outcome.NEW_ARTICLE
    pid = writer.pid()
    os.kill(pid, signal.SIGKILL)
    assert gone(pid)
    with pytest.raises(WriterDied, match="archive writer process died"):
        store(writer, capture(at=T0 + timedelta(hours=1)), site_id)


def test_ctrl_c_is_for_the_crawl_to_handle_not_the_writer(writer: ProcessWriter, site_id: int) -> None:
    pid = writer.pid()
    os.kill(pid, signal.SIGINT)
    os.kill(pid, signal.SIGTERM)
    assert store(writer, capture(), site_id).outcome is Outcome.NEW_ARTICLE
    assert writer.pid() == pid


CRAWL_PROCESS = textwrap.dedent("""
    import asyncio, sys, time
    from datetime import timedelta
    from crawler.writer import ProcessWriter
    from tests.unit.test_store import T0, capture
    writer, site_id = ProcessWriter(sys.argv[1]), int(sys.argv[2])
    print(writer.pid(), flush=True)
    asyncio.run(writer.store(capture(), site_id=site_id, run_id=None))
    print("stored", flush=True)
    sys.stdin.readline()
    edited = capture("Hội nghị tổng kết năm 2023 đã diễn ra.", at=T0 + timedelta(days=1))
    loop = asyncio.new_event_loop()
    storing = loop.create_task(writer.store(edited, site_id=site_id, run_id=None))
    loop.run_until_complete(asyncio.sleep(0.1))  # the task runs up to its await: the capture is handed over
    print("handed over", flush=True)
    time.sleep(600)
""")


def test_the_writer_dies_with_its_crawl_process(db_url: str, site_id: int, engine: Engine,
                                                sessions: sessionmaker[Session]) -> None:
    """A crawl killed outright must not leave a writer storing beside the crawl that takes its lease
    over: the capture it was handed is not stored after the kill, not even once the archive frees up."""
    crawl = subprocess.Popen([sys.executable, "-c", CRAWL_PROCESS, db_url, str(site_id)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    assert crawl.stdin is not None and crawl.stdout is not None
    with engine.connect() as holder:
        try:
            writer_pid = int(crawl.stdout.readline())
            assert crawl.stdout.readline().strip() == "stored"
            assert psutil.Process(writer_pid).ppid() == crawl.pid
            holder.begin()  # SQLite: BEGIN IMMEDIATE (archive/db.py); PostgreSQL: a table lock
            if engine.dialect.name == "postgresql":
                holder.execute(text("LOCK TABLE content IN EXCLUSIVE MODE"))
            crawl.stdin.write("go\n")
            crawl.stdin.flush()
            assert crawl.stdout.readline().strip() == "handed over"
            time.sleep(0.5)  # the writer takes the capture and waits for the archive
        finally:
            crawl.kill()
            crawl.wait()
        # the archive is still held: only the parent-death signal can end a writer stuck in a store
        assert gone(writer_pid), f"writer {writer_pid} outlived its crawl process"
        holder.rollback()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Version)) == 1
