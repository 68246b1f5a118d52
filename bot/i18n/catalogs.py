"""Reading the Babel catalogs (``locales/<lang>/LC_MESSAGES/beistand.po``) into :class:`Catalogs`.

The loading edge of translations: only this module (and the catalog tools) import Babel.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from bot.errors import Problem, SourceLocation
from bot.i18n import SOURCE_LOCALE, Catalogs, Translator, po_path


def _ctx(context: str | None, msgid: str) -> tuple[str | None, str]:
    return (context or None, msgid)


def with_local(base: Catalogs, local_dir: Path | None) -> tuple[Catalogs, list[Problem]]:
    """``base`` with the catalogs of a local layer (``<local>/locales/``, the translations of
    its own texts) laid over it; a language the content has no catalog for is left out."""
    if local_dir is None or not (local_dir / "locales").is_dir():
        return base, []
    local, problems = load_catalogs(local_dir / "locales")
    merged = dict(base.by_locale)
    for locale, translator in local.by_locale.items():
        mine = merged.get(locale)
        if mine is None:
            where = SourceLocation(str(po_path(local_dir / "locales", locale)), 1, 1)
            problems.append(
                Problem(where, f"no catalog for {locale!r} in the content: not used", "warning")
            )
            continue
        merged[locale] = Translator(
            locale, {**mine.messages, **translator.messages}, mine.known | translator.known
        )
    return Catalogs(merged), problems


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
