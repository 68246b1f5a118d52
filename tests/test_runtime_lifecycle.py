"""The runtime's life cycle and its one way of carrying out: ``async with Runtime`` runs the
outbox worker, a slow platform delays nobody else, the whole handoff runs on the in-memory
store too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.actions import Ask
from bot.engine.events import Command, Start, Text
from bot.ports import Store
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.memory import MemoryStore
from bot.storage.sqlite import SqliteStore
from tests.helpers import FakeClock as Clock
from tests.helpers import RecordingChannel as Channel
from tests.test_handoff import SECRET, USER, open_case

OTHER = Sender("telegram", "3003", "de")
PERSON = Sender("matrix", "@a:x", "de", route="room-a")


@pytest.fixture(params=["sqlite", "memory"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "sqlite":
        async with SqliteStore(tmp_path / "l.db") as sqlite:
            yield sqlite  # type: ignore[misc]
    else:
        yield MemoryStore()  # type: ignore[misc]


async def register(runtime: Runtime) -> None:
    code = await runtime.handoff.invite("Erika", ["BY"], ["threat"])
    await runtime.handle(Incoming(PERSON, Command("register", code)))


async def test_the_worker_runs_inside_async_with(store: Store, content: Content) -> None:
    matrix, telegram = Channel(), Channel()
    runtime = Runtime(content, store, SECRET, clock=Clock(), rate_limit=1000, worker_idle=0.01)
    runtime.register_channel("matrix", matrix)
    runtime.register_channel("telegram", telegram)
    async with runtime:
        await register(runtime)
        code = await open_case(runtime)
        for _ in range(200):  # woken after the commit, no deliver_due call here
            if matrix.sent:
                break
            await asyncio.sleep(0.01)
        assert matrix.texts("room-a")[0].startswith(f"Neuer Fall {code}")
        await runtime.handle(Incoming(PERSON, Command("claim", code)))
        assert await runtime.handle(Incoming(USER, Text("Hallo"))) == ()
        assert matrix.texts("room-a")[-1] == f"[{code}] Hallo"
        assert await runtime.handle(Incoming(PERSON, Text("Guten Tag"))) == ()
        assert telegram.texts("1001")[-1] == "💬 Ansprechperson: Guten Tag"
        await runtime.handle(Incoming(PERSON, Command("close", code)))
    assert runtime._tasks == []
    closed = await store.case(code)
    assert closed is not None and closed.status == "closed" and closed.user_route is None


async def test_a_slow_platform_delays_no_other_conversation(store: Store, content: Content) -> None:
    slow = Channel(slow=True)
    runtime = Runtime(content, store, SECRET, clock=Clock(), rate_limit=1000)
    runtime.register_channel("matrix", slow)
    runtime.register_channel("telegram", Channel())
    await register(runtime)
    code = await open_case(runtime)
    await runtime.handle(Incoming(PERSON, Command("claim", code)))
    relaying = asyncio.create_task(runtime.handle(Incoming(USER, Text("Hallo"))))
    await asyncio.wait_for(slow.started.wait(), 5)  # the relay hangs on the contact's platform
    # another user is answered at once, and so is the same user's own conversation lock
    reply = await asyncio.wait_for(runtime.handle(Incoming(OTHER, Start())), 2)
    assert any(isinstance(a, Ask) for a in reply)
    async with runtime.locks.hold(runtime.key(USER)):
        pass  # not held while the relay waits
    assert not relaying.done()
    slow.release.set()
    assert await relaying == ()
    assert slow.texts() == [f"[{code}] Hallo"]


async def test_a_slow_platform_delays_no_notice_to_another(store: Store, content: Content) -> None:
    slow, telegram = Channel(slow=True), Channel()
    runtime = Runtime(content, store, SECRET, clock=Clock(), rate_limit=1000)
    runtime.register_channel("matrix", slow)
    runtime.register_channel("telegram", telegram)
    await register(runtime)
    code = await open_case(runtime)
    await runtime.handle(Incoming(PERSON, Command("claim", code)))  # queues "claimed" for USER
    delivering = asyncio.create_task(runtime.deliver_due())  # "new" to matrix hangs
    for _ in range(200):
        if telegram.sent:
            break
        await asyncio.sleep(0.01)
    assert telegram.texts("1001") and code in telegram.texts("1001")[0]
    assert not delivering.done()
    slow.release.set()
    assert await delivering == 2
