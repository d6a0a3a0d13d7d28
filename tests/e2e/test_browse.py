"""``portal-archive browse`` on SQLite: Datasette under /datasette/ of the same port as the reader's pages,
asked through its JSON API (the reader's pages themselves: tests/e2e/test_reader.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.db import PROJECT_ROOT
from tests.e2e.test_queries import build_archive


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(base: str, path: str, **params: str) -> object:
    url = f"{base}{path}?{urllib.parse.urlencode(params)}" if params else f"{base}{path}"
    with urllib.request.urlopen(url, timeout=30) as response:  # 127.0.0.1 only
        return json.load(response)


@pytest.fixture(scope="module")
def datasette(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    path = Path(tmp_path_factory.mktemp("browse")) / "archive.sqlite3"
    ids = build_archive(f"sqlite:///{path}")
    port = free_port()
    argv = [
        sys.executable,
        "-c",
        "import sys; from crawler.cli import main; sys.exit(main(sys.argv[1:]))",
        "browse",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        argv,
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{path}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/datasette"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(base, "/-/versions.json")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"browse did not start: {process.communicate()[0][-3000:]}")
                time.sleep(0.3)
        yield base, ids
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_canned_search_folds_vietnamese(datasette) -> None:  # type: ignore[no-untyped-def]
    base, ids = datasette
    rows = get(base, "/archive/search.json", q="duc pho", site="", _shape="array")
    assert [row["article_id"] for row in rows] == [ids["qni-ducpho"]]  # type: ignore[index]
    assert "**Đức Phổ**" in unicodedata.normalize("NFC", rows[0]["snippet"])  # type: ignore[index]
    rows = get(base, "/archive/search.json", q='"dân vận khéo"', site="soctrang_mytu", _shape="array")
    assert [row["article_id"] for row in rows] == [ids["mytu-danvan-kheo"]]  # type: ignore[index]


def test_search_box_of_article_current_takes_accents_or_not(datasette) -> None:  # type: ignore[no-untyped-def]
    base, ids = datasette
    for typed in ("Đức Phổ", "duc pho"):
        rows = get(base, "/archive/article_current.json", _search=typed, _shape="array")
        assert [row["article_id"] for row in rows] == [ids["qni-ducpho"]]  # type: ignore[index]


def test_views_and_canned_queries_are_served(datasette) -> None:  # type: ignore[no-untyped-def]
    base, ids = datasette
    database = get(base, "/archive.json")
    views = {v["name"] for v in database["views"]}  # type: ignore[index]
    assert {
        "article_current",
        "article_changes",
        "shared_content_articles",
        "crawl_health",
        "gone_articles",
    } <= views
    queries = {q["name"] for q in database["queries"]}  # type: ignore[index]
    assert {"search", "history", "edited_late", "same_story", "gone", "crawl_health"} <= queries
    late = get(base, "/archive/edited_late.json", days="7", _shape="array")
    assert {row["article_id"] for row in late} == {ids["ct-danvan-2021"], ids["qni-digital-plan"]}  # type: ignore[index]


def test_datasette_links_article_ids_and_sites_to_the_reader(datasette) -> None:  # type: ignore[no-untyped-def]
    base, ids = datasette
    article = ids["ct-danvan-2021"]
    url = f"{base}/archive/version_history?article_id={article}"
    with urllib.request.urlopen(url, timeout=30) as response:  # 127.0.0.1 only
        page = response.read().decode()
    assert f'<a href="/article/{article}">{article}</a>' in page
    assert '<a href="/portal/soctrang_chauthanh">soctrang_chauthanh</a>' in page
    # And back: the reader's article page is on the same port, outside /datasette/.
    with urllib.request.urlopen(base.removesuffix("/datasette") + f"/article/{article}", timeout=30) as response:
        assert f'href="/datasette/archive/version_history?article_id={article}"' in response.read().decode()
