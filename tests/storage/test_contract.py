"""The store contract, run on the SQLite and the in-memory store (see conftest.py)."""

from __future__ import annotations

import asyncio

import pytest

from bot.engine.state import InCase, State
from bot.errors import Redelivered
from bot.ports import (
    LIMIT_WINDOW,
    AddCase,
    Audit,
    Block,
    CaseRecord,
    ChangeCase,
    Count,
    CountOpen,
    DropUserNotices,
    Forget,
    Invite,
    Notify,
    PutState,
    Register,
    RemoveContact,
    Seen,
    SetAvailable,
    Standing,
    Store,
    Told,
)

KEY = b"k" * 32
OTHER = b"o" * 32
STATE = State(
    "demo", "frage", "en", (("land", "BY"),), (("menu", "auswahl"),), 3, InCase("AB12-CD")
)
WEEK = ("2026-W47", "threat", "BY", "none", "telegram", "services_shown")


def case(
    code: str = "AB12-CD", user: bytes = KEY, created: int = 1000, **changes: object
) -> CaseRecord:
    fields: dict[str, object] = {
        "code": code,
        "user_key": user,
        "topic": "threat",
        "urgency": "high",
        "land": "BY",
        "status": "open",
        "contact_id": None,
        "circle": 1,
        "user_route": b"sealed",
        "locale": "de",
        "created_at": created,
    }
    fields.update(changes)
    return CaseRecord(**fields)  # type: ignore[arg-type]


async def invite(store: Store, name: str = "A", lands: tuple[str, ...] = ("BY",)) -> int:
    async with store.unit() as unit:
        unit.apply(Invite(name, lands, ("threat",), name.encode() * 4, 5000, 1000))
    (contact,) = [c for c in await store.contacts() if c.name == name]
    return contact.id


async def registered(store: Store, name: str = "A", lands: tuple[str, ...] = ("BY",)) -> int:
    cid = await invite(store, name, lands)
    async with store.unit() as unit:
        unit.apply(Register(cid, "matrix", f"@{name}:x", f"room-{name}", "en"))
    return cid


# ---------------------------------------------------------------- conversations and counters


async def test_save_load_count_and_first_time(store: Store) -> None:
    assert await store.load(KEY) is None
    await store.save(KEY, STATE, 1000.0, (WEEK, WEEK))
    assert await store.load(KEY) == STATE
    await store.count((WEEK,))
    assert [(c.topic, c.count) for c in await store.counters()] == [("threat", 3)]
    assert await store.conversation_count() == 1
    assert await store.first_time(b"e1", 10.0)
    assert not await store.first_time(b"e1", 11.0)


async def test_a_save_records_its_event_id_in_the_same_transaction(store: Store) -> None:
    assert not await store.was_seen(b"e1")
    await asyncio.gather(
        store.save(KEY, STATE, 1000.0, (WEEK,), seen=b"e1"), store.save(OTHER, STATE, 1000.0)
    )
    assert await store.was_seen(b"e1") and not await store.was_seen(b"e2")
    assert not await store.first_time(b"e1", 1001.0)
    async with store.unit() as unit:
        unit.apply(PutState(OTHER, STATE, 1001), Seen(b"e2", 1001))
    assert await store.was_seen(b"e2")
    with pytest.raises(RuntimeError):  # noqa: PT012 - the failure inside the unit
        async with store.unit() as unit:
            unit.apply(PutState(OTHER, STATE, 1002), Seen(b"e3", 1002))
            raise RuntimeError("the step failed")
    assert not await store.was_seen(b"e3")  # no step, no record: a redelivery is handled
    assert await store.first_time(b"e3", 1003.0)


async def test_a_save_whose_event_id_was_recorded_writes_nothing(store: Store) -> None:
    await store.save(KEY, STATE, 1000.0, seen=b"e1")
    moved = State("demo", "weiter", "en")
    results = await asyncio.gather(
        store.save(KEY, moved, 1001.0, (WEEK,), seen=b"e1"),
        store.save(OTHER, moved, 1001.0, (WEEK,), seen=b"e2"),
        return_exceptions=True,
    )
    assert isinstance(results[0], Redelivered) and results[1] is None
    assert await store.load(KEY) == STATE and await store.load(OTHER) == moved
    assert [c.count for c in await store.counters()] == [1]  # only the other step's
    with pytest.raises(Redelivered):
        async with store.unit() as unit:
            unit.apply(PutState(KEY, moved, 1002), Count((WEEK,)), Seen(b"e2", 1002))
    assert await store.load(KEY) == STATE and [c.count for c in await store.counters()] == [1]


