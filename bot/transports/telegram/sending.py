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
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.engine.actions import Action, Say, Stale
from bot.render import JOIN_LIMIT, Button, Outgoing, escape, render, render_all

_LOG = logging.getLogger("bot.transports.telegram")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: Telegram's limit for one message, in UTF-16 units after the markup is parsed.
MAX_LENGTH = 4096


async def send_actions(
    bot: Bot, chat_id: int, actions: Iterable[Action], lead: str | None = None
) -> None:
    """Send the messages for the actions, in order (stale answers go to the button instead).

    ``lead`` (a text of the channel's own, the notice at ``/start``) goes in front of the first
    message when the two are short enough together (:data:`bot.render.JOIN_LIMIT`), as a
    message of its own otherwise: one message, one notification and one call instead of two.
    """
    messages = render_all(a for a in actions if not isinstance(a, Stale))
    if lead is not None:
        messages = with_lead(plain(lead), messages)
    await send_all(bot, chat_id, messages)


def with_lead(lead: Outgoing, messages: tuple[Outgoing, ...]) -> tuple[Outgoing, ...]:
    """``lead`` joined in front of the first message if they fit together, else before it."""
    if not messages or len(lead.plain) + len(messages[0].plain) > JOIN_LIMIT:
        return (lead, *messages)
    first = messages[0]
    joined = Outgoing(
        f"{lead.plain}\n\n{first.plain}", f"{lead.html}\n\n{first.html}", first.buttons
    )
    return (joined, *messages[1:])


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


async def answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a tap (stops the spinner on the button; ``text`` shows as a short toast).

    Nobody waits for this call: it runs beside the reply, and a failure changes nothing for the
    conversation (a query answered too late, a lost connection), so it is only logged.
    """
    try:
        await query.answer(text)
    except TelegramError as error:
        _LOG.debug("telegram.answer_failed", extra={"error": type(error).__name__})


#: Marks the chosen answer under a question once its keyboard is gone.
CHOSEN_MARK = "✓"


async def mark_chosen(query: CallbackQuery) -> None:
    """One edit that shows the chosen answer under the question and removes its keyboard.

    The question's text stays as it was (rebuilt as HTML from its entities), the label of the
    tapped button follows in bold. Where that cannot be done (the message is too old to be seen
    by the bot, the button is not on it, the text would get too long, Telegram refuses the
    markup) only the keyboard is removed, so that it cannot act again.
    """
    text = chosen_text(query)
    with contextlib.suppress(BadRequest):  # already gone: nothing to remove
        if text is not None:
            try:
                await query.edit_message_text(
                    text, parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW
                )
                return
            except BadRequest as error:
                if "not modified" in error.message:
                    return
                _LOG.info("telegram.chosen_not_shown", extra={"kind": "refused"})
        await query.edit_message_reply_markup(reply_markup=None)


def chosen_text(query: CallbackQuery) -> str | None:
    """The question's HTML with the chosen answer under it; None if it cannot be built."""
    message = query.message
    if not isinstance(message, Message) or not message.text or message.reply_markup is None:
        return None
    label = next(
        (
            button.text
            for row in message.reply_markup.inline_keyboard
            for button in row
            if button.callback_data == query.data
        ),
        None,
    )
    if label is None:
        return None
    text = f"{message.text_html}\n\n{CHOSEN_MARK} <b>{escape(label)}</b>"
    if _units(f"{message.text}\n\n{CHOSEN_MARK} {label}") > MAX_LENGTH:
        return None
    return text


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
