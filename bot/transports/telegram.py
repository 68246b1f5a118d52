"""The Telegram channel: python-telegram-bot updates in, engine events to the handler, actions out.

No decisions about conversations are made here. An update becomes one event
(:mod:`bot.engine.events`), the handler (the runtime) returns actions, and :func:`bot.render.render`
turns them into messages, sent as escaped HTML with inline keyboards.

What this module does on its own, because it is about Telegram and not about conversations:

* only private chats: in a group or channel the bot says nothing and leaves;
* the keyboard of a question is removed once one of its buttons was accepted, so a second tap
  cannot act; a stale or forged button only gets a short answer to the tap;
* a short notice at ``/start`` that Telegram keeps bot chats on its servers, unencrypted;
* the command menu in German and English (``setMyCommands``);
* outgoing flood limits (:class:`FloodLimiter`) and one-at-a-time processing per chat
  (:class:`PerChatProcessor`);
* every update handled once (the runtime drops a redelivered update id), and the bot token
  kept out of every log line (:func:`protect_logs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import inspect
import logging
import re
import time
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseRateLimiter,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.config import TELEGRAM_TOKEN_PATTERN, WEBHOOK_SECRET_PATTERN, Settings
from bot.engine.actions import Action, Say, Stale
from bot.engine.commands import NAMES, parse_command
from bot.engine.events import Event, Start, Text, Unsupported
from bot.engine.texts import apology, command_descriptions, stale_button, telegram_notice
from bot.errors import ConfigError, TransportError
from bot.i18n import SOURCE_LOCALE, Translator
from bot.logs import RedactFilter
from bot.render import Button, Outgoing, parse_callback, render, render_all
from bot.runtime import KeyedLocks
from bot.runtime_api import Handler, Incoming, Sender
from bot.transports.pacing import ChatActivity, FairGate, Pace

_LOG = logging.getLogger(__name__)

PLATFORM = "telegram"
#: The update types the bot asks for; everything else is never delivered.
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member", "channel_post")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
TOKEN_PATTERN = TELEGRAM_TOKEN_PATTERN
_SECRET_PATTERN = WEBHOOK_SECRET_PATTERN
_DEEP_LINK = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MEDIA_KINDS = ("photo", "voice", "audio", "video", "video_note", "document", "sticker")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Telegram's limit for one message, in UTF-16 units after the markup is parsed.
MAX_LENGTH = 4096

Translations = Callable[[str | None], Translator]


def source_translations(locale: str | None) -> Translator:
    """Untranslated German, for when no catalogs are given."""
    del locale
    return Translator(SOURCE_LOCALE)


# --------------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """How to reach Telegram; built from Beistand's settings by :meth:`from_settings`.

    Attributes:
        token: the bot token from @BotFather (never logged, never shown by ``repr``).
        api_url: root of another Bot API server (``TELEGRAM_API_URL``), e.g. a local one.
        webhook_url: public HTTPS URL Telegram posts updates to; long polling when None.
        webhook_secret: checked on every webhook request (required with a webhook).
        webhook_listen: address the webhook server binds to.
        webhook_port: port the webhook server binds to.
        poll_interval: pause between two long polls (0 with a long-polling server).
        poll_timeout: seconds one getUpdates call waits for updates.
    """

    token: str = field(repr=False)
    api_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    poll_interval: float = 0.0
    poll_timeout: int = 10

    def __post_init__(self) -> None:
        if not TOKEN_PATTERN.fullmatch(self.token):
            raise ConfigError("TELEGRAM_TOKEN does not look like a bot token (digits:secret)")
        if self.webhook_url is not None:
            if urlsplit(self.webhook_url).scheme not in ("http", "https"):
                raise ConfigError("TELEGRAM_WEBHOOK_URL must be an http(s) URL")
            if not self.webhook_secret or not _SECRET_PATTERN.fullmatch(self.webhook_secret):
                raise ConfigError(
                    "TELEGRAM_WEBHOOK_SECRET is required with a webhook: 16 to 256 characters "
                    "of A-Z, a-z, 0-9, _ and -"
                )

    @property
    def webhook(self) -> bool:
        """True in webhook mode, False for long polling."""
        return self.webhook_url is not None

    @property
    def webhook_path(self) -> str:
        """The path the webhook server answers on (the path of the public URL)."""
        return urlsplit(self.webhook_url or "").path or "/"

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramSettings | None:
        """The Telegram part of Beistand's settings; None when no token is configured.

        Raises:
            ConfigError: the token or the webhook settings are unusable.
        """
        if not settings.telegram_token:
            return None
        return cls(
            token=settings.telegram_token.strip(),
            api_url=(settings.telegram_api_url or "").strip().rstrip("/") or None,
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=settings.telegram_webhook_secret,
            webhook_listen=settings.telegram_webhook_listen,
            webhook_port=settings.telegram_webhook_port,
        )


# ------------------------------------------------------------------------- keeping logs clean


class _RedactingFactory:
    """Wraps the log record factory, so records are clean before any handler sees them."""

    def __init__(self, inner: Callable[..., logging.LogRecord], redactor: RedactFilter) -> None:
        self.inner = inner
        self.redactor = redactor

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        self.redactor.filter(record)
        return record


def protect_logs(*secrets: str) -> None:
    """Keep the token (and other secrets) out of every log line, at every level.

    httpx and httpcore log request URLs, which contain the token, so they are held at WARNING;
    python-telegram-bot logs updates and texts at DEBUG, so it is held at INFO. Every record is
    redacted (:class:`bot.logs.RedactFilter`) when it is made, through the record factory, and
    again by a filter on every handler there is, so handlers added later are covered too.
    """
    for name, floor in (("httpx", logging.WARNING), ("httpcore", logging.WARNING)):
        _raise_level(logging.getLogger(name), floor)
    _raise_level(logging.getLogger("telegram"), logging.INFO)
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingFactory):
        factory = _RedactingFactory(factory, RedactFilter())
        logging.setLogRecordFactory(factory)
    redactor = factory.redactor  # one filter object, shared, so repeated calls add no filters
    known = set(redactor.secrets)
    redactor.secrets = (*redactor.secrets, *(s for s in _expand(secrets) if s not in known))
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            handler.addFilter(redactor)


def _expand(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """The secrets plus the part after the colon of each token (the bot id before it is public)."""
    found = [s for s in secrets if s]
    found += [s.partition(":")[2] for s in found if TOKEN_PATTERN.fullmatch(s)]
    return tuple(found)


def _redactor(settings: TelegramSettings) -> RedactFilter:
    return RedactFilter(_expand((settings.token, settings.webhook_secret)))


def _raise_level(logger: logging.Logger, floor: int) -> None:
    """Pin a logger at its current level or ``floor``, whichever is higher (never noisier)."""
    logger.setLevel(max(floor, logger.getEffectiveLevel()))


# ------------------------------------------------------------------------------ flood limits


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


class FloodLimiter(BaseRateLimiter[int]):
    """Telegram's limits, kept without dropping a message, and fair under a flood.

    Messages and edits are paced to ``chat_rate`` per chat (after a burst of ``chat_burst``),
    ``group_rate`` per group and ``overall_rate`` in total. Each request waits for its slot; when
    more are due than the overall budget allows, the next slot goes to the chat that has been
    writing to the bot least lately (:class:`~bot.transports.pacing.FairGate`), so people who
    write now and then are answered while flooding chats share the rest. The messages of one chat
    keep their order. A 429 answer pauses that chat (or everything, for calls without a chat) for
    ``retry_after`` and the request is repeated, up to ``max_retries`` times.

    ``activity`` is fed by :class:`PerChatProcessor` with every incoming update.
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


