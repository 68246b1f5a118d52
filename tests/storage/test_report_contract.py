"""The Übergriff report part of the store contract (migration 8), on the SQLite and the
in-memory store: add, read, clear the answers, drop (with its notices), expiry, rollback, and
a removed Meldestelle taking its reports along, an erasure unlinking a user's reports."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.ports import (
    AddReport,
    ClearReport,
    DropReport,
    Invite,
    Notify,
    Register,
    RemoveContact,
    ReportRecord,
    Store,
    UnlinkReport,
)

KEY = b"k" * 32


async def meldestelle(store: Store) -> int:
    async with store.unit() as unit:
        unit.apply(
            Invite("Meldestelle", ("SN",), ("assault",), b"h" * 32, 9999, 1, (), "meldestelle")
        )
    contact = (await store.contacts())[-1].id
    async with store.unit() as unit:
        unit.apply(Register(contact, "matrix", "@m:x", "room", "de"))
    return contact


def record(contact: int, code: str = "ABCD-EF", expires: int = 2000) -> ReportRecord:
    return ReportRecord(
        code=code,
        user_key=KEY,
        contact_id=contact,
        user_route=b"sealed",
        land="SN",
        region="14999",
        locale="en",
        answers=(("what", "angriff"), ("when", "2026-12-01"), ("contact", "ja")),
        created_at=1000,
        expires_at=expires,
    )


async def test_a_report_reads_back_as_written(store: Store) -> None:
    contact = await meldestelle(store)
    async with store.unit() as unit:
        unit.apply(AddReport(record(contact)))
        assert await unit.report("ABCD-EF") is None  # not before the unit ends
    assert await store.report("ABCD-EF") == record(contact)
    assert await store.report("ZZZZ-ZZ") is None


async def test_the_route_reads_back_inside_a_unit_and_goes_with_the_drop(store: Store) -> None:
    """The acknowledgement reads the report's route in its unit (for the notice to the
    employee) and drops the report in the same unit."""
    contact = await meldestelle(store)
    async with store.unit() as unit:
        unit.apply(AddReport(record(contact)))
    async with store.unit() as unit:
        found = await unit.report("ABCD-EF")
        assert found is not None and found.user_route == b"sealed"
        unit.apply(DropReport("ABCD-EF"), Notify("report_ack:de", "ABCD-EF", 1000, route=b"s"))
    assert await store.report("ABCD-EF") is None
    (due,) = await store.outbox_due(5000, 10)
    assert due.route == b"s"


async def test_clearing_keeps_only_code_key_route_and_times(store: Store) -> None:
    contact = await meldestelle(store)
    async with store.unit() as unit:
        unit.apply(AddReport(record(contact)))
    async with store.unit() as unit:
        unit.apply(ClearReport("ABCD-EF"))
    found = await store.report("ABCD-EF")
    assert found is not None and found.answers == ()
    assert (found.code, found.user_key, found.user_route, found.expires_at) == (
        "ABCD-EF",
        KEY,
        b"sealed",
        2000,
    )


async def test_dropping_deletes_the_row_and_its_waiting_notices(store: Store) -> None:
    contact = await meldestelle(store)
    async with store.unit() as unit:
        unit.apply(AddReport(record(contact)), Notify("report", "ABCD-EF", 1000, contact))
    assert await store.outbox_backlog() == 1
    async with store.unit() as unit:
        unit.apply(DropReport("ABCD-EF"), Notify("report_ack:de", "ABCD-EF", 1000, route=b"r"))
    assert await store.report("ABCD-EF") is None
    due = await store.outbox_due(5000, 10)
    assert [row.kind for row in due] == ["report_ack:de"]  # the new one after the drop stays


async def test_expired_reports_are_purged_and_others_kept(store: Store) -> None:
    contact = await meldestelle(store)
    async with store.unit() as unit:
        unit.apply(
            AddReport(record(contact, "OLD1-AA", expires=1500)),
            AddReport(record(contact, "NEW1-BB", expires=3000)),
            Notify("report", "OLD1-AA", 1000, contact),
        )
    assert await store.purge_reports(2000) == 1
    assert await store.report("OLD1-AA") is None
    assert await store.report("NEW1-BB") is not None
    assert await store.outbox_backlog() == 0


async def test_a_failed_unit_writes_no_report(store: Store) -> None:
    contact = await meldestelle(store)

    async def failing() -> None:
        async with store.unit() as unit:
            unit.apply(AddReport(record(contact)))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await failing()
    assert await store.report("ABCD-EF") is None


async def test_a_removed_meldestelle_takes_its_reports_along(store: Store) -> None:
    contact = await meldestelle(store)
    async with store.unit() as unit:
        unit.apply(AddReport(record(contact)))
    async with store.unit() as unit:
        unit.apply(RemoveContact(contact, 1100))
    assert await store.report("ABCD-EF") is None


async def test_a_users_reports_are_found_by_key_and_unlinked(store: Store) -> None:
    """An erasure finds the employee's reports by key (in its unit) and unlinks them: a new
    key, no route; answers, times and the Meldestelle stay."""
    contact = await meldestelle(store)
    async with store.unit() as unit:
        unit.apply(AddReport(record(contact)), AddReport(record(contact, "WXYZ-12")))
        unit.apply(AddReport(replace(record(contact, "OTHR-99"), user_key=b"o" * 32)))
    async with store.unit() as unit:
        own = await unit.user_reports(KEY)
        assert [r.code for r in own] == ["ABCD-EF", "WXYZ-12"]
        unit.apply(*(UnlinkReport(r.code, b"n" * 32) for r in own))
    assert await store.user_reports(KEY) == []
    for code in ("ABCD-EF", "WXYZ-12"):
        found = await store.report(code)
        assert found == replace(record(contact, code), user_key=b"n" * 32, user_route=None)
    other = await store.report("OTHR-99")
    assert other is not None and other.user_route == b"sealed"
    async with store.unit() as unit:  # a report that is gone: nothing happens
        unit.apply(UnlinkReport("GONE-00", b"n" * 32))
