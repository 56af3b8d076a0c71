"""Before `migrate`: make sure the PostgreSQL database named by DATABASE_URL exists.

Creates it when the server lets this user (CREATEDB), otherwise says in one line what is wrong
and exits 1 — instead of Django's long traceback for a missing database. Does nothing for the
embedded default (no DATABASE_URL, or a SQLite URL). The password is never printed.

    .venv/bin/python scripts/ensure_db.py
"""

from __future__ import annotations

import os
import sys

import dj_database_url
import psycopg
from psycopg import errors, sql

MAINTENANCE_DATABASES = ("postgres", "template1")


def _first_line(exc: BaseException) -> str:
    """libpq's reason without its preamble: 'Connection refused', 'role "x" does not exist'."""
    text = str(exc).strip()
    if not text:
        return exc.__class__.__name__
    line = text.splitlines()[0].rsplit("failed: ", 1)[-1]
    return line.removeprefix("FATAL:").strip()


def _connect(params: dict[str, str], dbname: str) -> psycopg.Connection:
    return psycopg.connect(dbname=dbname, autocommit=True, connect_timeout=5, **params)


def ensure(url: str) -> tuple[int, str]:
    """(exit status, message) for ``url``; status 0 when the database exists or was created."""
    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return 0, ""
    name = config["NAME"]
    params = {
        k: str(v)
        for k, v in {"host": config.get("HOST"), "port": config.get("PORT"), "user": config.get("USER"),
                     "password": config.get("PASSWORD")}.items()
        if v
    }
    where = f"{config.get('HOST') or 'localhost'}:{config.get('PORT') or 5432}"
    who = config.get("USER") or os.environ.get("PGUSER") or os.environ.get("USER", "")
    try:
        _connect(params, name).close()
        return 0, ""
    except psycopg.OperationalError as exc:
        first_error = exc
    # The database could not be opened: find out why from the server's maintenance database.
    server = None
    for maintenance in MAINTENANCE_DATABASES:
        try:
            server = _connect(params, maintenance)
            break
        except psycopg.OperationalError:
            continue
    if server is None:
        return 1, f"无法连接 PostgreSQL 服务器 {where}（用户 {who}）：{_first_line(first_error)}"
    with server:
        exists = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return 1, f"数据库 {name} 存在，但无法连接（{where}，用户 {who}）：{_first_line(first_error)}"
        try:
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except errors.InsufficientPrivilege:
            return 1, (
                f"数据库 {name} 不存在（{where}），用户 {who} 无权创建："
                f"请数据库管理员执行 CREATE DATABASE \"{name}\" OWNER \"{who}\"; 后重试"
            )
        except psycopg.Error as exc:
            return 1, f"数据库 {name} 不存在（{where}），创建失败：{_first_line(exc)}"
    return 0, f"已创建数据库 {name}（{where}）"


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return 0
    try:
        status, message = ensure(url)
    except ValueError as exc:  # dj_database_url: an unknown scheme or malformed URL
        status, message = 1, f"DATABASE_URL 无法识别：{_first_line(exc)}"
    if message:
        print(message, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
