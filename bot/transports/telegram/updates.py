"""Receiving: updates of one chat one after another (:class:`bot.serial.SerialQueue`), a cap on
what one chat may have in hand, and the cut made on the raw JSON before python-telegram-bot
builds its objects."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseUpdateProcessor

from bot.serial import SerialQueue
from bot.transports.pacing import ChatActivity
from bot.transports.telegram.request import JsonRequest

_LOG = logging.getLogger("bot.transports.telegram")
#: Seconds the next getUpdates waits after one that brought updates (see :class:`ScreenedUpdates`).
REPOLL_PAUSE = 0.005


class PerChatProcessor(BaseUpdateProcessor):
    """Updates of one chat one after another, in arrival order; different chats at once.

    Every update is counted in ``activity`` (what
    :class:`~bot.transports.telegram.limits.FloodLimiter` orders waiting replies by). A chat may
    have at most ``per_chat`` updates in hand (``queue``); more (a flood: no person taps that fast)
    are dropped here, before they touch the database. An update takes one of the
    ``max_concurrent_updates`` processing slots only when its chat's turn has come, so updates
    queued behind their own chat never hold the slots that other chats need.
    """

    def __init__(
        self,
        max_concurrent_updates: int = 256,
        per_chat: int = 4,
        activity: ChatActivity | None = None,
    ) -> None:
        # python-telegram-bot's own bound counts updates waiting for their chat as well; the
        # processing slots proper are ``self._slots``, taken once the chat's turn has come
        super().__init__(max_concurrent_updates * per_chat)
        self.activity = ChatActivity() if activity is None else activity
        self.queue: SerialQueue[int] = SerialQueue(per_chat)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._per_chat = per_chat

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: a chat's line goes away with its last update."""

    def screen(self, raw: list[Any], keep_last: bool = True) -> list[Any]:
        """Updates as Telegram sent them (JSON), without those this processor would drop anyway.

        Turning an update into python-telegram-bot's objects is the costliest part of receiving
        it; under a flood it would take most of the process's time. So updates of a chat that
        already has ``per_chat`` in hand are counted (``activity``) and dropped here, before
        they are parsed. With ``keep_last`` the last update of a batch always stays: polling
        confirms a batch by its last id, and a dropped last update would be fetched again.
        """
        taken: dict[int, int] = {}
        kept: list[Any] = []
        for number, item in enumerate(raw):
            chat = _raw_private_chat(item)
            last = keep_last and number == len(raw) - 1
            if chat is None or last:
                kept.append(item)
                continue
            in_hand = self.queue.in_hand(chat) + taken.get(chat, 0)
            if in_hand >= self._per_chat:
                self.activity.note(chat)
                _LOG.debug("telegram.update_dropped", extra={"kind": "flood"})
                continue
            taken[chat] = taken.get(chat, 0) + 1
            kept.append(item)
        return kept

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's turn, then for a processing slot, then run ``coroutine``."""
        chat_id = _update_chat(update)
        if chat_id is None:
            async with self._slots:
                await coroutine
            return
        self.activity.note(chat_id)

        async def in_a_slot() -> None:
            async with self._slots:
                await coroutine

        turn = self.queue.submit(chat_id, in_a_slot)
        if turn is None:
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never started: nothing to undo
            _LOG.debug("telegram.update_dropped", extra={"kind": "flood"})
            return
        await turn


@dataclass(slots=True)
class PollState:
    """Whether the last getUpdates call failed, and when one last succeeded (monotonic)."""

    failing: bool = False
    last_ok: float = field(default_factory=time.monotonic)


class ScreenedUpdates(JsonRequest):
    """The connection that fetches updates (``getUpdates`` only): the answer is screened
    (:meth:`PerChatProcessor.screen`) as soon as it is decoded, before python-telegram-bot turns
    each update into objects.

    After a call that brought updates, the next one waits :data:`REPOLL_PAUSE` seconds: python-
    telegram-bot asks again at once, and building that request (0.2-0.3 ms of CPU in the bot's
    process) ran between the replies to the updates just received and their way out
    (``benchmarks/telegram_ratio.py``: 0.3 ms later at the emulator per reply). Updates that reach
    Telegram meanwhile wait for the next call, at most those few milliseconds; a call that
    brought nothing (a long poll that timed out) is followed at once.
    """

    def __init__(
        self, screen: Callable[[list[Any]], list[Any]], poll: PollState | None = None
    ) -> None:
        super().__init__(connection_pool_size=1)  # python-telegram-bot's own choice for polling
        self._screen = screen
        self.poll = PollState() if poll is None else poll
        self._brought = False  # the last call brought updates

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """One getUpdates call; remembers whether it failed (for the channel's health)."""
        if self._brought:
            self._brought = False
            await asyncio.sleep(REPOLL_PAUSE)
        try:
            code, payload = await super().do_request(*args, **kwargs)
        except Exception:
            self.poll.failing = True
            raise
        self.poll.failing = not 200 <= code <= 299
        if not self.poll.failing:
            self.poll.last_ok = time.monotonic()
        return code, payload

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        """Decode the answer, then drop the updates of chats that already have enough in hand."""
        data = super().parse_json_payload(payload)
        if isinstance(data.get("result"), list):
            self._brought = bool(data["result"])
            data["result"] = self._screen(data["result"])
        return data


def _raw_private_chat(item: Any) -> int | None:
    """The private chat of a message or a button press in an update's JSON, if it has one."""
    if not isinstance(item, dict):
        return None
    message = item.get("message")
    if message is None and isinstance(item.get("callback_query"), dict):
        message = item["callback_query"].get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    if not isinstance(chat, dict) or chat.get("type") != ChatType.PRIVATE:
        return None
    chat_id = chat.get("id")
    return chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None


def _update_chat(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None
