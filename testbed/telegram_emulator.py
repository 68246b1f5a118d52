"""A Telegram Bot API emulator on 127.0.0.1 for end-to-end tests of the Telegram channel.

Bot side: the HTTP Bot API at ``{base_url}/bot<token>/<method>``, answered like Telegram answers it
(the methods in :data:`TelegramEmulator.METHODS`; anything else is a JSON 404). Parameters are read
from the query string, url-encoded or multipart forms (as python-telegram-bot sends them, objects
JSON-encoded) and JSON bodies.

User side: :class:`SimUser`, used in-process by the tests, sends texts, commands (with a
``bot_command`` entity), button presses, media and group joins as updates, and reads every message
the bot sent or edited in its chat.

Faithful where the bot can notice: getUpdates confirms updates only by a later offset, long-polls
with ``timeout`` and answers a superseded poll with 409; message dates are in seconds; callback
queries carry ``chat_instance``; HTML is parsed with Telegram's tag set and malformed markup is
refused with "can't parse entities"; editing without ``reply_markup`` removes the keyboard; flood
limits answer 429 with ``retry_after``; webhooks are POSTed with the secret token header.

Deliberate differences: webhooks may use plain ``http`` but only to a loopback host; only
``parse_mode`` HTML (or none) is implemented; webhook updates are delivered one at a time, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import secrets
import string
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web

JSON = dict[str, Any]

TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]{30,}$")
COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_ANSWER_TEXT = 200
#: Update types Telegram delivers when ``allowed_updates`` is empty or was never set.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Methods whose calls count against the flood limits (messages and their edits).
LIMITED_METHODS = frozenset({"sendmessage", "editmessagetext", "editmessagereplymarkup"})

_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "allowed_updates",
        "entities",
        "link_preview_options",
        "reply_parameters",
    }
)
_INT_PARAMS = frozenset(
    {"offset", "limit", "timeout", "message_id", "max_connections", "cache_time", "user_id"}
)
_BOOL_PARAMS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
    }
)


def fake_token() -> str:
    """A token of the real shape that no Telegram server knows."""
    alphabet = string.ascii_letters + string.digits + "_-"
    secret = "".join(secrets.choice(alphabet) for _ in range(35))
    return f"{secrets.randbelow(9 * 10**8) + 10**8}:{secret}"


def now_seconds() -> int:
    """Telegram dates: whole seconds since the epoch."""
    return int(time.time())


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An unsuccessful Bot API answer."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JSON:
        """The JSON body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """A 400 answer with Telegram's prefix."""
    return ApiError(400, f"Bad Request: {detail}")


# ----------------------------------------------------------------------------------------- HTML

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "pre": "pre",
    "code": "code",
}
_OTHER_TAGS = frozenset({"a", "span", "blockquote", "tg-emoji"})
_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot);|#(\d{1,7});|#[xX]([0-9a-fA-F]{1,6});)")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME_RE = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)")
_ATTR_RE = re.compile(
    r"""\s*([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""",
)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


@dataclass
class _OpenTag:
    name: str
    offset: int
    entity: JSON | None


