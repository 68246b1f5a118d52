"""Telegram's outgoing limits, kept without dropping a message and fair under a flood.

The pacing itself (slots, activity, the fair gate) is platform-neutral and lives in
:mod:`bot.transports.pacing`; this module plugs it into python-telegram-bot as its rate limiter.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable, Coroutine, Mapping
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.transports.pacing import ChatActivity, FairGate, Pace

_LOG = logging.getLogger("bot.transports.telegram")


class FloodLimiter(BaseRateLimiter[int]):
    """Telegram's limits, kept without dropping a message, and fair under a flood.

    Messages and edits are paced to ``chat_rate`` per chat (after a burst of ``chat_burst``),
    ``group_rate`` per group and ``overall_rate`` in total. Each request waits for its slot; when
    more are due than the overall budget allows, the next slot goes to the chat that has been
    writing to the bot least lately (:class:`~bot.transports.pacing.FairGate`), so people who
    write now and then are answered while flooding chats share the rest. The messages of one chat
    keep their order. A 429 answer pauses that chat (or everything, for calls without a chat) for
    ``retry_after`` and the request is repeated, up to ``max_retries`` times.

    ``activity`` is fed by :class:`~bot.transports.telegram.updates.PerChatProcessor` with every
    incoming update.
    """

    def __init__(
        self,
        overall_rate: float = 30.0,
        overall_burst: int = 20,
        chat_rate: float = 1.0,
        chat_burst: int = 5,
        group_rate: float = 20 / 60,
        group_burst: int = 10,
        max_retries: int = 5,
        activity: ChatActivity | None = None,
    ) -> None:
        self.activity = ChatActivity() if activity is None else activity
        self._chat_limits = (chat_rate, chat_burst)
        self._group_limits = (group_rate, group_burst)
        self._chats: dict[int, Pace] = {}
        self._max_retries = max_retries
        self.gate = FairGate(Pace(overall_rate, overall_burst), self._pace_for, self.activity)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Let anything still waiting go, and forget all pacing state."""
        self.gate.release_all()
        self._chats.clear()

    def _pace_for(self, chat_id: int, now: float) -> Pace:
        pace = self._chats.get(chat_id)
        if pace is None:
            if len(self._chats) > 1024:  # forget chats whose budget is full again
                self._chats = {k: v for k, v in self._chats.items() if not v.idle(now)}
            rate, burst = self._chat_limits if chat_id > 0 else self._group_limits
            pace = self._chats[chat_id] = Pace(rate, burst)
        return pace

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for a slot, send, and repeat after ``retry_after`` on a 429."""
        chat_id = _chat_of(data)
        paced = _is_message_call(endpoint)
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            if paced:
                await self.gate.acquire(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                if attempt == retries:
                    raise
                pause = _retry_seconds(error) + 0.05
                _LOG.info("telegram.flood_limited", extra={"seconds": round(pause, 2)})
                moment = time.monotonic() + pause
                overall = self.gate.overall
                target = overall if chat_id is None else self._pace_for(chat_id, moment)
                target.block_until(moment)
                self.gate.nudge()
                if not paced:
                    await asyncio.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _chat_of(data: Mapping[str, Any]) -> int | None:
    try:
        return int(data["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


def _is_message_call(endpoint: str) -> bool:
    lowered = endpoint.lower()
    if lowered == "sendchataction":
        return False
    return lowered.startswith(("send", "edit", "copymessage", "forwardmessage"))
