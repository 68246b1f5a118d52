"""Translations through Babel/gettext catalogs in ``locales/<lang>/LC_MESSAGES/beistand.po``.

German is the source language: every msgid is German text, so German needs no translation and a
missing translation in any other language falls back to German. Each conversation carries its
locale; code asks :meth:`Catalogs.translator` for a :class:`Translator` (no global state).

This module is what the engine uses at run time and imports no Babel; reading the ``.po`` files
(with Babel) is :mod:`bot.i18n.catalogs`, at the loading edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SOURCE_LOCALE = "de"
DOMAIN = "beistand"

#: Native names of the languages, shown in the language menu.
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


@dataclass(frozen=True, slots=True)
class Translator:
    """Translations for one locale."""

    locale: str
    messages: dict[tuple[str | None, str], str] = field(default_factory=dict, repr=False)
    known: frozenset[tuple[str | None, str]] = field(default=frozenset(), repr=False)

    def gettext(self, msgid: str) -> str:
        """Translate a code string (no context)."""
        return self.messages.get((None, msgid)) or msgid

    def pgettext(self, context: str, msgid: str) -> str:
        """Translate a code string with a literal context (extracted by Babel from the code)."""
        return self.messages.get((context, msgid)) or msgid

    def content_text(self, context: str, msgid: str) -> str:
        """Translate a text of the content (``flow/node``, ``service/id``...): extracted from
        the YAML files, so under a name Babel's Python extractor does not look for."""
        return self.messages.get((context, msgid)) or msgid


@dataclass(frozen=True, slots=True)
class Catalogs:
    """All loaded catalogs, by locale."""

    by_locale: dict[str, Translator]

    @property
    def locales(self) -> tuple[str, ...]:
        """Supported locales, source first."""
        others = sorted(k for k in self.by_locale if k != SOURCE_LOCALE)
        return (SOURCE_LOCALE, *others)

    def normalize(self, locale: str | None) -> str:
        """Map a platform locale such as ``en-US`` to a supported one (German if unknown)."""
        if not locale:
            return SOURCE_LOCALE
        base = locale.replace("_", "-").split("-", 1)[0].casefold()
        return base if base in self.by_locale else SOURCE_LOCALE

    def translator(self, locale: str | None) -> Translator:
        """The translator for a (possibly unnormalized) locale."""
        return self.by_locale[self.normalize(locale)]


def po_path(locales_dir: Path, locale: str) -> Path:
    """Where the catalog of a locale lives."""
    return locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
