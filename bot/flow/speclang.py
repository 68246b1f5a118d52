"""The spec language of :mod:`bot.flow.schema`: spec types, the checker of located YAML (with
``file:line:col`` and "did you mean"), and their rendering as JSON Schema."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.errors import Problem
from bot.flow.schemadocs import describe
from bot.flow.yamlsafe import YMap, YNode, YScalar, YSeq

ID_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
_ID = re.compile(ID_PATTERN)


@dataclass(frozen=True, slots=True)
class Str:
    """A text; optionally restricted by a pattern or a fixed set."""

    pattern: str | None = None
    enum: tuple[str, ...] = ()
    what: str = "a text"
    min_length: int = 0


@dataclass(frozen=True, slots=True)
class Bool:
    """true or false."""


@dataclass(frozen=True, slots=True)
class Int:
    """A whole number, at least ``minimum``."""

    minimum: int = 0


@dataclass(frozen=True, slots=True)
class Opt:
    """``inner``, or nothing at all (an empty value)."""

    inner: Spec


@dataclass(frozen=True, slots=True)
class Date:
    """A calendar date written YYYY-MM-DD."""


@dataclass(frozen=True, slots=True)
class ListOf:
    """A list whose items all match ``item``."""

    item: Spec
    min_items: int = 0
    name: str = ""  # how one item is called in messages, e.g. "service"


@dataclass(frozen=True, slots=True)
class MapOf:
    """A mapping from keys matching ``key`` to values matching ``value``."""

    key: Str
    value: Spec
    min_items: int = 0
    name: str = ""  # how one entry is called in messages, e.g. "node"


@dataclass(frozen=True, slots=True)
class Obj:
    """A mapping with named fields; unknown keys are errors."""

    fields: Mapping[str, Spec]
    required: tuple[str, ...] = ()
    title: str = ""


@dataclass(frozen=True, slots=True)
class Kinds:
    """A mapping that is one of several kinds, told apart by which kind key it has."""

    kinds: Mapping[str, Obj]
    what: str = "kind"


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Either of several shapes; the first is the one named in messages."""

    options: tuple[Spec, ...]
    what: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


Spec = Str | Bool | Int | Opt | Date | ListOf | MapOf | Obj | Kinds | AnyOf


def ident(what: str = "an id") -> Str:
    """A lower-case identifier (letters, digits, underscore)."""
    return Str(pattern=ID_PATTERN, what=what)


def _describe(node: YNode) -> str:
    if isinstance(node, YMap):
        return "a mapping"
    if isinstance(node, YSeq):
        return "a list"
    value = node.value
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return "a text"


def _what(spec: Spec) -> str:
    match spec:
        case Str(what=what):
            return what
        case Bool():
            return "true or false"
        case Int(minimum=minimum):
            return f"a whole number from {minimum}"
        case Opt(inner=inner):
            return _what(inner)
        case Date():
            return "a date (YYYY-MM-DD)"
        case ListOf():
            return "a list"
        case MapOf() | Obj() | Kinds():
            return "a mapping"
        case AnyOf(options=options, what=what):
            return what or " or ".join(_what(o) for o in options)
    raise AssertionError(spec)  # pragma: no cover


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean ...?)' hint, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Checker:
    """Collects problems while checking located YAML against a spec."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, node: YNode | YScalar, message: str) -> None:
        """Record an error at the node's place."""
        self.problems.append(Problem(node.loc, message))

    def check(self, node: YNode, spec: Spec, where: str) -> bool:
        """Check ``node`` against ``spec``; ``where`` names it in messages. True when clean."""
        before = len(self.problems)
        self._check(node, spec, where)
        return len(self.problems) == before

    def _check(self, node: YNode, spec: Spec, where: str) -> None:  # noqa: C901
        match spec:
            case Str():
                self._str(node, spec, where)
            case Bool():
                if not (isinstance(node, YScalar) and isinstance(node.value, bool)):
                    self.error(node, f"{where} must be true or false, not {_describe(node)}")
            case Int(minimum=minimum):
                value = node.value if isinstance(node, YScalar) else None
                if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                    self.error(node, f"{where} must be {_what(spec)}")
            case Opt(inner=inner):
                if not (isinstance(node, YScalar) and node.value is None):
                    self._check(node, inner, where)
            case Date():
                self._date(node, where)
            case ListOf(item=item, min_items=min_items, name=name):
                if not isinstance(node, YSeq):
                    self.error(node, f"{where} must be a list, not {_describe(node)}")
                    return
                if len(node.items) < min_items:
                    self.error(node, f"{where} needs at least {min_items} item(s)")
                for i, child in enumerate(node.items, 1):
                    self._check(child, item, f"{name} {i}" if name else f"{where} item {i}")
            case MapOf():
                self._map_of(node, spec, where)
            case Obj():
                self._obj(node, spec, where)
            case Kinds():
                self._kinds(node, spec, where)
            case AnyOf(options=options):
                for option in options:
                    probe = Checker()
                    probe._check(node, option, where)
                    if not probe.problems:
                        return
                # report against the option of the node's own shape, else the first
                for option in options:
                    if _shape_fits(node, option):
                        self._check(node, option, where)
                        return
                self.error(node, f"{where} must be {_what(spec)}, not {_describe(node)}")

    def _str(self, node: YNode, spec: Str, where: str) -> None:
        if not isinstance(node, YScalar) or not isinstance(node.value, str):
            if isinstance(node, YScalar) and isinstance(node.value, int | float) and spec.pattern:
                pass  # a number where an id is expected falls through to the pattern message
            else:
                self.error(node, f"{where} must be {spec.what}, not {_describe(node)}")
                return
        value = str(node.value)
        if spec.enum and value not in spec.enum:
            choices = ", ".join(spec.enum)
            hint = suggest(value, spec.enum)
            self.error(node, f"{where}: {value!r} is not one of {choices}{hint}")
        elif spec.pattern and not re.fullmatch(spec.pattern.strip("^$"), value):
            self.error(node, f"{where}: {value!r} is not {spec.what}")
        elif len(value.strip()) < spec.min_length:
            self.error(node, f"{where} must not be empty")

    def _date(self, node: YNode, where: str) -> None:
        if isinstance(node, YScalar) and isinstance(node.value, str):
            try:
                date.fromisoformat(node.value)
            except ValueError:
                pass
            else:
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", node.value):
                    return
        self.error(node, f"{where} must be a date written YYYY-MM-DD")

    def _map_of(self, node: YNode, spec: MapOf, where: str) -> None:
        if not isinstance(node, YMap):
            self.error(node, f"{where} must be a mapping, not {_describe(node)}")
            return
        if len(node.items) < spec.min_items:
            self.error(node, f"{where} needs at least {spec.min_items} entr(ies)")
        for key, value in node.items:
            self._str(key, spec.key, f"{where} key")
            label = f"{spec.name} {key.value!r}" if spec.name else f"{where} {key.value!r}"
            self._check(value, spec.value, label)

    def _obj(self, node: YNode, spec: Obj, where: str) -> None:
        if not isinstance(node, YMap):
            self.error(node, f"{where} must be a mapping, not {_describe(node)}")
            return
        allowed = list(spec.fields)
        for key, value in node.items:
            name = str(key.value)
            if name not in spec.fields:
                self.error(key, f"unknown key {name!r} in {where}{suggest(name, allowed)}")
                continue
            self._check(value, spec.fields[name], f"{name!r}")
        present = set(node.keys())
        for name in spec.required:
            if name not in present:
                self.error(node, f"{where} is missing the required key {name!r}")

    def _kinds(self, node: YNode, spec: Kinds, where: str) -> None:
        if not isinstance(node, YMap):
            self.error(node, f"{where} must be a mapping, not {_describe(node)}")
            return
        found = [k for k in node if k in spec.kinds]
        if len(found) > 1:
            self.error(node, f"{where} has more than one {spec.what}: {', '.join(found)}")
            return
        if not found:
            names = ", ".join(spec.kinds)
            guesses = [suggest(k, list(spec.kinds)) for k in node]
            hint = next((g for g in guesses if g), "")
            self.error(node, f"{where} needs exactly one {spec.what} key ({names}){hint}")
            return
        self._obj(node, spec.kinds[found[0]], where)


