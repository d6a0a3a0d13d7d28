"""Helpers for end-to-end tests: real ``scrapy crawl`` processes against the
fixture portals on 127.0.0.1, into a real database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text

from archive.db import PROJECT_ROOT

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


@dataclass
class Crawl:
    returncode: int
    log: str


def crawl(site: str, mirror: str, db_url: str, *args: str, timeout: int = 180) -> Crawl:
    env = {**os.environ, "DATABASE_URL": db_url}
    argv = [sys.executable, "-m", "scrapy", "crawl", site, "-a", f"mirror={mirror}", *FAST, *args]
    done = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return Crawl(done.returncode, done.stdout + done.stderr)


def query(db_url: str, sql: str, **params: object) -> list[tuple]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def scalar(db_url: str, sql: str, **params: object) -> object:
    return query(db_url, sql, **params)[0][0]


def last_run(db_url: str, spider: str) -> dict[str, object]:
    rows = query(
        db_url,
        "SELECT status, finish_reason, new_articles, new_versions, unchanged, duplicates, fallbacks, errors "
        "FROM crawl_run WHERE spider = :spider ORDER BY id DESC LIMIT 1",
        spider=spider,
    )
    keys = ("status", "finish_reason", "new_articles", "new_versions", "unchanged", "duplicates", "fallbacks", "errors")
    return dict(zip(keys, rows[0], strict=True))


@contextmanager
def held_listings(portal: Any, site: str, timeout: float = 120) -> Iterator[threading.Event]:
    """The site's listing pages answer only once the yielded gate is set (at the latest when the
    block ends, or after ``timeout``): a crawl of the site stays in its crawl, holding its lease,
    for as long as a test needs. ``portal`` is a running tests.fixtures.server.FixtureServer."""
    gate = threading.Event()

    def held(method: str, key: str, body: bytes, headers: Any) -> tuple[int, dict[str, str], bytes]:
        gate.wait(timeout)
        route = portal.manifest_route(key)
        assert route is not None
        return 200, {"Content-Type": route.type}, route.file.read_bytes()

    listings = portal.keys(kind="listing", spider=site)
    for key in listings:
        portal.route(key, held)
    try:
        yield gate
    finally:
        gate.set()
        for key in listings:
            portal.unroute(key)
