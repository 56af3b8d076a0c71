"""scripts/ensure_db.py, run by `make migrate`/`make run` before Django: a missing PostgreSQL
database is created when the user may, else one line says what to do (not an 89-line traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure_db.py"
SERVER_URL = os.environ.get("DATABASE_URL", "")

needs_postgres = pytest.mark.skipif(
    not SERVER_URL.startswith(("postgres://", "postgresql://")), reason="needs a PostgreSQL server (DATABASE_URL)"
)


def _run(url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if url is not None:
        env["DATABASE_URL"] = url
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def _with(url: str, *, user: str | None = None, dbname: str | None = None, port: int | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if user is not None:
        netloc = f"{user}@{netloc.rsplit('@', 1)[-1]}"
    if port is not None:
        netloc = f"{netloc.rsplit(':', 1)[0]}:{port}"
    path = f"/{dbname}" if dbname is not None else parts.path
    return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


def _admin() -> psycopg.Connection:
    return psycopg.connect(_with(SERVER_URL, dbname="postgres"), autocommit=True)


def _exists(name: str) -> bool:
    with _admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def test_nothing_to_do_for_the_embedded_default():
    for url in (None, "sqlite:///var/never-created.sqlite3"):
        done = _run(url)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@needs_postgres
def test_missing_database_is_created_then_left_alone():
    name = f"ssj_ensure_{uuid.uuid4().hex[:10]}"
    url = _with(SERVER_URL, dbname=name)
    try:
        done = _run(url)
        assert done.returncode == 0 and done.stdout.strip() == f"已创建数据库 {name}（{urlsplit(url).hostname}:{urlsplit(url).port or 5432}）"
        assert _exists(name)
        again = _run(url)
        assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    finally:
        with _admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@needs_postgres
def test_a_user_who_may_not_create_gets_one_line():
    role = f"ssj_nocreate_{uuid.uuid4().hex[:8]}"
    name = f"ssj_ensure_{uuid.uuid4().hex[:10]}"
    with _admin() as conn:
        try:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOCREATEDB").format(sql.Identifier(role)))
        except psycopg.errors.InsufficientPrivilege:
            pytest.skip("the test user may not create roles")
    try:
        done = _run(_with(SERVER_URL, user=role, dbname=name))
        assert done.returncode == 1 and done.stdout == ""
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"数据库 {name} 不存在") and f"用户 {role} 无权创建" in line
        assert f'CREATE DATABASE "{name}" OWNER "{role}"' in line
        assert not _exists(name)
    finally:
        with _admin() as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@needs_postgres
def test_unreachable_server_and_secret_password_in_one_line():
    url = _with(SERVER_URL, dbname="whatever", port=1)
    url = url.replace("://", "://someone:s3cret-pass@", 1) if "@" not in url else url.replace("@", ":s3cret-pass@", 1)
    done = _run(url)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("无法连接 PostgreSQL 服务器") and ":1（" in line and "s3cret-pass" not in line
