"""Where the routes file of a database is, and reading and writing it without the store (for
backups: a backup holds the routes in the database's own columns, one self-contained file).
See :mod:`bot.storage.sqlite_routes`."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from bot.ops.files import companions

#: The routes file's name: the database's name with this appended.
SUFFIX = ".routes"


def routes_path(db: Path) -> Path:
    """``<db>.routes``: where the routes of the database ``db`` live."""
    return db.with_name(db.name + SUFFIX)


def routes_family(db: Path) -> tuple[Path, ...]:
    """The routes file of ``db`` and its ``-wal``/``-shm``/``-journal`` companions."""
    path = routes_path(db)
    return (path, *companions(path))


def case_owner(code: str) -> str:
    return f"case:{code}"


def notice_owner(nonce: str) -> str:
    return f"notice:{nonce}"


def report_owner(code: str) -> str:
    return f"report:{code}"


def read_routes(db: Path) -> dict[str, bytes]:
    """The routes of the database ``db`` (read-only; empty if there is no routes file)."""
    path = routes_path(db)
    if not path.is_file() or path.stat().st_size == 0:
        return {}
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}
        if "routes" not in tables:
            return {}
        return {str(o): bytes(r) for o, r in conn.execute("SELECT owner, route FROM routes")}
    finally:
        conn.close()


def put_back(conn: sqlite3.Connection, routes: Mapping[str, bytes]) -> None:
    """Write routes into the main database's columns (a backup holds them there, so that it
    is one self-contained file); a closed case gets none."""
    for owner, route in routes.items():
        kind, _, name = owner.partition(":")
        if kind == "case":
            conn.execute(
                "UPDATE cases SET user_route=? WHERE code=? AND status IN ('open', 'claimed')",
                (route, name),
            )
        elif kind == "notice":
            conn.execute("UPDATE outbox SET route=? WHERE nonce=? AND target='user'", (route, name))
        elif kind == "report":
            conn.execute("UPDATE reports SET user_route=? WHERE code=?", (route, name))
    conn.commit()
