"""The Telegram channel: its life cycle (polling or webhook) and its handlers, each of which maps
an update (:mod:`.mapping`), asks the runtime once and sends what it returns (:mod:`.sending`).

What the channel does on its own, because it is about Telegram and not about conversations:
only private chats (in a group or channel the bot says nothing and leaves); the keyboard of a
question is removed once one of its buttons was accepted, and a stale or forged button only gets
a short answer to the tap; a short notice at ``/start`` that Telegram keeps bot chats on its
servers, unencrypted; the command menu in German and English (``setMyCommands``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, BotCommandScopeAllPrivateChats, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.engine.actions import Stale
from bot.engine.commands import NAMES
from bot.engine.events import Start
from bot.engine.texts import command_descriptions
from bot.errors import TransportError
from bot.i18n import SOURCE_LOCALE
from bot.render import Outgoing, parse_callback
from bot.runtime_api import Handler
from bot.transports.telegram import mapping
from bot.transports.telegram.limits import FloodLimiter
from bot.transports.telegram.request import JsonRequest
from bot.transports.telegram.sending import (
    answer,
    mark_chosen,
    plain,
    send_actions,
    send_all,
)
from bot.transports.telegram.settings import (
    ALLOWED_UPDATES,
    PLATFORM,
    TelegramSettings,
    protect_logs,
    redactor,
)
from bot.transports.telegram.texts import (
    Translations,
    apology,
    source_translations,
    stale_button,
    telegram_notice,
)
from bot.transports.telegram.updates import PerChatProcessor, PollState, ScreenedUpdates

if TYPE_CHECKING:  # aiohttp is imported only in webhook mode (it costs start-up time)
    from bot.transports.telegram.webhook import WebhookServer

_LOG = logging.getLogger("bot.transports.telegram")
#: Seconds a tap's answer waits for the reply to go out before it goes out anyway.
ANSWER_WITHIN = 0.5
#: Connections for the bot's calls (python-telegram-bot's default; getUpdates has its own).
BOT_CONNECTIONS = 256


class TelegramChannel:
    """The Telegram side of Beistand: start it beside the other channels, stop it on shutdown.

    Args:
        settings: token, API server, polling or webhook.
        handler: the runtime; gets one event per update and returns actions.
        translations: locale -> translator for the channel's few strings (German if omitted).
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
        self._webhook: WebhookServer | None = None
        self._aside_tasks: set[asyncio.Future[None]] = set()
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
                detail = redactor(self.settings).redact(f"{type(error).__name__}: {error.message}")
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
            from bot.transports.telegram.webhook import start_webhook

            self._webhook = await start_webhook(app, self.settings)
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
        if self._aside_tasks:  # answers to taps still on their way: a few seconds at most
            _, late = await asyncio.wait(set(self._aside_tasks), timeout=5)
            for task in late:
                task.cancel()
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
            await send_all(self.application.bot, int(route), (message,))
        except TelegramError as error:
            raise TransportError(f"Telegram refused the message: {type(error).__name__}") from None

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
        if mapping.from_a_person_in_private(update):
            return
        chat = update.effective_chat
        if chat is not None and chat.type != ChatType.PRIVATE and mapping.bot_still_member(update):
            _LOG.info("telegram.leaving", extra={"kind": chat.type})
            with contextlib.suppress(TelegramError):
                await context.bot.leave_chat(chat.id)
        raise ApplicationHandlerStop

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, mapping.person(update)
        assert message is not None
        assert user is not None
        event = mapping.text_event(message)
        actions = await self.handler.handle(mapping.incoming(update, event))
        notice = None
        if isinstance(event, Start) and actions:  # nothing for a redelivered /start
            notice = telegram_notice(self.translations(user.language_code))
        await send_actions(context.bot, message.chat_id, actions, lead=notice)

    async def _on_media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        assert message is not None
        actions = await self.handler.handle(mapping.incoming(update, mapping.media_event(message)))
        await send_actions(context.bot, message.chat_id, actions)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        choice = parse_callback(query.data or "")
        chat_id = query.message.chat.id if query.message is not None else None
        if choice is None or chat_id is None:
            _LOG.info("telegram.forged_button")
            self._aside(
                answer(query, stale_button(self.translations(query.from_user.language_code)))
            )
            return
        actions = await self.handler.handle(mapping.incoming(update, choice))
        stale = next((a for a in actions if isinstance(a, Stale)), None)
        if stale is not None:
            self._aside(answer(query, stale.text))
            await send_actions(context.bot, chat_id, actions)
            return
        # one edit shows the chosen answer and removes the keyboard, beside the next messages;
        # the answer to the tap only stops the spinner of a button that edit removes, so it
        # goes out once the reply is out (at the latest after ANSWER_WITHIN, should the reply
        # wait for the flood limit), unawaited
        reply = asyncio.gather(
            mark_chosen(query), send_actions(context.bot, chat_id, actions), return_exceptions=True
        )
        await asyncio.wait({reply}, timeout=ANSWER_WITHIN)
        self._aside(answer(query))
        for result in await reply:
            if isinstance(result, BaseException):
                raise result

    def _aside(self, call: Coroutine[Any, Any, None]) -> None:
        """Run a call nobody waits for; it is finished (or cancelled) at :meth:`stop`."""
        task = asyncio.ensure_future(call)
        self._aside_tasks.add(task)
        task.add_done_callback(self._aside_tasks.discard)

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
            await send_all(context.bot, chat.id, (plain(text),))


def _error_names(error: BaseException | None) -> str:
    if isinstance(error, BaseExceptionGroup):
        return ",".join(_error_names(inner) for inner in error.exceptions)
    return type(error).__name__


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
        .request(JsonRequest(connection_pool_size=BOT_CONNECTIONS))
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
