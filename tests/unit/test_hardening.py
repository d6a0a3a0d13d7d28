"""The URL masker (archive/dburl.py) and the SQL functions' time limit in Datasette (crawler/querytime.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from archive.db import ArchiveDatabaseError, describe_failure, parse_url
from archive.dburl import mask, scrub

SECRET = "Kq7vZx3Tw"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://archivist:Kq7vZx3Tw@db.example:5432/archive",
         "postgresql+psycopg://archivist:***@db.example:5432/archive"),
        ("postgresql+psycopg://db.example/archive?password=Kq7vZx3Tw&sslmode=require",
         "postgresql+psycopg://db.example/archive?password=***&sslmode=require"),
        ("postgresql+psycopg://db.example/archive?sslmode=require&sslpassword=Kq7vZx3Tw",
         "postgresql+psycopg://db.example/archive?sslmode=require&sslpassword=***"),
        ("postgresql://archivist:Kq7v@Zx3Tw@db.example/archive", "postgresql://archivist:***@db.example/archive"),
        ("postgresql://db.example:5432/archive?password=Kq7v@Zx3Tw", "postgresql://db.example:5432/archive?password=***"),
        ("postgresql://archivist:Kq7v%40Zx3Tw@db.example/archive", "postgresql://archivist:***@db.example/archive"),
        ("postgresql://archivist@db.example/archive", "postgresql://archivist@db.example/archive"),
        ("sqlite:////srv/archive.sqlite3?mode=ro", "sqlite:////srv/archive.sqlite3?mode=ro"),
        ("Kq7vZx3Tw is no URL", "<not a URL>"),
    ],
)
def test_mask_hides_the_password_wherever_it_sits(url: str, shown: str) -> None:
    assert mask(url) == shown
    assert "Zx3T" not in mask(url)


def test_a_drivers_message_is_scrubbed_too() -> None:
    url = "postgresql://archivist:Kq7v@Zx3Tw@db.example/archive"
    assert "Zx3T" not in scrub("failed to resolve host 'Zx3Tw@db.example'", url)
    with pytest.raises(ArchiveDatabaseError, match="%40"):
        parse_url(url)


def test_a_failure_is_one_line_naming_what_it_is() -> None:
    error = describe_failure(sqlite3.DatabaseError("file is not a database"), "sqlite:////srv/a.sqlite3")
    assert "not a SQLite archive" in str(error) and "\n" not in str(error)
    leaked = describe_failure(sqlite3.OperationalError(f"could not connect with {SECRET}\nmore"),
                              f"postgresql://u:{SECRET}@h/db")
    assert SECRET not in str(leaked) and "\n" not in str(leaked)


def test_sqlite_uri_parameters_need_no_uri_flag() -> None:
    url = parse_url("sqlite:////srv/archive.sqlite3?immutable=1")
    assert url.database == "file:/srv/archive.sqlite3" and url.query["uri"] == "true"


# ---------------------------------------------------------------- Datasette's time limit

# A dozen rows whose every function call takes a while: under 1,000 SQLite steps, so Datasette's
# progress handler alone never looks at the clock during the query.
SLOW = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
SELECT length(archive_snippet(:q, '', replace(printf('%.*c', 40000, 'x'), 'x', 'dân vận ' || i))) AS chars FROM n"""
QUERY = " ".join(f"w{i}*" for i in range(30)) + " dan"


def ask(path: Path, limit_ms: int) -> tuple[int, str]:
    from datasette.app import Datasette
    from datasette.plugins import pm

    import crawler.browse as browse

    if not pm.is_registered(browse):
        pm.register(browse, name="portal-archive")

    async def get() -> tuple[int, str]:
        datasette = Datasette(files=[str(path)], settings={"sql_time_limit_ms": limit_ms})
        response = await datasette.client.get(f"/{path.stem}.json", params={"sql": SLOW, "q": QUERY, "_shape": "array"})
        return response.status_code, response.text

    return asyncio.run(get())


def test_the_sql_functions_keep_datasettes_time_limit(tmp_path: Path) -> None:
    path = tmp_path / "any.sqlite3"
    sqlite3.connect(path).close()
    status, body = ask(path, 60_000)
    assert status == 200 and body.count('"chars"') == 12, body[:500]  # the query itself works
    status, body = ask(path, 100)
    assert status == 400 and "took too long" in body, body[:500]
