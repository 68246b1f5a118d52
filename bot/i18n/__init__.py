"""Translations through Babel/gettext catalogs in ``locales/<lang>/LC_MESSAGES/beistand.po``.

German is the source language: every msgid is German text, so German needs no translation and a
missing translation in any other language falls back to German. Each conversation carries its
locale; code asks :meth:`Catalogs.translator` for a :class:`Translator` (no global state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

from bot.errors import Problem, SourceLocation

SOURCE_LOCALE = "de"
DOMAIN = "beistand"

#: Native names of the languages, shown in the language menu.
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


def _ctx(context: str | None, msgid: str) -> tuple[str | None, str]:
    return (context or None, msgid)


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
        """Translate a content string with its context (``flow/node``, ``service/id``...)."""
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


def load_catalogs(locales_dir: Path) -> tuple[Catalogs, list[Problem]]:
    """Read every ``beistand.po`` below ``locales_dir``; fuzzy entries are not used."""
    problems: list[Problem] = []
    by_locale: dict[str, Translator] = {SOURCE_LOCALE: Translator(SOURCE_LOCALE)}
    if not locales_dir.is_dir():
        return Catalogs(by_locale), problems
    for lang_dir in sorted(p for p in locales_dir.iterdir() if p.is_dir()):
        path = po_path(locales_dir, lang_dir.name)
        if not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang_dir.name, abort_invalid=True)
        except Exception as err:
            loc = SourceLocation(str(path), getattr(err, "lineno", 1) or 1, 1)
            problems.append(Problem(loc, f"catalog cannot be read: {type(err).__name__}"))
            continue
        messages: dict[tuple[str | None, str], str] = {}
        known: set[tuple[str | None, str]] = set()
        for message in catalog:
            if not message.id or not isinstance(message.id, str):
                continue
            known.add(_ctx(message.context, message.id))
            if isinstance(message.string, str) and message.string and not message.fuzzy:
                messages[_ctx(message.context, message.id)] = message.string
        if lang_dir.name == SOURCE_LOCALE:
            messages = {}  # German is the source; its catalog only lists the msgids
        by_locale[lang_dir.name] = Translator(lang_dir.name, messages, frozenset(known))
    return Catalogs(by_locale), problems
