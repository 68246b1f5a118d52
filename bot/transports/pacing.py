"""Outgoing pacing shared by the transports: slot booking, per-chat activity and a fair gate.

A platform allows a bot so many messages per second overall and per chat. When more replies are
due than the overall budget allows (a flood), the order in which waiting messages get a slot
decides who waits. First come, first served lets a few busy chats push everyone else to the back
of the queue. :class:`FairGate` instead gives the next slot to the waiting message whose chat has
been *sending to the bot* least lately (:class:`ChatActivity`): a person who writes now and then is
answered at once, and chats that hammer the bot share what is left.

Nothing here knows about conversations; chats are opaque integers.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]


class Pace:
    """Generic cell rate algorithm: ``rate`` per second after a burst of ``burst``."""

    __slots__ = ("due", "interval", "tolerance")

    def __init__(self, rate: float, burst: int) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self.due = 0.0  # theoretical arrival time of the next request

    def wait(self, now: float) -> float:
        """How long until a slot is free (0 if one is free now)."""
        return max(0.0, self.due - self.tolerance - now)

    def take(self, now: float) -> None:
        """Use one slot now (the caller checked :meth:`wait`)."""
        self.due = max(self.due, now) + self.interval

    def reserve(self, now: float) -> float:
        """Book the next slot, whenever it is; returns how long to wait for it."""
        wait = self.wait(now)
        self.due = max(self.due, now) + self.interval
        return wait

    def block_until(self, moment: float) -> None:
        """Nothing before ``moment`` (after the platform said "too many requests")."""
        self.due = max(self.due, moment + self.tolerance)

    def idle(self, now: float) -> bool:
        """True if the full burst is available again (the pace can be forgotten)."""
        return self.due <= now


class ChatActivity:
    """How busily each chat has been writing to the bot: an exponentially decaying count.

    A chat's score is the number of its updates in roughly the last ``horizon`` seconds (each
    update counts 1, fading with time constant ``horizon``). Someone who writes every few seconds
    scores a handful; a sender flooding at 20 per second scores in the hundreds. Chats whose score
    has faded are forgotten once more than ``capacity`` are known, so memory stays bounded.
    """

    def __init__(self, horizon: float = 10.0, capacity: int = 4096, clock: Clock = time.monotonic):
        self.horizon = horizon
        self.capacity = capacity
        self.clock = clock
        self._scores: dict[int, tuple[float, float]] = {}  # chat -> (score, when)

    def __len__(self) -> int:
        return len(self._scores)

    def note(self, chat: int) -> None:
        """One update arrived from ``chat``."""
        now = self.clock()
        if chat not in self._scores and len(self._scores) >= self.capacity:
            self._forget_faded(now)
        self._scores[chat] = (self._current(chat, now) + 1.0, now)

    def score(self, chat: int | None) -> float:
        """The chat's current score (0 for an unknown chat or none)."""
        return 0.0 if chat is None else self._current(chat, self.clock())

    def _current(self, chat: int, now: float) -> float:
        entry = self._scores.get(chat)
        if entry is None:
            return 0.0
        score, when = entry
        return score * math.exp(-(now - when) / self.horizon)

    def _forget_faded(self, now: float) -> None:
        faded = [chat for chat in self._scores if self._current(chat, now) < 0.05]
        for chat in faded:
            del self._scores[chat]
        if len(self._scores) >= self.capacity:  # nobody faded: drop the oldest half
            oldest = sorted(self._scores, key=lambda chat: self._scores[chat][1])
            for chat in oldest[: len(oldest) // 2]:
                del self._scores[chat]


@dataclass(eq=False)
class _Waiter:
    chat: int | None
    order: int
    future: asyncio.Future[None] = field(repr=False)


class FairGate:
    """Hands out an overall budget of slots, each chat also held to its own pace.

    :meth:`acquire` returns when the caller may send one message to ``chat``. Among the waiting
    messages whose chat may send now, the slot goes to the chat with the lowest
    :class:`ChatActivity` score, ties in arrival order. Without contention a message goes at once.
    """

    def __init__(
        self,
        overall: Pace,
        pace_for: Callable[[int, float], Pace],
        activity: ChatActivity,
        clock: Clock = time.monotonic,
    ) -> None:
        self.overall = overall
        self._pace_for = pace_for
        self._activity = activity
        self._clock = clock
        self._waiting: list[_Waiter] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        """How many messages wait for a slot."""
        return len(self._waiting)

    async def acquire(self, chat: int | None) -> None:
        """Wait for a slot for one message to ``chat`` (None: a call without a chat)."""
        now = self._clock()
        if not self._waiting and self._ready(chat, now):
            self._take(chat, now)
            return
        waiter = _Waiter(chat, next(self._order), asyncio.get_running_loop().create_future())
        self._waiting.append(waiter)
        self._arm(now)
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter in self._waiting:
                self._waiting.remove(waiter)
            raise

    def release_all(self) -> None:
        """Let every waiting message go (on shutdown: nothing may wait for a timer that is gone)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            if not waiter.future.done():
                waiter.future.set_result(None)

    def nudge(self) -> None:
        """Look again when the next slot is due (after a pace was pushed back)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._arm(self._clock())

    def _ready(self, chat: int | None, now: float) -> bool:
        if self.overall.wait(now) > 0:
            return False
        return chat is None or self._pace_for(chat, now).wait(now) == 0

    def _take(self, chat: int | None, now: float) -> None:
        self.overall.take(now)
        if chat is not None:
            self._pace_for(chat, now).take(now)

    def _dispatch(self) -> None:
        self._timer = None
        now = self._clock()
        while self._waiting and self.overall.wait(now) == 0:
            ready = [w for w in self._waiting if w.future.done() or self._ready(w.chat, now)]
            if not ready:
                break
            best = min(ready, key=lambda w: (self._activity.score(w.chat), w.order))
            self._waiting.remove(best)
            if best.future.done():  # cancelled while waiting: its slot stays free
                continue
            self._take(best.chat, now)
            best.future.set_result(None)
        self._arm(now)

    def _arm(self, now: float) -> None:
        """Schedule the next dispatch for when a waiting message can first be sent."""
        if not self._waiting:
            return
        chat_wait = min(
            0.0 if w.chat is None else self._pace_for(w.chat, now).wait(now) for w in self._waiting
        )
        loop = asyncio.get_running_loop()
        at = loop.time() + max(self.overall.wait(now), chat_wait)
        if self._timer is not None:
            if self._timer.when() <= at:
                return  # already looking again soon enough
            self._timer.cancel()
        self._timer = loop.call_at(at, self._dispatch)
