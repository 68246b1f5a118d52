"""Localized names of the global commands, mapped onto the canonical names."""

from __future__ import annotations

from bot.engine.events import Command

#: Command names per language, in menu order (Telegram allows ``[a-z0-9_]{1,32}``).
NAMES: dict[str, dict[str, str]] = {
    "de": {
        "start": "start",
        "hilfe": "help",
        "notfall": "emergency",
        "zurueck": "back",
        "neustart": "restart",
        "sprache": "language",
        "datenschutz": "privacy",
        "loeschen": "delete",
    },
    "en": {
        "start": "start",
        "help": "help",
        "emergency": "emergency",
        "back": "back",
        "restart": "restart",
        "language": "language",
        "privacy": "privacy",
        "delete": "delete",
    },
}

#: Commands of contact persons (and ``register`` for becoming one), per language.
CONTACT_NAMES: dict[str, dict[str, str]] = {
    "de": {
        "registrieren": "register",
        "uebernehmen": "claim",
        "abschliessen": "close",
        "missbrauch": "abuse",
        "faelle": "cases",
        "abwesend": "away",
        "verfuegbar": "available",
        "bestaetigen": "acknowledge",
    },
    "en": {
        "register": "register",
        "claim": "claim",
        "close": "close",
        "abuse": "abuse",
        "cases": "cases",
        "away": "away",
        "available": "available",
        "acknowledge": "acknowledge",
    },
}
CONTACT_COMMANDS = frozenset(CONTACT_NAMES["en"].values())

_ALIASES = {
    "zurück": "back",
    "löschen": "delete",
    "sos": "emergency",
    "notruf": "emergency",
    "übernehmen": "claim",
    "abschließen": "close",
    "fälle": "cases",
    "verfügbar": "available",
    "bestätigen": "acknowledge",
    # the anonymous survey: not in the menu (a survey is reached through its link or code)
    "umfrage": "survey",
    "survey": "survey",
    "stop": "stop",
    "abbrechen": "stop",
}

_LOOKUP: dict[str, str] = {
    name: canon
    for table in (NAMES, CONTACT_NAMES)
    for names in table.values()
    for name, canon in names.items()
}
_LOOKUP.update(_ALIASES)


def parse_command(text: str) -> Command | None:
    """Return the command in ``/name [argument]`` form, or None if ``text`` is not one.

    A ``@botname`` suffix on the command (as Telegram sends in some clients) is ignored.
    """
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) > 200:
        return None
    head, _, rest = stripped[1:].partition(" ")
    name = head.split("@", 1)[0].casefold()
    canon = _LOOKUP.get(name)
    if canon is None:
        return None
    argument = rest.strip() or None
    return Command(canon, argument)


def names_for(locale: str) -> dict[str, str]:
    """Command name -> canonical name for one language (German if unknown)."""
    return NAMES.get(locale, NAMES["de"])
