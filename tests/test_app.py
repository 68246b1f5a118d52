"""``beistand run``'s supervision of its channels."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
from pathlib import Path

import pytest

from bot import app
from bot.app import _until_stop_or_failure, serve
from bot.config import Settings
from bot.content import require_content
from bot.engine.actions import OpenCase
from bot.errors import TransportError
from bot.render import Outgoing
from bot.runtime import Runtime
from bot.runtime_api import Sender
from bot.storage.sqlite import SqliteStore


class Quiet:
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Dying(Quiet):
    async def wait(self) -> None:
        await asyncio.sleep(0.01)
        raise TransportError("token revoked")


class Running(Quiet):
    async def wait(self) -> None:
        await asyncio.sleep(3600)


async def test_a_channel_that_dies_ends_the_run() -> None:
    stop = asyncio.Event()
    assert await asyncio.wait_for(_until_stop_or_failure(stop, [Running(), Dying()]), 5)


async def test_a_stop_signal_ends_the_run_cleanly() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, stop.set)
    assert not await asyncio.wait_for(_until_stop_or_failure(stop, [Running(), Quiet()]), 5)


class Held(Quiet):
    """A channel whose start waits (as Telegram's waits for getMe) until the test lets it go on;
    then it can deliver on the platform "fake"."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.release = asyncio.Event()
        self.delivered: list[str] = []

    async def start(self) -> None:
        await self.release.wait()
        self.runtime.register_channel("fake", self.deliver)

    async def deliver(self, route: str, message: Outgoing, key: str) -> None:
        self.delivered.append(message.plain)


def _attempts(db: Path) -> list[int]:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return [int(r[0]) for r in connection.execute("SELECT attempts FROM outbox")]


async def test_a_notice_due_at_start_waits_for_the_channels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a restart, what waits in the outbox goes out once the channels are up. It is not
    tried before and counted as a failed attempt: that would double its delay with every restart
    (up to five minutes) without anything having been sent."""
    secret = "s" * 32
    token = "123456789:" + "A" * 35  # checked by Settings; no channel is built here
    env = {"BEISTAND_DATA_DIR": str(tmp_path), "BEISTAND_SECRET": secret, "TELEGRAM_TOKEN": token}
    settings = Settings.from_env(env)
    async with SqliteStore(settings.db) as store:  # before the restart: a case and its notice
        handoff = Runtime(require_content(settings.content), store, secret.encode()).handoff
        code = await handoff.invite("Kontakt", ["DE"], ["all"])
        await handoff.register(Sender("fake", "7"), code)
        opened = (OpenCase("AAAA-22", "threat", "high", "BY", "bedrohung"),)
        async with store.unit() as unit:
            unit.apply(
                *await handoff.cases.plan(
                    unit, (b"k" * 32, b"l" * 32), Sender("fake", "8"), opened, False
                )
            )
    assert _attempts(settings.db) == [0]
    held: list[Held] = []
    monkeypatch.setattr(
        app, "build_channels", lambda _s, runtime: held.append(Held(runtime)) or held
    )
    loop = asyncio.get_running_loop()
    serving = asyncio.create_task(serve(settings))
    try:
        for _ in range(500):
            await asyncio.sleep(0.02)
            if held:
                break
        await asyncio.sleep(0.3)  # the bot runs; its channel is still starting
        assert _attempts(settings.db) == [0]
        held[0].release.set()
        for _ in range(250):
            await asyncio.sleep(0.02)
            if held[0].delivered:
                break
        assert len(held[0].delivered) == 1
        assert held[0].delivered[0].startswith("Neuer Fall AAAA-22")
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(serving, 10) == 0
    finally:
        serving.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)
