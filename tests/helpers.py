"""What every test shares: one clock the test moves, one channel that records, and the rule
for a missing tool or server (skip on a developer's machine, fail in CI).

Use these instead of writing a local copy (tests/test_tiers.py checks that none comes back).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from bot.content import Content
from bot.engine.actions import Action, Ask
from bot.render import Outgoing
from bot.runtime import Runtime
from bot.storage.routes_file import read_routes
from bot.storage.sqlite import SqliteStore

#: ``.ci/run`` sets ``CI``: there nothing a test needs may be missing.
IN_CI = bool(os.environ.get("CI"))

#: Monday, 23 November 2026, 10:00 in Berlin (``MONDAY_10`` in tests/conftest.py), as a timestamp.
MONDAY_10_TS = 1_795_424_400.0


@dataclass
class FakeClock:
    """A clock the test moves: ``clock()`` is the time; ``advance`` (or ``clock.now += s``)
    moves it on. Pass it wherever the code takes ``clock=`` (the runtime, pacing, activity)."""

    now: float = MONDAY_10_TS

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class RecordingChannel:
    """A platform's delivery function (``runtime.register_channel(platform, channel)``) that
    records ``(route, message, key)`` in memory. ``failing`` makes every delivery raise
    ``ConnectionError(error)``, ``failing_routes`` only those to the given routes. A ``slow``
    channel is a platform that takes as long as the test wants: each delivery sets
    ``started`` and then waits until the test sets ``release``."""

    platform: str = ""
    sent: list[tuple[str, Outgoing, str]] = field(default_factory=list)
    failing: bool = False
    failing_routes: set[str] = field(default_factory=set)
    error: str = "down"
    slow: bool = False
    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, route: str, message: Outgoing, key: str) -> None:
        if self.slow:
            self.started.set()
            await self.release.wait()
        if self.failing or route in self.failing_routes:
            raise ConnectionError(self.error)
        self.sent.append((route, message, key))

    def texts(self, route: str | None = None) -> list[str]:
        """The plain text of each message delivered (to ``route``, or to anyone)."""
        return [m.plain for r, m, _ in self.sent if route is None or r == route]

    def text(self, route: str | None = None) -> str:
        """All of it as one string, one message a line (for substring checks)."""
        return "\n".join(self.texts(route))


def unavailable(reason: str) -> NoReturn:
    """A tool, server or dependency the test needs is missing: skip on a developer's machine,
    fail in CI, where a silent skip would hide that the test never ran."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must run every test: a missing dependency fails there)")
    pytest.skip(reason)


@dataclass
class HandoffWorld:
    """A runtime on a SQLite store with a recording channel per platform (handoff tests)."""

    runtime: Runtime
    clock: FakeClock
    telegram: RecordingChannel
    matrix: RecordingChannel
    db: Path


@asynccontextmanager
async def handoff_world(content: Content, db: Path, secret: bytes) -> AsyncIterator[HandoffWorld]:
    """A :class:`HandoffWorld` whose store lives in ``db``, closed afterwards."""
    clock = FakeClock()
    async with SqliteStore(db) as store:
        runtime = Runtime(content, store, secret, clock=clock, rate_limit=1000)
        telegram, matrix = RecordingChannel(), RecordingChannel()
        runtime.register_channel("telegram", telegram)
        runtime.register_channel("matrix", matrix)
        yield HandoffWorld(runtime, clock, telegram, matrix, db)


@asynccontextmanager
async def working_runtime(
    content: Content, db: Path, rate_limit: int = 1000, worker_idle: float = 0.1
) -> AsyncIterator[Runtime]:
    """The runtime over ``content`` with a random secret and its store in ``db``, its outbox
    worker running as in ``beistand run`` (no purge); stopped and closed afterwards."""
    async with SqliteStore(db) as store:
        runtime = Runtime(
            content,
            store,
            secrets.token_bytes(32),
            rate_limit=rate_limit,
            purge_every=None,
            worker_idle=worker_idle,
        )
        async with runtime:
            yield runtime


def last_ask(actions: tuple[Action, ...]) -> Ask:
    """The last question among a step's actions."""
    return [a for a in actions if isinstance(a, Ask)][-1]


async def deliver(world: HandoffWorld) -> None:
    """Escalate what is due, then deliver the outbox."""
    await world.runtime.handoff.escalate_due()
    await world.runtime.handoff.deliver_due()


def rows(db: Path, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Rows of a query on the database file, read apart from the store."""
    con = sqlite3.connect(db)
    try:
        return list(con.execute(sql, args))
    finally:
        con.close()


def case_routes(db: Path) -> dict[str, bytes]:
    """The sealed route of every case that holds one, by case code: read from the store's
    routes file (``<db>.routes``); the database's own ``user_route`` column must hold none."""
    with sqlite3.connect(db) as conn:
        in_db = conn.execute("SELECT count(*) FROM cases WHERE user_route IS NOT NULL").fetchone()
    assert in_db == (0,), "a sealed route in the database file itself"
    return {
        owner.removeprefix("case:"): route
        for owner, route in read_routes(db).items()
        if owner.startswith("case:")
    }
