"""Limits that hold (issue 17, items 1-3): the daily case limit and abuse blocks survive
``/loeschen`` and restarts, kept under a separate limit key; and a closed case leaves no sealed
route in the database, its ``-wal`` or free pages (the canary scanner reads the raw files)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.content import Content
from bot.engine.actions import Say
from bot.engine.events import Command
from bot.runtime import Runtime, limit_key
from bot.runtime_api import Incoming, Sender
from bot.storage.memory import MemoryStore
from bot.storage.sqlite import SqliteStore
from testbed.canary import Scanner, report, sqlite_family
from tests.helpers import FakeClock as Clock
from tests.helpers import RecordingChannel as Channel
from tests.helpers import case_routes
from tests.test_handoff import SECRET, USER, open_case, tap, to_consent

CONTACT = Sender("matrix", "@a:x", "de", route="room-@a:x")
YES = "Ja, über diesen Chat weitergeben"


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return list(con.execute(sql))
    finally:
        con.close()


async def register(runtime: Runtime) -> None:
    code = await runtime.handoff.invite("A", ["BY"], ["threat"])
    await runtime.handle(Incoming(CONTACT, Command("register", code)))


async def try_open(runtime: Runtime) -> str:
    """Consent once more: "opened", "limit" or "blocked" (by the answer's words)."""
    actions = await to_consent(runtime)
    replies = await tap(runtime, USER, actions, YES)
    said = " ".join(a.text for a in replies if isinstance(a, Say))
    if "mehrere Anfragen" in said:
        return "limit"
    if "nicht möglich" in said:
        return "blocked"
    assert "weitergegeben" in said, said
    return "opened"


def runtime_over(content: Content, store: SqliteStore | MemoryStore, clock: Clock) -> Runtime:
    runtime = Runtime(content, store, SECRET, clock=clock, rate_limit=10_000)
    runtime.register_channel("matrix", Channel())
    runtime.register_channel("telegram", Channel())
    return runtime


# ---------------------------------------------------------------- the daily limit


async def test_erasing_does_not_reset_the_daily_limit(content: Content, tmp_path: Path) -> None:
    """The loop of the issue: consent, /loeschen, consent... The third case is the last."""
    clock = Clock()
    db = tmp_path / "l.db"
    async with SqliteStore(db) as store:
        runtime = runtime_over(content, store, clock)
        await register(runtime)
        outcomes = []
        for _ in range(5):
            outcomes.append(await try_open(runtime))
            await runtime.handle(Incoming(USER, Command("delete")))
    assert outcomes == ["opened"] * 3 + ["limit"] * 2
    # the limit rows hold the limit key, never the conversation key
    limit = limit_key(SECRET, USER.platform, USER.user_id)
    assert rows(db, "SELECT DISTINCT key FROM case_opens") == [(limit,)]
    assert limit != runtime.key(USER)


async def test_the_limit_survives_a_restart_and_ends_after_a_day(
    content: Content, tmp_path: Path
) -> None:
    clock = Clock()
    db = tmp_path / "r.db"
    for _ in range(3):
        async with SqliteStore(db) as store:
            runtime = runtime_over(content, store, clock)
            if not await store.contacts():
                await register(runtime)
            assert await try_open(runtime) == "opened"
            await runtime.handle(Incoming(USER, Command("delete")))
    async with SqliteStore(db) as store:  # a fresh process: no cache knows this user
        runtime = runtime_over(content, store, clock)
        await runtime.purge()
        assert await try_open(runtime) == "limit"
        clock.advance(86400)
        await runtime.purge()  # the counted opens are past the window: purged
        assert rows(db, "SELECT count(*) FROM case_opens") == [(0,)]
        assert await try_open(runtime) == "opened"


# ---------------------------------------------------------------- abuse blocks


async def abuse(runtime: Runtime) -> None:
    code = await open_case(runtime)
    await runtime.handle(Incoming(CONTACT, Command("claim", code)))
    reply = await runtime.handle(Incoming(CONTACT, Command("abuse", code)))
    assert "Missbrauch" in reply[0].text  # type: ignore[union-attr]


async def test_a_block_survives_erasure_restart_and_the_purge_of_the_case(
    content: Content, tmp_path: Path
) -> None:
    """Day 8 of a 30-day block: the case is purged, the user erased, the bot restarted."""
    clock = Clock()
    db = tmp_path / "b.db"
    async with SqliteStore(db) as store:
        runtime = runtime_over(content, store, clock)
        await register(runtime)
        await abuse(runtime)
        await runtime.handle(Incoming(USER, Command("delete")))
    clock.advance(8 * 86400)
    async with SqliteStore(db) as store:
        runtime = runtime_over(content, store, clock)
        await runtime.purge()
        assert rows(db, "SELECT count(*) FROM cases") == [(0,)]
        assert await try_open(runtime) == "blocked"
        await runtime.handle(Incoming(USER, Command("delete")))
    async with SqliteStore(db) as store:
        runtime = runtime_over(content, store, clock)
        assert await try_open(runtime) == "blocked"
        clock.advance(23 * 86400)
        await runtime.purge()
        assert rows(db, "SELECT count(*) FROM blocks") == [(0,)]
        assert await try_open(runtime) == "opened"
    limit = limit_key(SECRET, USER.platform, USER.user_id)
    assert rows(db, "SELECT limit_key FROM cases WHERE status != 'closed'") == [(limit,)]


async def test_the_memory_store_keeps_limits_the_same_way(content: Content) -> None:
    clock = Clock()
    store = MemoryStore()
    runtime = runtime_over(content, store, clock)
    await register(runtime)
    await abuse(runtime)
    await runtime.handle(Incoming(USER, Command("delete")))
    restarted = runtime_over(content, store, clock)
    assert await try_open(restarted) == "blocked"


# ---------------------------------------------------------------- no sealed route left behind


def route_scanner(db: Path) -> tuple[Scanner, int]:
    """A scanner for every sealed route the database holds now (and how many)."""
    sealed = case_routes(db)
    scanner = Scanner()
    for code, route in sealed.items():
        scanner.add_blob(f"route of {code}", route)
    return scanner, len(sealed)


async def closed_case_leaves_no_route(content: Content, tmp_path: Path, ending: str) -> None:
    clock = Clock()
    db = tmp_path / f"{ending}.db"
    async with SqliteStore(db) as store:
        runtime = runtime_over(content, store, clock)
        await register(runtime)
        code = await open_case(runtime)
        await runtime.handoff.deliver_due()
        if ending != "erased_unclaimed":
            await runtime.handle(Incoming(CONTACT, Command("claim", code)))
            await runtime.handoff.deliver_due()
        scanner, sealed = route_scanner(db)
        assert sealed == 1
        assert scanner.scan(sqlite_family(db)), "the scanner finds the route while the case is open"
        match ending:
            case "contact":
                await runtime.handle(Incoming(CONTACT, Command("close", code)))
            case "abuse":
                await runtime.handle(Incoming(CONTACT, Command("abuse", code)))
            case "erased" | "erased_unclaimed":
                await runtime.handle(Incoming(USER, Command("delete")))
            case "user":
                asked = await runtime.handle(Incoming(USER, Command("help")))
                asked = await tap(runtime, USER, asked, "Fall beenden")
                await tap(runtime, USER, asked, "Ja, Fall beenden")
            case "expired":
                clock.advance(31 * 86400)
                await runtime.purge()
        await runtime.handoff.deliver_due()  # a notice to the user carried the route
        assert rows(db, "SELECT status FROM cases") in ([("closed",)], [])
        assert sqlite_family(db), "the files are there"
        hits = scanner.scan(sqlite_family(db))
        assert hits == [], report(hits)


async def test_no_sealed_route_after_a_contact_closes(content: Content, tmp_path: Path) -> None:
    await closed_case_leaves_no_route(content, tmp_path, "contact")


async def test_no_sealed_route_after_abuse(content: Content, tmp_path: Path) -> None:
    await closed_case_leaves_no_route(content, tmp_path, "abuse")


async def test_no_sealed_route_after_the_user_ends(content: Content, tmp_path: Path) -> None:
    await closed_case_leaves_no_route(content, tmp_path, "user")


async def test_no_sealed_route_after_erasure(content: Content, tmp_path: Path) -> None:
    await closed_case_leaves_no_route(content, tmp_path, "erased")
    await closed_case_leaves_no_route(content, tmp_path, "erased_unclaimed")


async def test_no_sealed_route_after_expiry(content: Content, tmp_path: Path) -> None:
    await closed_case_leaves_no_route(content, tmp_path, "expired")
