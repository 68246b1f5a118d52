"""Where the shipped content is found, content directories, ``beistand init`` and translations."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

import bot.content
import bot.i18n.tools
from bot.cli import main
from bot.config import Settings
from bot.content import ContentLayout, ContentPaths, load_content, shipped_content
from bot.errors import ConfigError
from bot.i18n import po_path
from bot.i18n.tools import update_catalogs
from bot.initdir import PARTS, _fix_schema_links, init_directory, settings_text

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ where the content is


def test_a_checkout_uses_the_top_level_folders() -> None:
    shipped = shipped_content()
    assert not shipped.packaged
    assert shipped.flows == ROOT / "flows"
    assert shipped.conversations == ROOT / "tests" / "conversations"
    assert shipped.settings_file == ROOT / ".env.example"
    assert ContentPaths() == ContentPaths.configured(None)
    assert ContentPaths().flows == ROOT / "flows"


def test_an_installed_package_uses_its_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.content, "_is_checkout", lambda _root: False)
    shipped = shipped_content()
    assert shipped.packaged
    assert shipped.root == ROOT / "bot" / "_content"
    assert shipped.conversations == shipped.root / "conversations"
    assert shipped.settings_file == shipped.root / "env.example"
    assert ContentPaths().locales == shipped.root / "locales"


def test_setup_py_copies_every_part_the_layout_names() -> None:
    text = (ROOT / "setup.py").read_text("utf-8")
    for part in PARTS:
        assert f'"{part}":' in text
    assert '"env.example": ".env.example"' in text


def test_content_dir_gives_every_part_and_single_parts_override(tmp_path: Path) -> None:
    paths = ContentPaths.configured(tmp_path)
    assert paths == ContentPaths(
        tmp_path / "flows", tmp_path / "knowledge", tmp_path / "locales", tmp_path / "conversations"
    )
    other = tmp_path / "elsewhere"
    assert ContentPaths.configured(tmp_path, flows=other).flows == other
    assert ContentPaths.configured(tmp_path, flows=other).knowledge == tmp_path / "knowledge"


def test_settings_derive_the_content_from_the_content_dir(tmp_path: Path) -> None:
    settings = Settings.from_env({"BEISTAND_CONTENT_DIR": str(tmp_path)})
    assert settings.content_dir == tmp_path
    assert settings.content == ContentPaths.configured(tmp_path)
    settings = Settings.from_env(
        {"BEISTAND_CONTENT_DIR": str(tmp_path), "BEISTAND_LOCALES": str(tmp_path / "l")}
    )
    assert settings.content.locales == tmp_path / "l"
    assert settings.content.flows == tmp_path / "flows"
    assert Settings.from_env({}).content == ContentPaths()


# ------------------------------------------------------------------ beistand init


def test_init_writes_the_shipped_content_and_a_private_env(tmp_path: Path) -> None:
    target = tmp_path / "content"
    result = init_directory(target)
    assert result.env_written
    assert result.layout == ContentLayout.of_directory(target)
    shipped = shipped_content()
    for part in PARTS:
        source: Path = getattr(shipped, part)
        names = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
        copied = sorted(p.relative_to(target / part) for p in (target / part).rglob("*"))
        assert [n for n in copied if (target / part / n).is_file()] == names
    env = target / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    text = env.read_text("utf-8")
    assert f"\nBEISTAND_CONTENT_DIR={target}\n" in text
    assert "BEISTAND_SECRET=" in text  # the commented template, not a bare file
    content, problems = load_content(ContentPaths.configured(target))
    assert content is not None, problems


def test_schema_links_resolve_in_the_copy(tmp_path: Path) -> None:
    init_directory(tmp_path)
    linked = 0
    for path in tmp_path.rglob("*.yaml"):
        for line in path.read_text("utf-8").splitlines()[:3]:
            if "$schema=" in line:
                target = path.parent / line.split("$schema=", 1)[1].strip()
                assert target.resolve().is_file(), f"{path}: {line}"
                assert target.resolve().parent == (tmp_path / "schemas").resolve()
                linked += 1
    assert linked >= 10  # every flow and knowledge file


def test_schema_links_are_rewritten_for_nested_files(tmp_path: Path) -> None:
    nested = tmp_path / "flows" / "land" / "by.yaml"
    nested.parent.mkdir(parents=True)
    nested.write_text(
        "# yaml-language-server: $schema=../schemas/flow.schema.json\nid: by\n", encoding="utf-8"
    )
    _fix_schema_links(nested, tmp_path / "schemas")
    first = nested.read_text("utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/flow.schema.json"


def test_init_refuses_a_non_empty_directory_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty"):
        init_directory(tmp_path)
    assert init_directory(tmp_path, force=True).env_written
    assert (tmp_path / "notes.txt").read_text("utf-8") == "mine"


def test_force_keeps_an_existing_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BEISTAND_SECRET=keep-me\n", encoding="utf-8")
    result = init_directory(tmp_path, force=True)
    assert not result.env_written
    assert (tmp_path / ".env").read_text("utf-8") == "BEISTAND_SECRET=keep-me\n"
    assert (tmp_path / "flows" / "menu.yaml").is_file()


def test_init_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a directory"):
        init_directory(tmp_path / "f", force=True)


def test_settings_text_sets_or_adds_the_content_dir() -> None:
    where = Path("/srv/beistand")
    assert settings_text("# x\nBEISTAND_CONTENT_DIR=\nA=1\n", where) == (
        "# x\nBEISTAND_CONTENT_DIR=/srv/beistand\nA=1\n"
    )
    added = settings_text("# head\n\n# Content directories\nBEISTAND_FLOWS=\n", where)
    assert added.index("BEISTAND_CONTENT_DIR=/srv/beistand\n") < added.index("BEISTAND_FLOWS=")
    assert settings_text("# only a header\nA=1\n", where).startswith("# only a header\n# The")


def test_cli_init_prints_next_steps_and_refuses_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "content"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'content' / '.env'} (mode 0600)" in out
    assert "beistand validate" in out
    assert main(["init", "content"]) == 2
    assert capsys.readouterr().err.startswith("beistand: ")


# ------------------------------------------------------------------ test, translations


def test_test_defaults_to_the_content_dir_conversations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    init_directory(tmp_path / "c")
    for path in sorted((tmp_path / "c" / "conversations").iterdir())[1:]:
        path.unlink()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BEISTAND_CONTENT_DIR", str(tmp_path / "c"))
    assert main(["test", "-v"]) == 0
    out = capsys.readouterr().out
    assert "anzeige_de.yaml" in out
    assert "menu_de.yaml" not in out
    (tmp_path / "c" / "conversations" / "anzeige_de.yaml").unlink()
    (tmp_path / "c" / "conversations").rmdir()
    assert main(["test"]) == 2
    assert "no conversation tests at" in capsys.readouterr().err


def test_translations_update_a_content_dir_and_take_code_texts_from_the_package(
    tmp_path: Path,
) -> None:
    init_directory(tmp_path)
    paths = ContentPaths.configured(tmp_path)
    en = po_path(paths.locales, "en")
    with en.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    message = catalog.get("Diese Schaltfläche ist nicht mehr gültig.")
    assert message is not None and message.string
    message.string = ""  # as after an upgrade that added a text to the program
    with en.open("wb") as handle:
        write_po(handle, catalog)
    lines = update_catalogs(paths)
    assert lines[0] == f"extracting into {(tmp_path / 'locales' / 'beistand.pot').resolve()}"
    assert any("taken from the package" in line for line in lines)
    with en.open("rb") as handle:
        updated = read_po(handle, locale="en")
    again = updated.get("Diese Schaltfläche ist nicht mehr gültig.")
    assert again is not None and again.string
    pot = (tmp_path / "locales" / "beistand.pot").read_text("utf-8")
    assert 'msgctxt "menu/auswahl"' in pot
    assert "#: " not in pot  # no location comments: a diff shows only real changes


def test_translations_refuse_the_packaged_catalogs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        bot.i18n.tools,
        "shipped_content",
        lambda: ContentLayout(
            root=tmp_path,
            flows=tmp_path / "flows",
            knowledge=tmp_path / "knowledge",
            locales=tmp_path / "locales",
            schemas=tmp_path / "schemas",
            conversations=tmp_path / "conversations",
            settings_file=tmp_path / "env.example",
            packaged=True,
        ),
    )
    (tmp_path / "locales").mkdir()
    with pytest.raises(ConfigError, match="beistand init DIR"):
        update_catalogs(ContentPaths.configured(tmp_path))
