"""Validation points at the cause (issue 16): references at their own line, no knock-on errors
from a broken file, friendly YAML wording, refused characters and numbers, and the reload log."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from bot.content import ContentPaths, load_content
from bot.flow.yamlsafe import friendly_syntax
from tests.conftest import BASIC


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for part in ("flows", "knowledge", "locales"):
        shutil.copytree(BASIC / part, tmp_path / part)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems_for(tree: Path) -> list[str]:
    paths = ContentPaths(tree / "flows", tree / "knowledge", tree / "locales")
    _, problems = load_content(paths)
    return sorted(str(p) for p in problems)


def edit(tree: Path, name: str, old: str, new: str) -> None:
    path = tree / "flows" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_option_typo_is_reported_at_the_option_without_knock_on(tree: Path) -> None:
    edit(
        tree,
        "demo.yaml",
        "{label: Brief, set: {kanal: brief}, next: land}",
        "{label: Brief, next: lnd}",
    )
    edit(
        tree,
        "demo.yaml",
        "{label: Online, set: {kanal: online}, next: land}",
        "{label: Online, next: lnd}",
    )
    assert problems_for(tree) == [
        "flows/demo.yaml:14:31: error: node 'frage': unknown node 'lnd' in flow 'demo' "
        "(did you mean 'land'?)",
        "flows/demo.yaml:15:30: error: node 'frage': unknown node 'lnd' in flow 'demo' "
        "(did you mean 'land'?)",
    ]  # and no "cannot be reached" for land, tipps, ... behind the typo


def test_next_typo_is_reported_at_the_next_line(tree: Path) -> None:
    edit(tree, "demo.yaml", "    next: nach_kanal\n", "    next: nach_knal\n")
    assert problems_for(tree) == [
        "flows/demo.yaml:25:11: error: node 'tipps': unknown node 'nach_knal' in flow 'demo' "
        "(did you mean 'nach_kanal'?)"
    ]


def test_start_typo_is_reported_at_the_start_line(tree: Path) -> None:
    edit(tree, "demo.yaml", "start: frage", "start: frag")
    assert problems_for(tree)[0] == (
        "flows/demo.yaml:4:8: error: start node 'frag' does not exist (did you mean 'frage'?)"
    )


def test_broken_entry_flow_has_no_knock_on(tree: Path) -> None:
    edit(tree, "menu.yaml", "title: Hauptmenü", "title: Hilfe: Übersicht")
    assert problems_for(tree) == [
        "flows/menu.yaml:1:1: note: flow 'menu' was skipped because of the errors in this file; "
        "checks of other files that refer to it were left out",
        "flows/menu.yaml:2:13: error: YAML syntax: a colon followed by a space inside a text: "
        "put the text in quotes (YAML: mapping values are not allowed here)",
    ]  # no "the entry flow 'menu' is missing" at demo.yaml


def test_broken_target_flow_has_no_unknown_flow_elsewhere(tree: Path) -> None:
    edit(tree, "demo.yaml", "start: frage", "  start: frage")
    found = problems_for(tree)
    assert found == [
        "flows/demo.yaml:1:1: note: flow 'demo' was skipped because of the errors in this file; "
        "checks of other files that refer to it were left out",
        "flows/demo.yaml:4:8: error: YAML syntax: a colon followed by a space inside a text: "
        "put the text in quotes (YAML: mapping values are not allowed here)",
    ]  # no "unknown flow 'demo'" at menu.yaml


def test_tab_indent_has_a_hint(tree: Path) -> None:
    edit(tree, "demo.yaml", "    next: tipps\n", "\tnext: tipps\n")
    assert problems_for(tree)[1] == (
        "flows/demo.yaml:20:1: error: YAML syntax: a tab character: indent with spaces, never "
        "tabs (YAML: found character '\\t' that cannot start any token)"
    )


def test_bad_indent_has_a_hint(tree: Path) -> None:
    edit(
        tree,
        "demo.yaml",
        "    choice: Wie kam die Drohung?\n",
        "      choice: Wie kam die Drohung?\n",
    )
    assert (
        "flows/demo.yaml:13:5: error: YAML syntax: the indentation does not match the lines "
        "above: indent with spaces, by the same amount as the other keys at this level "
        "(YAML: expected <block end>, but found '<block mapping start>')"
    ) in problems_for(tree)


def test_friendly_keeps_unknown_wording() -> None:
    assert friendly_syntax("something odd") == "YAML syntax: something odd"


@pytest.mark.parametrize(
    ("escape", "what"),
    [
        ("\\ud800", "a lone surrogate (half of an escaped character pair) (U+D800)"),
        ("\\0", "a NUL character (U+0000)"),
        ("\\x07", "a control character (U+0007)"),
    ],
)
def test_refused_characters(tree: Path, escape: str, what: str) -> None:
    edit(tree, "demo.yaml", "    end: Auf Wiedersehen.", f'    end: "Auf {escape} Wiedersehen."')
    assert problems_for(tree) == [
        f"flows/demo.yaml:43:10: error: {what} is not allowed in a text; remove the escape"
    ]


def test_huge_integer_is_refused(tree: Path) -> None:
    edit(tree, "demo.yaml", "topic: threat", "topic: " + "9" * 5000)
    assert problems_for(tree) == [
        "flows/demo.yaml:1:1: note: flow 'demo' was skipped because of the errors in this file; "
        "checks of other files that refer to it were left out",
        "flows/demo.yaml:3:8: error: number with 5000 digits; at most 30 are allowed",
    ]


def test_huge_integer_in_knowledge_is_refused(tree: Path) -> None:
    path = next((tree / "knowledge").glob("*.yaml"))
    path.write_text(path.read_text(encoding="utf-8") + "\nextra: " + "1" * 5000 + "\n")
    found = problems_for(tree)
    assert any("number with 5000 digits" in p for p in found), found


def test_reload_logs_file_and_line(tree: Path, caplog: pytest.LogCaptureFixture) -> None:
    from bot.runtime import Runtime

    edit(tree, "demo.yaml", "topic: threat", "topic: " + "9" * 5000)
    paths = ContentPaths(tree / "flows", tree / "knowledge", tree / "locales")

    class Fake:
        observer = type("O", (), {"reloaded": lambda self, ok: None})()

    with caplog.at_level(logging.ERROR):
        Runtime.reload(Fake(), paths)  # type: ignore[arg-type]
    wheres = [getattr(r, "where", None) for r in caplog.records]
    assert "flows/demo.yaml:3:8: error: number with 5000 digits; at most 30 are allowed" in wheres
