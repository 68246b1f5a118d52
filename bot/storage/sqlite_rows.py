"""How rows of the SQLite store are written and read: statements, the state's columns."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from functools import lru_cache
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
SEEN = "INSERT OR IGNORE INTO seen_events VALUES (?, ?)"
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


# Slots and histories repeat across conversations (the same Land, the same path through a
# flow), so their JSON is kept in small caches; the values are immutable tuples and strings.
# ``json.dumps`` without options takes the C encoder; the slots are sorted by name already
# (:meth:`State.with_slots`); sorting again keeps the text as ``sort_keys`` made it.


@lru_cache(maxsize=4096)
def _slots_text(slots: tuple[tuple[str, str], ...]) -> str:
    return json.dumps(dict(sorted(slots)))


@lru_cache(maxsize=4096)
def _history_text(history: tuple[tuple[str, str], ...]) -> str:
    return json.dumps(history)  # tuples become lists


@lru_cache(maxsize=4096)
def _slots_of(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in json.loads(text).items()))


@lru_cache(maxsize=4096)
def _history_of(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((str(f), str(n)) for f, n in json.loads(text))


def encode(state: State) -> tuple[str, str, str, str, str, int, str]:
    """The columns of a state (after the key)."""
    return (
        state.flow,
        state.node,
        state.locale,
        _slots_text(state.slots),
        _history_text(state.history),
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
        slots=_slots_of(str(slots)),
        history=_history_of(str(history)),
        turn=int(str(turn)),
        mode=parse_mode(str(mode)),
    )
