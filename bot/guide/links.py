"""The links that open the bot, printed as text and as QR codes in the guide.

- Telegram: ``https://t.me/<bot username>?start=<payload>``, Telegram's deep link; the payload is
  a flow id (the engine opens that flow; deep links name flows only, never people).
- Matrix: ``https://matrix.to/#/<bot user id>``, which opens a chat with the bot in the reader's
  Matrix client.
- Any other address the operator names (``--link URL``), e.g. a page of the municipality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from bot.config.checks import MATRIX_USER_PATTERN
from bot.engine.typed import START_PAYLOAD
from bot.errors import ConfigError

#: Telegram bot user names: 5 to 32 letters, digits and underscores, ending in "bot".
TELEGRAM_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,30}[Bb][Oo][Tt]")


@dataclass(frozen=True, slots=True)
class BotLink:
    """A way to open the bot: ``channel`` is telegram, matrix or link."""

    channel: str
    url: str


def telegram_link(username: str, payload: str) -> BotLink:
    """The deep link to a Telegram bot (``@`` in front of the name is dropped).

    Raises:
        ConfigError: a name Telegram would not give a bot, or a payload it would not pass on.
    """
    name = username.strip().removeprefix("@")
    if not TELEGRAM_USERNAME.fullmatch(name):
        raise ConfigError(
            f"TELEGRAM_BOT_USERNAME {username!r} is not a Telegram bot name "
            "(5 to 32 letters, digits and _, ending in 'bot')"
        )
    if not START_PAYLOAD.fullmatch(payload):
        raise ConfigError(f"the start payload {payload!r} is not a flow id Telegram passes on")
    return BotLink("telegram", f"https://t.me/{name}?start={payload}")


def matrix_link(user_id: str) -> BotLink:
    """The matrix.to link to the bot's user.

    Raises:
        ConfigError: not a Matrix user id (``@name:server``).
    """
    user = user_id.strip()
    if not MATRIX_USER_PATTERN.fullmatch(user):
        raise ConfigError(f"MATRIX_USER_ID {user_id!r} must look like @name:server")
    return BotLink("matrix", f"https://matrix.to/#/{quote(user, safe='@:')}")


def other_link(url: str) -> BotLink:
    """An https address the operator gives (``--link``).

    Raises:
        ConfigError: not an https URL with a host.
    """
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"--link {url!r} must be an https:// address")
    return BotLink("link", url.strip())


def bot_links(
    telegram_username: str | None,
    matrix_user_id: str | None,
    extra: str | None,
    payload: str,
) -> tuple[BotLink, ...]:
    """The links of the configured channels, Telegram first, and the extra one.

    Raises:
        ConfigError: none at all (a guide without a way to the bot), or one that is malformed.
    """
    links: list[BotLink] = []
    if telegram_username:
        links.append(telegram_link(telegram_username, payload))
    if matrix_user_id:
        links.append(matrix_link(matrix_user_id))
    if extra:
        links.append(other_link(extra))
    if not links:
        raise ConfigError(
            "the guide needs a link to the bot: set TELEGRAM_BOT_USERNAME and/or MATRIX_USER_ID "
            "(or give --telegram-bot NAME, --matrix-user @NAME:SERVER or --link URL)"
        )
    return tuple(links)
