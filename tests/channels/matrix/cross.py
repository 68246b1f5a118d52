"""What the cross-channel tests share: one runtime serving Telegram (the Bot API emulator) and
Matrix (a real Synapse) at once, as ``beistand run`` does, and the moves of a Telegram user."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.content import ContentPaths, load_content
from bot.runtime import Runtime
from bot.transports.telegram import FloodLimiter
from testbed.telegram_emulator import Message, RateLimits, SimUser, TelegramEmulator
from testbed.userclient import Received
from tests.helpers import working_runtime

#: routing, not flood limits, is under test in the cross-channel tests
LIMITS = RateLimits(per_chat_rate=100, per_chat_burst=100, overall_rate=100, overall_burst=100)


@dataclass
class Both:
    runtime: Runtime
    emulator: TelegramEmulator

    async def telegram_sees(self, user: SimUser, fragment: str) -> Message:
        """Wait until the Telegram user has received a message containing ``fragment``."""
        found: Message = await self.emulator.wait_until(
            lambda: next((m for m in reversed(user.received) if fragment in m.text), None), 15
        )
        return found


@contextlib.asynccontextmanager
async def serve_both(
    paths: ContentPaths,
    db: Path,
    emulator: TelegramEmulator,
    start_channel: Callable[..., Awaitable[Any]],
    register: Callable[[str], Any],
    make_bot: Callable[..., Awaitable[Any]],
) -> AsyncIterator[Both]:
    """The runtime on ``paths`` with its outbox worker, the Telegram channel and the Matrix bot."""
    content, problems = load_content(paths)
    assert content is not None, problems
    async with working_runtime(content, db) as runtime:
        await start_channel(
            runtime,
            translations=content.catalogs.translator,
            limiter=FloodLimiter(chat_rate=100, chat_burst=100, overall_rate=100),
        )
        await make_bot(register("bot"), runtime)
        yield Both(runtime, emulator)


def labelled(prompt: Received, fragment: str) -> str:
    return next(label for label in prompt.options if fragment in label)


async def tap(both: Both, user: SimUser, label: str) -> None:
    question = next(m for m in reversed(user.received) if label in user.current(m).labels)
    seen = len(user.received)
    user.press(question, label)
    await both.emulator.wait_until(lambda: len(user.received) > seen, 15)
    await asyncio.sleep(0.1)  # let a reply of several messages arrive in full
