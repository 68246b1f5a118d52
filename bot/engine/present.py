"""Presenting content to the user: service cards, opening hours, the command list.

Pure and plain text: the wording comes from :mod:`bot.engine.texts`, markup is added only by
:mod:`bot.render`. Used by the engine, the handoff (the services of an unclaimed case) and the
transports (Telegram's command menu).
"""

from __future__ import annotations

from datetime import datetime, time

from bot.engine import texts
from bot.engine.actions import Card, Contact
from bot.engine.commands import names_for
from bot.engine.texts import command_descriptions
from bot.flow.model import Service
from bot.i18n import Translator
from bot.knowledge import closing_time, is_open, next_opening


def card_for(svc: Service, t: Translator, now: datetime) -> Card:
    """A service as a translated card, with "open now" computed for ``now``."""
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
        status=format_status(svc, t, now),
    )


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


def format_status(svc: Service, t: Translator, now: datetime) -> str:
    """ "open now" or when it opens next; empty for services without hours or always open."""
    if svc.always_open or not svc.hours:
        return ""
    if is_open(svc, now):
        closes = closing_time(svc, now)
        return texts.open_until(t, _clock(closes) if closes is not None else "")
    opens = next_opening(svc, now)
    if opens is None:  # pragma: no cover - a service with hours always opens again
        return ""
    local = now.astimezone(opens.tzinfo)
    if opens.date() == local.date():
        when = texts.today_at(t, _clock(opens.time()))
    else:
        when = texts.day_at(t, texts.day_name(t, opens.weekday()), _clock(opens.time()))
    return texts.closed_until(t, when)


__all__ = ["card_for", "command_descriptions", "format_hours", "format_status", "help_text"]
