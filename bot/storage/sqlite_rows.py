"""How rows of the SQLite store are written and read: statements, the state's columns."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from bot.engine.state import State
from bot.storage.modes import mode_text, parse_mode

COUNT = (
    "INSERT INTO statistics VALUES (?, ?, ?, ?, ?, ?, 1) "
    "ON CONFLICT(week, topic, land, region, channel, outcome) DO UPDATE SET count = count + 1"
)
UPSERT = (
    "INSERT INTO conversations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT(key) DO UPDATE SET flow=excluded.flow, node=excluded.node, "
    "locale=excluded.locale, slots=excluded.slots, history=excluded.history, "
    "turn=excluded.turn, mode=excluded.mode, updated_at=excluded.updated_at"
)
LOAD = "SELECT flow, node, locale, slots, history, turn, mode FROM conversations WHERE key=?"


def statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (semicolons in comments are fine)."""
    found: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            found.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        found.append(buffer.strip())
    return found


def encode(state: State) -> tuple[str, str, str, str, str, int, str]:
    """The columns of a state (after the key)."""
    return (
        state.flow,
        state.node,
        state.locale,
        json.dumps(dict(state.slots), sort_keys=True),
        json.dumps([list(h) for h in state.history]),
        state.turn,
        mode_text(state.mode),
    )


def decode(row: Iterable[Any]) -> State:
    """A state from its columns."""
    flow, node, locale, slots, history, turn, mode = tuple(row)
    return State(
        flow=str(flow),
        node=str(node),
        locale=str(locale),
        slots=tuple(sorted(json.loads(str(slots)).items())),
        history=tuple((str(f), str(n)) for f, n in json.loads(str(history))),
        turn=int(str(turn)),
        mode=parse_mode(str(mode)),
    )
