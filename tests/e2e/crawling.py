"""Helpers for end-to-end tests: real ``scrapy crawl`` processes against the
fixture portals on 127.0.0.1, into a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

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
