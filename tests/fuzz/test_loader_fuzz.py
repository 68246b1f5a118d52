"""Hypothesis on the flow loader: random and mutated YAML gives problems, never an exception, and
never takes long; alias bombs, huge files and Python tags are refused.

Mutations start from the shipped flow and knowledge files and change bytes, lines, indentation
and keys, or insert YAML tokens that are known to be trouble (anchors, aliases, tags, merge keys,
directives, unbalanced brackets, tabs, NUL, byte-order marks). Content that still validates after
a mutation must also be safe to run: a short conversation through the engine may not raise.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.content import ContentPaths, load_content
from bot.errors import Problem
from bot.flow.loader import load_flow_file
from bot.flow.yamlsafe import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    parse_bytes,
    parse_file,
    parse_text,
)
from testbed.walk import converse

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[2]
FLOWS = sorted((ROOT / "flows").glob("*.yaml"))
KNOWLEDGE = sorted((ROOT / "knowledge").glob("*.yaml"))
#: The longest any single load may take (security.md, test 4).
LIMIT_SECONDS = 1.0

TROUBLE = (
    "&anchor ",
    "*anchor",
    "<<: *anchor",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!custom",
    "{",
    "}",
    "[",
    "]",
    ": :",
    "? complex key",
    "- ",
    "\t",
    "\x00",
    "\x1b[2J",
    "\ufeff",
    "%YAML 1.1",
    "%TAG ! tag:example.com,2000:",
    "---",
    "...",
    "'unterminated",
    '"\\x',
    "1e999",
    ".nan",
    "-.inf",
    "0x1F",
    "0o777",
    "2026-13-45",
    "~",
    "null",
    "yes",
    "no",
    "on",
    "12345678901234567890123456789012345678901234567890",
    "ä" * 300,
    "next: nirgendwo",
    "goto: menu",
    "choice: ''",
    "options: []",
    "options: [{label: x, next: x}]",
    "end: ''",
    "handoff: {topic: nothing, urgency: extreme}",
    "services: {ids: [gibt_es_nicht]}",
    "when: {land: [XX]}",
    "set: {land: ZZ}",
    "id: menu",
    "start: nirgendwo",
)


OPERATIONS = ("delete", "duplicate", "swap", "indent", "dedent", "rename", "insert", "value")


def mutate_line(draw: st.DrawFn, lines: list[str], i: int, op: str) -> None:
    """Apply one line operation in place."""
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "indent":
        lines[i] = " " * draw(st.integers(1, 5)) + lines[i]
    elif op == "dedent":
        lines[i] = lines[i].lstrip(" ")
    elif op == "rename" and ":" in lines[i]:
        key = draw(st.sampled_from(("", "nodes", "next", "x" * 40, "ünïcode", "1", "- a")))
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines[i] = indent + key + ":" + lines[i].split(":", 1)[1]
    elif op == "value" and ":" in lines[i]:
        head = lines[i].split(":", 1)[0]
        lines[i] = f"{head}: {draw(st.sampled_from(TROUBLE))}\n"
    else:
        lines.insert(i, draw(st.sampled_from(TROUBLE)) + "\n")


@st.composite
def mutated_file(draw: st.DrawFn, files: list[Path]) -> tuple[str, bytes]:
    """A shipped file with one to eight mutations; returns (file name, bytes)."""
    path = draw(st.sampled_from(files))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 8))):
        if not lines:
            lines = ["\n"]
        i = draw(st.integers(0, len(lines) - 1))
        mutate_line(draw, lines, i, draw(st.sampled_from(OPERATIONS)))
    data = bytearray("".join(lines).encode("utf-8"))
    for _ in range(draw(st.integers(0, 3))):  # raw byte damage, also invalid UTF-8
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()) and data:
        data = data[: draw(st.integers(0, len(data)))]
    return path.name, bytes(data)


yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(("menu", "start", "choice", "options", "next", "label", "nodes", "id")),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(
                ("id", "title", "start", "nodes", "choice", "options", "label", "next", "message")
            )
            | st.text(max_size=10),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


def timed(call, *args):
    """Call and check the CPU time this thread spent (other processes on the machine do not
    count, so the check holds on a busy CI runner too)."""
    started = time.thread_time()
    result = call(*args)
    elapsed = time.thread_time() - started
    assert elapsed < LIMIT_SECONDS, f"took {elapsed:.2f} s"
    return result


def only_problems(problems: list[Problem]) -> None:
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.location.line >= 1
        assert problem.message


# ----------------------------------------------------------------------------- parse_text


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400))
def test_random_text_gives_problems_not_exceptions(text):
    _tree, problems = timed(parse_text, text, "random.yaml")
    only_problems(problems)


@settings(max_examples=200, deadline=None)
@given(value=yaml_values)
def test_random_yaml_documents_are_validated_as_flows(value, tmp_path_factory):
    path = tmp_path_factory.mktemp("doc") / "random.yaml"
    path.write_text(yaml.safe_dump(value, allow_unicode=True), encoding="utf-8")
    flow, _flow_id, problems = timed(load_flow_file, path)
    only_problems(problems)
    assert flow is None or not [p for p in problems if p.severity == "error"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=mutated_file(FLOWS))
def test_mutated_flow_files_give_problems_not_exceptions(mutation, tmp_path_factory):
    name, data = mutation
    path = tmp_path_factory.mktemp("flow") / name
    path.write_bytes(data)
    flow, _flow_id, problems = timed(load_flow_file, path)
    only_problems(problems)
    if flow is None:
        assert any(p.severity == "error" for p in problems)


@pytest.fixture(scope="module")
def content_copy(tmp_path_factory: pytest.TempPathFactory) -> ContentPaths:
    """A copy of the shipped content that single examples may damage (restored after each)."""
    base = tmp_path_factory.mktemp("content")
    for name in ("flows", "knowledge", "locales"):
        shutil.copytree(ROOT / name, base / name)
    paths = ContentPaths(base / "flows", base / "knowledge", base / "locales")
    # the first load also imports the holiday calendars and fills their caches, a cost of the
    # process, not of the input: the limit is for what one input costs
    load_content(paths)
    return paths


def run_briefly(content) -> None:
    """A conversation through every flow of content that validated."""
    for payload in (None, *sorted(content.flows)):
        converse(content, payload)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=mutated_file(FLOWS + KNOWLEDGE))
def test_mutated_content_loads_as_problems_or_runs(mutation, content_copy):
    name, data = mutation
    directory = content_copy.flows if (ROOT / "flows" / name).exists() else content_copy.knowledge
    target = directory / name
    original = target.read_bytes()
    target.write_bytes(data)
    try:
        content, problems = timed(load_content, content_copy)
        only_problems(problems)
        if content is None:
            assert any(p.severity == "error" for p in problems)
        else:
            run_briefly(content)  # whatever validates must be safe to run
    finally:
        target.write_bytes(original)


# ----------------------------------------------------------------------------- known attacks

ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)


def test_an_alias_bomb_is_refused_in_under_50_ms(tmp_path):
    best = min(timed_once(parse_text, ALIAS_BOMB, "bomb.yaml") for _ in range(3))
    tree, problems = parse_text(ALIAS_BOMB, "bomb.yaml")
    assert tree is None
    assert "not allowed" in problems[0].message
    assert best < 0.050, f"{best * 1000:.1f} ms"
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    flow, _flow_id, problems = load_flow_file(path)
    assert flow is None
    assert problems


def timed_once(call, *args) -> float:
    started = time.thread_time()
    call(*args)
    return time.thread_time() - started


def test_a_10_mb_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.yaml"
    line = "# " + "x" * 1021 + "\n"
    path.write_text("id: huge\n" + line * (10 * 1024), encoding="utf-8")
    assert path.stat().st_size > 10 * 1024 * 1024
    started = time.thread_time()
    flow, _flow_id, problems = load_flow_file(path)
    assert time.thread_time() - started < 0.05
    assert flow is None
    assert [p.message for p in problems] == [f"file is larger than {MAX_FILE_BYTES // 1024} KiB"]
    tree, problems = timed(parse_text, path.read_text(encoding="utf-8"), "huge.yaml")
    assert tree is None
    assert "larger than" in problems[0].message


def test_python_tags_are_refused_and_never_run(tmp_path):
    witness = tmp_path / "pwned"
    text = f"id: !!python/object/apply:os.system ['touch {witness}']\n"
    _tree, problems = parse_text(text, "tag.yaml")
    assert problems
    assert "tags are not allowed" in problems[0].message
    assert not witness.exists()
    for tag in ("!!python/name:os.system", "!!python/object:object {}", "!!binary aGk="):
        _tree, problems = parse_text(f"id: {tag}\n", "tag.yaml")
        assert problems, tag


#: Shapes that cost the most per byte: many small values, then padding up to the size limit.
LARGEST_SHAPES = {
    "block list": ("- a\n" * (MAX_NODES - 2), "\n"),
    "block mapping": ("".join(f"k{i}:\n" for i in range(MAX_NODES // 2 - 1)), "\n"),
    "flow list": ("[" + "a," * (MAX_NODES - 3) + "a]", " "),
    "duplicate keys": ("a:\n" * (MAX_NODES // 2 - 1), "\n"),
    "list and comments": ("- a\n" * (MAX_NODES - 2), "# " + "w " * 60 + "\n"),
    "too many values": ("- a\n" * (MAX_NODES + 10), ""),
    "one long value": ("a: ", "x"),
}


@pytest.mark.parametrize("shape", list(LARGEST_SHAPES))
def test_a_file_at_the_size_limit_is_read_in_under_a_second(shape):
    head, padding = LARGEST_SHAPES[shape]
    text = head + padding * ((MAX_FILE_BYTES - len(head) - 1) // max(len(padding), 1))
    assert len(text.encode("utf-8")) <= MAX_FILE_BYTES
    _tree, problems = timed(parse_text, text, "large.yaml")
    only_problems(problems)
    if shape == "too many values":
        assert problems[0].message == f"more than {MAX_NODES} values in one file"
        assert problems[0].location.line == MAX_NODES  # the list itself is one value


def test_parse_bytes_is_parse_file_without_the_file(tmp_path):
    for data in (b"id: x\ntitle: \xff\n", b"a: [\n", b"a: 1\n", b"x" * (MAX_FILE_BYTES + 1)):
        path = tmp_path / "same.yaml"
        path.write_bytes(data)
        assert parse_bytes(data, "same.yaml") == parse_file(path, "same.yaml")


@pytest.mark.parametrize("run", ["[", "{", "[~", "[a, ", "{a: [", "[[[[[[][[[[[[[~"])
def test_a_run_of_brackets_is_refused_at_the_bracket_without_reading_ahead(run):
    # Found by benchmarks/fuzz_loader.py: PyYAML's scanner reads ahead past every "[" that may
    # start a key, so 509 bytes of mostly "[" took over 1 s under atheris, and 64 KiB 0.6 s
    # without it, before the composer refused the nesting.
    text = run * (MAX_FILE_BYTES // len(run))
    best = min(timed_once(parse_text, text, "brackets.yaml") for _ in range(3))
    tree, problems = parse_text(text, "brackets.yaml")
    assert tree is None
    only_problems(problems)
    if run in ("[", "{"):
        assert [str(p) for p in problems] == [
            f"brackets.yaml:1:{MAX_DEPTH + 1}: error: nesting deeper than {MAX_DEPTH} levels"
        ]
    assert best < 0.050, f"{best * 1000:.1f} ms"


@pytest.mark.parametrize("opening", ["[", "{a: ", "- "])
def test_deep_nesting_is_a_problem_not_a_crash(opening):
    tree, problems = timed(parse_text, opening * 5000, "deep.yaml")
    assert tree is None
    only_problems(problems)


@pytest.mark.parametrize("character", ["\x1f", "\x00", "\x7f", "\ufffe"])
def test_a_control_character_is_a_problem_not_a_crash(character, tmp_path):
    path = tmp_path / "control.yaml"
    path.write_text(f"id: menu\ntitle: Haupt{character}menü\n", encoding="utf-8")
    _flow, _flow_id, problems = load_flow_file(path)
    only_problems(problems)
    assert problems[0].location.line == 2


def test_parse_file_reports_invalid_utf8_with_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"id: x\ntitle: \xff\xfe\n")
    tree, problems = parse_file(path)
    assert tree is None
    assert problems[0].location.line == 2
