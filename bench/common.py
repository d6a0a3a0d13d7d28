"""What every measure shares: the run's settings, databases, the portal server, result rows."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.portal import Portal
from bench.run import CrawlResult, run_crawl, scrapy_argv
from bench.sizes import Size
from tests.fixtures.server import FixtureServer
from tests.pg import fresh_database


@dataclass
class Row:
    measure: str
    what: str
    value: str
    target: str = ""
    ok: bool | None = None


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # markdown lines
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Bench:
    size: Size
    workdir: Path
    backends: tuple[str, ...]
    pg_admin: str | None = None

    @property
    def heavy_backends(self) -> tuple[str, ...]:
        """Backends of the measures that fill 100,000 articles (the size may leave some out)."""
        wanted = self.size.heavy_backends or self.backends
        return tuple(b for b in self.backends if b in wanted)

    @contextmanager
    def database(self, backend: str) -> Iterator[str]:
        """A new, empty archive database on ``backend``."""
        if backend == "sqlite":
            yield f"sqlite:///{self.workdir / f'archive-{uuid.uuid4().hex[:8]}.sqlite3'}"
            return
        assert self.pg_admin, "PostgreSQL was not started"
        with fresh_database(self.pg_admin) as url:
            yield url


@contextmanager
def serve(portal: Portal, latency: float = 0.0) -> Iterator[FixtureServer]:
    """The portal on 127.0.0.1; with ``latency``, every answer takes that many seconds
    (the server is threaded: waiting requests do not hold each other up)."""
    with FixtureServer() as server:
        portal.install(_Latent(server, latency) if latency else server)
        yield server


class _Latent:
    """A FixtureServer whose routes answer after a delay, as a remote portal does."""

    def __init__(self, server: FixtureServer, latency: float) -> None:
        self._server, self._latency = server, latency

    def route(self, key: str, handler: Any) -> None:
        def slow(*args: Any) -> Any:
            time.sleep(self._latency)
            return handler(*args)

        self._server.route(key, slow)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)


def crawl(
    portal: Portal,
    server: FixtureServer,
    database_url: str | None,
    settings: dict[str, str] | None = None,
    **args: str,
) -> tuple[CrawlResult, int]:
    """One crawl of ``portal`` (the bare spider when ``database_url`` is None), and how many
    requests the portal answered."""
    server.reset()
    if database_url is None:
        argv = scrapy_argv(
            spider=None,
            mirror=server.url,
            # the home page too when the site spider learns its identity there first: the same pages
            args={"start": portal.start_url(), "family": portal.family,
                  **({"home": portal.home_url()} if portal.identity_pages else {})},
            settings=settings,
        )
    else:
        argv = scrapy_argv(spider=portal.spider, mirror=server.url, args=args, settings=settings)
    result = run_crawl(argv, database_url=database_url)
    if errors := result.stats.get("log_count/ERROR"):
        raise RuntimeError(
            f"the crawl logged {errors} error(s); numbers from it would mislead:\n{result.log_tail}"
        )
    return result, len(server.requests)


def expected_pages(portal: Portal) -> int:
    """robots.txt, what the archive's first crawl learns the site's identity from (docs/registry.md;
    the bare spider fetches it too), every listing page, every article and file (on Liferay page 1
    twice: the pager's "Đầu" link)."""
    return 1 + portal.identity_pages + portal.listing_pages() + (portal.family == "liferay") + portal.n + portal.attachments()


def scalar(url: str, sql: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
