"""The Matrix channel's face: start, stop, health, deliver; nio's callbacks map a room event
(:mod:`.mapping`), schedule it in the room's line (:mod:`.rooms`), ask the runtime once and send
what it returns (:mod:`.client`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Iterator
from typing import Any

from nio import MatrixRoom, RoomMemberEvent, RoomMessage, StickerEvent, SyncResponse
from nio.crypto import ENCRYPTION_ENABLED

from bot.engine.actions import Action, Say
from bot.engine.events import Event, Start
from bot.errors import ConfigError, TransportError
from bot.logs import guard_loggers
from bot.render import Outgoing, numbered, render_all
from bot.runtime_api import Handler, Incoming, Sender
from bot.transports.matrix.client import MatrixClient
from bot.transports.matrix.config import MatrixConfig, prepare_store_dir
from bot.transports.matrix.crosssign import CrossSigningResult, HttpKeysApi
from bot.transports.matrix.erasure import forget_partner
from bot.transports.matrix.mapping import PLATFORM, to_engine_event
from bot.transports.matrix.rooms import Rooms
from bot.transports.matrix.trust import sender_cross_signed

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
        #: rooms just erased -> (partner, syncs to go): a sync that began before the leave can
        #: bring the room (and the partner's keys) back into nio; held in memory only, briefly
        self._erasing: dict[str, tuple[str, int]] = {}

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
        self._handler.register_erasure(PLATFORM, self.partners, self.erase)
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
        await self._finish_erasures(final=True)
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

    def partners(self) -> Iterator[Sender]:
        """The one other member of every room the bot serves, with the room as route (the
        runtime derives their keys at purge time; the transport keeps no key map). Rooms with a
        job in hand (a greeting under way) are left out until the next purge."""
        if self._client is None or self._rooms is None:
            return
        rooms, line = self._client.nio.rooms, self._rooms.queue
        for room_id in sorted(self._rooms.active):
            if line.in_hand(room_id):
                continue
            room = rooms.get(room_id)
            others = [] if room is None else [u for u in room.users if u != self.user_id]
            if len(others) == 1:
                yield Sender(PLATFORM, str(others[0]), route=room_id)

    async def erase(self, sender: Sender, notice: str) -> None:
        """The sender's conversation was erased or purged: in each room with them (after the
        room's current job, so the reply to ``/loeschen`` goes first) send ``notice``, leave and
        forget the room, and drop their keys and the room's sessions (:mod:`.erasure`)."""
        client, rooms = self._live()
        targets = {
            room_id for room_id, room in client.nio.rooms.items() if sender.user_id in room.users
        }
        if sender.route in client.nio.rooms:
            targets.add(sender.route)
        for room_id in sorted(targets):
            job = functools.partial(self._erase_room, room_id, sender.user_id, notice)
            if rooms.schedule(room_id, job) is None:  # the room's line is full: erase anyway
                await self._erase_room(room_id, sender.user_id, notice)

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
        await self._finish_erasures()

    async def _finish_erasures(self, final: bool = False) -> None:
        """Forget each just-erased room and partner again after the next two syncs (and at
        stop): after the sync's key work, so keys a late sync fetched go too."""
        client, _ = self._live()
        for room_id, (user_id, left) in list(self._erasing.items()):
            if room_id in client.nio.rooms or room_id in client.nio.invited_rooms:
                await client.nio.room_forget(room_id)
                client.nio.rooms.pop(room_id, None)
            forget_partner(client.nio, user_id, room_id)
            if final or left <= 1:
                del self._erasing[room_id]
            else:
                self._erasing[room_id] = (user_id, left - 1)

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
        # the Curve25519 key of the Olm session that brought the room key: the sending device
        sender_key = event.sender_key if getattr(event, "decrypted", False) else None
        rooms.schedule(
            room_id, lambda: self._process(room_id, sender, event_id, engine_event, sender_key)
        )

    # -- per-room jobs, in order -----------------------------------------------------------

    async def _greet(self, room_id: str, event_id: str) -> None:
        _, rooms = self._live()
        partner = await rooms.partner(room_id)
        if partner is None:
            return
        who = Sender(PLATFORM, partner, route=room_id)
        actions = await self._handler.handle(Incoming(who, Start(), event_id))
        await self._send_actions(room_id, actions)

    async def _process(
        self, room_id: str, sender: str, event_id: str, event: Event, sender_key: str | None
    ) -> None:
        client, rooms = self._live()
        if await rooms.partner(room_id) != sender:
            return
        keys = HttpKeysApi(self._config.homeserver, client.nio.access_token, timeout=10.0)

        async def verify_device() -> bool:  # asked by the runtime for contact persons only
            return await sender_cross_signed(keys, sender, sender_key)

        who = Sender(PLATFORM, sender, route=room_id)
        actions = await self._handler.handle(Incoming(who, event, event_id, verify_device))
        await self._send_actions(room_id, actions)

    async def _erase_room(self, room_id: str, user_id: str, notice: str) -> None:
        client, rooms = self._live()
        if room_id in client.nio.rooms:
            for message in render_all((Say(notice),)):
                await client.send(room_id, numbered(message), rooms.tag(room_id), None)
        rooms.active.discard(room_id)
        await client.nio.room_leave(room_id)
        await client.nio.room_forget(room_id)
        client.nio.rooms.pop(room_id, None)  # also when the forget request failed
        forget_partner(client.nio, user_id, room_id)
        self._erasing[room_id] = (user_id, 2)
        logger.info("matrix.erased", extra={**_F, "key": rooms.tag(room_id)})

    async def _send_actions(self, room_id: str, actions: tuple[Action, ...]) -> None:
        client, rooms = self._live()
        for message in render_all(actions):
            await client.send(room_id, numbered(message), rooms.tag(room_id), None)


async def run_matrix(config: MatrixConfig, handler: Handler) -> None:
    """Serve Matrix until cancelled; for ``beistand run`` beside the other channels."""
    await MatrixTransport(config, handler).run()
