"""A real matrix-nio user for end-to-end tests and the latency benchmark.

Each client has its own crypto store, logs in with a password, syncs once before listening and
then keeps a sync loop running. Messages from others land in one queue per room, already
decrypted; membership changes are recorded so tests can wait for joins and leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    RoomCreateResponse,
    RoomMemberEvent,
    RoomMessage,
    RoomPreset,
    RoomSendResponse,
    RoomVisibility,
    SyncResponse,
)

ENCRYPTION_STATE = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


@dataclass(frozen=True, slots=True)
class Received:
    """A message as the user's client saw it."""

    room_id: str
    event_id: str
    sender: str
    msgtype: str
    body: str
    formatted_body: str | None
    format: str | None
    encrypted: bool
    at: float  # time.perf_counter() when the client received it

    @property
    def is_prompt(self) -> bool:
        """A choice prompt (it carries the numbered options as an HTML list)."""
        return "<ol>" in (self.formatted_body or "")

    @property
    def options(self) -> list[str]:
        """The labels of a prompt's numbered options, in order."""
        if not self.is_prompt:
            return []
        block = self.body.rsplit("\n\n", 1)[-1].split("\n")
        labels = [re.sub(r"^\d+\. ", "", line) for line in block]
        assert all(line.startswith(f"{i}. ") for i, line in enumerate(block, 1)), self.body
        return labels


class UserClient:
    """One Matrix user with its own device."""

    def __init__(self, homeserver: str, user_id: str, password: str, store_dir: Path) -> None:
        store_dir.mkdir(parents=True, exist_ok=True)
        self.user_id = user_id
        self.password = password
        self.client = AsyncClient(
            homeserver,
            user_id,
            store_path=str(store_dir),
            config=AsyncClientConfig(store_sync_tokens=True, encryption_enabled=True),
        )
        self.inbox: defaultdict[str, asyncio.Queue[Received]] = defaultdict(asyncio.Queue)
        self.memberships: list[tuple[str, str, str]] = []  # (room, user, membership)
        self.undecryptable = 0
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    async def start(self) -> UserClient:
        response = await self.client.login(self.password, device_name="test user")
        assert isinstance(response, LoginResponse), response
        await self.client.sync(timeout=0, full_state=True)
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        self.client.add_event_callback(self._on_message, (RoomMessage, MegolmEvent))
        self.client.add_event_callback(self._on_member, RoomMemberEvent)
        self.client.add_response_callback(self._notify, SyncResponse)
        self._task = asyncio.create_task(self.client.sync_forever(timeout=30_000))
        return self

    async def cross_sign(self) -> None:
        """Give the account cross-signing keys and sign this device with them, as a client
        does when its user verifies a new session (contact persons need it: T12)."""
        from bot.transports.matrix.crosssign import (
            CrossSigningKeys,
            HttpKeysApi,
            ensure_cross_signed,
        )

        client = self.client
        assert client.olm is not None and client.device_id is not None
        await ensure_cross_signed(
            HttpKeysApi(client.homeserver, client.access_token),
            CrossSigningKeys.generate(self.user_id),
            client.device_id,
            client.olm.account.identity_keys,
            password=self.password,
            device_signer=client.olm.account.sign,
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.client.close()

    async def _on_message(self, room: MatrixRoom, event: Any) -> None:
        if event.sender == self.user_id:
            return
        now = time.perf_counter()
        if isinstance(event, MegolmEvent):
            self.undecryptable += 1
            return
        content = event.source.get("content", {})
        self.inbox[room.room_id].put_nowait(
            Received(
                room.room_id,
                event.event_id,
                event.sender,
                content.get("msgtype", ""),
                content.get("body", ""),
                content.get("formatted_body"),
                content.get("format"),
                bool(event.decrypted),
                now,
            )
        )

    async def _on_member(self, room: MatrixRoom, event: RoomMemberEvent) -> None:
        self.memberships.append((room.room_id, event.state_key, event.membership))
        await self._notify()

    # -- rooms -----------------------------------------------------------------------------

    async def _until(self, predicate: Callable[[], bool], within: float) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(predicate)

    async def _notify(self, *_: Any) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_room(self, room_id: str, within: float = 10.0) -> None:
        """Until the client's sync knows the room."""
        await self._until(lambda: room_id in self.client.rooms, within)

    async def create_room(
        self, invite: list[str], encrypted: bool, direct: bool = True, name: str | None = None
    ) -> str:
        response = await self.client.room_create(
            visibility=RoomVisibility.private,
            name=name,
            is_direct=direct,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            invite=invite,
            initial_state=[ENCRYPTION_STATE] if encrypted else [],
        )
        assert isinstance(response, RoomCreateResponse), response
        await self.wait_room(response.room_id)
        return str(response.room_id)

    async def join(self, room_id: str) -> None:
        await self.client.join(room_id)
        await self.wait_room(room_id)

    async def invite(self, room_id: str, user_id: str) -> None:
        await self.client.room_invite(room_id, user_id)

    async def wait_membership(
        self, room_id: str, user_id: str, membership: str, within: float = 15.0
    ) -> None:
        """Until the client has seen ``user_id`` change to ``membership`` in the room."""
        await self._until(lambda: (room_id, user_id, membership) in self.memberships, within)

    # -- messages --------------------------------------------------------------------------

    async def send(self, room_id: str, body: str, **extra: Any) -> str:
        """Send an ``m.text``; returns the event id."""
        await self.wait_room(room_id)
        content = {"msgtype": "m.text", "body": body, **extra}
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response
        return str(response.event_id)

    async def next_message(self, room_id: str, within: float = 15.0) -> Received:
        async with asyncio.timeout(within):
            return await self.inbox[room_id].get()

    async def turn(self, room_id: str, within: float = 15.0) -> list[Received]:
        """Messages until (and with) the next choice prompt: one reply of the bot."""
        got: list[Received] = []
        async with asyncio.timeout(within):
            while not got or not got[-1].is_prompt:
                got.append(await self.inbox[room_id].get())
        return got

    async def silence(self, room_id: str, seconds: float) -> list[Received]:
        """Whatever arrives within ``seconds`` (tests expect nothing)."""
        await asyncio.sleep(seconds)
        got = []
        queue = self.inbox[room_id]
        while not queue.empty():
            got.append(queue.get_nowait())
        return got

    async def messages_from(self, room_id: str, sender: str) -> list[dict[str, Any]]:
        """Every message event (plain or encrypted) ``sender`` ever sent to the room, as the
        server has it, newest first; state events such as joins are left out."""
        response = await self.client.room_messages(room_id, start=None, limit=500)
        return [
            e.source for e in response.chunk if e.sender == sender and "state_key" not in e.source
        ]


async def until(user: UserClient, room: str, fragment: str, within: float = 15.0) -> list[Received]:
    """Messages in ``room`` up to and including the first one containing ``fragment``."""
    got: list[Received] = []
    while not got or fragment not in got[-1].body:
        got.append(await user.next_message(room, within))
    return got