# ----------------------------------------------------------------------- update processing


class PerChatProcessor(BaseUpdateProcessor):
    """Updates of one chat one after another, in arrival order; different chats at once.

    Every update is counted in ``activity`` (what :class:`FloodLimiter` orders waiting replies
    by). A chat may have at most ``per_chat`` updates in flight; more (a flood: no person taps that
    fast) are dropped here, before they touch the database. An update takes one of the
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
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks = KeyedLocks()
        self._per_chat = per_chat
        self._in_flight: dict[int, int] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: locks go away with their last waiter."""

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
            in_hand = self._in_flight.get(chat, 0) + taken.get(chat, 0)
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
        if self._in_flight.get(chat_id, 0) >= self._per_chat:
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never started: nothing to undo
            _LOG.debug("telegram.update_dropped", extra={"kind": "flood"})
            return
        self._in_flight[chat_id] = self._in_flight.get(chat_id, 0) + 1
        try:
            async with self._locks.hold(str(chat_id).encode()), self._slots:
                await coroutine
        finally:
            left = self._in_flight[chat_id] - 1
            if left:
                self._in_flight[chat_id] = left
            else:
                del self._in_flight[chat_id]


@dataclass(slots=True)
class PollState:
    """Whether the last getUpdates call failed, and when one last succeeded (monotonic)."""

    failing: bool = False
    last_ok: float = field(default_factory=time.monotonic)


