"""Conversation tests: the runner itself, and every shipped conversation file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import Content, ContentPaths, load_content
from bot.convtest import find_test_files, run_file, run_paths
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "tests" / "conversations"


def test_runner_passes_a_good_file(content: Content) -> None:
    report = run_paths(content, [FIXTURES / "conversations" / "demo_de.yaml"])
    assert report.failures == [] and report.problems == []
    assert len(report.passed) == 2
    assert ("de", "demo", "abgabe") in report.nodes


def test_runner_reports_failures_at_their_step(
    content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    report = run_paths(content, [FIXTURES / "conversations" / "failing.yaml"])
    messages = [str(f).split("\n")[0] for f in report.failures]
    assert messages[0] == (
        "tests/fixtures/conversations/failing.yaml:4:9: Erwartet falschen Knoten: "
        "step 1: expected to be at menu/ende, but at menu/auswahl"
    )
    assert messages[1].startswith(
        "tests/fixtures/conversations/failing.yaml:9:9: Unbekannte Antwort: "
        "step 2: no answer labelled 'Gibt es nicht'; offered: 'Drohung', 'Ende'"
    )
    assert not report.ok


def test_runner_rejects_a_malformed_file(content: Content, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("conversations:\n  - name: x\n    steps:\n      - tapp: Drohung\n", "utf-8")
    report = run_paths(content, [bad])
    assert any("(did you mean 'tap'?)" in p.message for p in report.problems)


def _shipped() -> list[Path]:
    return find_test_files([SHIPPED]) if SHIPPED.is_dir() else []


@pytest.fixture(scope="module")
def shipped_content() -> Content:
    loaded, problems = load_content(ContentPaths())
    assert loaded is not None, [str(p) for p in problems if p.severity == "error"]
    return loaded


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: p.name)
def test_shipped_conversations(shipped_content: Content, path: Path) -> None:
    report = run_paths(shipped_content, [path])
    assert report.problems == [], [str(p) for p in report.problems]
    assert report.failures == [], "\n".join(str(f) for f in report.failures)


def test_run_file_is_reusable(content: Content) -> None:
    from bot.convtest import Report

    report = Report()
    run_file(content, FIXTURES / "conversations" / "demo_de.yaml", report)
    run_file(content, FIXTURES / "conversations" / "demo_de.yaml", report)
    assert len(report.passed) == 4


def test_shipped_conversations_reach_every_node_in_both_languages(
    shipped_content: Content,
) -> None:
    report = run_paths(shipped_content, [SHIPPED])
    assert report.ok
    for locale in ("de", "en"):
        missing = [
            f"{flow.id}/{node}"
            for flow in shipped_content.flows.values()
            for node in flow.nodes
            if (locale, flow.id, node) not in report.nodes
        ]
        assert missing == [], f"{locale}: not reached by any conversation test: {missing}"


def test_there_are_shipped_conversations() -> None:
    assert len(_shipped()) >= 12
