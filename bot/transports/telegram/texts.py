"""The Telegram channel's few user-facing texts: German msgids, translated through the catalogs."""

from __future__ import annotations

from collections.abc import Callable

from bot.i18n import SOURCE_LOCALE, Translator

#: A locale (Telegram's ``language_code``) to a translator.
Translations = Callable[[str | None], Translator]


def stale_button(t: Translator) -> str:
    """The answer to a tap on a button that is forged or no longer valid."""
    return t.gettext("Diese Schaltfläche ist nicht mehr gültig.")


def telegram_notice(t: Translator) -> str:
    """Sent at /start: what Telegram itself keeps."""
    return t.gettext(
        "Hinweis: Telegram speichert Chats mit Bots auf seinen Servern; sie sind nicht "
        "Ende-zu-Ende-verschlüsselt. Was Beistand speichert, steht unter /datenschutz."
    )


def apology(t: Translator) -> str:
    """Sent when handling an update failed."""
    return t.gettext(
        "Entschuldigung, das hat nicht geklappt. Bitte versuchen Sie es noch einmal. "
        "Bei akuter Gefahr rufen Sie 110."
    )


def source_translations(locale: str | None) -> Translator:
    """Untranslated German, for when no catalogs are given."""
    del locale
    return Translator(SOURCE_LOCALE)