async def test_standing_answers_case_block_and_limit_in_one_lookup(store: Store) -> None:
    limit = b"l" * 32
    assert await store.standing(None, limit, 2000) == Standing(None, False, 0)
    async with store.unit() as unit:
        unit.apply(
            AddCase(case("AA11-BB", status="closed", created=900)),
            AddCase(case("CC22-DD", created=1000)),
            AddCase(case("EE33-FF", created=1100, status="claimed")),
            CountOpen(limit, 1000),
            CountOpen(limit, 1900),
            CountOpen(OTHER, 1900),
        )
    found = await store.standing(KEY, limit, 2000)
    assert found.current is not None and found.current.code == "CC22-DD"  # the oldest open
    assert (found.blocked, found.opened) == (False, 2)
    assert (await store.standing(None, limit, 2000)).current is None  # not looked for
    assert (await store.standing(KEY, limit, 1000 + LIMIT_WINDOW)).opened == 1
    async with store.unit() as unit:
        # blocks by an old user key (before migration 4) count only for keys with cases
        unit.apply(Block(KEY, 3000), Block(OTHER, 3000))
    assert (await store.standing(KEY, limit, 2000)).blocked
    assert not (await store.standing(None, limit, 2000)).blocked
    assert not (await store.standing(OTHER, limit, 2000)).blocked
    async with store.unit() as unit:
        unit.apply(Block(limit, 2500))
    assert (await store.standing(OTHER, limit, 2000)).blocked
    assert not (await store.standing(OTHER, limit, 2500)).blocked  # the block has ended


async def test_concurrent_saves_all_land(store: Store) -> None:
    keys = [bytes([i]) * 32 for i in range(20)]
    await asyncio.gather(*(store.save(k, STATE, 1000.0, (WEEK,)) for k in keys))
    assert all([await store.load(k) == STATE for k in keys])
    assert [c.count for c in await store.counters()] == [20]


async def test_purge_and_erase(store: Store) -> None:
    await store.save(OTHER, STATE, 100.0)
    await store.save(KEY, STATE, 5000.0)
    await store.first_time(b"old", 100.0)
    assert await store.purge(1000.0, 1000.0) == 1
    assert await store.load(OTHER) is None and await store.load(KEY) == STATE
    assert await store.first_time(b"old", 6000.0)  # forgotten, so new again
    async with store.unit() as unit:
        unit.apply(Forget(KEY))
    await store.checkpoint()
    assert await store.load(KEY) is None
    assert await store.conversation_count() == 0


# ---------------------------------------------------------------- units


async def test_a_unit_writes_nothing_until_it_ends(store: Store) -> None:
    async with store.unit() as unit:
        unit.apply(PutState(KEY, STATE, 1000), Count((WEEK,)), AddCase(case()))
        assert await unit.case("AB12-CD") is None
    assert await store.load(KEY) == STATE
    assert (await store.case("AB12-CD")) == case()
    assert [c.count for c in await store.counters()] == [1]


async def test_a_failed_unit_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):  # noqa: PT012 - the unit is the block under test
        async with store.unit() as unit:
            unit.apply(PutState(KEY, STATE, 1000), AddCase(case()), Notify("new", "AB12-CD", 1))
            raise RuntimeError("rolled back")
    assert await store.load(KEY) is None
    assert await store.case("AB12-CD") is None
    assert await store.outbox_backlog() == 0


async def test_a_unit_with_a_failing_write_writes_none_of_it(store: Store) -> None:
    async with store.unit() as unit:
        unit.apply(AddCase(case()))
    with pytest.raises(Exception):  # noqa: B017, PT011 - sqlite3.IntegrityError or ValueError
        async with store.unit() as unit:
            unit.apply(PutState(KEY, STATE, 1000), AddCase(case()))
    assert await store.load(KEY) is None


async def test_readers_see_only_committed_writes(store: Store) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with store.unit() as unit:
            unit.apply(AddCase(case()), Notify("new", "AB12-CD", 1, route=b"r"))
            entered.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await entered.wait()
    reader = asyncio.create_task(store.outbox_due(10, 10))
    await asyncio.sleep(0.05)
    release.set()
    await task
    assert [r.kind for r in await reader] in ([], ["new"])  # never before the commit
    assert [r.kind for r in await store.outbox_due(10, 10)] == ["new"]


def test_change_case_refuses_unknown_columns() -> None:
    with pytest.raises(ValueError, match="code"):
        ChangeCase("AB12-CD", (("code", "X"),))


