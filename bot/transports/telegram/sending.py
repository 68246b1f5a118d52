"""Sending: rendered messages as escaped HTML with inline keyboards, and plain text in pieces
when Telegram refuses the markup or the length.

Every call goes out as plain JSON values through python-telegram-bot's request path
(:func:`api_call`: its rate limiter, its errors, its connection pool), not through
``Bot.send_message`` and its kin: those build an ``InlineKeyboardMarkup`` and its buttons, a
``LinkPreviewOptions`` and, from Telegram's answer, a whole ``Message`` with its keyboard again,
only to serialize the first and throw the last away. That was 0.2 ms of CPU per message against
0.04 ms for the same request as a ``dict`` (``benchmarks/telegram_ratio.py``: on the reply path,
about three times that in the bot's process).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from telegram import Bot, CallbackQuery, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.engine.actions import Action, Say, Stale
from bot.render import JOIN_LIMIT, Button, Outgoing, escape, render, render_all

_LOG = logging.getLogger("bot.transports.telegram")
#: ``link_preview_options``: no preview of a link in the text
_NO_PREVIEW = {"is_disabled": True}
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
            await api_call(bot, "sendMessage", message_data(chat_id, out.html, out.buttons, True))
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
        buttons = out.buttons if number == len(pieces) else ()
        await api_call(bot, "sendMessage", message_data(chat_id, piece, buttons, False))


async def api_call(bot: Bot, method: str, data: dict[str, Any]) -> Any:
    """One Bot API call with plain JSON values; returns Telegram's result as JSON.

    This is the call every method of python-telegram-bot's ``Bot`` ends in (``_post``: defaults,
    the rate limiter of the application's bot, the request, Telegram's errors as exceptions),
    without building objects on either side. Its public twin ``Bot.do_api_request`` warns for
    every method ``Bot`` has; ``_post`` is the same in every version ``pyproject.toml`` allows,
    and every channel test sends through here against the emulator.
    """
    return await bot._post(method, data)


def message_data(
    chat_id: int, text: str, buttons: tuple[Button, ...], html: bool
) -> dict[str, Any]:
    """The parameters of a ``sendMessage``: text (HTML or plain), no link preview, the buttons
    as an inline keyboard (one per row)."""
    data: dict[str, Any] = {"chat_id": chat_id, "text": text, "link_preview_options": _NO_PREVIEW}
    if html:
        data["parse_mode"] = ParseMode.HTML.value
    if buttons:
        data["reply_markup"] = markup_data(buttons)
    return data


def markup_data(buttons: tuple[Button, ...]) -> dict[str, Any]:
    """An inline keyboard as Telegram takes it: one button per row."""
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data}] for b in buttons]}


async def answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a tap (stops the spinner on the button; ``text`` shows as a short toast).

    Nobody waits for this call: it runs beside the reply, and a failure changes nothing for the
    conversation (a query answered too late, a lost connection), so it is only logged.
    """
    data: dict[str, Any] = {"callback_query_id": query.id}
    if text is not None:
        data["text"] = text
    try:
        await api_call(query.get_bot(), "answerCallbackQuery", data)
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
    message = query.message
    if message is not None:
        where: dict[str, Any] = {"chat_id": message.chat.id, "message_id": message.message_id}
    elif query.inline_message_id is not None:
        where = {"inline_message_id": query.inline_message_id}
    else:  # pragma: no cover - Telegram sends one of the two with every button's query
        return
    bot = query.get_bot()
    with contextlib.suppress(BadRequest):  # already gone: nothing to remove
        if text is not None:
            edit = {**where, "text": text, "parse_mode": ParseMode.HTML.value}
            try:
                await api_call(
                    bot, "editMessageText", {**edit, "link_preview_options": _NO_PREVIEW}
                )
                return
            except BadRequest as error:
                if "not modified" in error.message:
                    return
                _LOG.info("telegram.chosen_not_shown", extra={"kind": "refused"})
        await api_call(bot, "editMessageReplyMarkup", where)  # no markup: the keyboard goes


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
