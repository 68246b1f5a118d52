"""The conversation mode: a tagged union in the engine, the old strings in the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.engine.state import (
    AT_NODE,
    AtNode,
    ChoosingLanguage,
    ChoosingRegion,
    Consenting,
    InCase,
    Mode,
    State,
    Suggesting,
)
from bot.storage.modes import mode_text, parse_mode
from bot.storage.sqlite import SqliteStore

#: Every string older versions wrote into ``conversations.mode``, and what it means now.
OLD = [
    ("", AtNode()),
    ("language", ChoosingLanguage()),
    ("consent", Consenting()),
    ("suggest:bedrohung", Suggesting(("bedrohung",))),
    ("suggest:bedrohung,hass,belastung", Suggesting(("bedrohung", "hass", "belastung"))),
    ("case:K7F3-Q9", InCase("K7F3-Q9")),
    ("case:K7F3-Q9:start", InCase("K7F3-Q9", "start")),
    ("region", ChoosingRegion()),  # since the local layer (issue 14)
]


@pytest.mark.parametrize(("text", "mode"), OLD)
def test_old_strings_round_trip(text: str, mode: Mode) -> None:
    assert parse_mode(text) == mode
    assert mode_text(mode) == text


@pytest.mark.parametrize("text", ["nonsense", "case:", "suggest:"])
def test_unknown_strings_are_the_open_flow_question(text: str) -> None:
    assert parse_mode(text) == AT_NODE


async def test_a_database_of_an_older_version_keeps_working(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    async with SqliteStore(db):
        pass  # the current schema; rows as an older version wrote them:
    con = sqlite3.connect(db)
    with con:
        for i, (text, _mode) in enumerate(OLD):
            con.execute(
                "INSERT INTO conversations VALUES (?, 'demo', 'frage', 'de', '{}', '[]', 2, ?, 1)",
                (bytes([i]) * 32, text),
            )
    con.close()
    async with SqliteStore(db) as store:
        for i, (_text, mode) in enumerate(OLD):
            state = await store.load(bytes([i]) * 32)
            assert state == State("demo", "frage", "de", turn=2, mode=mode)
            await store.save(bytes([i]) * 32, state, 5.0)
    con = sqlite3.connect(db)
    stored = dict(con.execute("SELECT key, mode FROM conversations"))
    con.close()
    assert stored == {bytes([i]) * 32: text for i, (text, _mode) in enumerate(OLD)}
