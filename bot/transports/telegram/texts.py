"""The Telegram channel's user-facing texts: written once in :mod:`bot.engine.texts`, re-exported
here for the channel's modules; plus the translator lookup the channel is given."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine.texts import apology, stale_button, telegram_notice
from bot.i18n import SOURCE_LOCALE, Translator

#: A locale (Telegram's ``language_code``) to a translator.
Translations = Callable[[str | None], Translator]


def source_translations(locale: str | None) -> Translator:
    """Untranslated German, for when no catalogs are given."""
    del locale
    return Translator(SOURCE_LOCALE)


__all__ = ["Translations", "apology", "source_translations", "stale_button", "telegram_notice"]
