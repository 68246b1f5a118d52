"""One serial line per key: jobs of one key run one after another, in arrival order; jobs of
different keys run at once; a key may have at most ``cap`` jobs in hand.

Telegram (per chat) and Matrix (per room) use it for incoming updates; it fits the runtime's
per-conversation lock too (:meth:`SerialQueue.hold`, which never refuses). A key's line is
forgotten as soon as nothing is in hand for it, so the memory held is bounded by what is in hand.
Nothing here knows about conversations or platforms, and nothing here does I/O.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class _Line:
    """The lock of one key and the number of jobs in hand for it (running or waiting)."""

    __slots__ = ("in_hand", "lock")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()  # wakes its waiters in arrival order
        self.in_hand = 0


class SerialQueue(Generic[K]):
    """Per-key serial execution with a cap on what one key may have in hand.

    Args:
        cap: at most this many jobs of one key are in hand (running or waiting); more are
            refused by :meth:`submit` (a flood: no person writes that fast). None: no cap.
    """

    def __init__(self, cap: int | None = None) -> None:
        if cap is not None and cap < 1:
            raise ValueError("the cap of a serial queue must be at least 1")
        self.cap = cap
        self._lines: dict[K, _Line] = {}

    def __len__(self) -> int:
        """How many keys have something in hand."""
        return len(self._lines)

    def in_hand(self, key: K) -> int:
        """How many jobs of ``key`` are running or waiting."""
        line = self._lines.get(key)
        return 0 if line is None else line.in_hand

    def full(self, key: K) -> bool:
        """True if :meth:`submit` would refuse a job of ``key`` now."""
        return self.cap is not None and self.in_hand(key) >= self.cap

    def submit(self, key: K, job: Callable[[], Awaitable[T]]) -> Coroutine[Any, Any, T] | None:
        """Take a place in ``key``'s line now; None if the key already has ``cap`` in hand.

        The place counts from this call (so several submits before any of them runs are capped
        too). Await the returned coroutine (or make it a task): it waits for the key's turn,
        runs ``job`` and frees the place. ``job`` is not called when the place is refused.
        """
        if self.full(key):
            return None
        line = self._enter(key)
        return self._run(key, line, job)

    def hold(self, key: K) -> _Hold[K]:
        """``async with``: wait for ``key``'s turn and hold it for the block; never refused
        (ignores the cap). A class rather than a generator: it is taken for every step."""
        return _Hold(self, key)

    def _enter(self, key: K) -> _Line:
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = _Line()
        line.in_hand += 1
        return line

    def _leave(self, key: K, line: _Line) -> None:
        line.in_hand -= 1
        if line.in_hand <= 0 and self._lines.get(key) is line:
            del self._lines[key]

    async def _run(self, key: K, line: _Line, job: Callable[[], Awaitable[T]]) -> T:
        try:
            async with line.lock:
                return await job()
        finally:
            self._leave(key, line)


class _Hold(Generic[K]):
    """The turn of one key in a :class:`SerialQueue`, held for an ``async with`` block."""

    __slots__ = ("_key", "_line", "_queue")

    def __init__(self, queue: SerialQueue[K], key: K) -> None:
        self._queue = queue
        self._key = key
        self._line: _Line | None = None

    async def __aenter__(self) -> None:
        line = self._line = self._queue._enter(self._key)
        try:
            await line.lock.acquire()
        except BaseException:  # cancelled while waiting: the place is given up
            self._line = None
            self._queue._leave(self._key, line)
            raise

    async def __aexit__(self, *exc: object) -> None:
        line, self._line = self._line, None
        if line is not None:
            line.lock.release()
            self._queue._leave(self._key, line)
