"""The shape of the test suite itself: tests and benchmarks do not import each other, the shared
test doubles are not copied again, and every module that starts a server or fuzzes is in its tier
(docs/testing.md, "Tiers")."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: tree -> the top-level packages it must not import
FORBIDDEN = {
    "tests": {"benchmarks"},
    "benchmarks": {"tests"},
    "testbed": {"tests", "benchmarks"},
    "bot": {"tests", "benchmarks", "testbed"},
}
#: fixtures that start the Telegram emulator, a Synapse, or a channel on one of them
SERVER_FIXTURES = {"telegram_emulator", "telegram_bot", "start_channel", "synapse", "make_bot"}


def modules(tree: str) -> Iterator[Path]:
    yield from sorted((ROOT / tree).rglob("*.py"))


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """Every module name an ``import`` or ``from ... import`` names, anywhere in the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


@pytest.mark.parametrize("tree", sorted(FORBIDDEN))
def test_trees_import_only_what_they_may(tree: str):
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: imports {name}"
        for path in modules(tree)
        for line, name in imported(path)
        if name.split(".")[0] in FORBIDDEN[tree]
    ]
    assert wrong == [], "\n".join(wrong)


def test_the_test_tree_needs_no_sys_path_tricks():
    """pytest puts the checkout on the path; a test that edits it hides a wrong import."""
    tricks = [
        str(path.relative_to(ROOT))
        for path in modules("tests")
        if path.name != Path(__file__).name and "sys.path" in path.read_text(encoding="utf-8")
    ]
    assert tricks == []


def test_one_fake_clock_and_one_recording_channel():
    """No test defines its own clock or recording channel: tests/helpers.py has them."""
    copies = []
    for path in [*modules("tests"), *modules("testbed")]:
        if path.name == "helpers.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            calls = [
                item
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name == "__call__"
            ]
            delivers = any(
                [a.arg for a in call.args.args] == ["self", "route", "message", "key"]
                for call in calls
            )
            if node.name.endswith("Clock") or delivers:
                copies.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}")
    assert copies == [], "use tests.helpers.FakeClock / RecordingChannel:\n" + "\n".join(copies)


def _marks(tree: ast.Module) -> set[str]:
    """``pytest.mark.X`` names used in the module (as ``pytestmark`` or on a test)."""
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "mark"
    }


def _test_modules() -> list[Path]:
    return [p for p in modules("tests") if p.name.startswith("test_")]


@pytest.mark.parametrize("path", _test_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_is_in_its_tier(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    marks = _marks(tree)
    if path.parent.name == "fuzz":
        assert "fuzz" in marks, "a module in tests/fuzz/ needs pytestmark = pytest.mark.fuzz"
    arguments = {
        arg.arg
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for arg in node.args.args
    }
    if arguments & SERVER_FIXTURES:
        assert "channel" in marks, f"starts a server ({arguments & SERVER_FIXTURES}): mark channel"
