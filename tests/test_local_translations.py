"""The local layer's own catalogs (``<local>/locales/``): a Landkreis translates the texts of its
local services beside them, ``beistand translations`` keeps those catalogs, the bot lays them
over the content's, and ``validate --translations`` names the local catalog that lacks one."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

from bot.content import ContentPaths, load_content, missing_translations, require_content
from bot.i18n import po_path
from bot.i18n.tools import update_catalogs
from bot.initdir import init_directory

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "musterland"
NAME = "Ansprechperson für Amts- und Mandatsträger:innen im Landratsamt Musterland (Beispiel)"
CONTEXT = "service/musterland_ansprechperson"


def test_the_example_overlay_is_english_complete() -> None:
    paths = ContentPaths(local=EXAMPLE)
    content = require_content(paths)
    en = content.catalogs.translator("en")
    assert en.content_text(CONTEXT, NAME) == (
        "Contact person for office holders at the Landratsamt Musterland (example)"
    )
    # the shipped texts are still translated under the overlay
    assert en.content_text("region", "Sachsen") == "Saxony"
    assert [p for p in missing_translations(content, paths) if "[en]" in p.message] == []


def test_without_the_local_catalog_validate_names_it(tmp_path: Path) -> None:
    init_directory(tmp_path / "content", example="musterland")
    paths = ContentPaths.configured(tmp_path / "content")
    assert paths.local is not None
    en = po_path(paths.local / "locales", "en")
    assert en.is_file(), "init --example copies the example's catalogs"
    en.unlink()
    content, _problems = load_content(paths)
    assert content is not None
    assert content.catalogs.translator("en").content_text(CONTEXT, NAME) == NAME
    missing = [p for p in missing_translations(content, paths) if CONTEXT in p.message]
    assert missing and all("local/locales/en/LC_MESSAGES/beistand.po" in p.message for p in missing)
    assert all(p.location.file.endswith("local/services.yaml") for p in missing)


def test_translations_keeps_the_local_catalogs(tmp_path: Path) -> None:
    init_directory(tmp_path / "content", example="musterland")
    paths = ContentPaths.configured(tmp_path / "content")
    assert paths.local is not None
    services = paths.local / "services.yaml"
    services.write_text(
        services.read_text(encoding="utf-8").replace(
            "Beispieladresse", "Postfach der Beispielstelle"
        ),
        encoding="utf-8",
    )
    lines = update_catalogs(paths)
    assert any("local layer" in line for line in lines), lines
    en_po = po_path(paths.local / "locales", "en")
    with en_po.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    kept = catalog.get(NAME, CONTEXT)
    assert kept is not None and kept.string.startswith("Contact person")
    new = catalog.get("Postfach der Beispielstelle", CONTEXT)
    assert new is not None and not new.string
    assert catalog.get("Beispieladresse", CONTEXT) is None  # gone with its text
    # the content's own catalog does not take the local texts
    with po_path(paths.locales, "en").open("rb") as handle:
        assert read_po(handle, locale="en").get(NAME, CONTEXT) is None
    new.string = "PO box of the example office"
    with en_po.open("wb") as handle:
        write_po(handle, catalog, no_location=True)
    en = require_content(paths).catalogs.translator("en")
    assert en.content_text(CONTEXT, "Postfach der Beispielstelle") == "PO box of the example office"


def test_a_local_language_the_content_lacks_is_not_used(tmp_path: Path) -> None:
    init_directory(tmp_path / "content", example="musterland")
    paths = ContentPaths.configured(tmp_path / "content")
    assert paths.local is not None
    french = po_path(paths.local / "locales", "fr")
    french.parent.mkdir(parents=True)
    french.write_bytes(po_path(paths.local / "locales", "en").read_bytes())
    content, problems = load_content(paths)
    assert content is not None and "fr" not in content.catalogs.locales
    assert any("no catalog for 'fr'" in p.message and p.severity == "warning" for p in problems)
