"""The statistics as the runtime and the handoff write them: keys, the same unit, the schema,
the migration of the old counters."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.events import Command, Start
from bot.lagebild.keys import legacy_topic, step_counters, week_of
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite import SqliteStore
from tests.helpers import FakeClock
from tests.test_handoff import World, contact, deliver, open_case

SECRET = b"h" * 32
USER = Sender("telegram", "1001", "de")


@pytest.fixture
async def world(content: Content, tmp_path: Path) -> World:
    from tests.helpers import RecordingChannel

    clock = FakeClock()
    async with SqliteStore(tmp_path / "h.db") as store:
        runtime = Runtime(content, store, SECRET, clock=clock, rate_limit=1000)
        telegram, matrix = RecordingChannel(), RecordingChannel()
        runtime.register_channel("telegram", telegram)
        runtime.register_channel("matrix", matrix)
        yield World(runtime, clock, telegram, matrix, tmp_path / "h.db")  # type: ignore[misc]


def _stats(db: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return list(con.execute("SELECT * FROM statistics ORDER BY outcome"))
    finally:
        con.close()


def test_step_counters_map_outcomes_and_drop_end() -> None:
    got = step_counters(
        [("demo", "services"), ("demo", "end"), ("menu", "emergency"), ("m", "report_sent")],
        {"demo": "threat", "menu": None, "m": "assault"},
        {"land": "BY", "region": "14999"},
        "console",
        1_800_000_000.0,
    )
    week = week_of(1_800_000_000.0)
    assert got == (
        (week, "threat", "BY", "14999", "terminal", "services_shown"),
        (week, "none", "BY", "14999", "terminal", "emergency_shown"),
        (week, "assault", "BY", "14999", "terminal", "report_sent"),
    )


async def test_a_claim_and_a_request_are_counted_by_topic_land_and_the_users_channel(
    world: World,
) -> None:
    person = await contact(world, "@by:x", "BY")
    code = await open_case(world.runtime)
    await deliver(world)
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    week = week_of(world.clock.now)
    rows = _stats(world.db)
    assert (week, "threat", "BY", "none", "telegram", "handoff_claimed", 1) in rows
    assert (week, "threat", "BY", "none", "telegram", "handoff_requested", 1) in rows
    assert not [r for r in rows if r[5] == "handoff_nobody_free"]


async def test_nobody_free_at_once_and_after_the_last_circle(world: World) -> None:
    await open_case(world.runtime)  # no contact at all: nobody free at the opening
    rows = _stats(world.db)
    assert [r[4:] for r in rows if r[5] == "handoff_nobody_free"] == [
        ("telegram", "handoff_nobody_free", 1)
    ]
    person = await contact(world, "@by:x", "BY")
    other = Sender("matrix", "@u2:x", "de", route="!r")
    await open_case(world.runtime, other)
    await deliver(world)
    world.clock.advance(3 * 3600)  # nobody claims: circle 2 has nobody new, so nobody free
    await deliver(world)
    channels = sorted(r[4] for r in _stats(world.db) if r[5] == "handoff_nobody_free")
    assert channels == ["matrix", "telegram"]  # the matrix user's channel from the sealed route
    del person


async def test_the_statistics_hold_nothing_but_the_key_and_the_count(world: World) -> None:
    await world.runtime.handle(Incoming(USER, Start("demo")))
    con = sqlite3.connect(world.db)
    try:
        columns = [r[1] for r in con.execute("PRAGMA table_info(statistics)")]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()
    assert columns == ["week", "topic", "land", "region", "channel", "outcome", "count"]
    assert "counters" not in tables


async def test_old_counters_move_to_the_statistics(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT "
        "NULL, applied_at INTEGER NOT NULL)"
    )
    for version, description, sql in MIGRATIONS:
        if version <= 4:
            con.executescript(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, description))
    con.executemany(
        "INSERT INTO counters VALUES (?, ?, ?, ?, ?)",
        [
            ("2026-W40", "bedrohung", "services", "BY", 7),
            ("2026-W40", "bedrohung", "end", "BY", 6),
            ("2026-W40", "menu", "emergency", "none", 2),
            ("2026-W41", "hass", "handoff", "SN", 1),
        ],
    )
    con.commit()
    con.close()
    async with SqliteStore(db) as store:
        rows = [(r.key, r.count) for r in await store.counters()]
    assert rows == [
        (("2026-W40", "flow:bedrohung", "BY", "none", "unknown", "services_shown"), 7),
        (("2026-W40", "flow:menu", "none", "none", "unknown", "emergency_shown"), 2),
        (("2026-W41", "flow:hass", "SN", "none", "unknown", "handoff_requested"), 1),
    ]
    topics = {"bedrohung": "threat", "menu": None}
    assert legacy_topic("flow:bedrohung", topics) == "threat"
    assert legacy_topic("flow:menu", topics) == "none"
    assert legacy_topic("flow:gone", topics) == "none"
    assert legacy_topic("threat", topics) == "threat"
