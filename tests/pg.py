"""A throwaway PostgreSQL server for the test suite.

If TEST_DATABASE_URL is set (an admin URL of a running server), tests use it.
Otherwise a private cluster is created with the Debian PostgreSQL binaries in a
temporary directory, listening on 127.0.0.1 only, and removed at the end. As
root, the server runs as the ``postgres`` user (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

INSTALL_HINT = "install it with: sudo apt-get install -y postgresql (or set TEST_DATABASE_URL)"


class PostgresMissing(RuntimeError):
    pass


def _bindir() -> Path:
    for candidate in [shutil.which("pg_ctl"), *sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)]:
        if candidate and Path(candidate).exists():
            return Path(candidate).resolve().parent
    raise PostgresMissing(f"PostgreSQL server binaries (pg_ctl, initdb) not found; {INSTALL_HINT}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresMissing(f"running as root and there is no 'postgres' user; {INSTALL_HINT}") from None
    return ["runuser", "-u", "postgres", "--", *argv]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an admin URL (postgresql+psycopg://…) of a running server."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    bindir = _bindir()
    workdir = Path(tempfile.mkdtemp(prefix="archive-pg-"))
    datadir, port = workdir / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    run = lambda *argv: subprocess.run(_as_server_user(list(argv)), check=True, capture_output=True)  # noqa: E731
    try:
        run(str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={workdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run(str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(workdir / "server.log"), "-w", "start")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')[-500:]}") from None
    finally:
        if (datadir / "postmaster.pid").exists():
            subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"]),
                           capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new empty database on the server, dropped afterwards."""
    name = f"archive_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
