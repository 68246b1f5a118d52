"""The employee's typed contact details reach the Meldestelle after the report's notice, never
before (bot/handoff/report_relays.py): typed before the notice went out they wait in memory and
follow it in the same lane; if the notice cannot go out in time they are dropped (never
stored) and the employee is told. On the SQLite and the in-memory store."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.actions import Action, Say
from bot.engine.events import Text
from bot.runtime import Runtime
from bot.runtime_api import Incoming
from bot.storage.memory import MemoryStore
from bot.storage.sqlite import SqliteStore
from tests.helpers import FakeClock, RecordingChannel, last_ask
from tests.test_report_runtime import USER, answer_all, office, tap, to_report

ROOT = Path(__file__).resolve().parent.parent
ROOM = "room-@kreis:x"
DETAILS = "Durchwahl 4711-99"


@dataclass
class World:
    """A runtime with recording channels (its worker not started: the test delivers)."""

    runtime: Runtime
    clock: FakeClock
    telegram: RecordingChannel
    matrix: RecordingChannel
    db: Path | None  # None: the in-memory store


@pytest.fixture(params=["sqlite", "memory"])
async def world(
    request: pytest.FixtureRequest, musterland: Content, tmp_path: Path
) -> AsyncIterator[World]:
    clock = FakeClock()
    db = tmp_path / "order.db" if request.param == "sqlite" else None
    async with SqliteStore(db) if db is not None else MemoryStore() as store:
        runtime = Runtime(
            musterland, store, b"o" * 32, clock=clock, rate_limit=1000, purge_every=None
        )
        made = World(runtime, clock, RecordingChannel(), RecordingChannel(), db)
        runtime.register_channel("telegram", made.telegram)
        runtime.register_channel("matrix", made.matrix)
        yield made


def said(actions: tuple[Action, ...]) -> str:
    return "\n".join(a.text for a in actions if isinstance(a, Say))


async def deliver(world: World) -> None:
    await world.runtime.handoff.deliver_due()


async def report_wanting_contact(world: World) -> str:
    """The employee sends a report and asks to be contacted; its code (nothing delivered)."""
    await office(world, "@kreis:x", "SN", "14999")  # duck-typed: runtime only
    actions = await answer_all(world.runtime, await to_report(world.runtime), contact="Ja")
    actions = await tap(world.runtime, actions, "Ja, senden")
    assert "Wie kann die Meldestelle Sie erreichen?" in last_ask(actions).text
    found = re.search(r"Ihre Meldung ([A-Z0-9]{4}-[A-Z0-9]{2})", said(actions))
    assert found is not None
    return found.group(1)


async def typed_while_waiting(world: World) -> asyncio.Task[tuple[Action, ...]]:
    """The employee types the details; returns once the relay waits for the notice."""
    typed = asyncio.ensure_future(world.runtime.handle(Incoming(USER, Text(DETAILS))))
    waiting = world.runtime.handoff.reports.waiting
    for _ in range(200):
        if len(waiting) or typed.done():
            break
        await asyncio.sleep(0.005)
    assert not typed.done(), said(typed.result())
    assert len(waiting) == 1
    return typed


async def test_details_typed_before_the_notice_went_out_follow_it(world: World) -> None:
    code = await report_wanting_contact(world)
    typed = await typed_while_waiting(world)
    assert world.matrix.texts(ROOM) == [], "the details went out before the report"
    await deliver(world)
    assert "weitergereicht" in said(await typed)
    notice, details = world.matrix.texts(ROOM)
    assert f"/bestaetigen {code}" in notice and DETAILS not in notice
    assert DETAILS in details and code in details
    assert len(world.runtime.handoff.reports.waiting) == 0


async def test_details_wait_for_a_notice_that_is_retried(world: World) -> None:
    """The Meldestelle's platform fails at the first attempt: the details wait for the retry."""
    code = await report_wanting_contact(world)
    world.matrix.failing = True
    await deliver(world)
    typed = await typed_while_waiting(world)
    world.matrix.failing = False
    world.clock.advance(5)
    await deliver(world)
    assert "weitergereicht" in said(await typed)
    notice, details = world.matrix.texts(ROOM)
    assert f"/bestaetigen {code}" in notice and DETAILS in details


async def test_details_typed_after_the_notice_go_at_once(world: World) -> None:
    code = await report_wanting_contact(world)
    await deliver(world)
    actions = await world.runtime.handle(Incoming(USER, Text(DETAILS)))
    assert "weitergereicht" in said(actions)
    notice, details = world.matrix.texts(ROOM)
    assert code in notice and DETAILS in details


async def test_details_are_dropped_when_the_notice_does_not_go_out(world: World) -> None:
    await report_wanting_contact(world)
    world.runtime.handoff.reports.relay_wait = 0.05
    world.matrix.failing = True
    actions = await world.runtime.handle(Incoming(USER, Text(DETAILS)))
    assert "nicht weiterreichen" in said(actions)
    assert len(world.runtime.handoff.reports.waiting) == 0
    world.matrix.failing = False
    world.clock.advance(5)
    await deliver(world)
    (notice,) = world.matrix.texts(ROOM)  # the report, and never the dropped details
    assert DETAILS not in notice
    if world.db is not None:
        dump = b"".join(p.read_bytes() for p in world.db.parent.glob("order.db*"))
        assert b"4711-99" not in dump


async def test_with_the_worker_running_the_details_follow_a_slow_notice(
    world: World,
) -> None:
    """As in ``beistand run``: the worker delivers the notice after the commit; the
    Meldestelle's platform takes its time, the details typed meanwhile come after it."""
    world.matrix.slow = True
    async with world.runtime:
        code = await report_wanting_contact(world)
        await asyncio.wait_for(world.matrix.started.wait(), 5)  # the notice is on its way
        typed = asyncio.ensure_future(world.runtime.handle(Incoming(USER, Text(DETAILS))))
        await asyncio.sleep(0.05)
        assert not typed.done()
        world.matrix.release.set()
        assert "weitergereicht" in said(await asyncio.wait_for(typed, 5))
    notice, details = world.matrix.texts(ROOM)
    assert f"/bestaetigen {code}" in notice and DETAILS in details