class _HtmlParser:
    """Telegram's HTML subset: the supported tags, the four named entities and numeric ones."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out: list[str] = []
        self.pos = 0  # UTF-16 offset in the output
        self.stack: list[_OpenTag] = []
        self.entities: list[JSON] = []

    def run(self) -> tuple[str, list[JSON]]:
        i = 0
        while i < len(self.source):
            ch = self.source[i]
            if ch == "&":
                i = self._entity(i)
            elif ch == "<":
                i = self._end_tag(i) if self.source.startswith("</", i) else self._start_tag(i)
            else:
                self._emit(ch)
                i += 1
        if self.stack:
            name = self.stack[-1].name
            raise _parse_error(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.pos += utf16_len(text)

    def _entity(self, i: int) -> int:
        match = _ENTITY_RE.match(self.source, i)
        if match is None:  # Telegram keeps a bare ampersand as it is
            self._emit("&")
            return i + 1
        named, decimal, hexa = match.groups()
        if named:
            self._emit(_NAMED[named])
        else:
            code = int(decimal) if decimal else int(hexa, 16)
            self._emit(chr(code) if 0 < code <= 0x10FFFF else "\ufffd")
        return match.end()

    def _end_tag(self, i: int) -> int:
        offset = _byte_offset(self.source, i)
        close = self.source.find(">", i)
        if close < 0:
            raise _parse_error(f"Unclosed end tag at byte offset {offset}")
        name = self.source[i + 2 : close].strip().lower()
        if not self.stack:
            raise _parse_error(f"Unexpected end tag at byte offset {offset}")
        top = self.stack[-1]
        if name != top.name:
            raise _parse_error(
                f'Unmatched end tag at byte offset {offset}, expected "</{top.name}>", '
                f'found "</{name}>"'
            )
        self.stack.pop()
        if top.entity is not None and self.pos > top.offset:
            self.entities.append(
                {**top.entity, "offset": top.offset, "length": self.pos - top.offset}
            )
        return close + 1

    def _start_tag(self, i: int) -> int:
        offset = _byte_offset(self.source, i)
        match = _TAG_NAME_RE.match(self.source, i)
        name = match.group(1).lower() if match else ""
        if match is None or (name not in _SIMPLE_TAGS and name not in _OTHER_TAGS):
            raise _parse_error(f'Unsupported start tag "{name}" at byte offset {offset}')
        attrs, end = self._attributes(match.end(), offset)
        self.stack.append(_OpenTag(name, self.pos, self._entity_for(name, attrs)))
        return end

    def _attributes(self, i: int, offset: int) -> tuple[dict[str, str], int]:
        attrs: dict[str, str] = {}
        while True:
            while i < len(self.source) and self.source[i].isspace():
                i += 1
            if i >= len(self.source):
                raise _parse_error(f"Unclosed start tag at byte offset {offset}")
            if self.source[i] == ">":
                return attrs, i + 1
            if self.source.startswith("/>", i):
                raise _parse_error(f"Unclosed start tag at byte offset {offset}")
            match = _ATTR_RE.match(self.source, i)
            if match is None or match.end() == i:
                raise _parse_error(f"Unclosed start tag at byte offset {offset}")
            key, dq, sq, bare = match.groups()
            attrs[key.lower()] = next((v for v in (dq, sq, bare) if v is not None), "")
            i = match.end()

    def _entity_for(self, name: str, attrs: dict[str, str]) -> JSON | None:
        if name in _SIMPLE_TAGS:
            if name == "code" and self.stack and self.stack[-1].name == "pre":
                language = attrs.get("class", "")
                pre = self.stack[-1].entity
                if pre is not None and language.startswith("language-"):
                    pre["language"] = language.removeprefix("language-")
                return None
            return {"type": _SIMPLE_TAGS[name]}
        if name == "a":
            href = attrs.get("href", "")
            return {"type": "text_link", "url": href} if href else None
        if name == "span":
            if attrs.get("class") != "tg-spoiler":
                raise _parse_error('Tag "span" must have class "tg-spoiler"')
            return {"type": "spoiler"}
        if name == "blockquote":
            kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
            return {"type": kind}
        emoji = attrs.get("emoji-id", "")
        if not emoji.isdigit():
            raise _parse_error('Tag "tg-emoji" must have attribute "emoji-id"')
        return {"type": "custom_emoji", "custom_emoji_id": emoji}


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Parse Telegram HTML into (text, entities) or raise the 400 Telegram would send."""
    return _HtmlParser(source).run()


def command_entities(text: str) -> list[JSON]:
    """The ``bot_command`` entities a Telegram client attaches to a text."""
    entities = []
    for match in COMMAND_RE.finditer(text):
        offset = utf16_len(text[: match.start()])
        entities.append({"type": "bot_command", "offset": offset, "length": utf16_len(match[0])})
    return entities


# ----------------------------------------------------------------------------------- rate limits


@dataclass(frozen=True)
class RateLimits:
    """Flood limits as Telegram applies them: token buckets refilled at a steady rate."""

    per_chat_rate: float = 1.0
    per_chat_burst: int = 8
    group_rate: float = 20 / 60
    group_burst: int = 20
    overall_rate: float = 30.0
    overall_burst: int = 30


class TokenBucket:
    """A bucket of ``burst`` tokens, refilled at ``rate`` per second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Use one token (call after :meth:`wait_time` returned 0)."""
        self.tokens -= 1