# ---------------------------------------------------------------- cases and contacts


async def test_cases_by_user_status_and_time(store: Store) -> None:
    async with store.unit() as unit:
        unit.apply(
            AddCase(case("AAAA-11", created=1000, status="closed", closed_at=1100)),
            AddCase(case("BBBB-22", created=2000, escalate_at=2600)),
            AddCase(case("CCCC-33", user=OTHER, created=3000, status="claimed")),
        )
    assert [c.code for c in await store.user_cases(KEY)] == ["AAAA-11", "BBBB-22"]
    assert await store.case_users() == {KEY, OTHER}
    assert [c.code for c in await store.cases_due(2600)] == ["BBBB-22"]
    assert await store.cases_due(2599) == []
    assert [c.code for c in await store.cases_opened_before(5000)] == ["BBBB-22", "CCCC-33"]
    async with store.unit() as unit:
        unit.apply(ChangeCase("BBBB-22", (("status", "claimed"), ("escalate_at", None))))
    changed = await store.case("BBBB-22")
    assert changed is not None and (changed.status, changed.escalate_at) == ("claimed", None)


async def test_contacts_invite_register_availability(store: Store) -> None:
    cid = await invite(store)
    assert await store.invitation(b"A" * 4, 4999) == cid
    assert await store.invitation(b"A" * 4, 5000) is None  # expired
    assert await store.contact_accounts() == set()
    async with store.unit() as unit:
        unit.apply(Register(cid, "matrix", "@a:x", "room-a", "en"))
    assert await store.invitation(b"A" * 4, 1000) is None  # used up
    found = await store.contact_by_account("matrix", "@a:x")
    assert found is not None and (found.id, found.route, found.locale) == (cid, "room-a", "en")
    assert await store.contact_accounts() == {("matrix", "@a:x")}
    assert found.serves("threat", "BY") and not found.serves("hate", "BY")
    async with store.unit() as unit:
        unit.apply(SetAvailable(cid, False))
    again = await store.contact(cid)
    assert again is not None and not again.available


async def test_contacts_keep_their_regions_and_role(store: Store) -> None:
    async with store.unit() as unit:
        unit.apply(
            Invite("L", ("SN",), ("all",), b"L" * 4, 5000, 1000, ("14999", "14998")),
            Invite("M", ("SN",), ("all",), b"M" * 4, 5000, 1000, ("14999",), "meldestelle"),
        )
    plain = await invite(store, "P")
    by_name = {c.name: c for c in await store.contacts()}
    assert by_name["L"].regions == ("14999", "14998") and by_name["L"].role == "contact"
    assert by_name["M"].regions == ("14999",) and by_name["M"].role == "meldestelle"
    assert by_name["P"].regions == () and by_name["P"].role == "contact"
    assert by_name["L"].serves_region("threat", "14998")
    assert not by_name["L"].serves_region("threat", "14997")
    async with store.unit() as unit:
        unit.apply(Register(by_name["M"].id, "matrix", "@m:x", "room-m", "de"))
    registered = await store.contact_by_account("matrix", "@m:x")
    assert registered is not None and registered.role == "meldestelle"
    assert registered.regions == ("14999",)
    assert (await store.contact(plain)) == by_name["P"]


async def test_a_case_keeps_its_region(store: Store) -> None:
    async with store.unit() as unit:
        unit.apply(
            AddCase(case("LOCA-L1", land="SN", region="14999")),
            AddCase(case("NONE-11", land="SN")),
        )
    local, plain = await store.case("LOCA-L1"), await store.case("NONE-11")
    assert local is not None and local.region == "14999"
    assert plain is not None and plain.region == "none"
    assert [c.region for c in await store.user_cases(KEY)] == ["14999", "none"]


