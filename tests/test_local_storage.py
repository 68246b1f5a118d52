"""Migration 5 (the local layer): a database of version 4 keeps its contacts and cases, gets the
regions, role and region columns with their defaults, and its circles renumbered."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from bot.handoff.rules import LAND, NATION, NOBODY
from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite import SqliteStore
from bot.storage.sqlite_rows import statements


def version_4(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
            "description TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        for version, description, sql in MIGRATIONS:
            if version > 4:
                break
            for statement in statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, description))
        conn.execute(
            "INSERT INTO contacts (id, name, lands, topics, platform, account, route, created_at) "
            "VALUES (1, 'A', '[\"BY\"]', '[\"all\"]', 'matrix', '@a:x', 'room', 0)"
        )
        for code, circle in (("LAND-11", 1), ("ALLE-22", 2), ("NONE-33", 3)):
            conn.execute(
                "INSERT INTO cases (code, user_key, topic, urgency, land, status, circle, locale, "
                "created_at) VALUES (?, ?, 'threat', 'high', 'BY', 'open', ?, 'de', 0)",
                (code, code.encode() * 4, circle),
            )
        conn.commit()


async def test_migration_5_keeps_contacts_and_cases_and_renumbers_the_circles(
    tmp_path: Path,
) -> None:
    db = tmp_path / "v4.db"
    version_4(db)
    async with SqliteStore(db) as store:
        assert 5 in await store.versions()
        (contact,) = await store.contacts()
        assert (contact.regions, contact.role, contact.lands) == ((), "contact", ("BY",))
        circles = {}
        for code in ("LAND-11", "ALLE-22", "NONE-33"):
            case = await store.case(code)
            assert case is not None and case.region == "none"
            circles[code] = case.circle
    # the old circles 1 Land, 2 everyone, 3 nobody free mean the same after the renumbering
    assert circles == {"LAND-11": LAND, "ALLE-22": NATION, "NONE-33": NOBODY}
