"""Retention and erasure with a controlled clock: after a purge or ``/loeschen`` nothing about the
user is left in the database, its ``-wal`` or its ``-shm`` file.

The product never stores what users type, so scanning for text markers alone would pass
trivially. These tests also search for what *is* stored about a user: the pseudonymous key (32
bytes), the sealed routing address of a case, and the case code, in binary and hex. Each test
first checks that these bytes are found while the data is live, so a scan that cannot see them
would fail.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.actions import Action, Ask, Say
from bot.engine.events import Choose, Command, Start, Text
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.modes import mode_text
from bot.storage.sqlite import SqliteStore
from testbed.canary import Scanner, new_marker, report, sqlite_family
from testbed.scripts import Canaries, Explorer, find_consent
from tests.helpers import FakeClock, RecordingChannel, case_routes

DAY = 86400
CONTACT = Sender("telegram", "880000000007", "de")


@dataclass
class World:
    runtime: Runtime
    store: SqliteStore
    clock: FakeClock
    channel: RecordingChannel
    db: Path
    consent: tuple[str | None, tuple[int, ...]]
    scanner: Scanner = field(default_factory=Scanner)

    def user(self, platform: str = "telegram") -> Sender:
        return Sender(platform, self.scanner.add_marker(new_marker()), "de")

    def remember(self, sender: Sender) -> bytes:
        """Look for this user's pseudonymous key from now on."""
        key = self.runtime.key(sender)
        self.scanner.add_blob(f"key of {sender.user_id}", key)
        return key

    def hits(self) -> list[str]:
        return [str(h) for h in self.scanner.scan(sqlite_family(self.db))]

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        """Read the database through a second connection (as an inspector would)."""
        connection = sqlite3.connect(self.db)
        try:
            return connection.execute(sql, args).fetchall()
        finally:
            connection.close()


@pytest.fixture
async def world(
    shipped: Content,
    tmp_path: Path,
    clock: FakeClock,
    consent_path: tuple[str | None, tuple[int, ...]],
) -> AsyncIterator[World]:
    db = tmp_path / "data" / "beistand.db"
    channel = RecordingChannel()
    async with SqliteStore(db) as store:
        runtime = Runtime(shipped, store, secrets.token_bytes(32), clock=clock, rate_limit=1000)
        for platform in ("telegram", "matrix"):
            runtime.register_channel(platform, channel)
        code = await runtime.handoff.invite("Ansprechperson", ["DE"], ["all"])
        await runtime.handle(Incoming(CONTACT, Command("register", code)))
        yield World(runtime, store, clock, channel, db, consent_path)


def last_ask(actions: tuple[Action, ...]) -> Ask:
    return [a for a in actions if isinstance(a, Ask)][-1]


async def talk(world: World, sender: Sender, answers: int = 2) -> None:
    """A few answers with markers typed in between."""
    actions = await world.runtime.handle(Incoming(sender, Start(new_marker())))
    for _ in range(answers):
        await world.runtime.handle(Incoming(sender, Text(world.scanner.add_marker(new_marker()))))
        state = await world.runtime.store.load(world.runtime.key(sender))
        assert state is not None
        actions = await world.runtime.handle(Incoming(sender, Choose(state.turn, 0)))
    assert actions


@pytest.fixture(scope="module")
def consent_path(shipped: Content) -> tuple[str | None, tuple[int, ...]]:
    """How to reach the threat flow's handoff consent (found by exploring once)."""
    return asyncio.run(find_consent(shipped))


async def open_case(world: World, sender: Sender) -> str:
    """Walk to the threat flow's handoff consent, consent, return the case code."""
    root, path = world.consent
    explorer = Explorer(world.runtime, world.runtime.content, Canaries(), random.Random(2))
    prompt = await explorer.reach(sender, root, path)
    await world.runtime.handle(Incoming(sender, Choose(prompt.turn, 0)))
    state = await world.runtime.store.load(world.runtime.key(sender))
    assert state is not None
    assert mode_text(state.mode).startswith("case:")
    code = mode_text(state.mode).removeprefix("case:")
    world.scanner.add_needle(code)
    await world.runtime.handoff.deliver_due()
    return code


