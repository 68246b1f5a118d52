"""The outbox reads committed rows only: a unit that queues a notice and rolls back sends
nothing, even when the worker runs while the unit is open (on both stores)."""

from __future__ import annotations

import asyncio

import pytest

from bot.content import Content
from bot.crypto import Sealer
from bot.handoff.notices import Notices
from bot.handoff.outbox import Outbox
from bot.ports import AddCase, CaseRecord, Invite, Notify, Register, Store, Told
from tests.helpers import RecordingChannel

CASE = CaseRecord("AB12-CD", b"u" * 32, "threat", "high", "BY", "open", None, 1, None, "de", 1000)


async def outbox_with_contact(
    store: Store, content: Content
) -> tuple[Outbox, RecordingChannel, int]:
    async with store.unit() as unit:
        unit.apply(Invite("A", ("BY",), ("threat",), b"h" * 32, 10**10, 1000))
    (invited,) = await store.contacts()
    async with store.unit() as unit:
        unit.apply(Register(invited.id, "matrix", "@a:x", "room-a", "de"))
    clock = lambda: 2000.0  # noqa: E731
    outbox = Outbox(store, Sealer(b"s" * 32), Notices(lambda: content, clock), clock)
    channel = RecordingChannel()
    outbox.register("matrix", channel)
    return outbox, channel, invited.id


async def test_a_rolled_back_notice_is_never_sent(store: Store, content: Content) -> None:
    outbox, channel, cid = await outbox_with_contact(store, content)
    stop = asyncio.Event()

    async def escalate() -> int:
        return 0

    worker = asyncio.create_task(outbox.run(stop, escalate, idle=0.005))
    try:
        with pytest.raises(RuntimeError):  # noqa: PT012 - the unit is the block under test
            async with store.unit() as unit:
                unit.apply(AddCase(CASE), Told(CASE.code, cid), Notify("new", CASE.code, 1000, cid))
                outbox.poke()  # as the old code did: a wake before the commit
                once = asyncio.create_task(outbox.deliver_due())
                await asyncio.sleep(0.05)  # the worker runs many rounds meanwhile
                raise RuntimeError("the step failed after queueing its notice")
        await once
        await asyncio.sleep(0.05)
    finally:
        stop.set()
        await worker
    assert channel.sent == []
    assert await store.outbox_backlog() == 0
    assert await store.case(CASE.code) is None


async def test_a_committed_notice_is_sent_once(store: Store, content: Content) -> None:
    outbox, channel, cid = await outbox_with_contact(store, content)
    async with store.unit() as unit:
        unit.apply(AddCase(CASE), Told(CASE.code, cid), Notify("new", CASE.code, 1000, cid))
    assert await outbox.deliver_due() == 1
    assert await outbox.deliver_due() == 0
    assert len(channel.sent) == 1 and channel.texts()[0].startswith("Neuer Fall AB12-CD")
