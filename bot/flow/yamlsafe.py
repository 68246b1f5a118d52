"""Safe, location-keeping YAML reading.

PyYAML's composer gives nodes with marks; we turn them into a small tree of located values
instead of Python objects, so every later check can point at ``file:line:column``. Anchors,
aliases and any explicit tag are refused (no alias bombs, no Python objects), duplicate keys are
reported, and ``yes``/``no``/``on``/``off`` stay strings.

PyYAML's pure-Python parser needs tens of microseconds per value, so besides the file size the
number of values is capped too: every file is read in well under a second. Where PyYAML was built
with libyaml, :mod:`bot.flow.yamlfast` reads a file first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import Problem, SourceLocation
from bot.flow import yamlfast

#: Largest content file we read, in bytes (the largest shipped file has about 9 KiB).
MAX_FILE_BYTES = 64 * 1024
#: Deepest nesting of lists and mappings we accept (real flows need about six).
MAX_DEPTH = 64
#: Most values (scalars, lists and mappings) in one file; the largest shipped file has under 600.
MAX_NODES = 5000

_STD = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")
_FLOAT = re.compile(r"[-+]?([0-9][0-9_]*)?\.[0-9_]+([eE][-+]?[0-9]+)?")
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}

Scalar = str | int | float | bool | None

#: Longest whole number we read (Python refuses to convert more than 4,300 digits).
MAX_DIGITS = 30
#: Characters a text must not contain: controls other than tab and line breaks, and lone
#: surrogates (escapes such as "\\x00" or "\\ud800" in double quotes), which no messenger sends.
_BAD_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

_ALLOWED_TAGS = frozenset(
    _STD + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


@dataclass(frozen=True, slots=True)
class YScalar:
    """A scalar with where it stands."""

    value: Scalar
    loc: SourceLocation


@dataclass(frozen=True, slots=True)
class YMap:
    """A mapping; ``items`` keeps file order, keys are located scalars."""

    items: tuple[tuple[YScalar, YNode], ...]
    loc: SourceLocation

    def get(self, key: str) -> YNode | None:
        """The value for ``key``, or None."""
        for k, v in self.items:
            if k.value == key:
                return v
        return None

    def seq(self, key: str) -> tuple[YNode, ...]:
        """The items of a list value (empty if absent or not a list)."""
        value = self.get(key)
        return value.items if isinstance(value, YSeq) else ()

    def text(self, key: str) -> str | None:
        """A scalar value as text, or None if absent or not a scalar."""
        value = self.get(key)
        if isinstance(value, YScalar) and value.value is not None:
            return str(value.value)
        return None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def keys(self) -> list[str]:
        """The keys as strings, in file order."""
        return [str(k.value) for k, _ in self.items]

    def key_loc(self, key: str) -> SourceLocation:
        """Where ``key`` stands (the map's own place if absent)."""
        for k, _ in self.items:
            if k.value == key:
                return k.loc
        return self.loc


@dataclass(frozen=True, slots=True)
class YSeq:
    """A sequence."""

    items: tuple[YNode, ...]
    loc: SourceLocation


YNode = YScalar | YMap | YSeq


def text_of(node: YNode | None) -> str:
    """A scalar as text; for trees that already passed the schema check."""
    assert isinstance(node, YScalar)
    return str(node.value)


class _NoAliasLoader(yaml.SafeLoader):
    """A loader that refuses anchors, aliases, deep nesting and too many values before they
    expand or cost time."""

    depth = 0
    nodes = 0

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        # The scanner reads ahead past every "[" or "{" that may start a key, so a long run of
        # them costs time before the composer sees the first; stop it at the bracket itself.
        if self.flow_level >= MAX_DEPTH:
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("aliases (*name) are not allowed", event.start_mark)
        if getattr(event, "anchor", None) is not None:
            raise _Refused("anchors (&name) are not allowed", event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _Refused(f"more than {MAX_NODES} values in one file", event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Refused(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _loc(file: str, mark: Any) -> SourceLocation:
    return SourceLocation(file, mark.line + 1, mark.column + 1)


def _scalar(node: yaml.ScalarNode) -> Scalar:
    text: str = node.value
    if node.style:  # quoted or block scalars are always strings
        return text
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        return int(text.replace("_", ""))
    if _FLOAT.fullmatch(text):
        return float(text.replace("_", ""))
    return text


def _bad_char_message(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if "\ud800" <= char <= "\udfff":
        what = "a lone surrogate (half of an escaped character pair)"
    elif char == "\x00":
        what = "a NUL character"
    elif char in "\ufffe\uffff":
        what = "a non-character"
    else:
        what = "a control character"
    return f"{what} ({code}) is not allowed in a text; remove the escape"


#: PyYAML's words for the common syntax errors, and what they mostly mean when editing a flow.
_FRIENDLY = (
    (
        "mapping values are not allowed here",
        "a colon followed by a space inside a text: put the text in quotes",
    ),
    (
        "found character '\\t' that cannot start any token",
        "a tab character: indent with spaces, never tabs",
    ),
    (
        "expected <block end>, but found",
        "the indentation does not match the lines above: indent with spaces, by the same amount"
        " as the other keys at this level",
    ),
    (
        "did not find expected key",
        "the indentation does not match the lines above: indent with spaces, by the same amount"
        " as the other keys at this level",
    ),
    (
        "could not find expected ':'",
        "a line without 'key: value' (a text running over into the next line?): put the text in"
        " quotes on one line, or indent its continuation",
    ),
    (
        "block sequence entries are not allowed here",
        "a list item '- ' where a value was expected: start the list on its own line, indented",
    ),
    (
        "found unexpected end of stream",
        "a quote that is not closed: end the text with the same quote it starts with",
    ),
    (
        "found unknown escape character",
        "a backslash in a text in double quotes: use single quotes, or write \\\\",
    ),
    (
        "that cannot start any token",
        "a text that starts with a special character (such as @ or `): put the text in quotes",
    ),
    (
        "expected ',' or ']'",
        "a text that starts with [ is read as a list: put the text in quotes",
    ),
    (
        "expected ',' or '}'",
        "a text that starts with { is read as a mapping: put the text in quotes",
    ),
)


def friendly_syntax(problem: str) -> str:
    """PyYAML's description of a syntax error in plain words with a hint, keeping its own words
    (in parentheses) so they can be looked up."""
    for words, hint in _FRIENDLY:
        if words in problem:
            return f"YAML syntax: {hint} (YAML: {problem})"
    return f"YAML syntax: {problem}"


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node) -> YNode:
        loc = _loc(self.file, node.start_mark)
        if node.tag not in _ALLOWED_TAGS:
            self.problems.append(Problem(loc, f"tags are not allowed (found {node.tag!r})"))
            return YScalar(None, loc)
        if isinstance(node, yaml.MappingNode):
            return self._map(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return YSeq(tuple(self.build(n) for n in node.value), loc)
        assert isinstance(node, yaml.ScalarNode)
        bad = _BAD_CHAR.search(node.value)
        if bad is not None:
            self.problems.append(Problem(loc, _bad_char_message(bad.group())))
            # the text stays a text (so no knock-on "must be a text"), without the character
            return YScalar(_BAD_CHAR.sub("\ufffd", node.value), loc)
        if not node.style and _INT.fullmatch(node.value):
            digits = sum(c.isdigit() for c in node.value)
            if digits > MAX_DIGITS:
                self.problems.append(
                    Problem(loc, f"number with {digits} digits; at most {MAX_DIGITS} are allowed")
                )
                return YScalar(None, loc)
        return YScalar(_scalar(node), loc)

    def _map(self, node: yaml.MappingNode, loc: SourceLocation) -> YMap:
        items: list[tuple[YScalar, YNode]] = []
        seen: dict[Scalar, SourceLocation] = {}
        for knode, vnode in node.value:
            key = self.build(knode)
            if not isinstance(key, YScalar) or isinstance(key.value, bool) or key.value is None:
                self.problems.append(Problem(key.loc, "keys must be plain words"))
                continue
            key = YScalar(str(key.value), key.loc)
            if key.value in seen:
                first = seen[key.value]
                self.problems.append(
                    Problem(key.loc, f"duplicate key {key.value!r} (first at line {first.line})")
                )
                continue
            seen[key.value] = key.loc
            items.append((key, self.build(vnode)))
        return YMap(tuple(items), loc)


_TOO_LARGE = f"file is larger than {MAX_FILE_BYTES // 1024} KiB"


def _reader_problem(err: yaml.YAMLError, text: str, file: str) -> Problem:
    """A problem for errors without a mark, such as a forbidden control character."""
    position = getattr(err, "position", None)
    if isinstance(position, int):
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        character = getattr(err, "character", "")
        code = f"U+{ord(character):04X}" if isinstance(character, str) and character else "?"
        return Problem(SourceLocation(file, line, column), f"character {code} is not allowed")
    return Problem(SourceLocation(file, 1, 1), f"YAML: {type(err).__name__}")


def parse_text(text: str, file: str) -> tuple[YNode | None, list[Problem]]:
    """Parse one YAML document; returns the located tree (None if unusable) and any problems."""
    start = SourceLocation(file, 1, 1)
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        return None, [Problem(start, _TOO_LARGE)]
    fast = yamlfast.fast_node(text, MAX_DEPTH, MAX_NODES) if yamlfast.AVAILABLE else None
    if fast is not None:
        builder = _Builder(file)
        tree = builder.build(fast)
        if not builder.problems:  # a problem is found and worded by the pure-Python loader
            return tree, builder.problems
    try:
        loader = _NoAliasLoader(text)
    except yaml.YAMLError as err:  # the reader rejects control characters up front
        return None, [_reader_problem(err, text, file)]
    try:
        node = loader.get_single_node()
    except _Refused as refused:
        where = _loc(file, refused.mark) if refused.mark is not None else start
        return None, [Problem(where, refused.message)]
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = _loc(file, mark) if mark is not None else start
        return None, [Problem(where, friendly_syntax(str(err.problem or err.context)))]
    except yaml.YAMLError as err:
        return None, [_reader_problem(err, text, file)]
    finally:
        loader.dispose()
    if node is None:
        return None, [Problem(start, "file is empty")]
    builder = _Builder(file)
    tree = builder.build(node)
    return tree, builder.problems


def parse_bytes(raw: bytes, file: str) -> tuple[YNode | None, list[Problem]]:
    """Decode (UTF-8) and parse the contents of a file named ``file`` in problems."""
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(SourceLocation(file, 1, 1), _TOO_LARGE)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return None, [Problem(SourceLocation(file, line, 1), "file is not valid UTF-8")]
    return parse_text(text, file)


def parse_file(path: Path, display: str | None = None) -> tuple[YNode | None, list[Problem]]:
    """Read and parse ``path``; ``display`` is the name used in problems (default: the path)."""
    name = display or str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:  # refused without reading it
            return None, [Problem(SourceLocation(name, 1, 1), _TOO_LARGE)]
        raw = path.read_bytes()
    except OSError as err:
        return None, [Problem(SourceLocation(name, 1, 1), f"cannot read file: {err.strerror}")]
    return parse_bytes(raw, name)