def sealed_route(world: World, code: str) -> bytes:
    return case_routes(world.db)[code]


# ------------------------------------------------------------------------------- retention


async def test_purge_after_retention_leaves_no_trace(world: World):
    rng = random.Random(7)
    old = [world.user(rng.choice(("telegram", "matrix"))) for _ in range(30)]
    for sender in old:
        world.remember(sender)
        await talk(world, sender)
    # two old users also had a case, closed on the first day
    for sender, how in zip(old[:2], ("close", "abuse"), strict=True):
        code = await open_case(world, sender)
        world.scanner.add_blob(f"route of {code}", sealed_route(world, code))
        await world.runtime.handle(Incoming(CONTACT, Command("claim", code)))
        await world.runtime.handle(Incoming(CONTACT, Command(how, code)))
    comeback = world.user()
    world.remember(comeback)
    await talk(world, comeback)
    assert len(world.hits()) >= 30, "while the data is live the scan must see it"

    world.clock.advance(20 * DAY)
    await talk(world, comeback)  # active again on day 20: kept
    world.clock.advance(11 * DAY)
    recent = world.user()
    await talk(world, recent)
    removed = await world.runtime.purge()

    assert removed == len(old)
    now = world.clock()
    assert world.query(
        "SELECT count(*) FROM conversations WHERE updated_at < ?", now - 30 * DAY
    ) == [(0,)]
    assert world.query("SELECT count(*) FROM conversations") == [(2,)]
    assert world.query("SELECT count(*) FROM cases") == [(0,)]
    assert world.query("SELECT count(*) FROM blocks") == [(0,)]
    assert (await world.store.db.execute_fetchall("PRAGMA secure_delete")) == [(1,)]
    assert world.db.with_name(world.db.name + "-wal").stat().st_size == 0
    # case codes stay in the audit trail (90 days, no link to the user); nothing else stays
    assert world.query("SELECT count(DISTINCT code) FROM audit WHERE code IS NOT NULL") == [(2,)]
    leftovers = [h for h in world.hits() if comeback.user_id not in h and "CNRY" in h]
    assert leftovers == [], "\n".join(leftovers)
    assert any(comeback.user_id in h for h in world.hits()), "a kept conversation is still seen"


async def test_closed_cases_are_deleted_after_their_retention(world: World):
    user = world.user()
    world.remember(user)
    code = await open_case(world, user)
    route = sealed_route(world, code)
    world.scanner.add_blob("route", route)
    await world.runtime.handle(Incoming(CONTACT, Command("claim", code)))
    await world.runtime.handle(Incoming(CONTACT, Command("close", code)))
    await world.runtime.handoff.deliver_due()
    assert world.query("SELECT status, user_route FROM cases WHERE code=?", code) == [
        ("closed", None)
    ]
    world.clock.advance(6 * DAY)
    await world.runtime.purge()
    assert world.query("SELECT count(*) FROM cases WHERE code=?", code) == [(1,)]
    world.clock.advance(2 * DAY)
    await world.runtime.purge()
    assert world.query("SELECT count(*) FROM cases WHERE code=?", code) == [(0,)]
    # the route was shredded at closing, the case row with the user's key at the purge (the key
    # itself stays in the conversation, which has its own retention)
    assert world.query("SELECT count(*) FROM cases") == [(0,)]
    hits = [h for h in world.hits() if "route" in h]
    assert hits == [], "\n".join(hits)


async def test_an_open_case_idle_past_the_retention_is_closed_and_shredded(world: World):
    user = world.user()
    world.remember(user)
    code = await open_case(world, user)
    world.scanner.add_blob("route", sealed_route(world, code))
    world.clock.advance(31 * DAY)
    await world.runtime.purge()
    # the case is closed and unlinked; its random code stays with the closed case (7 days) and
    # in the audit trail, neither of which can be tied to the user any more
    assert world.query("SELECT status, user_route FROM cases WHERE code=?", code) == [
        ("closed", None)
    ]
    hits = [h for h in world.hits() if "key of" in h or "route" in h]
    assert hits == [], "\n".join(hits)


