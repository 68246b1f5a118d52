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


def _from_shipped(po: Path, locale: str) -> int:
    """Fill the code's untranslated messages in ``po`` from the shipped catalog of ``locale``
    (an operator translates their own content; the code's translations come with the package,
    also those added by an upgrade). Returns how many were filled."""
    shipped = po_path(shipped_content().locales, locale)
    if not shipped.is_file() or shipped.resolve() == po.resolve():
        return 0
    with shipped.open("rb") as handle:
        source = read_po(handle, locale=locale)
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    filled = 0
    for message in catalog:
        if not message.id or message.string or message.fuzzy:
            continue
        if not any(str(where).startswith(CODE_PREFIX) for where, _line in message.locations):
            continue
        known = source.get(message.id, message.context)
        if known is not None and known.string and not known.fuzzy:
            message.string = known.string
            filled += 1
    if filled:
        with po.open("wb") as handle:
            write_po(handle, catalog, ignore_obsolete=True)
    return filled


def update_catalogs(paths: ContentPaths) -> list[str]:
    """Extract every message into ``LOCALES/beistand.pot``, then ``pybabel update`` (or ``init``)
    the catalog of each language folder in ``LOCALES``."""
    locales = paths.locales
    shipped = shipped_content()
    if shipped.packaged and locales.resolve().is_relative_to(shipped.root.resolve()):
        raise ConfigError(
            "the shipped catalogs are part of the installed package and are not changed; make "
            "your own content directory with `beistand init DIR` and set BEISTAND_CONTENT_DIR"
        )
    if not locales.is_dir():
        raise ConfigError(f"locales directory not found: {locales}")
    template_path = (locales / f"{DOMAIN}.pot").resolve()
    lines = [f"extracting into {template_path}"]
    with template_path.open("wb") as handle:
        write_po(handle, build_template(paths), sort_output=True, omit_header=True)
    for lang_dir in sorted(p for p in locales.iterdir() if p.is_dir()):
        po = po_path(locales, lang_dir.name)
        verb = "update" if po.is_file() else "init"
        extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if verb == "update" else []
        _pybabel(
            verb,
            "-i",
            str(template_path),
            "-d",
            str(locales),
            "-D",
            DOMAIN,
            "-l",
            lang_dir.name,
            *extra,
        )
        lines.append(f"{verb}d {po}")
        filled = _from_shipped(po, lang_dir.name)
        if filled:
            lines.append(f"  {filled} translations of the program's texts taken from the package")
    return lines
