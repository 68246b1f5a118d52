"""Opening an SQLite database for the store: the connection and its pragmas (checked), the quick
check of an existing file, and the numbered migrations (with a copy of the file before them).

This module also quiets aiosqlite's own logger (it logs every statement with its parameters at
DEBUG): :func:`bot.logs.quiet` keeps it at WARNING, as :func:`bot.logs.configure` did before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import aiosqlite

from bot import logs
from bot.errors import StorageError
from bot.storage.backup import copy_database, pre_migration_path
from bot.storage.checks import DamagedDatabase, check_result, refuse_newer
from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite_rows import statements

# the messages keep the store's logger name
log = logging.getLogger("bot.storage.sqlite")
logs.quiet("aiosqlite")

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA secure_delete=ON",
    "PRAGMA synchronous=NORMAL",
)


async def connect(path: str) -> aiosqlite.Connection:
    """A connection in autocommit mode with :data:`PRAGMAS` set; ``secure_delete`` checked.

    Raises:
        StorageError: SQLite refused ``secure_delete`` (the connection is closed).
    """
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        for pragma in PRAGMAS:
            await db.execute(pragma)
        async with db.execute("PRAGMA secure_delete") as cur:
            row = await cur.fetchone()
        if row is None or row[0] != 1:
            raise StorageError("SQLite refused secure_delete")
    except BaseException:
        await db.close()
        raise
    return db


async def connect_reader(path: str) -> aiosqlite.Connection:
    """A second connection to a WAL file, for reads only (``query_only``): on its own thread
    it reads beside the writer instead of queueing behind its commits."""
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("PRAGMA query_only=ON")
        await db.execute("PRAGMA busy_timeout=5000")
    except BaseException:
        await db.close()
        raise
    return db


async def quick_check(db: aiosqlite.Connection, path: str) -> None:
    """``PRAGMA quick_check`` (the page structure, without the O(N log N) index comparison of
    ``integrity_check``); raises :class:`DamagedDatabase`."""
    async with db.execute("PRAGMA quick_check(1)") as cur:
        row = await cur.fetchone()
    if row is None or row[0] != "ok":
        raise DamagedDatabase(Path(path), check_result("quick_check", row))


async def migrate(db: aiosqlite.Connection, path: str) -> list[int]:
    """Apply migrations not yet recorded; returns the versions applied.

    Refuses a database of another program and one written by a newer Beistand. Before
    migrating a database that has a recorded version N, writes a consistent copy
    ``<db>.pre-vN.bak`` (0600) beside it.
    """
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
        tables = {str(r[0]) for r in await cur.fetchall()}
    if tables and "schema_migrations" not in tables:
        raise StorageError(
            f"{path} is an SQLite database but not a Beistand database (it has no "
            "schema_migrations table); point BEISTAND_DB at the Beistand database"
        )
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)"
    )
    async with db.execute("SELECT version FROM schema_migrations") as cur:
        done = {int(r[0]) for r in await cur.fetchall()}
    refuse_newer(Path(path), done)
    pending = [m for m in MIGRATIONS if m[0] not in done]
    if pending and done and path != ":memory:":
        found = max(done)
        copy = pre_migration_path(Path(path), found)
        await asyncio.to_thread(copy_database, Path(path), copy, True)
        log.warning("storage.pre_migration_backup", extra={"where": str(copy), "version": found})
    applied: list[int] = []
    for version, description, sql in pending:
        await db.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements(sql):
                await db.execute(statement)
            await db.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                (version, description, int(time.time())),
            )
            await db.execute("COMMIT")
        except Exception:
            await db.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


__all__ = ["PRAGMAS", "connect", "connect_reader", "migrate", "quick_check"]