# ------------------------------------------------------------------------------- erasure


async def test_delete_erases_everything_at_once_including_an_open_case(world: World):
    user = world.user("matrix")
    key = world.remember(user)
    await talk(world, user)
    code = await open_case(world, user)
    route = sealed_route(world, code)
    world.scanner.add_blob("route", route)
    await world.runtime.handle(Incoming(CONTACT, Command("claim", code)))
    await world.runtime.handoff.deliver_due()
    await world.runtime.handle(
        Incoming(user, Text(f"Bitte helfen Sie {world.scanner.add_marker(new_marker())}"))
    )
    assert world.hits(), "while the data is live the scan must see it"

    replies = await world.runtime.handle(Incoming(user, Command("delete")))

    assert any("gelöscht" in a.text for a in replies if isinstance(a, Say))
    assert await world.store.load(key) is None
    assert world.query("SELECT count(*) FROM conversations WHERE key=?", key) == [(0,)]
    ((status, reason, user_route, user_key),) = world.query(
        "SELECT status, close_reason, user_route, user_key FROM cases WHERE code=?", code
    )
    assert (status, reason, user_route) == ("closed", "erased", None)
    assert user_key != key
    assert world.db.with_name(world.db.name + "-wal").stat().st_size == 0
    hits = [h for h in world.hits() if "CNRY" in h or "key of" in h or "route" in h]
    assert hits == [], "\n".join(hits)
    # the contact person is told the case was withdrawn
    await world.runtime.handoff.deliver_due()
    told = world.channel.text(CONTACT.user_id)
    assert f"{code} wurde von der Person zurückgezogen" in told


async def test_delete_before_anyone_claimed_withdraws_the_notice(world: World):
    user = world.user()
    world.remember(user)
    code = await open_case(world, user)
    world.scanner.add_blob("route", sealed_route(world, code))
    await world.runtime.handle(Incoming(user, Command("delete")))
    await world.runtime.handoff.deliver_due()
    assert f"{code} wurde von der Person zurückgezogen" in world.channel.text(CONTACT.user_id)
    claim = await world.runtime.handle(Incoming(CONTACT, Command("claim", code)))
    assert "bereits beendet" in " ".join(a.text for a in claim if isinstance(a, Say))
    hits = [h for h in world.hits() if "key of" in h or "route" in h]
    assert hits == [], "\n".join(hits)


async def test_delete_unlinks_earlier_closed_cases(world: World):
    user = world.user()
    world.remember(user)
    code = await open_case(world, user)
    await world.runtime.handle(Incoming(CONTACT, Command("claim", code)))
    await world.runtime.handle(Incoming(CONTACT, Command("close", code)))
    await world.runtime.handle(Incoming(user, Command("delete")))
    hits = [h for h in world.hits() if "key of" in h]
    assert hits == [], "\n".join(hits)


async def test_delete_drops_notices_still_waiting_for_the_user(world: World):
    user = world.user()
    world.remember(user)
    code = await open_case(world, user)
    world.channel.failing_routes.add(user.user_id)  # the user's chat cannot be reached
    await world.runtime.handle(Incoming(CONTACT, Command("claim", code)))
    await world.runtime.handoff.deliver_due()  # "a contact took your case" fails, stays queued
    assert world.query("SELECT count(*) FROM outbox WHERE target='user' AND code=?", code) == [(1,)]
    await world.runtime.handle(Incoming(user, Command("delete")))
    assert world.query("SELECT count(*) FROM outbox WHERE target='user' AND code=?", code) == [(0,)]


async def test_erasure_report_names_what_was_found(world: World):
    """The scan of a live database reports the user's key; it is no blind check."""
    user = world.user()
    world.remember(user)
    await talk(world, user)
    found = world.scanner.scan(sqlite_family(world.db))
    assert any(h.encoding == "binary" for h in found), report(found)
