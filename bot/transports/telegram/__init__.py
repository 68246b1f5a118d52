"""The Telegram channel (python-telegram-bot): updates in, engine events to the runtime, actions
out as escaped HTML with inline keyboards. No decisions about conversations are made here.

The package, by job:

* :mod:`.settings`: :class:`TelegramSettings` (built at the config edge) and the log protection
  for the token;
* :mod:`.texts`: the channel's own user-facing texts;
* :mod:`.mapping`: an update to an :class:`~bot.runtime_api.Incoming` (typed text through
  :func:`bot.engine.typed.parse_typed`, as on every platform);
* :mod:`.updates`: receiving, one update of a chat at a time (:class:`bot.serial.SerialQueue`)
  with a cap per chat, cut on the raw JSON;
* :mod:`.limits`: outgoing flood limits (:class:`FloodLimiter`, over :mod:`bot.transports.pacing`);
* :mod:`.sending`: HTML, keyboards, plain-text fallback in pieces;
* :mod:`.webhook`: the webhook server (imported only in webhook mode: aiohttp is slow to load);
* :mod:`.channel`: :class:`TelegramChannel`, its life cycle and its handlers.
"""

from bot.transports.telegram.channel import TelegramChannel, build_application, run_telegram
from bot.transports.telegram.limits import FloodLimiter
from bot.transports.telegram.sending import MAX_LENGTH, chunks
from bot.transports.telegram.settings import (
    ALLOWED_UPDATES,
    PLATFORM,
    SECRET_HEADER,
    TOKEN_PATTERN,
    TelegramSettings,
    protect_logs,
)
from bot.transports.telegram.texts import (
    Translations,
    apology,
    source_translations,
    stale_button,
    telegram_notice,
)
from bot.transports.telegram.updates import PerChatProcessor, PollState, ScreenedUpdates

__all__ = [
    "ALLOWED_UPDATES",
    "MAX_LENGTH",
    "PLATFORM",
    "SECRET_HEADER",
    "TOKEN_PATTERN",
    "FloodLimiter",
    "PerChatProcessor",
    "PollState",
    "ScreenedUpdates",
    "TelegramChannel",
    "TelegramSettings",
    "Translations",
    "WebhookReceiver",
    "apology",
    "build_application",
    "chunks",
    "protect_logs",
    "run_telegram",
    "source_translations",
    "stale_button",
    "telegram_notice",
]


def __getattr__(name: str) -> object:
    """``WebhookReceiver`` on first use: importing aiohttp is only worth it in webhook mode."""
    if name == "WebhookReceiver":
        from bot.transports.telegram.webhook import WebhookReceiver

        return WebhookReceiver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
