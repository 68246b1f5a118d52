"""Outgoing pacing: slot booking, per-chat activity and the fair gate (bot/transports/pacing.py)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.transports.pacing import ChatActivity, FairGate, Pace
from tests.helpers import FakeClock


def test_pace_allows_a_burst_then_one_per_interval():
    pace = Pace(rate=1.0, burst=5)
    waits = [pace.reserve(100.0) for _ in range(7)]
    assert waits == [0, 0, 0, 0, 0, 1.0, 2.0]
    assert pace.reserve(110.0) == 0  # the budget refilled meanwhile
    assert Pace(1.0, 1).idle(0.0)


def test_pace_waits_out_a_block():
    pace = Pace(rate=10.0, burst=3)
    pace.block_until(50.0)
    assert pace.wait(49.0) == pytest.approx(1.0)
    assert pace.wait(50.0) == 0
    pace.take(50.0)
    assert pace.wait(50.0) == pytest.approx(0.1)  # then the steady pace: no burst at once


def test_activity_counts_and_fades():
    clock = FakeClock()
    activity = ChatActivity(horizon=10.0, clock=clock)
    for _ in range(20):
        activity.note(1)
    activity.note(2)
    assert activity.score(1) == pytest.approx(20.0)
    assert activity.score(2) == pytest.approx(1.0)
    assert activity.score(3) == activity.score(None) == 0.0
    clock.now += 10.0
    assert activity.score(1) == pytest.approx(20.0 / 2.718281828, rel=1e-6)
    clock.now += 100.0
    assert activity.score(1) < 0.001


def test_activity_stays_bounded():
    clock = FakeClock()
    activity = ChatActivity(horizon=1.0, capacity=100, clock=clock)
    for chat in range(100):
        activity.note(chat)
    clock.now += 10.0  # all faded
    activity.note(1000)
    assert len(activity) == 1
    for chat in range(2000, 2300):  # none fade: the oldest half goes each time
        activity.note(chat)
    assert len(activity) <= 100
    assert activity.score(2299) == pytest.approx(1.0)


def _gate(rate: float, burst: int, activity: ChatActivity, chat_rate: float = 1000.0) -> FairGate:
    paces: dict[int, Pace] = {}

    def pace_for(chat: int, now: float) -> Pace:
        return paces.setdefault(chat, Pace(chat_rate, 1))

    return FairGate(Pace(rate, burst), pace_for, activity)


async def _send_all(gate: FairGate, chats: list[int], sent: list[int]) -> None:
    async def one(chat: int) -> None:
        await gate.acquire(chat)
        sent.append(chat)

    tasks = []
    for chat in chats:
        tasks.append(asyncio.create_task(one(chat)))
        await asyncio.sleep(0)  # arrival order as listed
    await asyncio.gather(*tasks)


async def test_the_quiet_chat_goes_before_the_busy_ones():
    activity = ChatActivity()
    for _ in range(200):
        activity.note(1)  # flooding
    for _ in range(100):
        activity.note(2)  # flooding less
    activity.note(3)  # a person
    gate = _gate(rate=50.0, burst=1, activity=activity)
    sent: list[int] = []
    await _send_all(gate, [1, 1, 1, 2, 2, 1, 3], sent)
    # the first goes at once (nobody waited); then the lowest score first, ties in arrival order
    assert sent == [1, 3, 2, 2, 1, 1, 1]
    assert gate.waiting == 0


async def test_equal_chats_are_served_in_arrival_order():
    gate = _gate(rate=100.0, burst=1, activity=ChatActivity())
    sent: list[int] = []
    await _send_all(gate, [5, 6, 7, 8, 9], sent)
    assert sent == [5, 6, 7, 8, 9]


async def test_a_chat_held_by_its_own_pace_does_not_hold_the_others():
    activity = ChatActivity()
    gate = _gate(rate=100.0, burst=5, activity=activity, chat_rate=2.0)  # a chat: 1 per 0.5 s
    sent: list[int] = []
    started = time.monotonic()
    await _send_all(gate, [1, 1, 2, 3], sent)
    assert sent == [1, 2, 3, 1]  # 1's second message waits for its pace, 2 and 3 do not
    assert time.monotonic() - started >= 0.45


async def test_the_overall_rate_is_kept():
    gate = _gate(rate=40.0, burst=1, activity=ChatActivity())
    stamps: list[float] = []

    async def one(chat: int) -> None:
        await gate.acquire(chat)
        stamps.append(time.monotonic())

    await asyncio.gather(*(one(chat) for chat in range(9)))
    assert stamps[-1] - stamps[0] >= 8 / 40 - 0.01


async def test_a_cancelled_wait_gives_its_slot_to_the_next():
    gate = _gate(rate=20.0, burst=1, activity=ChatActivity())
    await gate.acquire(1)  # uses the burst
    waiting = asyncio.create_task(gate.acquire(2))
    after = asyncio.create_task(gate.acquire(3))
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.wait_for(after, 0.5)
    assert waiting.cancelled()
    assert gate.waiting == 0


async def test_release_all_lets_every_waiting_message_go():
    gate = _gate(rate=0.01, burst=1, activity=ChatActivity())  # one slot per 100 s
    await gate.acquire(1)
    late = [asyncio.create_task(gate.acquire(chat)) for chat in (2, 3)]
    await asyncio.sleep(0.01)
    assert gate.waiting == 2
    gate.release_all()
    await asyncio.wait_for(asyncio.gather(*late), 0.5)


async def test_nudge_looks_again_after_a_block():
    gate = _gate(rate=1000.0, burst=1, activity=ChatActivity())
    gate.overall.block_until(time.monotonic() + 0.2)
    started = time.monotonic()
    waiting = asyncio.create_task(gate.acquire(1))
    await asyncio.sleep(0.01)
    gate.overall.block_until(time.monotonic() + 0.4)  # a second "too many requests"
    gate.nudge()
    await asyncio.wait_for(waiting, 1.0)
    assert time.monotonic() - started >= 0.39
