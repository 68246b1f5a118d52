"""The Matrix channel: matrix-nio (with end-to-end encryption through vodozemac) on one side,
the runtime's :class:`~bot.runtime_api.Handler` on the other.

No business logic lives here. The transport

- joins direct chats (rooms with at most two members) and leaves every other room silently;
- turns each new message into an engine event (numbers and labels arrive as ``Text``; the engine
  matches them), asks the handler, and sends the rendered actions back as ``m.notice`` with an
  HTML ``formatted_body`` built by :mod:`bot.render` (it never echoes HTML it received);
- never answers history: it syncs once before it listens, stores the sync token in the crypto
  store, and lets the handler drop redelivered event ids;
- decrypts and encrypts in encrypted rooms and cross-signs its own device
  (:mod:`bot.transports.crosssign`).

Nothing a user typed, no user or room id and no secret is ever logged here; records from nio's
own loggers pass a filter that blanks Matrix identifiers. See ``docs/matrix.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinError,
    LocalProtocolError,
    LoginResponse,
    MatrixRoom,
    RoomEncryptedAudio,
    RoomEncryptedFile,
    RoomEncryptedImage,
    RoomEncryptedMedia,
    RoomEncryptedVideo,
    RoomMemberEvent,
    RoomMessage,
    RoomMessageAudio,
    RoomMessageEmote,
    RoomMessageFile,
    RoomMessageImage,
    RoomMessageMedia,
    RoomMessageNotice,
    RoomMessageText,
    RoomMessageUnknown,
    RoomMessageVideo,
    RoomSendError,
    SendRetryError,
    StickerEvent,
    SyncResponse,
    WhoamiResponse,
)
from nio.crypto import ENCRYPTION_ENABLED
from nio.exceptions import EncryptionError, OlmUnverifiedDeviceError

from bot.config import Settings
from bot.engine.actions import Action
from bot.engine.commands import parse_command
from bot.engine.events import Command, Event, Start, Text, Unsupported
from bot.errors import ConfigError, TransportError
from bot.render import Outgoing, numbered, render_all
from bot.runtime_api import Handler, Incoming, Sender
from bot.transports.crosssign import (
    CrossSigningResult,
    HttpKeysApi,
    ensure_cross_signed,
    load_or_create_keys,
)

logger = logging.getLogger(__name__)

PLATFORM = "matrix"
#: Fields on every log line (names from the allow-list in :mod:`bot.logs`).
_F = {"platform": PLATFORM}
DEVICE_FILE = "device.json"

#: At most this many events wait per room; more are dropped (a flood; see T7).
MAX_PENDING_PER_ROOM = 32
#: A direct chat: the user and the bot.
MAX_MEMBERS = 2

#: Only what the bot needs: rooms' state and timeline; no presence, typing, receipts, tags.
SYNC_FILTER: dict[str, Any] = {
    "presence": {"not_types": ["*"]},
    "account_data": {"not_types": ["*"]},
    "room": {
        "ephemeral": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
    },
}


# --- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatrixConfig:
    """Settings of the Matrix channel; secrets never appear in ``repr``."""

    homeserver: str
    user_id: str
    store_dir: Path
    password: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    pickle_key: str | None = field(default=None, repr=False)
    device_name: str = "Beistand"
    require_encryption: bool = False
    cross_sign: bool = True
    sync_timeout_ms: int = 30_000

    @classmethod
    def from_settings(cls, settings: Settings) -> MatrixConfig | None:
        """The Matrix part of Beistand's settings; None when the channel is not configured.

        :class:`~bot.config.Settings` has checked them already (a channel configured only
        partly, the user id, the homeserver URL); this only takes them over.
        """
        if not settings.matrix_configured:
            return None
        homeserver, user_id = settings.matrix_homeserver, settings.matrix_user_id
        if not homeserver or not user_id:  # only for settings built around the checks
            raise ConfigError("Matrix is configured only partly; see `beistand run --help`")
        return cls(
            homeserver=homeserver.strip().rstrip("/"),
            user_id=user_id.strip(),
            store_dir=settings.matrix_store_dir,
            password=settings.matrix_password,
            access_token=settings.matrix_access_token,
            pickle_key=settings.matrix_pickle_key,
            device_name=settings.matrix_device_name,
            require_encryption=settings.matrix_require_encryption,
            cross_sign=not settings.matrix_no_cross_signing,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MatrixConfig | None:
        """:meth:`from_settings` of the settings in ``env`` (a mapping, as in tests).

        Raises :class:`~bot.errors.ConfigError` when it is configured only partly.
        """
        return cls.from_settings(Settings.from_env(env))


def prepare_store_dir(path: Path) -> Path:
    """Create the store directory with mode 0700 (and tighten it if it exists)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


