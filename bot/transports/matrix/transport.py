"""The Matrix channel's face: start, stop, health, deliver; nio's callbacks map a room event
(:mod:`.mapping`), schedule it in the room's line (:mod:`.rooms`), ask the runtime once and send
what it returns (:mod:`.client`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from nio import MatrixRoom, RoomMemberEvent, RoomMessage, StickerEvent, SyncResponse
from nio.crypto import ENCRYPTION_ENABLED

from bot.engine.actions import Action
from bot.engine.events import Event, Start
from bot.errors import ConfigError, TransportError
from bot.logs import guard_loggers
from bot.render import Outgoing, numbered, render_all
from bot.runtime_api import Handler, Incoming, Sender
from bot.transports.matrix.client import MatrixClient
from bot.transports.matrix.config import MatrixConfig, prepare_store_dir
from bot.transports.matrix.crosssign import CrossSigningResult
from bot.transports.matrix.mapping import PLATFORM, to_engine_event
from bot.transports.matrix.rooms import Rooms

logger = logging.getLogger("bot.transports.matrix")
_F = {"platform": PLATFORM}
#: nio and its store's ORM (peewee): held at WARNING, Matrix ids blanked in their records.
GUARDED_LOGGERS = ("nio", "peewee")


def guard_nio_logging() -> None:
    """Keep nio and peewee at WARNING or above, with Matrix ids blanked in their records.

    nio logs room ids at INFO and user ids at WARNING; peewee (nio's crypto store) logs every SQL
    statement with its parameters, pickled keys included, at DEBUG. The loggers all exist once
    nio is imported.
    """
    guard_loggers(GUARDED_LOGGERS)


class MatrixTransport:
    """The Matrix channel: ``await start()``, then it serves until ``await stop()``.

    ``run()`` does both around waiting, for ``beistand run`` beside other channels.
    """

    platform = PLATFORM  # the name /healthz shows

    def __init__(self, config: MatrixConfig, handler: Handler) -> None:
        self._config = config
        self._handler = handler
        self._client: MatrixClient | None = None
        self._rooms: Rooms | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._device_id: str | None = None
        self.cross_signing: CrossSigningResult | None = None

    # -- public face ---------------------------------------------------------------------

    @property
    def user_id(self) -> str:
        return self._config.user_id

    @property
    def device_id(self) -> str | None:
        """The bot's device, once logged in (kept after stop)."""
        return self._device_id

    async def start(self) -> None:
        """Log in, sync once without reacting (no history), cross-sign, then listen."""
        if not ENCRYPTION_ENABLED:
            raise ConfigError("matrix-nio was installed without its e2e extra (vodozemac)")
        if self._client is not None:
            raise TransportError("the Matrix transport is already started")
        guard_nio_logging()
        client = MatrixClient(self._config, prepare_store_dir(self._config.store_dir))
        rooms = Rooms(client.nio, self._config.user_id, self._config.require_encryption)
        self._client, self._rooms = client, rooms
        try:
            await client.open(lambda response: rooms.after_sync(response, listening=False))
        except BaseException:
            self._client = self._rooms = None
            raise
        self._device_id = client.nio.device_id
        self.cross_signing = client.cross_signing
        client.nio.add_event_callback(self._on_room_event, (RoomMessage, StickerEvent))
        client.nio.add_event_callback(self._on_member_event, RoomMemberEvent)
        rooms.start_listening()
        self._sync_task = asyncio.create_task(
            client.sync_forever(self._after_sync), name="matrix-sync"
        )
        self._handler.register_channel(PLATFORM, self.deliver)
        logger.info("matrix.listening", extra=_F)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop syncing, let running replies finish for up to ``grace`` seconds, close."""
        client, rooms = self._client, self._rooms
        if client is None or rooms is None:
            return
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sync_task
            self._sync_task = None
        await rooms.drain(grace)
        self._client = self._rooms = None
        await client.close()
        logger.info("matrix.stopped", extra=_F)

    def health(self) -> bool:
        """True while logged in and syncing: the last sync succeeded, within the last few sync
        timeouts."""
        client, task = self._client, self._sync_task
        if client is None or task is None or task.done():
            return False
        return client.healthy()

    async def deliver(self, route: str, message: Outgoing, key: str) -> None:
        """Send one message to a room the bot is in (a handoff notification or relayed text).

        ``route`` is the room id; ``key`` (if not empty) becomes the transaction id, so the
        homeserver drops a repeat after a retry. Raises :class:`~bot.errors.TransportError` when
        the room is gone or the homeserver refuses.
        """
        client, rooms = self._live()
        if route not in client.nio.rooms or route not in rooms.active:
            raise TransportError("the bot is not in that Matrix room")
        if not await client.send(route, numbered(message), rooms.tag(route), key or None):
            raise TransportError("Matrix refused the message")

    async def wait(self) -> None:
        """Until the channel ends: after ``stop()``, or when the homeserver rejects the bot's
        token for good (then this raises :class:`~bot.errors.TransportError`)."""
        task = self._sync_task
        if task is None:
            return
        await asyncio.wait({task})  # a cancellation of the caller still goes through
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error

    async def run(self) -> None:
        """Start, serve until cancelled (or the sync fails for good), then stop."""
        await self.start()
        try:
            await self.wait()
        finally:
            await self.stop()

    # -- nio callbacks (run inside sync; they only schedule work) ---------------------------

    def _live(self) -> tuple[MatrixClient, Rooms]:
        if self._client is None or self._rooms is None:
            raise TransportError("the Matrix transport is not running")
        return self._client, self._rooms

    async def _after_sync(self, response: SyncResponse) -> None:
        _, rooms = self._live()
        await rooms.after_sync(response, listening=True)

    async def _on_member_event(self, room: MatrixRoom, event: RoomMemberEvent) -> None:
        _, rooms = self._live()
        room_id = room.room_id
        if event.state_key == self._config.user_id:
            if event.membership == "join" and event.prev_membership != "join":
                rooms.active.add(room_id)
                rooms.schedule(room_id, lambda: self._greet(room_id, event.event_id))
            elif event.membership in ("leave", "ban"):
                rooms.active.discard(room_id)
        elif room_id in rooms.active:
            rooms.schedule(room_id, lambda: rooms.check(room_id))

    async def _on_room_event(self, room: MatrixRoom, event: Any) -> None:
        _, rooms = self._live()
        room_id = room.room_id
        if event.sender == self._config.user_id or room_id not in rooms.active:
            return  # our own echo, or history from before the bot joined
        engine_event = to_engine_event(event, room.encrypted)
        if engine_event is None:
            return
        sender, event_id = event.sender, event.event_id
        rooms.schedule(room_id, lambda: self._process(room_id, sender, event_id, engine_event))

    # -- per-room jobs, in order -----------------------------------------------------------

    async def _greet(self, room_id: str, event_id: str) -> None:
        _, rooms = self._live()
        partner = await rooms.partner(room_id)
        if partner is None:
            return
        who = Sender(PLATFORM, partner, route=room_id)
        actions = await self._handler.handle(Incoming(who, Start(), event_id))
        await self._send_actions(room_id, actions)

    async def _process(self, room_id: str, sender: str, event_id: str, event: Event) -> None:
        _, rooms = self._live()
        if await rooms.partner(room_id) != sender:
            return
        who = Sender(PLATFORM, sender, route=room_id)
        actions = await self._handler.handle(Incoming(who, event, event_id))
        await self._send_actions(room_id, actions)

    async def _send_actions(self, room_id: str, actions: tuple[Action, ...]) -> None:
        client, rooms = self._live()
        for message in render_all(actions):
            await client.send(room_id, numbered(message), rooms.tag(room_id), None)


async def run_matrix(config: MatrixConfig, handler: Handler) -> None:
    """Serve Matrix until cancelled; for ``beistand run`` beside the other channels."""
    await MatrixTransport(config, handler).run()
