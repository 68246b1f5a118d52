"""Numbered schema migrations; each runs in one transaction and is recorded in the database."""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "conversations, seen events, counters",
        """
        CREATE TABLE conversations (
            key BLOB PRIMARY KEY,          -- HMAC-SHA256(secret, platform | user id)
            flow TEXT NOT NULL,
            node TEXT NOT NULL,
            locale TEXT NOT NULL,
            slots TEXT NOT NULL,           -- JSON: enumerated values only
            history TEXT NOT NULL,         -- JSON: [[flow, node], ...]
            turn INTEGER NOT NULL,
            mode TEXT NOT NULL,
            updated_at INTEGER NOT NULL    -- unix seconds
        ) WITHOUT ROWID;
        CREATE INDEX conversations_updated ON conversations(updated_at);
        CREATE TABLE seen_events (
            key BLOB PRIMARY KEY,          -- HMAC of platform | event id
            seen_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX seen_events_at ON seen_events(seen_at);
        CREATE TABLE counters (
            week TEXT NOT NULL,            -- ISO week, e.g. 2026-W47
            flow TEXT NOT NULL,
            outcome TEXT NOT NULL,
            land TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (week, flow, outcome, land)
        ) WITHOUT ROWID;
        """,
    ),
)
