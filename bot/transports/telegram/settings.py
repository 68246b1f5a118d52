"""The Telegram channel's settings, built at the config edge from :class:`bot.config.Settings`,
and what keeps the token out of the logs."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.config import TELEGRAM_TOKEN_PATTERN, WEBHOOK_SECRET_PATTERN, Settings
from bot.errors import ConfigError
from bot.logs import RedactFilter
from bot.logs import protect_logs as _protect_logs

PLATFORM = "telegram"
#: The update types the bot asks for; everything else is never delivered.
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member", "channel_post")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
TOKEN_PATTERN = TELEGRAM_TOKEN_PATTERN
#: httpx and httpcore log request URLs (token included) at INFO; python-telegram-bot logs
#: updates and texts at DEBUG.
LOG_FLOORS = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "telegram": logging.INFO}


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
            if not self.webhook_secret or not WEBHOOK_SECRET_PATTERN.fullmatch(self.webhook_secret):
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

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never reach a log line: the token, its secret part, the webhook secret."""
        return expand_secrets((self.token, self.webhook_secret))

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


def expand_secrets(secrets: Iterable[str | None]) -> tuple[str, ...]:
    """The secrets plus the part after the colon of each token (the bot id before it is public)."""
    found = [s for s in secrets if s]
    found += [s.partition(":")[2] for s in found if TOKEN_PATTERN.fullmatch(s)]
    return tuple(found)


def protect_logs(*secrets: str) -> None:
    """Keep the token (and other secrets) out of every log line, at every level.

    httpx and httpcore are held at WARNING, python-telegram-bot at INFO (:data:`LOG_FLOORS`);
    every record is redacted as it is made (:func:`bot.logs.protect_logs`).
    """
    _protect_logs(expand_secrets(secrets), LOG_FLOORS)


def redactor(settings: TelegramSettings) -> RedactFilter:
    """A filter that redacts this channel's secrets (for error messages)."""
    return RedactFilter(settings.secrets)