async def test_notices_outbox_and_contact_cases(store: Store) -> None:
    a, b = await registered(store, "A"), await registered(store, "B")
    async with store.unit() as unit:
        unit.apply(
            AddCase(case("AAAA-11", created=1000)),
            AddCase(case("BBBB-22", created=2000, status="claimed", contact_id=b)),
            Told("AAAA-11", a),
            Told("AAAA-11", b),
            Told("BBBB-22", b),
            Notify("new", "AAAA-11", 10, contact_id=a),
            Notify("claimed", "BBBB-22", 20, route=b"sealed"),
        )
    assert await store.notified("AAAA-11") == {a, b}
    assert [c.code for c in await store.contact_cases(a)] == ["AAAA-11"]
    assert [c.code for c in await store.contact_cases(b)] == ["AAAA-11", "BBBB-22"]
    due = await store.outbox_due(15, 10)
    assert [(r.target, r.kind, r.contact_id, r.attempts) for r in due] == [("contact", "new", a, 0)]
    assert due[0].nonce
    await store.outbox_retry(due[0].id, 100)
    assert [r.kind for r in await store.outbox_due(99, 10)] == ["claimed"]
    (retried,) = [r for r in await store.outbox_due(100, 10) if r.kind == "new"]
    assert retried.attempts == 1
    await store.outbox_done(retried.id)
    assert await store.outbox_backlog() == 1
    async with store.unit() as unit:
        unit.apply(DropUserNotices(("BBBB-22",)))
    assert await store.outbox_backlog() == 0


async def test_removing_a_contact_reopens_their_cases(store: Store) -> None:
    a = await registered(store, "A")
    async with store.unit() as unit:
        unit.apply(
            AddCase(case(status="claimed", contact_id=a)),
            Told("AB12-CD", a),
            Notify("new", "AB12-CD", 10, contact_id=a),
        )
    async with store.unit() as unit:
        unit.apply(RemoveContact(a, 500))
    reopened = await store.case("AB12-CD")
    assert reopened is not None
    assert (reopened.status, reopened.contact_id, reopened.escalate_at) == ("open", None, 500)
    assert await store.contact(a) is None
    assert await store.notified("AB12-CD") == set()
    assert await store.outbox_backlog() == 0


async def test_blocks_and_purge(store: Store) -> None:
    await invite(store, "Old")  # an invitation that expires at 5000
    async with store.unit() as unit:
        unit.apply(
            Block(KEY, 3000),
            AddCase(case("AAAA-11", status="closed", closed_at=1000)),
            AddCase(case("BBBB-22", status="closed", closed_at=4000)),
            Audit(500, "case.opened", "AAAA-11", "user"),
        )
    assert await store.blocked(KEY, 2999) and not await store.blocked(KEY, 3000)
    assert not await store.blocked(OTHER, 0)
    assert await store.purge_cases(2000, 1000, 6000) == 1
    assert await store.case("AAAA-11") is None and await store.case("BBBB-22") is not None
    assert not await store.blocked(KEY, 0)  # the ended block is gone
    assert await store.contacts() == []  # the unused, expired invitation too
    assert await store.ping()


async def test_counted_opens_and_the_limit_key(store: Store) -> None:
    """The daily limit's rows: counted by limit key, apart from the cases, purged after a day;
    a case keeps its limit key until a change clears it."""
    limit = b"l" * 32
    async with store.unit() as unit:
        unit.apply(
            CountOpen(limit, 1000),
            CountOpen(limit, 2000),
            CountOpen(OTHER, 2000),
            AddCase(case("CCCC-33", limit_key=limit)),
        )
    assert await store.opened_since(limit, 999) == 2
    assert await store.opened_since(limit, 1000) == 1
    assert await store.opened_since(KEY, 0) == 0
    stored = await store.case("CCCC-33")
    assert stored is not None and stored.limit_key == limit
    async with store.unit() as unit:
        unit.apply(ChangeCase("CCCC-33", (("user_key", OTHER), ("limit_key", None))))
    stored = await store.case("CCCC-33")
    assert stored is not None and stored.limit_key is None
    assert await store.opened_since(limit, 0) == 2  # unlinking the case leaves the count
    await store.purge_cases(0, 0, 1000 + LIMIT_WINDOW)
    assert await store.opened_since(limit, 0) == 1  # the first is past the window


async def test_a_notice_keeps_its_route_after_the_case_closed(store: Store) -> None:
    """A contact closes: the case lets go of its route, the notice telling the user keeps one
    until it is delivered."""
    async with store.unit() as unit:
        unit.apply(AddCase(case(user_route=b"sealed-1")))
    closing = (("status", "closed"), ("closed_at", 1100), ("user_route", None))
    async with store.unit() as unit:
        unit.apply(
            ChangeCase("AB12-CD", closing),
            Notify("ended_by_contact", "AB12-CD", 1100, route=b"sealed-1"),
        )
    found = await store.case("AB12-CD")
    assert found is not None and found.user_route is None
    (row,) = await store.outbox_due(2000, 10)
    assert (row.target, row.kind, row.route) == ("user", "ended_by_contact", b"sealed-1")
    await store.outbox_done(row.id)
    assert await store.outbox_due(2000, 10) == []
