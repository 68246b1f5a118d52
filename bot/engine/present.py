"""Presenting content to the user: service cards, opening hours, the command list.

Pure and plain text: the wording comes from :mod:`bot.engine.texts`, markup is added only by
:mod:`bot.render`. Used by the engine, the handoff (the services of an unclaimed case) and the
transports (Telegram's command menu).
"""

from __future__ import annotations

from datetime import date, datetime, time

from bot.engine import texts
from bot.engine.actions import Card, Contact
from bot.engine.commands import names_for
from bot.engine.texts import command_descriptions
from bot.flow.model import Service
from bot.i18n import Translator
from bot.knowledge import BERLIN, closing_time, closure_on, next_opening


def card_for(svc: Service, t: Translator, now: datetime) -> Card:
    """A service as a translated card, with "open now" computed for ``now``."""
    return with_status(static_card(svc, t), svc, t, now)


def static_card(svc: Service, t: Translator) -> Card:
    """A service as a translated card without its status (which depends on the time): what
    :mod:`bot.engine.prepared` keeps per service and locale."""
    ctx = f"service/{svc.id}"
    contacts = tuple(
        Contact(c.kind, c.value, t.content_text(ctx, c.note) if c.note else "")
        for c in svc.contacts
    )
    return Card(
        service_id=svc.id,
        name=t.content_text(ctx, svc.name),
        summary=t.content_text(ctx, svc.summary),
        contacts=contacts,
        hours=format_hours(svc, t),
        status="",
    )


def with_status(card: Card, svc: Service, t: Translator, now: datetime) -> Card:
    """A card without status (:func:`static_card`) with "open now" computed for ``now``."""
    status = format_status(svc, t, now)
    return Card(card.service_id, card.name, card.summary, card.contacts, card.hours, status)


def help_text(t: Translator, locale: str) -> str:
    """The list of commands in the user's language."""
    descriptions = command_descriptions(t)
    lines = [texts.help_intro(t)]
    for name, canon in names_for(locale).items():
        lines.append(f"/{name} – {descriptions[canon]}")
    lines.append(texts.help_outro(t))
    return "\n".join(lines)


def _clock(value: time) -> str:
    hour, minute = value.hour, value.minute
    if (hour, minute) == (23, 59):
        return "24:00"
    return f"{hour}:{minute:02d}"


def _day_ranges(days: tuple[int, ...], t: Translator) -> str:
    parts: list[str] = []
    ordered = sorted(set(days))
    start = prev = ordered[0]
    for day in [*ordered[1:], None]:
        if day is not None and day == prev + 1:
            prev = day
            continue
        if start == prev:
            parts.append(texts.day_short(t, start))
        else:
            parts.append(f"{texts.day_short(t, start)}–{texts.day_short(t, prev)}")
        if day is not None:
            start = prev = day
    return ", ".join(parts)


def format_hours(svc: Service, t: Translator) -> str:
    """Opening hours as text, e.g. ``Mo–Fr 9:00–16:00``."""
    if svc.always_open:
        text = texts.always_open(t)
    else:
        text = "; ".join(
            f"{_day_ranges(h.days, t)} {_clock(h.opens)}–{_clock(h.closes)}" for h in svc.hours
        )
    if svc.hours_note:
        note = t.content_text(f"service/{svc.id}", svc.hours_note)
        text = f"{text} ({note})" if text else note
    return text


#: A next opening this many days ahead or more is named with its date, not only its weekday.
DATED_AFTER_DAYS = 6


def _when(opens: datetime, today: date, t: Translator) -> str:
    clock = _clock(opens.time())
    if opens.date() == today:
        return texts.today_at(t, clock)
    day = texts.day_name(t, opens.weekday())
    if (opens.date() - today).days < DATED_AFTER_DAYS:
        return texts.day_at(t, day, clock)
    on = texts.date_text(t, opens.day, texts.month_name(t, opens.month))
    return texts.date_at(t, day, on, clock)


def format_status(svc: Service, t: Translator, now: datetime) -> str:
    """ "open now" or when it opens next, with the reason on a public holiday or in a service
    break; empty for services without hours or always open."""
    if svc.always_open or not svc.hours:
        return ""
    closes = closing_time(svc, now)
    if closes is not None:
        return texts.open_until(t, _clock(closes))
    opens = next_opening(svc, now)
    today = now.astimezone(BERLIN).date()
    closure = closure_on(svc, today)
    again = texts.open_again(t, _when(opens, today, t)) if opens is not None else ""
    if closure is None:
        return texts.closed_until(t, _when(opens, today, t)) if opens is not None else ""
    if closure.holiday:
        reason = texts.holiday_reason(t)
    elif closure.note:
        reason = t.content_text(f"service/{svc.id}", closure.note)
    else:
        reason = texts.break_reason(t)
    if closure.last == today:
        said = texts.closed_today(t, reason)
    else:
        until = texts.date_text(t, closure.last.day, texts.month_name(t, closure.last.month))
        said = texts.closed_through(t, reason, until)
    return f"{said} {again}".strip()


__all__ = [
    "card_for",
    "command_descriptions",
    "format_hours",
    "format_status",
    "help_text",
    "static_card",
    "with_status",
]
