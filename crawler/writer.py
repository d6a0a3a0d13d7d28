"""The crawl's archive writer: where captures are stored, beside the crawl rather than inside it.

Scrapy runs a crawl on one thread, the reactor's. Storing a new article there (normalise, hash,
compress, index, five to eight SQL statements, commit) takes longer than everything else Scrapy
does with the page, and while it runs no response is read and no request is sent: at the
project's own concurrency a crawl lost 10–25 % of its pages per second to it (bench/ measure 1b).
A thread does not help: the store is Python under the GIL, and a second thread takes the
interpreter from the reactor instead of running beside it (measured, bench/findings.md).

So a crawl stores in a **writer process** of its own (``ProcessWriter``): one worker of a
``concurrent.futures.ProcessPoolExecutor``, started on the first capture (a crawl that finds
nothing new never starts it), which opens its own engine on the same ``DATABASE_URL`` and runs
:func:`archive.store.store_capture`, one transaction per capture, in the order the captures
came. The pipeline awaits each result, so Scrapy's own back-pressure (the scraper's
``SCRAPER_SLOT_MAX_ACTIVE_SIZE``) still bounds what waits to be stored, the stats count every
outcome, and the spider closes only when the last capture is stored. A writer that dies stops
the crawl with one line (:class:`WriterDied`); a store that fails is that item's error, with
the writer's traceback, as before.

The writer ignores SIGINT and SIGTERM: the crawl process decides when to stop (Scrapy's
graceful shutdown waits for the captures it has handed over). A crawl process killed outright
takes its writer with it (Linux's parent-death signal, SIGKILL; the store in progress rolls
back): a writer must never go on storing for a crawl whose lease is free to be taken over.

``InlineWriter`` stores on the reactor thread as before: for an in-memory SQLite archive (a
second process would open another, empty one), and with ``-s ARCHIVE_STORE_PROCESS=0`` (a
debugger, a profile of the whole pipeline in one process).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from archive import dburl
from archive.capture import ArticleCapture
from archive.db import make_engine, parse_url, session_factory
from archive.store import StoreResult, store_capture
from crawler.child import die_with_parent

logger = logging.getLogger(__name__)


#: the crawl's finish reason when its writer died (crawl_run.finish_reason; ``scrapy crawl`` exits 1)
WRITER_DIED = "archive writer died"


class WriterDied(RuntimeError):
    """The writer process ended while the crawl still had captures for it."""


class StoreFailed(RuntimeError):
    """A store failed in the writer with an exception that cannot cross the process boundary."""


class Writer(Protocol):
    async def store(self, capture: ArticleCapture, *, site_id: int, run_id: int | None) -> StoreResult: ...

    def close(self) -> None: ...


class InlineWriter:
    """Store on the calling thread, one transaction per capture."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    async def store(self, capture: ArticleCapture, *, site_id: int, run_id: int | None) -> StoreResult:
        with self.sessions.begin() as session:
            return store_capture(session, capture, site_id=site_id, run_id=run_id)

    def close(self) -> None:
        pass


class ProcessWriter:
    """Store in one writer process, in the order the captures are handed over."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fresh interpreter. The crawl process has threads (Scrapy's DNS pool, the
            # executor's own), and a fork would copy their locks and the crawl's open connections.
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_open_archive,
                initargs=(self.database_url, os.getpid()),
            )
        return self._pool

    async def store(self, capture: ArticleCapture, *, site_id: int, run_id: int | None) -> StoreResult:
        pool = self._start()
        try:
            future = pool.submit(_store, capture, site_id, run_id)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            raise WriterDied("the archive writer process died; captures not yet stored are lost to this run") from None

    def pid(self) -> int:
        """The writer process's pid (started if need be); waits for the writer to answer."""
        return int(self._start().submit(os.getpid).result())

    def close(self) -> None:
        """Let the writer finish what it holds and end (called when the crawl ends)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def writer_for(database_url: str, sessions: sessionmaker[Session], *, process: bool) -> Writer:
    """A writer process unless told otherwise or the archive exists only in this process's memory."""
    parsed = parse_url(database_url)
    in_memory = parsed.get_backend_name() == "sqlite" and dburl.sqlite_path(parsed) is None
    if process and not in_memory:
        return ProcessWriter(database_url)
    return InlineWriter(sessions)


# In the writer process.

_sessions: sessionmaker[Session] | None = None


def _open_archive(database_url: str, crawl_pid: int) -> None:
    global _sessions
    if not die_with_parent(signal.SIGKILL, crawl_pid):
        os._exit(1)  # the crawl died while this process started
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _sessions = session_factory(make_engine(database_url))
    logger.debug("archive writer %s open", os.getpid())


def _store(capture: ArticleCapture, site_id: int, run_id: int | None) -> StoreResult:
    assert _sessions is not None, "the writer process was not initialised"
    try:
        with _sessions.begin() as session:
            return store_capture(session, capture, site_id=site_id, run_id=run_id)
    except Exception as exc:
        try:
            pickle.dumps(exc)
        except Exception:
            # concurrent.futures would hand back a pickling error instead of this one.
            raise StoreFailed(f"{type(exc).__name__}: {exc}") from exc
        raise
