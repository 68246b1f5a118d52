"""Opening hours, holidays and closures as a service card says them (:mod:`bot.engine.texts`)."""

from __future__ import annotations

from bot.i18n import Translator

# ---------------------------------------------------------------- opening hours


def day_short(t: Translator, day: int) -> str:
    """A weekday (0 = Monday), abbreviated."""
    return (
        t.gettext("Mo"),
        t.gettext("Di"),
        t.gettext("Mi"),
        t.gettext("Do"),
        t.gettext("Fr"),
        t.gettext("Sa"),
        t.gettext("So"),
    )[day]


def day_name(t: Translator, day: int) -> str:
    """A weekday (0 = Monday)."""
    return (
        t.gettext("Montag"),
        t.gettext("Dienstag"),
        t.gettext("Mittwoch"),
        t.gettext("Donnerstag"),
        t.gettext("Freitag"),
        t.gettext("Samstag"),
        t.gettext("Sonntag"),
    )[day]


def always_open(t: Translator) -> str:
    """The hours of a service open day and night."""
    return t.gettext("rund um die Uhr")


def open_until(t: Translator, time: str) -> str:
    """A service open now."""
    return t.gettext("Jetzt erreichbar, bis {time} Uhr").format(time=time)


def today_at(t: Translator, time: str) -> str:
    """When a service opens later today."""
    return t.gettext("heute um {time} Uhr").format(time=time)


def day_at(t: Translator, day: str, time: str) -> str:
    """When a service opens on another day."""
    return t.gettext("{day} um {time} Uhr").format(day=day, time=time)


def closed_until(t: Translator, when: str) -> str:
    """A service closed now."""
    return t.gettext("Gerade geschlossen. Wieder erreichbar: {when}").format(when=when)


# ---------------------------------------------------------------- holidays and closures


def month_name(t: Translator, month: int) -> str:
    """A month (1 = January)."""
    return (
        t.gettext("Januar"),
        t.gettext("Februar"),
        t.gettext("März"),
        t.gettext("April"),
        t.gettext("Mai"),
        t.gettext("Juni"),
        t.gettext("Juli"),
        t.gettext("August"),
        t.gettext("September"),
        t.gettext("Oktober"),
        t.gettext("November"),
        t.gettext("Dezember"),
    )[month - 1]


def date_text(t: Translator, day: int, month: str) -> str:
    """A calendar date without the year, e.g. "5. Januar"."""
    return t.gettext("{day}. {month}").format(day=day, month=month)


def date_at(t: Translator, day: str, date: str, time: str) -> str:
    """When a service opens again more than a few days ahead."""
    return t.gettext("{day}, {date}, um {time} Uhr").format(day=day, date=date, time=time)


def holiday_reason(t: Translator) -> str:
    """Why a service is closed on a public holiday."""
    return t.gettext("Feiertag")


def break_reason(t: Translator) -> str:
    """Why a service is closed during a dated closure without its own note."""
    return t.gettext("Betriebsferien")


def closed_today(t: Translator, reason: str) -> str:
    """A service closed all of today (a public holiday, a one-day closure)."""
    return t.gettext("Geschlossen, heute {reason}.").format(reason=reason)


def closed_through(t: Translator, reason: str, until: str) -> str:
    """A service closed for a break until a later date."""
    return t.gettext("Geschlossen, {reason} bis {until}.").format(reason=reason, until=until)


def open_again(t: Translator, when: str) -> str:
    """When a closed service opens next."""
    return t.gettext("Wieder erreichbar: {when}").format(when=when)
