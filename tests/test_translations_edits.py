"""Translations that survive edits (issue 16): renamed nodes keep their translations, and the
catalogs carry no location comments, so moving a text makes no diff."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from bot.content import ContentPaths
from bot.i18n import po_path
from bot.i18n.tools import update_catalogs
from bot.initdir import init_directory


def _catalog(path: Path, locale: str):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def test_a_renamed_node_keeps_its_translation(tmp_path: Path) -> None:
    init_directory(tmp_path)
    paths = ContentPaths.configured(tmp_path)
    update_catalogs(paths)
    en = po_path(paths.locales, "en")
    menu = tmp_path / "flows" / "menu.yaml"
    text = menu.read_text(encoding="utf-8")
    assert "  auswahl:\n" in text
    before = _catalog(en, "en")
    old = [m for m in before if m.context == "menu/auswahl" and m.string]
    assert old, "the shipped menu has translated texts at menu/auswahl"
    renamed = text.replace("  auswahl:\n", "  themenwahl:\n").replace(
        "next: auswahl", "next: themenwahl"
    )
    renamed = renamed.replace("start: auswahl", "start: themenwahl")
    menu.write_text(renamed, encoding="utf-8")
    lines = update_catalogs(paths)
    carried = [line for line in lines if "menu/auswahl -> menu/themenwahl" in line]
    assert len(carried) >= len(old), lines
    after = _catalog(en, "en")
    for message in old:
        kept = after.get(message.id, "menu/themenwahl")
        assert kept is not None and kept.string == message.string
        assert after.get(message.id, "menu/auswahl") is None


def test_moving_a_text_changes_no_catalog(tmp_path: Path) -> None:
    init_directory(tmp_path)
    paths = ContentPaths.configured(tmp_path)
    update_catalogs(paths)
    catalogs = sorted(paths.locales.rglob("*.po"))
    first = [p.read_bytes() for p in catalogs]
    assert all(b"\n#: " not in raw for raw in first)
    menu = tmp_path / "flows" / "menu.yaml"
    # a comment line at the top moves every text one line down
    menu.write_text("# a new comment\n" + menu.read_text(encoding="utf-8"), encoding="utf-8")
    update_catalogs(paths)
    assert [p.read_bytes() for p in catalogs] == first
