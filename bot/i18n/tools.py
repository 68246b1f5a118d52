"""Catalog maintenance: extract every message and update each language's catalog.

The extraction mapping is built here in code (no ``babel.cfg`` in the working directory), so
``beistand translations`` works installed and on an operator's content directory: the code's
messages come from the installed package, the flows' and knowledge's from the configured
directories. ``babel.cfg`` stays in the checkout for running ``pybabel extract`` by hand.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from bot.content import PACKAGE_DIR, ContentPaths, shipped_content
from bot.errors import ConfigError
from bot.flow.local_loader import services_files
from bot.i18n import DOMAIN, po_path

#: where the code's messages are referenced from in the catalogs (``bot/engine/texts.py:120``)
CODE_PREFIX = "bot/"


def _pybabel(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]
    return out.getvalue()


def _reference(path: Path, base: Path) -> str:
    """A file reference for the catalog: relative to the content root, in POSIX form."""
    try:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return path.resolve().as_posix()


def _yaml_files(directory: Path) -> Iterable[Path]:
    if directory.is_dir():
        yield from sorted(p for p in directory.rglob("*.y*ml") if p.is_file())


def build_template(paths: ContentPaths) -> Catalog:
    """Every message: the code's (from the installed package) and the content's (from ``paths``),
    with references relative to the content root (the parent of the locales directory)."""
    template = Catalog(domain=DOMAIN, fuzzy=False)
    base = paths.locales.parent
    skipped = io.StringIO()  # Babel reports f-strings it skips on stderr; they are not messages
    with contextlib.redirect_stderr(skipped):
        code = list(extract_from_dir(str(PACKAGE_DIR), method_map=[("**.py", "python")]))
    for filename, line, message, comments, context in code:
        where = CODE_PREFIX + Path(filename).as_posix()
        template.add(message, None, [(where, line)], auto_comments=comments, context=context)
    for directory, method in (
        (paths.flows, "bot.i18n.extract:extract_flow"),
        (paths.knowledge, "bot.i18n.extract:extract_knowledge"),
    ):
        for path in _yaml_files(directory):
            where = _reference(path, base)
            for line, message, comments, context in extract_from_file(method, path):
                template.add(
                    message, None, [(where, line)], auto_comments=comments, context=context
                )
    return template


def _code_ids(template: Catalog) -> set[tuple[str, str | None]]:
    """The (msgid, context) of the program's own messages (the catalogs carry no locations)."""
    return {
        (str(m.id), m.context)
        for m in template
        if m.id and any(str(where).startswith(CODE_PREFIX) for where, _line in m.locations)
    }


def _from_shipped(catalog: Catalog, locale: str, code: set[tuple[str, str | None]]) -> int:
    """Fill the code's untranslated messages in ``catalog`` from the shipped catalog of
    ``locale`` (an operator translates their own content; the code's translations come with the
    package, also those added by an upgrade). Returns how many were filled."""
    shipped = po_path(shipped_content().locales, locale)
    if not shipped.is_file():
        return 0
    with shipped.open("rb") as handle:
        source = read_po(handle, locale=locale)
    filled = 0
    for message in catalog:
        if not message.id or message.string or message.fuzzy:
            continue
        if (str(message.id), message.context) not in code:
            continue
        known = source.get(message.id, message.context)
        if known is not None and known.string and not known.fuzzy:
            message.string = known.string
            filled += 1
    return filled


def _flow_of(context: str | None) -> str:
    return (context or "").split("/", 1)[0]


def carry_renamed(old: Catalog, new: Catalog) -> list[str]:
    """Keep the translations of renamed nodes: a new, untranslated message whose text was
    translated under a context that no longer exists in the same flow (``flow/old_node``) gets
    that translation. Returns one line per message carried over."""
    contexts = {m.context for m in new if m.id}
    lines: list[str] = []
    for message in new:
        if not message.id or message.string or not message.context:
            continue
        if old.get(message.id, message.context) is not None:
            continue
        for previous in old:
            if (
                previous.id == message.id
                and previous.string
                and not previous.fuzzy
                and previous.context not in contexts
                and previous.context
                and "/" in previous.context
                and _flow_of(previous.context) == _flow_of(message.context)
            ):
                message.string = previous.string
                short = (
                    str(message.id) if len(str(message.id)) <= 40 else str(message.id)[:37] + "..."
                )
                lines.append(
                    f"  kept the translation of {short!r}: {previous.context} -> {message.context}"
                )
                break
    return lines


