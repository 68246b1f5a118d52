"""``beistand run``'s supervision of its channels."""

from __future__ import annotations

import asyncio

from bot.app import _until_stop_or_failure
from bot.errors import TransportError


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