# --- logging ---------------------------------------------------------------------------------

_MATRIX_ID = re.compile(
    r"[@!#+][^\s:'\"<>/]+:[A-Za-z0-9.\-\[\]]+(?::\d+)?"  # @user:server, !room:server, #alias:server
    r"|[$!][A-Za-z0-9+/_\-]{16,}"  # event ids and server-less room ids
)


def redact_ids(text: str) -> str:
    """Replace Matrix user, room, alias and event ids in ``text`` with ``<id>``."""
    return _MATRIX_ID.sub("<id>", text)


class RedactIdsFilter(logging.Filter):
    """Blanks Matrix ids in a record's message and traceback (nio logs room and user ids)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_ids(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact_ids(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_REDACT = RedactIdsFilter()
_GUARDED_LOGGERS = ("nio", "peewee")


def guard_nio_logging() -> None:
    """Keep nio and its store's ORM at WARNING or above, with :class:`RedactIdsFilter` on all of
    their loggers.

    nio logs room ids at INFO and user ids at WARNING; peewee (nio's crypto store) logs every SQL
    statement with its parameters, pickled keys included, at DEBUG. The loggers all exist once
    nio is imported.
    """
    for base_name in _GUARDED_LOGGERS:
        base = logging.getLogger(base_name)
        if base.level == logging.NOTSET or base.level < logging.WARNING:
            base.setLevel(logging.WARNING)
        for name in list(logging.Logger.manager.loggerDict):
            if name == base_name or name.startswith(base_name + "."):
                guarded = logging.getLogger(name)
                if _REDACT not in guarded.filters:
                    guarded.addFilter(_REDACT)


# --- mapping between nio and the engine (pure) -----------------------------------------------

#: What a ``/start`` argument may be (the same rule as Telegram's deep-link payloads).
_ENTRY = re.compile(r"[A-Za-z0-9_-]{1,64}")

_MEDIA_KINDS: tuple[tuple[type, str], ...] = (
    (RoomMessageImage, "image"),
    (RoomEncryptedImage, "image"),
    (RoomMessageAudio, "audio"),
    (RoomEncryptedAudio, "audio"),
    (RoomMessageVideo, "video"),
    (RoomEncryptedVideo, "video"),
    (RoomMessageFile, "file"),
    (RoomEncryptedFile, "file"),
)


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted ``> ...`` lines clients put in front of a reply's plain body."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith(">"):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    if index < len(lines) and lines[index] == "":
        index += 1
    return "\n".join(lines[index:])


def typed_event(body: str) -> Event:
    """A typed text: a command, ``/start NAME`` as ``Start(NAME)`` (as a Telegram deep link
    does), or else the text itself."""
    command: Command | None = parse_command(body)
    if command is None:
        return Text(body)
    if command.name == "start":
        payload = command.argument
        return Start(payload if payload and _ENTRY.fullmatch(payload) else None)
    return command


def to_engine_event(event: Any, encrypted_room: bool) -> Event | None:
    """The engine event for a nio room event, or None when the bot should not react.

    Notices (other bots), edits and, in an encrypted room, anything that did not arrive
    encrypted are ignored. Only the plain ``body`` is read, never ``formatted_body``.
    """
    if not isinstance(event, RoomMessage | StickerEvent) or isinstance(event, RoomMessageNotice):
        return None
    if encrypted_room and not event.decrypted:
        return None
    if isinstance(event, RoomMessageText | RoomMessageEmote):
        content = event.source.get("content") or {}
        relation = content.get("m.relates_to") or {}
        if not isinstance(relation, dict) or relation.get("rel_type") == "m.replace":
            return None
        body = str(event.body)
        if "m.in_reply_to" in relation:
            body = strip_reply_fallback(body)
        return typed_event(body)
    if isinstance(event, StickerEvent):
        return Unsupported("sticker")
    if isinstance(event, RoomMessageMedia | RoomEncryptedMedia):
        for cls, kind in _MEDIA_KINDS:
            if isinstance(event, cls):
                return Unsupported(kind)
        return Unsupported("media")
    if isinstance(event, RoomMessageUnknown):
        return Unsupported("other")
    return None


def message_content(message: Outgoing) -> dict[str, str]:
    """An ``m.notice`` with the plain body and the (already escaped) HTML from the renderer."""
    return {
        "msgtype": "m.notice",
        "body": message.plain,
        "format": "org.matrix.custom.html",
        "formatted_body": message.html.replace("\n", "<br>"),
    }


def room_allowed(member_count: int, encrypted: bool, require_encryption: bool) -> bool:
    """The bot stays only in direct chats (and, if so configured, only encrypted ones)."""
    return member_count <= MAX_MEMBERS and (encrypted or not require_encryption)


# --- the transport ---------------------------------------------------------------------------


class MatrixTransport:
    """The Matrix channel: ``await start()``, then it serves until ``await stop()``.

    ``run()`` does both around waiting, for ``beistand run`` beside other channels.
    """

    platform = PLATFORM  # the name /healthz shows

    def __init__(self, config: MatrixConfig, handler: Handler) -> None:
        self._config = config
        self._handler = handler
        self._client: AsyncClient | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._pending: Counter[str] = Counter()
        self._active_rooms: set[str] = set()
        self._invites: set[str] = set()
        self._log_key = secrets.token_bytes(16)
        self._device_id: str | None = None
        self.cross_signing: CrossSigningResult | None = None
        self._sync_failing = False
        self._last_sync = time.monotonic()  # of the last successful sync

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
        store = prepare_store_dir(self._config.store_dir)
        client_config = AsyncClientConfig(
            store_sync_tokens=True,
            encryption_enabled=True,
            request_timeout=60,
            **({"pickle_key": self._config.pickle_key} if self._config.pickle_key else {}),
        )
        if self._config.pickle_key is None:
            logger.warning("matrix.no_pickle_key", extra=_F)
        self._client = AsyncClient(
            self._config.homeserver,
            self._config.user_id,
            store_path=str(store),
            config=client_config,
        )
        try:
            await self._login(store)
            for path in store.iterdir():
                if path.is_file():
                    path.chmod(0o600)
            await self._first_sync()
            if self._config.cross_sign:
                await self._cross_sign(store)
        except BaseException:
            await self._client.close()
            self._client = None
            raise
        client = self._client
        client.add_event_callback(self._on_room_event, (RoomMessage, StickerEvent))
        client.add_event_callback(self._on_member_event, RoomMemberEvent)
        self._active_rooms = set(client.rooms)
        for room_id in list(client.rooms):
            self._schedule(room_id, functools.partial(self._check_room, room_id))
        self._answer_invites()
        self._sync_task = asyncio.create_task(self._sync_loop(), name="matrix-sync")
        self._handler.register_channel(PLATFORM, self.deliver)
        logger.info("matrix.listening", extra=_F)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop syncing, let running replies finish for up to ``grace`` seconds, close."""
        client = self._client
        if client is None:
            return
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sync_task
            self._sync_task = None
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        self._client = None
        await client.close()
        logger.info("matrix.stopped", extra=_F)

    def health(self) -> bool:
        """True while logged in and syncing: the last sync succeeded, within the last few sync
        timeouts."""
        client, task = self._client, self._sync_task
        if client is None or not client.logged_in or task is None or task.done():
            return False
        window = 3 * self._config.sync_timeout_ms / 1000 + 30
        return not self._sync_failing and time.monotonic() - self._last_sync < window

    async def deliver(self, route: str, message: Outgoing, key: str) -> None:
        """Send one message to a room the bot is in (a handoff notification or relayed text).

        ``route`` is the room id; ``key`` (if not empty) becomes the transaction id, so the
        homeserver drops a repeat after a retry. Raises :class:`~bot.errors.TransportError` when
        the room is gone or the homeserver refuses.
        """
        client = self._live()
        if route not in client.rooms or route not in self._active_rooms:
            raise TransportError("the bot is not in that Matrix room")
        if not await self._send(route, numbered(message), key or None):
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

    # -- login, first sync, cross-signing ------------------------------------------------

    def _live(self) -> AsyncClient:
        if self._client is None:
            raise TransportError("the Matrix transport is not running")
        return self._client

    async def _login(self, store: Path) -> None:
        client = self._live()
        device_file = store / DEVICE_FILE
        if self._config.access_token:
            client.access_token = self._config.access_token
            who = await client.whoami()
            if not isinstance(who, WhoamiResponse):
                raise ConfigError("MATRIX_ACCESS_TOKEN was rejected by the homeserver")
            if who.user_id != self._config.user_id or not who.device_id:
                raise ConfigError("MATRIX_ACCESS_TOKEN belongs to another account or no device")
            client.restore_login(who.user_id, who.device_id, self._config.access_token)
        else:
            saved = _read_device_file(device_file, self._config.user_id)
            if saved:
                client.device_id = saved
            response = await client.login(
                password=self._config.password, device_name=self._config.device_name
            )
            if not isinstance(response, LoginResponse):
                raise ConfigError(
                    f"Matrix login failed ({getattr(response, 'status_code', 'error')})"
                )
        if client.olm is None:
            raise TransportError("the Matrix crypto store did not load")
        self._device_id = client.device_id
        device_file.write_text(
            json.dumps({"user_id": client.user_id, "device_id": client.device_id}),
            encoding="utf-8",
        )

    async def _first_sync(self) -> None:
        """One full sync with no callbacks registered: everything before now is history."""
        client = self._live()
        response = await client.sync(timeout=0, sync_filter=SYNC_FILTER, full_state=True)
        if not isinstance(response, SyncResponse):
            raise TransportError(
                f"first Matrix sync failed ({getattr(response, 'status_code', 'error')})"
            )
        self._sync_failing, self._last_sync = False, time.monotonic()
        await self._housekeeping(response)

    async def _cross_sign(self, store: Path) -> None:
        client = self._live()
        assert client.olm is not None
        assert client.device_id is not None
        keys, created = load_or_create_keys(store, self._config.user_id)
        if created:
            logger.info("matrix.cross_signing_keys_generated", extra=_F)
        try:
            self.cross_signing = await ensure_cross_signed(
                HttpKeysApi(self._config.homeserver, client.access_token),
                keys,
                client.device_id,
                client.olm.account.identity_keys,
                password=self._config.password,
                device_signer=client.olm.account.sign,
            )
        except (TransportError, OSError, TimeoutError, aiohttp.ClientError) as error:
            # The bot still works for clients that accept unverified devices; say so loudly.
            logger.error("matrix.cross_signing_failed", extra={**_F, "error": type(error).__name__})
            return
        # the master key is public; operators compare it with what users' clients show
        logger.info("matrix.cross_signed", extra={**_F, "key": self.cross_signing.master_key})

    # -- the sync loop -------------------------------------------------------------------

    async def _sync_loop(self) -> None:
        delay = 0.5
        while True:
            client = self._live()
            try:
                response = await client.sync(
                    timeout=self._config.sync_timeout_ms, sync_filter=SYNC_FILTER
                )
            except (TimeoutError, OSError, LocalProtocolError) as error:
                response = error
            if isinstance(response, SyncResponse):
                delay = 0.5
                self._sync_failing, self._last_sync = False, time.monotonic()
                await self._housekeeping(response)
                continue
            code = getattr(response, "status_code", type(response).__name__)
            if code in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN", "M_FORBIDDEN"):
                logger.error("matrix.token_rejected", extra={**_F, "error": code})
                raise TransportError("Matrix access token rejected")
            self._sync_failing = True
            logger.warning("matrix.sync_failed", extra={**_F, "error": code, "seconds": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    async def _housekeeping(self, response: SyncResponse) -> None:
        """What nio's ``sync_forever`` does between syncs, plus room bookkeeping."""
        client = self._live()
        if client.outgoing_to_device_messages:
            await client.send_to_device_messages()
        if client.should_upload_keys:
            await client.keys_upload()
        if client.should_query_keys:
            await client.keys_query()
        if client.should_claim_keys:
            await client.keys_claim(client.get_users_for_key_claiming())
        for room_id in response.rooms.leave:
            self._active_rooms.discard(room_id)
            if room_id in client.rooms or room_id in client.invited_rooms:
                await client.room_forget(room_id)
        if self._sync_task is not None:  # not for the first sync, before anything listens
            self._active_rooms.update(client.rooms)
            self._answer_invites()

    # -- nio callbacks (run inside sync; they only schedule work) ---------------------------

    async def _on_member_event(self, room: MatrixRoom, event: RoomMemberEvent) -> None:
        room_id = room.room_id
        if event.state_key == self._config.user_id:
            if event.membership == "join" and event.prev_membership != "join":
                self._active_rooms.add(room_id)
                job = functools.partial(self._greet, room_id, event.event_id)
                self._schedule(room_id, job)
            elif event.membership in ("leave", "ban"):
                self._active_rooms.discard(room_id)
        elif room_id in self._active_rooms:
            self._schedule(room_id, functools.partial(self._check_room, room_id))

    async def _on_room_event(self, room: MatrixRoom, event: Any) -> None:
        room_id = room.room_id
        if event.sender == self._config.user_id or room_id not in self._active_rooms:
            return  # our own echo, or history from before the bot joined
        engine_event = to_engine_event(event, room.encrypted)
        if engine_event is None:
            return
        job = functools.partial(self._process, room_id, event.sender, event.event_id, engine_event)
        self._schedule(room_id, job)

    def _answer_invites(self) -> None:
        client = self._live()
        invited = set(client.invited_rooms)
        self._invites &= invited
        for room_id in invited - self._invites:
            self._invites.add(room_id)
            self._schedule(room_id, functools.partial(self._answer_invite, room_id))

    # -- per-room jobs, in order -----------------------------------------------------------

    def _schedule(
        self, room_id: str, job: Callable[[], Awaitable[None]]
    ) -> asyncio.Task[None] | None:
        if self._pending[room_id] >= MAX_PENDING_PER_ROOM:
            logger.warning("matrix.event_dropped", extra={**_F, "key": self._tag(room_id)})
            return None
        self._pending[room_id] += 1
        task = asyncio.create_task(self._run_job(room_id, job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run_job(self, room_id: str, job: Callable[[], Awaitable[None]]) -> None:
        lock = self._locks.setdefault(room_id, asyncio.Lock())
        try:
            async with lock:  # first await: jobs of one room run in arrival order
                await job()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # type only: messages of some exceptions repeat what the user typed
            logger.error(
                "matrix.job_failed",
                extra={**_F, "key": self._tag(room_id), "error": type(error).__name__},
            )
        finally:
            self._pending[room_id] -= 1
            if self._pending[room_id] <= 0:
                del self._pending[room_id]
                self._locks.pop(room_id, None)

    def _tag(self, room_id: str) -> str:
        """A per-process pseudonym of a room for log lines (``r:`` and 8 hex digits)."""
        return "r:" + hmac.new(self._log_key, room_id.encode(), hashlib.sha256).hexdigest()[:8]

    async def _answer_invite(self, room_id: str) -> None:
        client = self._live()
        room = client.invited_rooms.get(room_id)
        if room is None:
            return
        if room.member_count > MAX_MEMBERS:
            await self._leave(room_id, room.member_count)
            return
        response = await client.join(room_id)
        if isinstance(response, JoinError):
            logger.warning(
                "matrix.join_failed",
                extra={**_F, "key": self._tag(room_id), "error": response.status_code},
            )

    async def _partner(self, room_id: str) -> str | None:
        """The one other member of an allowed room; leaves the room (silently) otherwise."""
        client = self._live()
        room = client.rooms.get(room_id)
        if room is None:
            return None
        others = [user for user in room.users if user != self._config.user_id]
        count = max(room.member_count, len(others) + 1)
        if len(others) != 1 or not room_allowed(
            count, room.encrypted, self._config.require_encryption
        ):
            await self._leave(room_id, count)
            return None
        return str(others[0])

    async def _check_room(self, room_id: str) -> None:
        await self._partner(room_id)

    async def _leave(self, room_id: str, members: int) -> None:
        client = self._live()
        self._active_rooms.discard(room_id)
        logger.info("matrix.leave", extra={**_F, "key": self._tag(room_id), "count": members})
        await client.room_leave(room_id)
        await client.room_forget(room_id)

    async def _greet(self, room_id: str, event_id: str) -> None:
        partner = await self._partner(room_id)
        if partner is None:
            return
        who = Sender(PLATFORM, partner, route=room_id)
        actions = await self._handler.handle(Incoming(who, Start(), event_id))
        await self._send_actions(room_id, actions)

    async def _process(self, room_id: str, sender: str, event_id: str, event: Event) -> None:
        partner = await self._partner(room_id)
        if partner != sender:
            return
        who = Sender(PLATFORM, sender, route=room_id)
        actions = await self._handler.handle(Incoming(who, event, event_id))
        await self._send_actions(room_id, actions)

    async def _send_actions(self, room_id: str, actions: tuple[Action, ...]) -> None:
        for message in render_all(actions):
            await self._send(room_id, numbered(message))

    async def _send(self, room_id: str, message: Outgoing, txn_id: str | None = None) -> bool:
        client = self._live()
        try:
            # Unverified devices of the user are accepted: the bot cannot verify strangers
            # (see docs/matrix.md, "Trust").
            response = await client.room_send(
                room_id,
                "m.room.message",
                message_content(message),
                tx_id=txn_id,
                ignore_unverified_devices=True,
            )
        except (SendRetryError, LocalProtocolError, EncryptionError, OlmUnverifiedDeviceError) as e:
            logger.error(
                "matrix.send_failed",
                extra={**_F, "key": self._tag(room_id), "error": type(e).__name__},
            )
            return False
        if isinstance(response, RoomSendError):
            logger.error(
                "matrix.send_failed",
                extra={**_F, "key": self._tag(room_id), "error": response.status_code},
            )
            return False
        return True


def _read_device_file(path: Path, user_id: str) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("user_id") != user_id:
        return None
    device = data.get("device_id")
    return device if isinstance(device, str) and device else None


async def run_matrix(config: MatrixConfig, handler: Handler) -> None:
    """Serve Matrix until cancelled; for ``beistand run`` beside the other channels."""
    await MatrixTransport(config, handler).run()
