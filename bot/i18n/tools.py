"""Catalog maintenance: extract every message and update each language's catalog."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from bot.content import PROJECT_ROOT
from bot.i18n import DOMAIN


def _pybabel(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]
    return out.getvalue()


def update_catalogs(locales: Path) -> list[str]:
    """Run ``pybabel extract`` over code, flows and knowledge, then ``update`` (or ``init``).

    Extraction runs from the project root, so the file references in the catalogs are relative
    (``bot/engine/step.py:120``) and the same on every machine.
    """
    template = (locales / f"{DOMAIN}.pot").resolve()
    lines = [f"extracting into {template}"]
    with contextlib.chdir(PROJECT_ROOT):
        _pybabel(
            "extract", "-F", "babel.cfg", "--sort-output", "--omit-header", "-o", str(template), "."
        )
    for lang_dir in sorted(p for p in locales.iterdir() if p.is_dir()):
        po = lang_dir / "LC_MESSAGES" / f"{DOMAIN}.po"
        verb = "update" if po.is_file() else "init"
        extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if verb == "update" else []
        _pybabel(
            verb, "-i", str(template), "-d", str(locales), "-D", DOMAIN, "-l", lang_dir.name, *extra
        )
        lines.append(f"{verb}d {po}")
    return lines