# ------------------------------------------------------------------------- what the tests read


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Message:
    """A message as the user received it (a snapshot: later edits do not change it)."""

    message_id: int
    chat_id: int
    text: str
    entities: tuple[JSON, ...] = ()
    keyboard: tuple[tuple[Button, ...], ...] = ()
    date: int = 0
    edit_date: int | None = None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @property
    def buttons(self) -> tuple[Button, ...]:
        """All buttons, row by row."""
        return tuple(button for row in self.keyboard for button in row)

    @property
    def labels(self) -> tuple[str, ...]:
        """The button texts, row by row."""
        return tuple(button.text for button in self.buttons)

    def button(self, label: str) -> Button:
        """The button with exactly this text."""
        for button in self.buttons:
            if button.text == label:
                return button
        raise LookupError(f"no button {label!r} in {self.labels}")

    def styled(self, kind: str) -> list[str]:
        """The pieces of text carrying an entity of this type (e.g. ``"bold"``)."""
        units = self.text.encode("utf-16-le")
        return [
            units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in self.entities
            if e["type"] == kind
        ]


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answer to a button press."""

    query_id: str
    text: str | None
    show_alert: bool


@dataclass(frozen=True)
class ApiCall:
    """One Bot API request, as recorded by the emulator (the token is not kept)."""

    method: str
    params: JSON
    at: float
    content_type: str = ""  # how the parameters came: JSON, a form, multipart


@dataclass(frozen=True)
class Delivery:
    """Something that happened in a chat: a new message or an edit, in order."""

    kind: str  # "new" or "edit"
    message: Message


# ------------------------------------------------------------------------------------- state


@dataclass
class _Stored:
    message_id: int
    chat: JSON
    sender: JSON
    date: int
    by_bot: bool
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    edit_date: int | None = None
    extra: JSON = field(default_factory=dict)

    def to_api(self) -> JSON:
        body: JSON = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.text is not None:
            body["text"] = self.text
        if self.entities:
            body["entities"] = self.entities
        if self.reply_markup is not None:
            body["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            body["edit_date"] = self.edit_date
        body.update(self.extra)
        return body

    def snapshot(self) -> Message:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        keyboard = tuple(
            tuple(Button(b["text"], b.get("callback_data"), b.get("url")) for b in row)
            for row in rows
        )
        return Message(
            message_id=self.message_id,
            chat_id=self.chat["id"],
            text=self.text or "",
            entities=tuple(self.entities),
            keyboard=keyboard,
            date=self.date,
            edit_date=self.edit_date,
            raw=self.to_api(),
        )


@dataclass
class _Chat:
    info: JSON
    bot_is_member: bool = True
    messages: dict[int, _Stored] = field(default_factory=dict)
    log: list[Delivery] = field(default_factory=list)
    chat_instance: str = field(default_factory=lambda: str(secrets.randbits(62)))
    bucket: TokenBucket | None = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def is_private(self) -> bool:
        return bool(self.info["type"] == "private")

    def next_message_id(self) -> int:
        return next(self._ids)

    def sent(self) -> list[Message]:
        return [d.message for d in self.log if d.kind == "new"]


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    task: asyncio.Task[None] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    errors: list[str] = field(default_factory=list)


class EmulatedBot:
    """One bot account on the emulator: its update queue, chats, commands and call log."""

    def __init__(self, token: str, username: str, first_name: str, limits: RateLimits) -> None:
        match = TOKEN_RE.match(token)
        if match is None:
            raise ValueError("a bot token looks like 123456:ABC... (30 or more characters)")
        self.token = token
        self.id = int(match.group(1))
        self.username = username
        self.first_name = first_name
        self.limits = limits
        self.updates: list[JSON] = []
        self._update_ids = itertools.count(secrets.randbelow(10**8) + 10**8)
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.dropped_updates: list[JSON] = []
        self.poll_generation = 0
        self.webhook: _Webhook | None = None
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.chats: dict[int, _Chat] = {}
        self.calls: list[ApiCall] = []
        self.queries: dict[str, int] = {}  # callback query id -> chat id
        self.answers: list[CallbackAnswer] = []
        self.files: dict[str, JSON] = {}
        self.downloads: list[str] = []
        self.flood_errors: list[tuple[str, int, int]] = []  # method, chat id, retry_after
        self.overall = TokenBucket(limits.overall_rate, limits.overall_burst)
        self.logged_out = False

    @property
    def user(self) -> JSON:
        """The bot's own User object."""
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def calls_of(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def push(self, kind: str, payload: JSON) -> JSON | None:
        """Queue an update of this type, unless ``allowed_updates`` filters it out."""
        update = {"update_id": next(self._update_ids), kind: payload}
        if kind not in self.allowed_updates:
            self.dropped_updates.append(update)
            return None
        self.updates.append(update)
        return update

    def redeliver(self, update: JSON) -> None:
        """Queue an update again with its old id, as Telegram does when a confirmation was lost."""
        self.updates.append(update)

    def chat(self, chat_id: int | str | None) -> _Chat:
        """The chat with this id (or @username), or a 400 "chat not found"."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            for chat in self.chats.values():
                if chat.info.get("username") == chat_id.removeprefix("@"):
                    return chat
            raise bad_request("chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat


# ------------------------------------------------------------------------------ the emulator


Method = Callable[[EmulatedBot, JSON], Awaitable[Any]]


class TelegramEmulator:
    """The Bot API on 127.0.0.1 (a free port) plus the simulated users' side, in one process.

    Use ``async with TelegramEmulator() as emu:`` or :meth:`start` / :meth:`stop`.
    """

    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self.bots: dict[str, EmulatedBot] = {}
        self._runner: web.AppRunner | None = None
        self._session: ClientSession | None = None
        self._port = 0
        self._change = asyncio.Event()
        self._closing = False
        self._faults: dict[str, list[tuple[int, str]]] = {}
        self._user_ids = itertools.count(secrets.randbelow(10**8) + 10**9)
        self._group_ids = itertools.count(secrets.randbelow(10**8) + 10**9)
        self.METHODS: dict[str, Method] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "leavechat": self._leave_chat,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "getfile": self._get_file,
            "close": self._close,
            "logout": self._log_out,
        }

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """The API root, e.g. ``http://127.0.0.1:40123`` (what TELEGRAM_API_URL is set to)."""
        if not self._port:
            raise RuntimeError("the emulator is not running")
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a port the OS picks."""
        app = web.Application(client_max_size=2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._port = sockets[0].getsockname()[1]
        self._session = ClientSession(timeout=ClientTimeout(total=10))

    async def stop(self) -> None:
        """Wake pending long polls, stop webhook deliveries, close the server."""
        self._closing = True
        self.changed()
        for bot in self.bots.values():
            await self._stop_webhook(bot)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()
        self._port = 0

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test helpers

    def add_bot(
        self, token: str, username: str = "beistand_test_bot", first_name: str = "Beistand"
    ) -> EmulatedBot:
        """Register a bot account; the token must look like a real one."""
        bot = EmulatedBot(token, username, first_name, self.limits)
        self.bots[token] = bot
        return bot

    def user(
        self,
        bot: EmulatedBot,
        first_name: str = "Erika",
        language_code: str | None = "de",
        username: str | None = None,
    ) -> SimUser:
        """A new simulated user with a private chat with ``bot``."""
        return SimUser(self, bot, next(self._user_ids), first_name, language_code, username)

    def new_group_id(self, channel: bool = False) -> int:
        """A fresh negative chat id (``-100...`` for channels and supergroups)."""
        number = next(self._group_ids)
        return -(10**12 + number) if channel else -number

    def inject_fault(self, method: str, status: int, body: str) -> None:
        """Answer the next call of ``method`` with this raw status and body (5xx, bad JSON...)."""
        self._faults.setdefault(method.lower(), []).append((status, body))

    def changed(self) -> None:
        """Wake everything waiting in :meth:`wait_until` (a new update, message, answer ...)."""
        event, self._change = self._change, asyncio.Event()
        event.set()

    async def wait_until(self, predicate: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy and return it; TimeoutError after ``within`` s."""
        async with asyncio.timeout(within):
            while True:
                event = self._change
                value = predicate()
                if value:
                    return value
                await event.wait()

    # ------------------------------------------------------------------ HTTP layer

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)

    async def _handle_api(self, request: web.Request) -> web.Response:
        try:
            bot = self._bot_for(request.match_info["token"])
            method = request.match_info["method"]
            params = await _read_params(request)
            bot.calls.append(ApiCall(method, params, time.monotonic(), request.content_type))
            self.changed()
            faults = self._faults.get(method.lower())
            if faults:
                status, text = faults.pop(0)
                return web.Response(status=status, text=text, content_type="text/html")
            impl = self.METHODS.get(method.lower())
            if impl is None:
                raise ApiError(404, "Not Found")
            if method.lower() in LIMITED_METHODS:
                self._charge(bot, method, params.get("chat_id"))
            result = await impl(bot, params)
        except ApiError as error:
            return web.json_response(error.payload(), status=error.code)
        self.changed()
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        try:
            bot = self._bot_for(request.match_info["token"])
        except ApiError as error:
            return web.json_response(error.payload(), status=error.code)
        bot.downloads.append(request.match_info["path"])
        self.changed()
        return web.Response(body=b"\x00" * 16, content_type="application/octet-stream")

    def _bot_for(self, token: str) -> EmulatedBot:
        bot = self.bots.get(token)
        if bot is None or bot.logged_out:
            raise ApiError(401, "Unauthorized")
        return bot

    def _charge(self, bot: EmulatedBot, method: str, chat_id: Any) -> None:
        chat = bot.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            return  # the method itself answers "chat not found"
        if chat.bucket is None:
            rate, burst = (
                (self.limits.per_chat_rate, self.limits.per_chat_burst)
                if chat.is_private
                else (self.limits.group_rate, self.limits.group_burst)
            )
            chat.bucket = TokenBucket(rate, burst)
        now = time.monotonic()
        wait = max(bot.overall.wait_time(now), chat.bucket.wait_time(now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            bot.flood_errors.append((method, chat.id, retry_after))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        bot.overall.take()
        chat.bucket.take()

    # ------------------------------------------------------------------ methods: identity

    async def _get_me(self, bot: EmulatedBot, params: JSON) -> JSON:
        return {
            **bot.user,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _close(self, bot: EmulatedBot, params: JSON) -> bool:
        return True

    async def _log_out(self, bot: EmulatedBot, params: JSON) -> bool:
        bot.logged_out = True
        return True

    # ------------------------------------------------------------------ methods: updates

    async def _get_updates(self, bot: EmulatedBot, params: JSON) -> list[JSON]:
        if bot.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            bot.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        self._confirm(bot, params.get("offset"))
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        bot.poll_generation += 1
        generation = bot.poll_generation
        deadline = time.monotonic() + timeout
        while not bot.updates and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            event = self._change
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if bot.poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        return bot.updates[:limit]

    @staticmethod
    def _confirm(bot: EmulatedBot, offset: Any) -> None:
        if not isinstance(offset, int) or offset == 0:
            return
        if offset < 0:
            del bot.updates[: max(len(bot.updates) + offset, 0)]
        else:
            bot.updates[:] = [u for u in bot.updates if u["update_id"] >= offset]

    # ------------------------------------------------------------------ methods: webhooks

    async def _set_webhook(self, bot: EmulatedBot, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(bot, params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in ("127.0.0.1",):
            raise bad_request("bad webhook: the emulator only delivers to http(s)://127.0.0.1")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_RE.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            bot.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        if params.get("drop_pending_updates"):
            bot.updates.clear()
        await self._stop_webhook(bot)
        bot.poll_generation += 1  # a pending getUpdates ends with a conflict
        max_connections = int(params.get("max_connections") or 40)
        bot.webhook = _Webhook(url, str(secret) if secret else None, max_connections)
        bot.webhook.task = asyncio.create_task(self._deliver(bot, bot.webhook))
        return True

    async def _delete_webhook(self, bot: EmulatedBot, params: JSON) -> bool:
        await self._stop_webhook(bot)
        bot.webhook = None
        if params.get("drop_pending_updates"):
            bot.updates.clear()
        return True

    async def _get_webhook_info(self, bot: EmulatedBot, params: JSON) -> JSON:
        hook = bot.webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.updates),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        if bot.allowed_updates != DEFAULT_UPDATE_TYPES:
            info["allowed_updates"] = sorted(bot.allowed_updates)
        return info

    async def _stop_webhook(self, bot: EmulatedBot) -> None:
        hook = bot.webhook
        if hook is not None and hook.task is not None:
            hook.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hook.task
            hook.task = None

    async def _deliver(self, bot: EmulatedBot, hook: _Webhook) -> None:
        """POST pending updates to the webhook one by one; a 2xx answer confirms one."""
        backoff = 0.05
        while not self._closing:
            event = self._change
            if not bot.updates:
                await event.wait()
                continue
            update = bot.updates[0]
            error = await self._post_update(hook, update)
            if error is None:
                if bot.updates and bot.updates[0] is update:
                    bot.updates.pop(0)
                backoff = 0.05
                self.changed()
                continue
            hook.last_error_date = now_seconds()
            hook.last_error_message = error
            hook.errors.append(error)
            self.changed()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 1.0)

    async def _post_update(self, hook: _Webhook, update: JSON) -> str | None:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            async with self._session.post(hook.url, data=json.dumps(update), headers=headers) as r:
                await r.read()
                if 200 <= r.status < 300:
                    return None
                return f"Wrong response from the webhook: {r.status} {r.reason}"
        except (ClientError, TimeoutError) as exc:
            return f"Connection failed: {type(exc).__name__}"

    # ------------------------------------------------------------------ methods: messages

    async def _send_message(self, bot: EmulatedBot, params: JSON) -> JSON:
        chat = bot.chat(params.get("chat_id"))
        if not chat.bot_is_member:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        text, entities = _message_text(params)
        markup = _reply_markup(params.get("reply_markup"))
        stored = _Stored(
            message_id=chat.next_message_id(),
            chat=chat.info,
            sender=bot.user,
            date=now_seconds(),
            by_bot=True,
            text=text,
            entities=entities,
            reply_markup=markup,
        )
        chat.messages[stored.message_id] = stored
        chat.log.append(Delivery("new", stored.snapshot()))
        return stored.to_api()

    def _editable(self, bot: EmulatedBot, params: JSON) -> tuple[_Chat, _Stored]:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the emulator")
        chat = bot.chat(params.get("chat_id"))
        stored = chat.messages.get(params.get("message_id") or 0)
        if stored is None:
            raise bad_request("message to edit not found")
        if not stored.by_bot:
            raise bad_request("message can't be edited")
        return chat, stored

    def _apply_edit(
        self, chat: _Chat, stored: _Stored, text: str, entities: list[JSON], markup: JSON | None
    ) -> JSON:
        if (text, entities, markup) == (stored.text, stored.entities, stored.reply_markup):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        stored.text, stored.entities, stored.reply_markup = text, entities, markup
        stored.edit_date = now_seconds()
        chat.log.append(Delivery("edit", stored.snapshot()))
        return stored.to_api()

    async def _edit_message_text(self, bot: EmulatedBot, params: JSON) -> JSON:
        chat, stored = self._editable(bot, params)
        text, entities = _message_text(params)
        markup = _reply_markup(params.get("reply_markup"))
        return self._apply_edit(chat, stored, text, entities, markup)

    async def _edit_message_reply_markup(self, bot: EmulatedBot, params: JSON) -> JSON:
        chat, stored = self._editable(bot, params)
        markup = _reply_markup(params.get("reply_markup"))
        return self._apply_edit(chat, stored, stored.text or "", stored.entities, markup)

    async def _answer_callback_query(self, bot: EmulatedBot, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in bot.queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_ANSWER_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        del bot.queries[query_id]
        alert = bool(params.get("show_alert"))
        bot.answers.append(CallbackAnswer(query_id, str(text) if text else None, alert))
        return True

    async def _send_chat_action(self, bot: EmulatedBot, params: JSON) -> bool:
        chat = bot.chat(params.get("chat_id"))
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        if not chat.bot_is_member:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        return True

    # ------------------------------------------------------------------ methods: chats

    async def _leave_chat(self, bot: EmulatedBot, params: JSON) -> bool:
        chat = bot.chat(params.get("chat_id"))
        if chat.is_private:
            raise bad_request("chat member status can't be changed in private chats")
        if not chat.bot_is_member:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")
        chat.bot_is_member = False
        bot.push(
            "my_chat_member",
            {
                "chat": chat.info,
                "from": bot.user,
                "date": now_seconds(),
                "old_chat_member": {"user": bot.user, "status": "member"},
                "new_chat_member": {"user": bot.user, "status": "left"},
            },
        )
        return True

    async def _get_chat(self, bot: EmulatedBot, params: JSON) -> JSON:
        chat = bot.chat(params.get("chat_id"))
        return {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_file(self, bot: EmulatedBot, params: JSON) -> JSON:
        file = bot.files.get(str(params.get("file_id") or ""))
        if file is None:
            raise bad_request("invalid file_id")
        return {**file, "file_path": f"files/{file['file_unique_id']}"}

    # ------------------------------------------------------------------ methods: commands

    async def _set_my_commands(self, bot: EmulatedBot, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be a list of at most 100 commands")
        for command in commands:
            if not BOT_COMMAND_RE.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = _commands_key(params)
        if commands:
            bot.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            bot.commands.pop(key, None)
        return True

    async def _get_my_commands(self, bot: EmulatedBot, params: JSON) -> list[JSON]:
        return list(bot.commands.get(_commands_key(params), []))

    async def _delete_my_commands(self, bot: EmulatedBot, params: JSON) -> bool:
        bot.commands.pop(_commands_key(params), None)
        return True


# ----------------------------------------------------------------------- parameter handling


async def _read_params(request: web.Request) -> JSON:
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise bad_request("the request body must be a JSON object")
            raw.update(body)
        else:
            form = await request.post()
            raw.update({k: v for k, v in form.items() if isinstance(v, str)})
    return {key: _coerce(key, value) for key, value in raw.items()}


def _coerce(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if key in _JSON_PARAMS:
            return json.loads(value)
        if key in _INT_PARAMS:
            return int(value)
        if key in _BOOL_PARAMS:
            return value.lower() in ("true", "1")
    except ValueError:
        raise bad_request(f"can't parse {key}") from None
    if key == "chat_id":
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    return value


def _message_text(params: JSON) -> tuple[str, list[JSON]]:
    source = str(params.get("text") or "")
    mode = str(params.get("parse_mode") or "")
    if mode.lower() == "html":
        text, entities = parse_html(source)
    elif mode:
        raise bad_request(f"unsupported parse_mode {mode!r} (the emulator implements HTML only)")
    else:
        text, entities = source, list(params.get("entities") or [])
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


def _reply_markup(markup: Any) -> JSON | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup  # reply keyboards are accepted as they are
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array')
    for button in (b for row in rows for b in row):
        _check_button(button)
    if not any(rows):
        return None
    return {"inline_keyboard": rows}


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not str(button.get("text", "")).strip():
        raise bad_request("text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
        raise bad_request("BUTTON_DATA_INVALID")
    kinds = {"callback_data", "url", "switch_inline_query", "web_app", "login_url", "pay"}
    if len(kinds & button.keys()) != 1:
        raise bad_request("BUTTON_TYPE_INVALID")


def _commands_key(params: JSON) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
        raise bad_request("wrong parameter scope")
    language = str(params.get("language_code") or "")
    if language and not LANGUAGE_RE.match(language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


# ---------------------------------------------------------------------------- simulated users


class SimUser:
    """A person talking with one bot in a private chat (chat id = user id, as on Telegram)."""

    def __init__(
        self,
        emulator: TelegramEmulator,
        bot: EmulatedBot,
        user_id: int,
        first_name: str,
        language_code: str | None,
        username: str | None,
    ) -> None:
        self.emulator = emulator
        self.bot = bot
        self.id = user_id
        self.info: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            self.info["username"] = username
        if language_code:
            self.info["language_code"] = language_code
        chat_info = {"id": user_id, "type": "private", "first_name": first_name}
        self.chat = bot.chats.setdefault(user_id, _Chat(chat_info))
        self._cursor = 0
        self._query_ids: set[str] = set()

    # -------------------------------------------------------------- sending

    def _message(self, chat: _Chat, **content: Any) -> _Stored:
        stored = _Stored(
            message_id=chat.next_message_id(),
            chat=chat.info,
            sender=self.info,
            date=now_seconds(),
            by_bot=False,
            extra={k: v for k, v in content.items() if k not in ("text", "entities")},
            text=content.get("text"),
            entities=content.get("entities", []),
        )
        chat.messages[stored.message_id] = stored
        return stored

    def _post(self, kind: str, payload: JSON) -> JSON | None:
        update = self.bot.push(kind, payload)
        self.emulator.changed()
        return update

    def send_text(self, text: str) -> JSON | None:
        """Type a text (``/commands`` in it get ``bot_command`` entities); returns the update."""
        stored = self._message(self.chat, text=text, entities=command_entities(text))
        return self._post("message", stored.to_api())

    def press(self, message: Message, label: str) -> str:
        """Tap the button with this label on a message as this user sees it; returns the query id.

        The data comes from the user's copy, as on a real client, so an old copy gives a stale
        press.
        """
        data = message.button(label).callback_data
        if data is None:
            raise ValueError(f"button {label!r} has no callback data")
        return self.press_data(message, data)

    def press_data(self, message: Message, data: str) -> str:
        """Send a callback query with any data for a message (a forged press if not on it)."""
        stored = self.chat.messages.get(message.message_id)
        if stored is None:
            raise LookupError("no such message in this chat")
        query_id = str(secrets.randbits(63))
        self.bot.queries[query_id] = self.chat.id
        self._query_ids.add(query_id)
        payload = {
            "id": query_id,
            "from": self.info,
            "message": stored.to_api(),
            "chat_instance": self.chat.chat_instance,
            "data": data,
        }
        self._post("callback_query", payload)
        return query_id

    def _file(self, **extra: Any) -> JSON:
        unique = secrets.token_hex(8)
        file = {"file_id": f"F{secrets.token_hex(16)}", "file_unique_id": unique, **extra}
        self.bot.files[file["file_id"]] = {
            k: file[k] for k in ("file_id", "file_unique_id", "file_size") if k in file
        }
        return file

    def send_photo(self, caption: str | None = None) -> JSON | None:
        """Send a photo (three sizes, as Telegram does)."""
        sizes = [self._file(width=w, height=w, file_size=w * 90) for w in (90, 320, 800)]
        content: JSON = {"photo": sizes}
        if caption:
            content["caption"] = caption
        return self._post("message", self._message(self.chat, **content).to_api())

    def send_voice(self) -> JSON | None:
        """Send a voice message."""
        voice = self._file(duration=3, mime_type="audio/ogg", file_size=4000)
        return self._post("message", self._message(self.chat, voice=voice).to_api())

    def send_document(self, file_name: str = "drohbrief.pdf") -> JSON | None:
        """Send a file."""
        doc = self._file(file_name=file_name, mime_type="application/pdf", file_size=12000)
        return self._post("message", self._message(self.chat, document=doc).to_api())

    def send_sticker(self) -> JSON | None:
        """Send a sticker."""
        sticker = self._file(
            type="regular", width=512, height=512, is_animated=False, is_video=False, emoji="👍"
        )
        return self._post("message", self._message(self.chat, sticker=sticker).to_api())

    def add_bot_to_group(self, title: str = "Gemeinderat") -> GroupChat:
        """Add the bot to a new group: a ``my_chat_member`` update and a service message."""
        info = {"id": self.emulator.new_group_id(), "type": "group", "title": title}
        chat = self.bot.chats.setdefault(info["id"], _Chat(info))
        self._post("my_chat_member", self._membership(chat, "left", "member"))
        joined = self._message(chat, new_chat_members=[self.bot.user])
        self._post("message", joined.to_api())
        return GroupChat(self, chat)

    def add_bot_to_channel(self, title: str = "Amtsblatt") -> GroupChat:
        """Make the bot an administrator of a new channel, then post in it."""
        info = {"id": self.emulator.new_group_id(channel=True), "type": "channel", "title": title}
        chat = self.bot.chats.setdefault(info["id"], _Chat(info))
        self._post("my_chat_member", self._membership(chat, "left", "administrator"))
        return GroupChat(self, chat)

    def _membership(self, chat: _Chat, old: str, new: str) -> JSON:
        new_member: JSON = {"user": self.bot.user, "status": new}
        if new == "administrator":
            rights = (
                "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members "
                "can_promote_members can_change_info can_invite_users can_post_stories "
                "can_edit_stories can_delete_stories can_post_messages can_edit_messages"
            )
            new_member.update(dict.fromkeys(rights.split(), True))
            new_member.update(can_be_edited=False, is_anonymous=False)
        return {
            "chat": chat.info,
            "from": self.info,
            "date": now_seconds(),
            "old_chat_member": {"user": self.bot.user, "status": old},
            "new_chat_member": new_member,
        }

    # -------------------------------------------------------------- reading

    @property
    def received(self) -> list[Message]:
        """Every message the bot sent into this chat, as first received."""
        return self.chat.sent()

    @property
    def log(self) -> list[Delivery]:
        """New messages and edits in this chat, in order."""
        return list(self.chat.log)

    def current(self, message: Message) -> Message:
        """The message as it is now (after any edits)."""
        return self.chat.messages[message.message_id].snapshot()

    @property
    def answers(self) -> list[CallbackAnswer]:
        """The bot's answers to this user's button presses."""
        return [a for a in self.bot.answers if a.query_id in self._query_ids]

    async def next_message(self, within: float = 5.0) -> Message:
        """Wait for the next new message from the bot in this chat (not seen by this helper)."""

        def ready() -> Message | None:
            sent = self.chat.sent()
            return sent[self._cursor] if len(sent) > self._cursor else None

        message: Message = await self.emulator.wait_until(ready, within)
        self._cursor += 1
        return message

    async def next_messages(self, count: int, within: float = 5.0) -> list[Message]:
        """The next ``count`` new messages."""
        return [await self.next_message(within) for _ in range(count)]

    async def read_until_keyboard(self, within: float = 5.0, limit: int = 20) -> list[Message]:
        """New messages up to and including the next one with buttons."""
        messages = []
        for _ in range(limit):
            messages.append(await self.next_message(within))
            if messages[-1].keyboard:
                return messages
        raise AssertionError(f"no keyboard within {limit} messages")

    def unread(self) -> list[Message]:
        """Messages this user's helper has not returned yet."""
        return self.chat.sent()[self._cursor :]

    async def answer_to(self, query_id: str, within: float = 5.0) -> CallbackAnswer:
        """Wait for the bot's answer to one button press."""

        def answered() -> CallbackAnswer | None:
            return next((a for a in self.bot.answers if a.query_id == query_id), None)

        answer: CallbackAnswer = await self.emulator.wait_until(answered, within)
        return answer


@dataclass
class GroupChat:
    """A group or channel the simulated user added the bot to."""

    owner: SimUser
    chat: _Chat

    @property
    def id(self) -> int:
        """The chat id (negative)."""
        return self.chat.id

    @property
    def bot_is_member(self) -> bool:
        """False once the bot left."""
        return self.chat.bot_is_member

    @property
    def received(self) -> list[Message]:
        """Every message the bot sent into this chat."""
        return self.chat.sent()

    def send_text(self, text: str) -> JSON | None:
        """The owner writes in the group (a channel post in a channel); lost once the bot left."""
        if not self.chat.bot_is_member:
            return None
        stored = self.owner._message(self.chat, text=text, entities=command_entities(text))
        kind = "channel_post" if self.chat.info["type"] == "channel" else "message"
        return self.owner._post(kind, stored.to_api())
