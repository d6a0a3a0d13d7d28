"""Filling an archive fast with realistic rows (SQLAlchemy core, batched), so the store can be
timed against 1,000 and 100,000 archived articles without crawling them all.

Each filler article has one version, one content (title, lead, a 2-5 KB body and its HTML,
author, date), one URL, one snapshot row and its search-index row when the schema has one.
Snapshot bodies are a short stand-in blob: their size does not change what a lookup costs,
and 100,000 real compressed pages would be gigabytes.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, inspect, text

from archive.hashing import HASH_SCHEME
from archive.models import Article, ArticleUrl, Content, Snapshot, Version
from bench.text import Writer

BATCH = 2000
FILLER_ID = 9_000_000  # articleIds of filler rows; the synthetic portals use 1.8M+


class Filler:
    def __init__(
        self, engine: Engine, *, site_id: int, run_id: int, host: str, site: str, seed: int = 7
    ) -> None:
        self.engine, self.site_id, self.run_id, self.host, self.site = engine, site_id, run_id, host, site
        w = Writer(seed)
        self.paragraphs = [w.paragraph() for _ in range(400)]
        self.titles = [w.title(2015 + i % 11) for i in range(400)]
        self.rng = random.Random(seed)
        self.search = self._search_columns()
        if self.search:
            from archive.search import index_text

            self.folded = [index_text(p) for p in self.paragraphs]
            self.folded_titles = [index_text(t) for t in self.titles]

    def _search_columns(self) -> bool:
        """Whether the schema has a search index that archive.search can fill in batches."""
        import archive.search as search

        names = inspect(self.engine).get_table_names()
        return "search_index" in names and hasattr(search, "add_to_index") and hasattr(search, "index_values")

    def add(self, start: int, stop: int) -> None:
        """Filler articles ``start`` .. ``stop - 1``."""
        with self.engine.begin() as connection:
            for first in range(start, stop, BATCH):
                self._batch(connection, range(first, min(first + BATCH, stop)))
            if self.engine.dialect.name == "postgresql":  # ids were given explicitly: move the sequences on
                for table in ("article", "article_url", "content", "version", "snapshot"):
                    sequence = f"pg_get_serial_sequence('{table}', 'id')"
                    connection.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))

    def _batch(self, connection: Connection, serials: range) -> None:
        rows = list(self._rows(serials))
        base = connection.execute(text("SELECT coalesce(max(id), 0) FROM article")).scalar_one()
        cbase = connection.execute(text("SELECT coalesce(max(id), 0) FROM content")).scalar_one()
        sbase = connection.execute(text("SELECT coalesce(max(id), 0) FROM snapshot")).scalar_one()
        vbase = connection.execute(text("SELECT coalesce(max(id), 0) FROM version")).scalar_one()
        ubase = connection.execute(text("SELECT coalesce(max(id), 0) FROM article_url")).scalar_one()
        for k, row in enumerate(rows, start=1):
            row["article"]["id"] = row["url"]["article_id"] = row["version"]["article_id"] = base + k
            row["content"]["id"] = row["version"]["content_id"] = cbase + k
            row["snapshot"]["id"] = row["version"]["snapshot_id"] = sbase + k
            row["version"]["id"], row["url"]["id"] = vbase + k, ubase + k
        for model, key in (
            (Article, "article"),
            (Content, "content"),
            (Snapshot, "snapshot"),
            (Version, "version"),
            (ArticleUrl, "url"),
        ):
            connection.execute(insert(model), [row[key] for row in rows])
        if self.search:
            self._index(connection, rows)

    def _index(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        # The search module's own batch API; the text is folded already (folding is idempotent), so
        # index_values does little work here.
        from archive.search import add_to_index, index_values

        add_to_index(connection, [index_values(r["content"]["id"], **r["folded"]) for r in rows])

    def _rows(self, serials: range) -> Iterator[dict[str, Any]]:
        r = self.rng
        for serial in serials:
            aid = FILLER_ID + serial
            url = (
                f"https://{self.host}/web/{self.site}/xem-chi-tiet/-/asset_publisher/Content/tin-{aid}?{aid}"
            )
            seen = datetime(2025, 7, 1, tzinfo=UTC) + timedelta(seconds=serial)
            published = seen - timedelta(days=r.randint(1, 3800))
            picks = r.sample(range(len(self.paragraphs)), r.randint(3, 6))
            lead, body = self.paragraphs[picks[0]], [self.paragraphs[i] for i in picks[1:]]
            body_text = "\n\n".join([lead, *body, f"Mã tin {aid}."])
            t = r.randrange(len(self.titles))
            yield {
                "article": {
                    "site_id": self.site_id,
                    "source_key": f"{self.host}/{self.site}/{aid}",
                    "canonical_url": url,
                    "status": "live",
                    "first_seen_at": seen,
                    "last_seen_at": seen,
                    "next_check_at": seen + timedelta(days=180),
                },
                "url": {"url": url, "first_seen_at": seen, "last_seen_at": seen},
                "content": {
                    "content_hash": hashlib.sha256(f"filler-{aid}".encode()).hexdigest(),
                    "hash_scheme": HASH_SCHEME,
                    "title": self.titles[t],
                    "lead": lead,
                    "body_text": body_text,
                    "body_html": "".join(f"<p>{p}</p>" for p in body_text.split("\n\n")),
                    "author": "Văn Tâm",
                    "published_at": published,
                    "images": [],
                    "created_at": seen,
                },
                "snapshot": {
                    "url": url,
                    "fetched_at": seen,
                    "status": 200,
                    "headers": {},
                    "body_sha256": hashlib.sha256(f"page-{aid}".encode()).hexdigest(),
                    "body_size": 80_000,
                    "compression": "zlib",
                    "body": r.randbytes(256),
                    "source": "live",
                    "crawl_run_id": self.run_id,
                },
                "version": {
                    "number": 1,
                    "crawl_run_id": self.run_id,
                    "url": url,
                    "extraction": "family",
                    "source": "live",
                    "first_seen_at": seen,
                    "last_seen_at": seen,
                },
                "folded": self._folded(t, picks, aid) if self.search else {},
            }

    def _folded(self, title: int, picks: list[int], aid: int) -> dict[str, str]:
        return {
            "title": self.folded_titles[title],
            "lead": self.folded[picks[0]],
            "body": " ".join([*(self.folded[i] for i in picks), f"ma tin {aid}"]),
        }
