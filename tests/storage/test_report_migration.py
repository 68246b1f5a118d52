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
