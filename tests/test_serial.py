"""The per-key serial queue shared by the transports (bot/serial.py)."""

from __future__ import annotations

import asyncio

import pytest

from bot.serial import SerialQueue


async def test_one_key_in_order_different_keys_at_once() -> None:
    queue: SerialQueue[str] = SerialQueue()
    log: list[str] = []

    def job(name: str, delay: float):
        async def run() -> str:
            log.append(f"{name}+")
            await asyncio.sleep(delay)
            log.append(f"{name}-")
            return name

        return run

    turns = [
        queue.submit("a", job("a1", 0.05)),
        queue.submit("a", job("a2", 0.0)),
        queue.submit("b", job("b1", 0.0)),
    ]
    assert queue.in_hand("a") == 2 and queue.in_hand("b") == 1
    results = await asyncio.gather(*(t for t in turns if t is not None))
    assert results == ["a1", "a2", "b1"]
    assert log.index("a1-") < log.index("a2+")
    assert log.index("b1-") < log.index("a1-")
    assert len(queue) == 0 and queue.in_hand("a") == 0


async def test_the_cap_counts_from_submit_and_refuses_without_calling() -> None:
    queue: SerialQueue[int] = SerialQueue(cap=2)
    release = asyncio.Event()
    called: list[int] = []

    def job(n: int):
        async def run() -> None:
            called.append(n)
            await release.wait()

        return run

    first, second = queue.submit(7, job(1)), queue.submit(7, job(2))
    assert first is not None and second is not None
    assert queue.full(7)
    assert queue.submit(7, job(3)) is None  # before either has started
    other = queue.submit(8, job(4))
    assert other is not None
    tasks = [asyncio.create_task(t) for t in (first, second, other)]
    await asyncio.sleep(0.01)
    assert called == [1, 4]
    release.set()
    await asyncio.gather(*tasks)
    assert called == [1, 4, 2]
    assert not queue.full(7) and len(queue) == 0


async def test_a_failing_job_frees_its_place_and_the_next_runs() -> None:
    queue: SerialQueue[str] = SerialQueue(cap=1)

    async def boom() -> None:
        raise ValueError("no")

    async def fine() -> str:
        return "ok"

    turn = queue.submit("k", boom)
    assert turn is not None
    with pytest.raises(ValueError, match="no"):
        await turn
    again = queue.submit("k", fine)
    assert again is not None
    assert await again == "ok"
    assert len(queue) == 0


async def test_hold_waits_its_turn_ignores_the_cap_and_forgets_idle_keys() -> None:
    queue: SerialQueue[bytes] = SerialQueue(cap=1)
    order: list[str] = []

    async def holder(name: str) -> None:
        async with queue.hold(b"k"):
            order.append(f"{name}+")
            await asyncio.sleep(0.01)
            order.append(f"{name}-")

    await asyncio.gather(holder("x"), holder("y"))
    assert order == ["x+", "x-", "y+", "y-"]
    assert len(queue) == 0


async def test_a_cancelled_waiter_frees_its_place() -> None:
    queue: SerialQueue[str] = SerialQueue(cap=2)
    release = asyncio.Event()
    first = queue.submit("k", release.wait)
    second = queue.submit("k", release.wait)
    assert first is not None and second is not None
    running = asyncio.create_task(first)
    waiting = asyncio.create_task(second)
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert queue.in_hand("k") == 1
    release.set()
    await running
    assert len(queue) == 0


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SerialQueue(cap=0)
