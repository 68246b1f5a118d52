"""Migration 8 on a version-7 database: the outbox keeps its rows (now without the foreign key
on cases, so report notices fit), and a deleted case still takes its notices along."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite import SqliteStore
from bot.storage.sqlite_rows import statements


def v7(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
            "description TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        for version, description, sql in MIGRATIONS:
            if version > 7:
                break
            for statement in statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, description))
        conn.execute(
            "INSERT INTO cases (code, user_key, topic, urgency, land, status, circle, locale, "
            "created_at, closed_at) VALUES "
            "('CASE-01', x'00', 'threat', 'normal', 'SN', 'closed', 2, 'de', 1, 1)"
        )
        conn.execute(
            "INSERT INTO outbox (target, code, route, kind, next_at, created_at, nonce) "
            "VALUES ('user', 'CASE-01', x'01', 'closed', 1, 1, 'n1')"
        )
        conn.commit()


async def test_the_outbox_survives_migration_8_and_cases_still_take_their_notices(
    tmp_path: Path,
) -> None:
    db = tmp_path / "v7.db"
    v7(db)
    async with SqliteStore(db) as store:
        assert 8 in await store.versions()
        due = await store.outbox_due(10, 10)
        assert [(r.code, r.kind, r.nonce) for r in due] == [("CASE-01", "closed", "n1")]
        await store.purge_cases(10**10, 0, 10**10)
        assert await store.outbox_due(10, 10) == []


async def test_a_database_that_had_9_before_8_gets_8_and_keeps_the_nonce_index(
    tmp_path: Path,
) -> None:
    """A development build ran migration 9 (routes file) before 8 existed: opening applies 8,
    whose rebuild of the outbox keeps 9's index."""
    db = tmp_path / "v9.db"
    v7(db)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        version, description, sql = next(m for m in MIGRATIONS if m[0] == 9)
        for statement in statements(sql):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, description))
        conn.commit()
    async with SqliteStore(db) as store:
        assert {8, 9} <= set(await store.versions())
    with contextlib.closing(sqlite3.connect(db)) as conn:
        names = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"reports", "outbox_nonce", "cases_take_notices"} <= names
