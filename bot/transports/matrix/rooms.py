"""The rooms the bot is in: direct chats only, joined on invite and left silently otherwise, and
one job at a time per room (:class:`bot.serial.SerialQueue`, at most
:data:`MAX_PENDING_PER_ROOM` in hand)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable

from nio import AsyncClient, JoinError, SyncResponse

from bot.serial import SerialQueue
from bot.transports.matrix.mapping import MAX_MEMBERS, PLATFORM, room_allowed

logger = logging.getLogger("bot.transports.matrix")
_F = {"platform": PLATFORM}

#: At most this many events wait per room; more are dropped (a flood; see T7).
MAX_PENDING_PER_ROOM = 32

Job = Callable[[], Awaitable[None]]


class Rooms:
    """Which rooms the bot serves, and the per-room line of jobs.

    Args:
        client: the logged-in nio client.
        user_id: the bot's own account.
        require_encryption: leave unencrypted rooms too.
    """

    def __init__(self, client: AsyncClient, user_id: str, require_encryption: bool) -> None:
        self.client = client
        self.user_id = user_id
        self.require_encryption = require_encryption
        #: rooms the bot has joined and listens in (history from before a join is not answered)
        self.active: set[str] = set()
        self.queue: SerialQueue[str] = SerialQueue(MAX_PENDING_PER_ROOM)
        self._invites: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._log_key = secrets.token_bytes(16)

    def tag(self, room_id: str) -> str:
        """A per-process pseudonym of a room for log lines (``r:`` and 8 hex digits)."""
        return "r:" + hmac.new(self._log_key, room_id.encode(), hashlib.sha256).hexdigest()[:8]

    # -- the line of jobs ---------------------------------------------------------------

    def schedule(self, room_id: str, job: Job) -> asyncio.Task[None] | None:
        """Run ``job`` after the room's earlier jobs; None (dropped) if the room has too many."""
        turn = self.queue.submit(room_id, lambda: self._guarded(room_id, job))
        if turn is None:
            logger.warning("matrix.event_dropped", extra={**_F, "key": self.tag(room_id)})
            return None
        task = asyncio.create_task(turn)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded(self, room_id: str, job: Job) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # type only: messages of some exceptions repeat what the user typed
            logger.error(
                "matrix.job_failed",
                extra={**_F, "key": self.tag(room_id), "error": type(error).__name__},
            )

    async def drain(self, grace: float) -> None:
        """Let running jobs finish for up to ``grace`` seconds, then cancel the rest."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)

    # -- membership -------------------------------------------------------------------------

    def start_listening(self) -> None:
        """After the first sync: serve the rooms the bot is in, check them, answer invites."""
        self.active = set(self.client.rooms)
        for room_id in list(self.client.rooms):
            self.schedule(room_id, functools.partial(self.check, room_id))
        self.answer_invites()

    async def after_sync(self, response: SyncResponse, listening: bool) -> None:
        """Forget rooms the bot has left; once listening, take in new rooms and invites."""
        client = self.client
        for room_id in response.rooms.leave:
            self.active.discard(room_id)
            if room_id in client.rooms or room_id in client.invited_rooms:
                await client.room_forget(room_id)
        if listening:
            self.active.update(client.rooms)
            self.answer_invites()

    def answer_invites(self) -> None:
        """Schedule an answer to every invite not yet answered."""
        invited = set(self.client.invited_rooms)
        self._invites &= invited
        for room_id in invited - self._invites:
            self._invites.add(room_id)
            self.schedule(room_id, functools.partial(self._answer_invite, room_id))

    async def _answer_invite(self, room_id: str) -> None:
        room = self.client.invited_rooms.get(room_id)
        if room is None:
            return
        if room.member_count > MAX_MEMBERS:
            await self.leave(room_id, room.member_count)
            return
        response = await self.client.join(room_id)
        if isinstance(response, JoinError):
            logger.warning(
                "matrix.join_failed",
                extra={**_F, "key": self.tag(room_id), "error": response.status_code},
            )

    async def partner(self, room_id: str) -> str | None:
        """The one other member of an allowed room; leaves the room (silently) otherwise."""
        room = self.client.rooms.get(room_id)
        if room is None:
            return None
        others = [user for user in room.users if user != self.user_id]
        count = max(room.member_count, len(others) + 1)
        if len(others) != 1 or not room_allowed(count, room.encrypted, self.require_encryption):
            await self.leave(room_id, count)
            return None
        return str(others[0])

    async def check(self, room_id: str) -> None:
        """Leave the room if it is no (longer a) direct chat."""
        await self.partner(room_id)

    async def leave(self, room_id: str, members: int) -> None:
        """Leave and forget a room, without a word."""
        self.active.discard(room_id)
        logger.info("matrix.leave", extra={**_F, "key": self.tag(room_id), "count": members})
        await self.client.room_leave(room_id)
        await self.client.room_forget(room_id)
