"""Search latency on a large synthetic archive, on SQLite and PostgreSQL.

    python -m bench.search_bench --articles 100000                     # SQLite, temporary file
    python -m bench.search_bench --articles 100000 --backend postgresql  # private PostgreSQL server
    python -m bench.search_bench --articles 300 --db-url URL --json      # an empty database of yours

Articles are written with bulk inserts (the store's per-capture checks would
make building 100,000 of them the slow part), and indexed with the same
``archive.search.index_text`` the store uses. Their text is a bigram walk over
the fixture portals' Vietnamese, with place names, document numbers and set
phrases mixed in at realistic rates. Each query runs through
``archive.search.search`` (ranking, current-version join, snippets), the
function behind ``portal-archive search``; the report gives p50/p95 over all runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from archive.db import PROJECT_ROOT, make_engine, upgrade
from archive.models import Article, Content, Site, Version
from archive.queries import parse_when
from archive.search import SearchFilters, add_to_index, index_text, index_values, search

VOCABULARY_SOURCE = PROJECT_ROOT / "tests" / "fixtures" / "sites" / "liferay" / "articles.json"
PLACES = [
    "Đức Phổ",
    "Minh Long",
    "Châu Thành",
    "Sóc Trăng",
    "Quảng Ngãi",
    "Đồng Tháp",
    "Mỹ Tú",
    "Lý Sơn",
    "Sa Đéc",
    "Cao Lãnh",
    "Sơn Tịnh",
    "Bình Sơn",
    "Trần Đề",
    "Vĩnh Châu",
    "Tháp Mười",
    "Kế Sách",
]
PHRASES = [
    "nông thôn mới",
    "cải cách hành chính",
    "dân vận",
    "chuyển đổi số",
    "phòng, chống dịch Covid-19",
    "an toàn giao thông",
    "giảm nghèo bền vững",
    "tiêm vắc xin",
    "dân vận khéo",
    "bão số 9",
    "lũ lụt",
]
# The fixture text talks of little else than these; in the walks they are swapped
# for everyday words, and come back as salt at a realistic rate.
TOPICAL = re.compile(
    "|".join(re.escape(t) for t in [*PLACES, *PHRASES, "QĐ-UBND", "KH-UBND", "Covid", "bão", "lũ"]),
    re.IGNORECASE,
)
EVERYDAY = [
    "kinh tế",
    "văn hóa",
    "giáo dục",
    "y tế",
    "thủy lợi",
    "giao thông",
    "môi trường",
    "du lịch",
    "nông nghiệp",
    "lao động",
    "xây dựng",
    "tài chính",
]
PROVINCES = {"Sóc Trăng": "Cần Thơ", "Đồng Tháp": "Đồng Tháp", "Quảng Ngãi": "Quảng Ngãi"}
SITES_PER_PROVINCE = 12
#: "well under a second"
TARGET_MS = 500


@dataclass(frozen=True)
class BenchQuery:
    query: str
    sites: tuple[str, ...] = ()
    province: str | None = None
    since: str | None = None
    until: str | None = None
    expect_results: bool = True


QUERIES = [
    BenchQuery("dan van"),
    BenchQuery("duc pho"),
    BenchQuery("qd-ubnd"),
    BenchQuery('"dân vận khéo"'),
    BenchQuery("covid*"),
    BenchQuery("Quảng Ngãi"),
    BenchQuery("nông thôn mới"),
    BenchQuery("chuyen doi so"),
    BenchQuery("bao OR lu"),
    BenchQuery("hoi nghi -covid"),
    BenchQuery("Minh Long"),
    BenchQuery("cải cách hành chính"),
    BenchQuery('"tiem vac xin"'),
    BenchQuery("2021/QĐ-UBND"),
    BenchQuery("ly son toi"),
    BenchQuery("dan van", sites=("soctrang_02",)),
    BenchQuery("dan van", province="soc trang"),
    BenchQuery("hoi nghi", since="2021", until="2021"),
    BenchQuery('"uy ban nhan dan"'),
    BenchQuery("xyzzy khongcotu", expect_results=False),
]


# ---------------------------------------------------------------- text


class TextModel:
    """Bigram walks over real portal text, salted with names, numbers and set phrases
    at about the rate a provincial news portal uses them.

    Sentences are drawn from a pool made once (walking for every article would
    make generation, not the database, the slow part of building 100,000)."""

    def __init__(self, paragraphs: list[str], rng: random.Random, pool: int = 20_000) -> None:
        self.rng = rng
        follow: dict[str, list[str]] = defaultdict(list)
        starts: list[str] = []
        for paragraph in paragraphs:
            words = paragraph.split()
            starts += words[:1]
            for a, b in pairwise(words):
                follow[a].append(b)
        every = [w for ws in follow.values() for w in ws]
        walks = (self._walk(follow, starts, every, rng.randint(8, 40)) for _ in range(pool))
        self.pool = [TOPICAL.sub(lambda _: rng.choice(EVERYDAY), walk) for walk in walks]
        # Zipf: the first phrase is the most common.
        self.phrase_weights = [1 / (rank + 1) for rank in range(len(PHRASES))]

    def _walk(self, follow: dict[str, list[str]], starts: list[str], every: list[str], length: int) -> str:
        word = self.rng.choice(starts)
        out = [word]
        while len(out) < length:
            word = self.rng.choice(follow.get(word) or every)
            out.append(word)
        return " ".join(out)

    def salt(self, place: str) -> str:
        """A local name (mostly the site's own), a set phrase or a document number."""
        roll = self.rng.random()
        if roll < 0.5:
            return place if self.rng.random() < 0.7 else self.rng.choice(PLACES)
        if roll < 0.85:
            return self.rng.choices(PHRASES, self.phrase_weights)[0]
        kind = self.rng.choice(["QĐ-UBND", "KH-UBND", "NQ-HĐND", "CT-TU"])
        return f"số {self.rng.randint(1, 300)}/{self.rng.randint(2015, 2025)}/{kind}"

    def sentence(self) -> str:
        return self.rng.choice(self.pool)

    def body(self, place: str) -> str:
        sentences = [self.sentence() for _ in range(self.rng.randint(9, 40))]
        for _ in range(self.rng.choice((0, 1, 1, 2, 2, 3, 4))):
            at = self.rng.randrange(len(sentences))
            sentences[at] = f"{sentences[at]} {self.salt(place)}"
        cuts = sorted(
            self.rng.sample(range(1, len(sentences)), k=min(len(sentences) - 1, self.rng.randint(2, 7)))
        )
        return "\n\n".join(
            " ".join(sentences[a:b]) + "." for a, b in zip([0, *cuts], [*cuts, len(sentences)], strict=True)
        )


def load_paragraphs() -> list[str]:
    data = json.loads(VOCABULARY_SOURCE.read_text(encoding="utf-8"))
    return [p for a in data["articles"] for p in a["paragraphs"] if isinstance(p, str)]


# ---------------------------------------------------------------- building


def build(engine: Engine, articles: int, seed: int = 20250701, batch: int = 2000) -> None:
    rng = random.Random(seed)
    model = TextModel(load_paragraphs(), rng)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        site_ids = _sites(connection, now)
    for start in range(0, articles, batch):
        rows: dict[str, list] = defaultdict(list)
        for i in range(min(batch, articles - start)):
            for table, values in _article(model, rng, start + i + 1, site_ids, now).items():
                rows[table] += values
        with engine.begin() as connection:
            connection.execute(insert(Content), rows["content"])
            connection.execute(insert(Article), rows["article"])
            connection.execute(insert(Version), rows["version"])
            add_to_index(connection, rows["index"])
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def _sites(connection, now: datetime) -> list[int]:  # type: ignore[no-untyped-def]
    rows = []
    for province, after in PROVINCES.items():
        prefix = index_text(province).replace(" ", "")
        for n in range(SITES_PER_PROVINCE):
            rows.append(
                {
                    "name": f"{prefix}_{n:02d}",
                    "display_name": f"{province} {n}",
                    "province": province,
                    "province_after_2025": after,
                    "level": "province" if n == 0 else "district",
                    "family": "liferay",
                    "home_url": f"https://{prefix}{n}.gov.vn/",
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    connection.execute(insert(Site), rows)
    return list(connection.scalars(text("SELECT id FROM site ORDER BY id")))


#: shares of articles edited once after capture, and republished by a second site
EDITED, SHARED = 0.05, 0.02


def _article(
    model: TextModel, rng: random.Random, n: int, site_ids: list[int], now: datetime
) -> dict[str, list]:
    """Rows for article ``n``: its content (and an edited one), versions, index rows,
    and sometimes the same content under a second site's article."""
    site_id = rng.choice(site_ids)
    place = PLACES[site_id % len(PLACES)]
    title = " ".join(model.sentence().split()[: rng.randint(8, 16)]).rstrip(".,;:")
    if rng.random() < 0.3:
        title = f"{place}: {title}"
    texts = [(title, model.sentence(), model.body(place))]
    if rng.random() < EDITED:
        texts.append((title, texts[0][1], texts[0][2].replace(" ", " đã ", 1)))
    published = datetime(2015, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 11 * 365 * 24 * 60))
    rows: dict[str, list] = {"content": [], "article": [], "version": [], "index": []}
    owners = [(2 * n, site_id)] + ([(2 * n + 1, rng.choice(site_ids))] if rng.random() < SHARED else [])
    for article_id, owner in owners:
        rows["article"].append(
            {
                "id": article_id,
                "site_id": owner,
                "source_key": f"bench/{article_id}",
                "canonical_url": f"https://bench/{article_id}",
                "status": "live",
                "first_seen_at": now,
                "last_seen_at": now,
            }
        )
    for number, (t, lead, body) in enumerate(texts, 1):
        content_id = 2 * n + number - 1
        rows["content"].append(
            {
                "id": content_id,
                "content_hash": hashlib.sha256(str(content_id).encode()).hexdigest(),
                "hash_scheme": "v1",
                "title": t,
                "lead": lead,
                "body_text": body,
                "body_html": "",
                "author": "",
                "published_at": published,
                "images": [],
                "created_at": now,
            }
        )
        rows["index"].append(index_values(content_id, t, lead, body))
        for article_id, _ in owners:
            rows["version"].append(
                {
                    "article_id": article_id,
                    "number": number,
                    "content_id": content_id,
                    "url": f"https://bench/{article_id}",
                    "extraction": "family",
                    "source": "live",
                    "first_seen_at": now + timedelta(days=number),
                    "last_seen_at": now,
                }
            )
    return rows


# ---------------------------------------------------------------- measuring


def measure(engine: Engine, repeat: int) -> dict[str, object]:
    timings: list[float] = []
    report = []
    with Session(engine) as session:
        site_ids = {r.name: r.id for r in session.execute(text("SELECT id, name FROM site"))}
        for query in QUERIES:
            filters = _filters(query, site_ids)
            results = len(search(session, query.query, filters))  # warm-up
            runs = []
            for _ in range(repeat):
                started = time.perf_counter()
                search(session, query.query, filters)
                runs.append((time.perf_counter() - started) * 1000)
            timings += runs
            report.append(
                {
                    "query": query.query,
                    "filters": _describe(query),
                    "results": results,
                    "expect_results": query.expect_results,
                    "median_ms": round(statistics.median(runs), 2),
                }
            )
    quantiles = statistics.quantiles(timings, n=100, method="inclusive")
    return {
        "queries": report,
        "p50_ms": round(quantiles[49], 2),
        "p95_ms": round(quantiles[94], 2),
        "max_ms": round(max(timings), 2),
        "runs": len(timings),
    }


def _filters(query: BenchQuery, site_ids: dict[str, int]) -> SearchFilters:
    ids = [site_ids[s] for s in query.sites] if query.sites else None
    if query.province:
        wanted = index_text(query.province).replace(" ", "")
        ids = [i for name, i in site_ids.items() if name.startswith(wanted)]
    return SearchFilters(
        site_ids=ids,
        since=parse_when(query.since) if query.since else None,
        until=parse_when(query.until, end=True) if query.until else None,
    )


def _describe(query: BenchQuery) -> str:
    parts = [
        f"site={','.join(query.sites)}" if query.sites else "",
        f"province={query.province}" if query.province else "",
        f"since={query.since}" if query.since else "",
        f"until={query.until}" if query.until else "",
    ]
    return " ".join(p for p in parts if p)


@contextmanager
def database(backend: str, url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="search-bench-") as workdir:
            yield f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        return
    from tests.pg import fresh_database, postgres_server

    with ExitStack() as stack:
        admin = stack.enter_context(postgres_server())
        yield stack.enter_context(fresh_database(admin))


def _size(engine: Engine) -> int | None:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return int(connection.exec_driver_sql("PRAGMA page_count").scalar() or 0) * int(
                connection.exec_driver_sql("PRAGMA page_size").scalar() or 0
            )
        return connection.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()


def run(url: str, articles: int = 100_000, repeat: int = 5) -> dict[str, Any]:
    """Fill the empty database at ``url`` with ``articles`` articles and time the queries.

    Also the entry point of the benchmark suite (bench/search_latency.py): ``rows``
    are (what, value, target, ok) and ``details`` markdown lines."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        started = time.perf_counter()
        build(engine, articles)
        result: dict[str, Any] = {
            "backend": engine.dialect.name,
            "articles": articles,
            "build_seconds": round(time.perf_counter() - started, 1),
            "database_mb": round((_size(engine) or 0) / 2**20, 1),
            **measure(engine, repeat),
        }
    finally:
        engine.dispose()
    result["rows"] = [
        (
            f"search p50, {len(QUERIES)} queries on {articles:,} articles",
            f"{result['p50_ms']:.0f} ms",
            f"< {TARGET_MS} ms",
            result["p50_ms"] < TARGET_MS,
        ),
        (
            f"search p95, {len(QUERIES)} queries on {articles:,} articles",
            f"{result['p95_ms']:.0f} ms",
            f"< {TARGET_MS} ms",
            result["p95_ms"] < TARGET_MS,
        ),
    ]
    result["details"] = [
        f"Search on {result['backend']}, {articles:,} articles ({result['database_mb']} MB, built in "
        f"{result['build_seconds']} s), median of {repeat} runs:",
        "",
        "| query | filters | results | median ms |",
        "|---|---|---:|---:|",
        *(
            f"| `{q['query']}` | {q['filters']} | {q['results']} | {q['median_ms']} |"
            for q in result["queries"]
        ),
        "",
    ]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--db-url", help="an empty database to fill (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each query (after one warm-up)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    with database(args.backend, args.db_url) as url:
        result = run(url, args.articles, args.repeat)
    if args.json:
        print(
            json.dumps(
                {k: v for k, v in result.items() if k not in ("rows", "details")},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print("\n".join(result["details"]))
    print(
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms "
        f"over {result['runs']} runs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
