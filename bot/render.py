"""Turn engine actions into platform-neutral outgoing messages (plain text and safe HTML).

Every dynamic text is escaped here, once, so transports only choose between ``plain`` and ``html``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from bot.engine.actions import Action, Ask, Card, Say, ShowServices, Stale
from bot.engine.events import Choose, Command


@dataclass(frozen=True, slots=True)
class Button:
    """A choice button; ``data`` is short and opaque (``turn.index``)."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send: the same content as plain text and as escaped HTML."""

    plain: str
    html: str
    buttons: tuple[Button, ...] = ()


def callback_data(turn: int, index: int) -> str:
    """Encode a button press; the engine checks it against the current prompt."""
    return f"{turn}.{index}"


def claim_data(code: str) -> str:
    """The button data of "claim this case" in a contact's notification."""
    return f"claim:{code}"


def parse_callback(data: str) -> Choose | Command | None:
    """Decode button data; anything malformed gives None (a forged button)."""
    if data.startswith("claim:") and len(data) <= 32:
        return Command("claim", data.removeprefix("claim:"))
    turn, sep, index = data.partition(".")
    # the bot's own data is ASCII; str.isdigit() alone also passes "²", which int() refuses
    if not sep or not data.isascii() or not turn.isdigit() or not index.isdigit() or len(data) > 24:
        return None
    return Choose(int(turn), int(index))


def escape(text: str) -> str:
    """Text made safe for the HTML of Telegram and Matrix messages."""
    return html.escape(text, quote=False)


_esc = escape


def _contact_lines(card: Card) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for contact in card.contacts:
        note = f" ({contact.note})" if contact.note else ""
        plain = f"{contact.value}{note}"
        if contact.kind == "phone":
            rich = f"☎ {_esc(contact.value)}{_esc(note)}"
            plain = f"☎ {plain}"
        elif contact.kind == "email":
            rich = f"✉ {_esc(contact.value)}{_esc(note)}"
            plain = f"✉ {plain}"
        else:
            rich = f"🌐 {_esc(contact.value)}{_esc(note)}"
            plain = f"🌐 {plain}"
        lines.append((plain, rich))
    return lines


def render_card(card: Card) -> tuple[str, str]:
    """One service card as (plain, html)."""
    plain = [card.name, card.summary]
    rich = [f"<b>{_esc(card.name)}</b>", _esc(card.summary)]
    for p, r in _contact_lines(card):
        plain.append(p)
        rich.append(r)
    if card.hours:
        plain.append(f"🕘 {card.hours}")
        rich.append(f"🕘 {_esc(card.hours)}")
    if card.status:
        plain.append(card.status)
        rich.append(f"<i>{_esc(card.status)}</i>")
    return "\n".join(plain), "\n".join(rich)


def render(action: Action) -> tuple[Outgoing, ...]:
    """The messages for one action (a services action gives one message per card)."""
    match action:
        case Say(text=text) | Stale(text=text):
            return (Outgoing(text, _esc(text)),)
        case Ask(text=text, options=options, turn=turn):
            buttons = tuple(Button(o.label, callback_data(turn, o.index)) for o in options)
            return (Outgoing(text, _esc(text), buttons),)
        case ShowServices(intro=intro, cards=cards):
            out: list[Outgoing] = []
            if intro:
                out.append(Outgoing(intro, _esc(intro)))
            for card in cards:
                plain, rich = render_card(card)
                out.append(Outgoing(plain, rich))
            return tuple(out)
    return ()  # Erase, OpenCase, CloseCase, Relay: work for the runtime, nothing to show


#: A text and the question after it become one message if together they are no longer than this.
JOIN_LIMIT = 1500


def render_all(actions: Iterable[Action], join_limit: int = JOIN_LIMIT) -> tuple[Outgoing, ...]:
    """The messages of a whole reply, for chat channels.

    A message without buttons that is directly followed by a question is joined with it into one
    message, when the two are short enough together: the person gets one notification instead of
    two, and the platform's per-chat limits are used up half as fast. Longer texts, such as a list
    of services, stay messages of their own.
    """
    out: list[Outgoing] = []
    for action in actions:
        for message in render(action):
            last = out[-1] if out else None
            if (
                last is not None
                and isinstance(action, Ask)
                and not last.buttons
                and len(last.plain) + len(message.plain) <= join_limit
            ):
                out[-1] = Outgoing(
                    f"{last.plain}\n\n{message.plain}",
                    f"{last.html}\n\n{message.html}",
                    message.buttons,
                )
            else:
                out.append(message)
    return tuple(out)


def numbered(message: Outgoing) -> Outgoing:
    """Append the choice buttons as a numbered list, for channels without buttons (Matrix,
    terminal). Command buttons (claim) are left out: their command is in the text."""
    choices = [b for b in message.buttons if parse_callback(b.data).__class__ is Choose]
    if not choices:
        return message
    plain_opts = "\n".join(f"{i}. {b.label}" for i, b in enumerate(choices, 1))
    rich_opts = "".join(f"<li>{_esc(b.label)}</li>" for b in choices)
    return Outgoing(
        f"{message.plain}\n\n{plain_opts}",
        f"{message.html}<ol>{rich_opts}</ol>",
        message.buttons,
    )


# ---------------------------------------------------------------- the handoff's messages


def notice_message(text: str, buttons: tuple[Button, ...] = ()) -> Outgoing:
    """A handoff notice: its (already translated) text, escaped, with its buttons."""
    return Outgoing(text, escape(text), buttons)


def services_notice(text: str, cards: Iterable[Card]) -> Outgoing:
    """A notice followed by service cards (the "nobody is free" notice)."""
    plain, rich = [text], [escape(text)]
    for card in cards:
        p, r = render_card(card)
        plain.append(p)
        rich.append(r)
    return Outgoing("\n\n".join(plain), "\n\n".join(rich))


def from_user(code: str, text: str) -> Outgoing:
    """A user's relayed text as the contact person sees it."""
    return Outgoing(f"[{code}] {text}", f"<b>[{escape(code)}]</b> {escape(text)}")


def from_contact(label: str, text: str) -> Outgoing:
    """A contact person's relayed text as the user sees it (``label``: "Ansprechperson",
    translated)."""
    return Outgoing(f"💬 {label}: {text}", f"💬 <b>{escape(label)}:</b> {escape(text)}")
