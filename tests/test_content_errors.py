"""Broken flow and knowledge files: each problem is reported at the exact file:line:col."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bot.content import ContentPaths, load_content
from tests.conftest import BASIC


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the fixture content; problems are named relative to it."""
    for part in ("flows", "knowledge", "locales"):
        shutil.copytree(BASIC / part, tmp_path / part)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems_for(tree: Path) -> list[str]:
    paths = ContentPaths(tree / "flows", tree / "knowledge", tree / "locales")
    _, problems = load_content(paths)
    return [str(p) for p in problems]


def write(tree: Path, name: str, text: str) -> None:
    (tree / name).write_text(text, encoding="utf-8")


def test_fixture_is_clean(tree: Path) -> None:
    assert problems_for(tree) == []


FLOW_HEAD = "id: extra\ntitle: Extra\nstart: a\nnodes:\n"

CASES = [
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    end: [unclosed\n",
        "flows/extra.yaml:7:1: error: YAML syntax: a text that starts with [ is read as a list: "
        "put the text in quotes (YAML: expected ',' or ']', but got '<stream end>')",
        id="syntax",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    end: !!python/object/apply:os.system [ls]\n",
        "flows/extra.yaml:6:10: error: tags are not allowed "
        "(found 'tag:yaml.org,2002:python/object/apply:os.system')",
        id="python-tag",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a: &x\n    end: Tschüss\n  b: *x\n",
        "flows/extra.yaml:5:6: error: anchors (&name) are not allowed",
        id="anchor",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    end: Tschüss\n  a:\n    end: Nochmal\n",
        "flows/extra.yaml:7:3: error: duplicate key 'a' (first at line 5)",
        id="duplicate-key",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    message: Hallo\n    nxt: b\n  b:\n    end: Tschüss\n",
        "flows/extra.yaml:7:5: error: unknown key 'nxt' in node 'a' (did you mean 'next'?)",
        id="did-you-mean",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    message: Hallo\n",
        "flows/extra.yaml:6:5: error: node 'a' is missing the required key 'next'",
        id="missing-next",
    ),
    pytest.param(
        "flows/extra.yaml",
        "id: extra\ntitle: Extra\nnodes:\n  a:\n    end: Tschüss\n",
        "flows/extra.yaml:1:1: error: flow is missing the required key 'start'",
        id="missing-start",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    choice: Frage?\n    options: ja\n",
        "flows/extra.yaml:7:14: error: 'options' must be a list, not a text",
        id="wrong-type",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    mesage: Hallo\n    next: b\n  b:\n    end: Tschüss\n",
        "flows/extra.yaml:6:5: error: node 'a' needs exactly one node kind key "
        "(message, choice, services, handoff, goto, end) (did you mean 'message'?)",
        id="unknown-kind",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    message: Hallo\n    next: c\n  b:\n    end: Tschüss\n",
        "flows/extra.yaml:7:11: error: node 'a': unknown node 'c' in flow 'extra'",
        id="unknown-node",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    goto: dmeo\n",
        "flows/extra.yaml:6:11: error: node 'a': unknown flow 'dmeo' (did you mean 'demo'?)",
        id="unknown-flow",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    end: Tschüss\n  b:\n    end: Verwaist\n",
        "flows/extra.yaml:8:5: error: node 'b' cannot be reached from the start 'a'",
        id="unreachable",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    message: Eins\n    next: b\n  b:\n    message: Zwei\n    next: a\n",
        "flows/extra.yaml:6:5: error: nodes a -> b form a loop without a question",
        id="loop",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    choice: Frage?\n    options:\n      - {label: Nochmal, next: a}\n",
        "flows/extra.yaml:6:5: error: node 'a' has no way forward to an end, services or "
        "handoff node",
        id="no-way-forward",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    services: {ids: [ungeprueft]}\n",
        "flows/extra.yaml:6:5: error: node 'a': service 'ungeprueft' is not verified "
        "and must not be shown",
        id="unverified-service",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    services: {ids: [notrf]}\n",
        "flows/extra.yaml:6:5: error: node 'a': unknown service 'notrf' (did you mean 'notruf'?)",
        id="unknown-service",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD
        + "  a:\n    choice: Frage?\n    options:\n"
        + "      - {label: Ja, set: {farbe: rot}, next: b}\n  b:\n    end: Tschüss\n",
        "flows/extra.yaml:8:9: error: unknown slot 'farbe'; declare it under 'slots'",
        id="unknown-slot",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    handoff: {topic: threat, urgency: urgent}\n",
        "flows/extra.yaml:6:39: error: 'urgency': 'urgent' is not one of low, normal, high",
        id="bad-urgency",
    ),
    pytest.param(
        "flows/extra.yaml",
        "id: demo\ntitle: Doppelt\nstart: a\nnodes:\n  a:\n    end: Tschüss\n",
        "flows/extra.yaml:1:1: error: duplicate flow id 'demo' (first in flows/demo.yaml)",
        id="duplicate-flow-id",
    ),
    pytest.param(
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    services: {topic: thread}\n",
        "flows/extra.yaml:6:5: error: unknown topic 'thread' (did you mean 'threat'?)",
        id="unknown-topic",
    ),
    pytest.param(
        "flows/extra.yaml",
        "- just\n- a list\n",
        "flows/extra.yaml:1:1: error: flow must be a mapping, not a list",
        id="not-a-mapping",
    ),
    pytest.param(
        "flows/extra.yaml",
        "",
        "flows/extra.yaml:1:1: error: file is empty",
        id="empty",
    ),
    pytest.param(
        "knowledge/more.yaml",
        "services:\n  - id: neu\n    name: Neu\n    summary: Neu.\n    topics: [threat]\n"
        "    regions: [DE]\n    contacts:\n      - phone: 'abc'\n"
        "    sources:\n      - {url: 'https://example.org', checked: 2026-08-19}\n"
        "    verified: true\n",
        "knowledge/more.yaml:8:16: error: 'phone': 'abc' is not a phone number",
        id="bad-phone",
    ),
    pytest.param(
        "knowledge/more.yaml",
        "services:\n  - id: neu\n    name: Neu\n    summary: Neu.\n    topics: [threat]\n"
        "    regions: [DE]\n    contacts:\n      - web: http://example.org\n"
        "    sources:\n      - {url: 'https://example.org', checked: 2026-08-19}\n"
        "    verified: true\n",
        "knowledge/more.yaml:8:14: error: 'web': 'http://example.org' is not an https:// address",
        id="insecure-web",
    ),
    pytest.param(
        "knowledge/more.yaml",
        "services:\n  - id: neu\n    name: Neu\n    summary: Neu.\n    topics: [threat]\n"
        "    regions: [DE]\n    contacts:\n      - email: info@example.org\n"
        "    hours:\n      - {days: [mo, tu], from: '25:00', to: '16:00'}\n"
        "    sources:\n      - {url: 'https://example.org', checked: 2026-08-19}\n"
        "    verified: true\n",
        "knowledge/more.yaml:10:32: error: 'from': '25:00' is not a time HH:MM",
        id="bad-hours",
    ),
    pytest.param(
        "knowledge/more.yaml",
        "services:\n  - id: neu\n    name: Neu\n    summary: Neu.\n    topics: [threat]\n"
        "    regions: [DE]\n    contacts:\n      - email: info@example.org\n"
        "    verified: true\n",
        "knowledge/more.yaml:2:5: error: service 1 is missing the required key 'sources'",
        id="missing-source",
    ),
    pytest.param(
        "knowledge/more.yaml",
        "services:\n  - id: neu\n    name: Neu\n    summary: Neu.\n    topics: [threat]\n"
        "    regions: [DE]\n    contacts:\n      - email: info@example.org\n"
        "    sources:\n      - {url: 'https://example.org', checked: 19.08.2026}\n"
        "    verified: true\n",
        "knowledge/more.yaml:10:47: error: 'checked' must be a date written YYYY-MM-DD",
        id="bad-check-date",
    ),
    pytest.param(
        "knowledge/weitere.yaml",
        "services:\n  - id: notruf\n    name: Neu\n    summary: Neu.\n    topics: [threat]\n"
        "    regions: [DE]\n    contacts:\n      - email: info@example.org\n"
        "    sources:\n      - {url: 'https://example.org', checked: 2026-08-19}\n"
        "    verified: true\n",
        "knowledge/weitere.yaml:2:5: error: duplicate service id 'notruf' "
        "(first at knowledge/services.yaml:2:5)",
        id="duplicate-service",
    ),
    pytest.param(
        "knowledge/more.yaml",
        "services:\n  - id: neu\n    name: Neu\n    summary: Neu.\n    topics: [threat]\n"
        "    regions: [XY]\n    contacts:\n      - email: info@example.org\n"
        "    sources:\n      - {url: 'https://example.org', checked: 2026-08-19}\n"
        "    verified: true\n",
        "knowledge/more.yaml:6:15: error: unknown region 'XY'",
        id="unknown-region",
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES)
def test_broken_file_is_reported_exactly(tree: Path, name: str, text: str, expected: str) -> None:
    write(tree, name, text)
    found = problems_for(tree)
    assert expected in found, "\n".join(found)


def test_every_problem_is_collected(tree: Path) -> None:
    write(tree, "flows/one.yaml", FLOW_HEAD + "  a:\n    message: x\n    next: nirgends\n")
    write(tree, "flows/two.yaml", "id: two\ntitle: T\nstart: a\nnodes:\n  a:\n    ende: x\n")
    found = problems_for(tree)
    assert any(p.startswith("flows/one.yaml:") for p in found)
    assert any(p.startswith("flows/two.yaml:") for p in found)


def test_oversized_file_is_refused(tree: Path) -> None:
    write(tree, "flows/big.yaml", "# " + "x" * (100 * 1024) + "\n")
    assert "flows/big.yaml:1:1: error: file is larger than 64 KiB" in problems_for(tree)


def test_too_many_values_are_refused_with_their_place(tree: Path) -> None:
    write(tree, "knowledge/big.yaml", "services:\n" + "  - x\n" * 6000)
    found = problems_for(tree)
    # the mapping, its key and the list are values too: item 4998 is the 5001st
    assert "knowledge/big.yaml:4999:5: error: more than 5000 values in one file" in found


def test_alias_bomb_is_refused_fast(tree: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    write(tree, "flows/bomb.yaml", "\n".join(lines) + "\n")
    started = time.perf_counter()
    found = problems_for(tree)
    assert time.perf_counter() - started < 2  # generous: the point is that it is not expanded
    assert "flows/bomb.yaml:1:4: error: anchors (&name) are not allowed" in found


def test_not_utf8(tree: Path) -> None:
    (tree / "flows" / "latin.yaml").write_bytes(b"id: x\ntitle: Gr\xfc\xdfe\n")
    assert "flows/latin.yaml:2:1: error: file is not valid UTF-8" in problems_for(tree)


def test_yes_no_stay_text(tree: Path) -> None:
    write(
        tree,
        "flows/extra.yaml",
        FLOW_HEAD + "  a:\n    choice: Frage?\n    options:\n      - {label: yes, next: b}\n"
        "      - {label: no, next: b}\n  b:\n    end: on\n",
    )
    found = [p for p in problems_for(tree) if "error" in p]
    assert found == []


def test_long_text_is_a_warning(tree: Path) -> None:
    write(tree, "flows/extra.yaml", FLOW_HEAD + "  a:\n    end: " + "Wort " * 130 + "\n")
    found = problems_for(tree)
    assert (
        "flows/extra.yaml:6:5: warning: node 'a': text has 649 characters; keep it under 600"
        in [f.strip() for f in found]
    )