def _shape_fits(node: YNode, spec: Spec) -> bool:
    if isinstance(node, YSeq):
        return isinstance(spec, ListOf)
    if isinstance(node, YMap):
        return isinstance(spec, MapOf | Obj | Kinds)
    return isinstance(spec, Str | Bool | Int | Opt | Date)


# ---------------------------------------------------------------- JSON Schema rendering


def to_json_schema(spec: Spec, scope: str = "") -> dict[str, Any]:  # noqa: C901 - per spec type
    """Render a spec as JSON Schema (draft 2020-12 keywords); every key of an object carries its
    German and English description and an example (:mod:`bot.flow.schemadocs`). ``scope`` names
    an untitled object: the key that holds it."""
    match spec:
        case Str(pattern=pattern, enum=enum, what=what, min_length=min_length):
            out: dict[str, Any] = {"type": "string", "description": what}
            if enum:
                out["enum"] = list(enum)
            if pattern:
                out["pattern"] = pattern
            if min_length:
                out["minLength"] = min_length
            return out
        case Bool():
            return {"type": "boolean"}
        case Int(minimum=minimum):
            return {"type": "integer", "minimum": minimum}
        case Opt(inner=inner):
            return {"anyOf": [to_json_schema(inner, scope), {"type": "null"}]}
        case Date():
            return {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
        case ListOf(item=item, min_items=min_items):
            out = {"type": "array", "items": to_json_schema(item, scope)}
            if min_items:
                out["minItems"] = min_items
            return out
        case MapOf(key=key, value=value, min_items=min_items):
            out = {
                "type": "object",
                "propertyNames": to_json_schema(key),
                "additionalProperties": to_json_schema(value, scope),
            }
            if min_items:
                out["minProperties"] = min_items
            return out
        case Obj(fields=fields, required=required, title=title):
            own = title or scope
            out = {
                "type": "object",
                "properties": {
                    k: to_json_schema(v, k) | describe(own, k) for k, v in fields.items()
                },
                "additionalProperties": False,
            }
            if required:
                out["required"] = list(required)
            if title:
                out["title"] = title
            return out
        case Kinds(kinds=kinds):
            return {"oneOf": [to_json_schema(v, k) | {"title": k} for k, v in kinds.items()]}
        case AnyOf(options=options):
            return {"anyOf": [to_json_schema(o, scope) for o in options]}
    raise AssertionError(spec)  # pragma: no cover


def document(spec: Spec, schema_id: str, title: str) -> dict[str, Any]:
    """A complete JSON Schema document for a file format."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
    } | to_json_schema(spec)


def is_id(value: object) -> bool:
    """Whether ``value`` is a valid identifier."""
    return isinstance(value, str) and bool(_ID.fullmatch(value))
