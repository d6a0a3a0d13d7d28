"""One archive handle per crawl: one engine, one session factory, shared by every component.

The pipeline, the incremental walk, removal and the web-archive backfill all read or
write the archive during one crawl. Each used to open its own engine (three or four
connection pools to one SQLite file or PostgreSQL server per crawl); they now share
the one made here on first use and disposed when the crawl's engine stops.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from scrapy import signals
from scrapy.crawler import Crawler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from archive.db import make_engine, session_factory
from crawler.config import archive_config


@dataclass(frozen=True)
class ArchiveHandle:
    engine: Engine
    sessions: sessionmaker[Session]


_handles: weakref.WeakKeyDictionary[Crawler, ArchiveHandle] = weakref.WeakKeyDictionary()


def archive_handle(crawler: Crawler) -> ArchiveHandle:
    """The crawl's handle on the archive (``DATABASE_URL``), made on first use."""
    if crawler not in _handles:
        engine = make_engine(archive_config(crawler).database_url)
        _handles[crawler] = ArchiveHandle(engine, session_factory(engine))
        crawler.signals.connect(engine.dispose, signal=signals.engine_stopped, weak=False)
    return _handles[crawler]
