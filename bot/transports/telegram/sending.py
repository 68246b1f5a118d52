"""Sending: rendered messages as escaped HTML with inline keyboards, and plain text in pieces
when Telegram refuses the markup or the length."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.engine.actions import Action, Say, Stale
from bot.render import Button, Outgoing, render, render_all

_LOG = logging.getLogger("bot.transports.telegram")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Telegram's limit for one message, in UTF-16 units after the markup is parsed.
MAX_LENGTH = 4096


async def send_actions(bot: Bot, chat_id: int, actions: Iterable[Action]) -> None:
    """Send the messages for the actions, in order (stale answers go to the button instead)."""
    await send_all(bot, chat_id, render_all(a for a in actions if not isinstance(a, Stale)))


async def send_all(bot: Bot, chat_id: int, messages: tuple[Outgoing, ...]) -> None:
    """Each message as HTML; as plain text (in pieces) if Telegram refuses markup or length."""
    for out in messages:
        try:
            await bot.send_message(
                chat_id,
                out.html,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(out.buttons),
                link_preview_options=_NO_PREVIEW,
            )
        except BadRequest as error:
            if "parse entities" not in error.message and "too long" not in error.message:
                raise
            kind = "length" if "too long" in error.message else "markup"
            _LOG.warning("telegram.sent_as_plain_text", extra={"kind": kind})
            await send_plain(bot, chat_id, out)


async def send_plain(bot: Bot, chat_id: int, out: Outgoing) -> None:
    """The plain text, in as many messages as the length limit needs; buttons on the last."""
    pieces = chunks(out.plain)
    for number, piece in enumerate(pieces, 1):
        await bot.send_message(
            chat_id,
            piece,
            reply_markup=keyboard(out.buttons) if number == len(pieces) else None,
            link_preview_options=_NO_PREVIEW,
        )


async def acknowledge(query: CallbackQuery, stale: Stale | None) -> None:
    """Answer a tap; if it was accepted, remove the keyboard so that it cannot act again."""
    with contextlib.suppress(BadRequest):  # a query answered too late: nothing to undo
        await query.answer(stale.text if stale is not None else None)
    if stale is None:
        with contextlib.suppress(BadRequest):  # already gone: nothing to remove
            await query.edit_message_reply_markup(reply_markup=None)


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One inline button per row; the button data is the renderer's opaque data."""
    if not buttons:
        return None
    rows = [[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons]
    return InlineKeyboardMarkup(rows)


def plain(text: str) -> Outgoing:
    """A text of the channel's own (a notice, an apology) as a message."""
    return render(Say(text))[0]


def chunks(text: str, limit: int = MAX_LENGTH) -> list[str]:
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