def _read(po: Path, locale: str) -> Catalog:
    with po.open("rb") as handle:
        return read_po(handle, locale=locale)


def _update_one(
    locales: Path, locale: str, template_path: Path
) -> tuple[str, Catalog, Catalog | None]:
    """``pybabel update`` (or ``init``) one language's catalog from a template."""
    po = po_path(locales, locale)
    verb = "update" if po.is_file() else "init"
    before = _read(po, locale) if verb == "update" else None
    extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if verb == "update" else []
    _pybabel(verb, "-i", str(template_path), "-d", str(locales), "-D", DOMAIN, "-l", locale,
             *extra)  # fmt: skip
    catalog = _read(po, locale)
    if before is not None:
        catalog.creation_date = before.creation_date  # no header churn
    return f"{'updated' if before is not None else 'created'} {po}", catalog, before


def update_local_catalogs(local: Path, languages: Iterable[str]) -> list[str]:
    """The catalogs of a local layer (``<local>/locales/<lang>/LC_MESSAGES/beistand.po``): its
    own services' texts only, for every language of the content. The bot lays them over the
    content's catalogs, so a Landkreis translates its texts beside them (docs/kommunen.md)."""
    locales = local / "locales"
    template = Catalog(domain=DOMAIN, fuzzy=False)
    for path in services_files(local):
        where = _reference(path, local)
        for line, message, comments, context in extract_from_file(
            "bot.i18n.extract:extract_knowledge", path
        ):
            template.add(message, None, [(where, line)], auto_comments=comments, context=context)
    locales.mkdir(exist_ok=True)
    template_path = (locales / f"{DOMAIN}.pot").resolve()
    with template_path.open("wb") as handle:
        write_po(handle, template, sort_output=True, omit_header=True, no_location=True)
    lines = [f"extracting the local layer's texts into {template_path}"]
    for locale in languages:
        (locales / locale / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
        done, catalog, _before = _update_one(locales, locale, template_path)
        lines.append(done)
        with po_path(locales, locale).open("wb") as handle:
            write_po(handle, catalog, ignore_obsolete=True, no_location=True)
    return lines


def update_catalogs(paths: ContentPaths) -> list[str]:
    """Extract every message into ``LOCALES/beistand.pot``, then ``pybabel update`` (or ``init``)
    the catalog of each language folder in ``LOCALES``, keeping the translations of renamed nodes
    and writing no location comments (a diff shows only real changes)."""
    locales = paths.locales
    shipped = shipped_content()
    if shipped.packaged and locales.resolve().is_relative_to(shipped.root.resolve()):
        raise ConfigError(
            "the shipped catalogs are part of the installed package and are not changed; make "
            "your own content directory with `beistand init DIR` and set BEISTAND_CONTENT_DIR"
        )
    if not locales.is_dir():
        raise ConfigError(f"locales directory not found: {locales}")
    local = paths.local if paths.local is not None and paths.local.is_dir() else None
    if local is not None and shipped.packaged and local.resolve().is_relative_to(shipped.root):
        raise ConfigError(
            "the example local layers are part of the installed package and are not changed;"
            " copy one with `beistand init DIR --example NAME`"
        )
    template_path = (locales / f"{DOMAIN}.pot").resolve()
    lines = [f"extracting into {template_path}"]
    template = build_template(paths)
    code = _code_ids(template)
    with template_path.open("wb") as handle:
        write_po(handle, template, sort_output=True, omit_header=True, no_location=True)
    languages = sorted(p.name for p in locales.iterdir() if p.is_dir())
    for locale in languages:
        po = po_path(locales, locale)
        line, catalog, before = _update_one(locales, locale, template_path)
        lines.append(line)
        if before is not None:
            lines.extend(carry_renamed(before, catalog))
        same = shipped.locales.resolve() == locales.resolve()
        filled = 0 if same else _from_shipped(catalog, locale, code)
        if filled:
            lines.append(f"  {filled} translations of the program's texts taken from the package")
        with po.open("wb") as handle:
            write_po(handle, catalog, ignore_obsolete=True, no_location=True)
    if local is not None:
        lines.extend(update_local_catalogs(local, languages))
    return lines