class ScreenedUpdates(HTTPXRequest):
    """The connection that fetches updates (``getUpdates`` only): the answer is screened
    (:meth:`PerChatProcessor.screen`) as soon as it is decoded, before python-telegram-bot turns
    each update into objects."""

    def __init__(
        self, screen: Callable[[list[Any]], list[Any]], poll: PollState | None = None
    ) -> None:
        super().__init__(connection_pool_size=1)  # python-telegram-bot's own choice for polling
        self._screen = screen
        self.poll = PollState() if poll is None else poll

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        """One getUpdates call; remembers whether it failed (for :meth:`TelegramChannel.health`)."""
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


# ------------------------------------------------------------------------------ the channel


def _keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows = [[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons]
    return InlineKeyboardMarkup(rows)


def _media_kind(message: Message) -> str:
    return next((kind for kind in _MEDIA_KINDS if getattr(message, kind)), "other")


def _text_event(text: str) -> Event:
    command = parse_command(text)
    if command is None:
        return Text(text)
    if command.name == "start":
        payload = command.argument
        return Start(payload if payload and _DEEP_LINK.fullmatch(payload) else None)
    return command


class TelegramChannel:
    """The Telegram side of Beistand: start it beside the other channels, stop it on shutdown.

    Args:
        settings: token, API server, polling or webhook.
        handler: the runtime; gets one event per update and returns actions.
        translations: locale -> translator for this module's few strings (German if omitted).
        limiter: outgoing flood limits (Telegram's defaults if omitted).
    """

    platform = PLATFORM  # the name /healthz shows

    def __init__(
        self,
        settings: TelegramSettings,
        handler: Handler,
        translations: Translations | None = None,
        limiter: FloodLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.handler = handler
        self.translations = translations or source_translations
        self._poll = PollState()
        self.application = build_application(settings, limiter or FloodLimiter(), self._poll)
        self._webhook: web.AppRunner | None = None
        self._started = False
        self._add_handlers(self.application)

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect (getMe), publish the command menu, start polling or the webhook server.

        Raises:
            TransportError: Telegram refused or could not be reached (the message is redacted).
        """
        try:
            await self._start()
        except BaseException as error:
            await self.stop()
            if isinstance(error, TelegramError):
                # python-telegram-bot puts the token into some messages (InvalidToken)
                detail = _redactor(self.settings).redact(f"{type(error).__name__}: {error.message}")
                raise TransportError(f"Telegram could not be started: {detail}") from None
            raise
        mode = "webhook" if self.settings.webhook else "polling"
        _LOG.info("telegram.started", extra={"kind": mode})

    async def _start(self) -> None:
        app = self.application
        await app.initialize()
        self.handler.register_channel(PLATFORM, self.deliver)
        await self.publish_commands()
        await app.start()
        self._started = True
        if self.settings.webhook:
            await self._start_webhook()
        else:
            assert app.updater is not None
            self._poll.last_ok = time.monotonic()  # the quiet window counts from here
            await app.updater.start_polling(
                poll_interval=self.settings.poll_interval,
                timeout=timedelta(seconds=self.settings.poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
            )

    async def stop(self) -> None:
        """Stop receiving, finish the updates in hand, close connections (safe to repeat)."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if self._webhook is not None:
            await self._webhook.cleanup()
            self._webhook = None
        if self._started:
            await app.stop()
            self._started = False
        await app.shutdown()
        await app.bot.shutdown()  # also after a failed initialize, which shutdown() skips

    def health(self) -> bool:
        """True while updates can arrive: the webhook server is up, or polling runs and the last
        getUpdates call did not fail and one succeeded within the last few poll timeouts."""
        app = self.application
        if not self._started or not app.running:
            return False
        if self.settings.webhook:
            return self._webhook is not None
        if app.updater is None or not app.updater.running:
            return False
        window = 3 * self.settings.poll_timeout + 30
        return not self._poll.failing and time.monotonic() - self._poll.last_ok < window

    async def __aenter__(self) -> TelegramChannel:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def publish_commands(self) -> None:
        """The command menu for private chats: German by default, plus each catalog language."""
        for language, names in NAMES.items():
            descriptions = command_descriptions(self.translations(language))
            commands = [BotCommand(name, descriptions[canon]) for name, canon in names.items()]
            scope = BotCommandScopeAllPrivateChats()
            await self.application.bot.set_my_commands(commands, scope, language_code=language)
            if language == SOURCE_LOCALE:
                await self.application.bot.set_my_commands(commands, scope)

    async def _start_webhook(self) -> None:
        settings = self.settings
        assert settings.webhook_url is not None
        assert settings.webhook_secret is not None
        receiver = WebhookReceiver(self.application, settings.webhook_secret)
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post(settings.webhook_path, receiver.handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        self._webhook = runner
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        await self.application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=list(ALLOWED_UPDATES),
        )

    # ------------------------------------------------------------------ handlers

    def _add_handlers(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        app.add_handler(TypeHandler(Update, self._private_only), group=-1)
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self._on_text))
        media = filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL
        app.add_handler(MessageHandler(media, self._on_media))
        app.add_error_handler(self._on_error)

    async def _private_only(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Leave any group or channel without a word; ignore updates without a private chat."""
        chat = update.effective_chat
        if chat is not None and chat.type == ChatType.PRIVATE:
            if update.my_chat_member is None and _person(update) is not None:
                return
            raise ApplicationHandlerStop
        if chat is not None and _bot_still_member(update):
            _LOG.info("telegram.leaving", extra={"kind": chat.type})
            with contextlib.suppress(TelegramError):
                await context.bot.leave_chat(chat.id)
        raise ApplicationHandlerStop

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, _person(update)
        assert message is not None
        assert message.text is not None
        assert user is not None
        event = _text_event(message.text)
        actions = await self.handler.handle(Incoming(_sender(update), event, _id(update)))
        if isinstance(event, Start) and actions:  # nothing for a redelivered /start
            notice = telegram_notice(self.translations(user.language_code))
            await self._send_all(context.bot, message.chat_id, (_plain(notice),))
        await self._perform(context, message.chat_id, actions)

    async def _on_media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        assert message is not None
        unsupported = Unsupported(_media_kind(message))
        actions = await self.handler.handle(Incoming(_sender(update), unsupported, _id(update)))
        await self._perform(context, message.chat_id, actions)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        choice = parse_callback(query.data or "")
        chat_id = query.message.chat.id if query.message is not None else None
        if choice is None or chat_id is None:
            _LOG.info("telegram.forged_button")
            with contextlib.suppress(BadRequest):  # a query answered too late
                await query.answer(stale_button(self.translations(query.from_user.language_code)))
            return
        actions = await self.handler.handle(Incoming(_sender(update), choice, _id(update)))
        stale = next((a for a in actions if isinstance(a, Stale)), None)
        # the answer to the tap and the next messages go out side by side: no extra round trips
        async with asyncio.TaskGroup() as group:
            group.create_task(_acknowledge(query, stale))
            group.create_task(self._perform(context, chat_id, actions))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the error type only (never the update); tell the user something went wrong."""
        _LOG.error("telegram.update_failed", extra={"error": _error_names(context.error)})
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        chat = update.effective_chat
        if chat.type != ChatType.PRIVATE or update.effective_user is None:
            return
        text = apology(self.translations(update.effective_user.language_code))
        with contextlib.suppress(TelegramError):
            await self._send_all(context.bot, chat.id, (_plain(text),))

    # ------------------------------------------------------------------ sending

    async def _perform(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, actions: tuple[Action, ...]
    ) -> None:
        """Send the messages for the actions, in order (stale answers went to the button)."""
        messages = render_all(action for action in actions if not isinstance(action, Stale))
        await self._send_all(context.bot, chat_id, messages)

    async def _send_all(self, bot: Bot, chat_id: int, messages: tuple[Outgoing, ...]) -> None:
        for out in messages:
            try:
                await bot.send_message(
                    chat_id,
                    out.html,
                    parse_mode=ParseMode.HTML,
                    reply_markup=_keyboard(out.buttons),
                    link_preview_options=_NO_PREVIEW,
                )
            except BadRequest as error:
                if "parse entities" not in error.message and "too long" not in error.message:
                    raise
                kind = "length" if "too long" in error.message else "markup"
                _LOG.warning("telegram.sent_as_plain_text", extra={"kind": kind})
                await self._send_plain(bot, chat_id, out)

    async def _send_plain(self, bot: Bot, chat_id: int, out: Outgoing) -> None:
        """The plain text, in as many messages as the length limit needs; buttons on the last."""
        pieces = _chunks(out.plain)
        for number, piece in enumerate(pieces, 1):
            await bot.send_message(
                chat_id,
                piece,
                reply_markup=_keyboard(out.buttons) if number == len(pieces) else None,
                link_preview_options=_NO_PREVIEW,
            )

    async def deliver(self, route: str, message: Outgoing, key: str) -> None:
        """Send one message outside a reply: a handoff notice or relayed text.

        ``route`` is the private chat id. Telegram has no idempotency key, so ``key`` is not used
        (a retry after a lost answer can repeat a message).

        Raises:
            TransportError: the route is no private chat, or Telegram refused (e.g. the person
                blocked the bot); the runtime retries later.
        """
        del key
        if not route.isdigit():
            raise TransportError("a Telegram route is the id of a private chat")
        try:
            await self._send_all(self.application.bot, int(route), (message,))
        except TelegramError as error:
            raise TransportError(f"Telegram refused the message: {type(error).__name__}") from None


async def _acknowledge(query: CallbackQuery, stale: Stale | None) -> None:
    """Answer a tap; if it was accepted, remove the keyboard so that it cannot act again."""
    with contextlib.suppress(BadRequest):  # a query answered too late: nothing to undo
        await query.answer(stale.text if stale is not None else None)
    if stale is None:
        with contextlib.suppress(BadRequest):  # already gone: nothing to remove
            await query.edit_message_reply_markup(reply_markup=None)


def _error_names(error: BaseException | None) -> str:
    if isinstance(error, BaseExceptionGroup):
        return ",".join(_error_names(inner) for inner in error.exceptions)
    return type(error).__name__


def _chunks(text: str, limit: int = MAX_LENGTH) -> list[str]:
    """A plain text in pieces of at most ``limit`` UTF-16 units, cut at line ends if possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while _units(line) > limit:  # a single line over the limit: cut it hard
            cut = limit
            while _units(line[:cut]) > limit:
                cut -= 1
            line, head = line[cut:], line[:cut]
            pieces.extend(p for p in (current, head) if p)
            current = ""
        if _units(current + line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current:
        pieces.append(current)
    return pieces


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _plain(text: str) -> Outgoing:
    return render(Say(text))[0]


def _person(update: Update) -> User | None:
    user = update.effective_user
    return None if user is None or user.is_bot else user


def _id(update: Update) -> str:
    """The update's id, by which the runtime drops a redelivered update."""
    return str(update.update_id)


def _sender(update: Update) -> Sender:
    user = _person(update)
    assert user is not None
    return Sender(PLATFORM, str(user.id), user.language_code)


def _bot_still_member(update: Update) -> bool:
    member = update.my_chat_member
    if member is None:
        return True
    return member.new_chat_member.status not in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


# ------------------------------------------------------------------------------- the webhook


class WebhookReceiver:
    """Accepts Telegram's POSTs: the secret header is compared in constant time, 403 otherwise."""

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any], secret: str) -> None:
        self.application = application
        self._secret = secret.encode()

    async def handle(self, request: web.Request) -> web.Response:
        """Queue one update; 403 without the right secret, 400 for a body that is no update."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            _LOG.warning("telegram.webhook_refused")
            return web.Response(status=403)
        try:
            data = await request.json()
            processor = self.application.update_processor
            if isinstance(processor, PerChatProcessor) and not processor.screen([data], False):
                return web.Response(status=200)  # a flood: dropped before it is parsed
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError):
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await self.application.update_queue.put(update)
        return web.Response(status=200)


# ------------------------------------------------------------------------------- building


def build_application(
    settings: TelegramSettings, limiter: FloodLimiter, poll: PollState | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The python-telegram-bot application, without handlers.

    The process should have opted into python-telegram-bot's durations as ``timedelta``
    (``PTB_TIMEDELTA``, set by :func:`bot.config.prepare_libraries` at the start); without it,
    every flood-limit answer raises a deprecation warning.
    """
    # before building: python-telegram-bot logs the API URL, token included, as it builds the bot
    protect_logs(settings.token, settings.webhook_secret or "")
    processor = PerChatProcessor(activity=limiter.activity)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .rate_limiter(limiter)
        .concurrent_updates(processor)
        .get_updates_request(ScreenedUpdates(processor.screen, poll))
    )
    if settings.api_url:
        builder = builder.base_url(f"{settings.api_url}/bot").base_file_url(
            f"{settings.api_url}/file/bot"
        )
    if settings.webhook:
        builder = builder.updater(None)
    return builder.build()


async def run_telegram(
    settings: TelegramSettings,
    handler: Handler,
    translations: Translations | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the Telegram channel until ``stop`` is set (or the task is cancelled)."""
    async with TelegramChannel(settings, handler, translations):
        await (stop or asyncio.Event()).wait()
