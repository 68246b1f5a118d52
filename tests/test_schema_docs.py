"""The JSON Schemas document the language (issue 16): every key has a German and an English
description and an example that the key's own schema accepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from bot.flow.schemadocs import DOCS
from bot.schemas import SCHEMAS, render_schema


def properties(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            yield f"{path}.{key}", value
        for key, value in node.items():
            yield from properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from properties(value, f"{path}[{i}]")


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_every_key_is_described_in_german_and_english_with_an_example(name: str) -> None:
    found = list(properties(json.loads(render_schema(name)), name))
    assert found
    for path, prop in found:
        german, _, english = prop.get("description", "").partition("\n\n")
        assert german and english and german != english, path
        assert prop.get("examples"), path
        bare = {k: v for k, v in prop.items() if k not in ("examples",)}
        for example in prop["examples"]:
            jsonschema.validate(example, bare)  # the example fits the key


def test_no_description_is_left_unused() -> None:
    used: set[str] = set()
    for name in SCHEMAS:
        for _, prop in properties(json.loads(render_schema(name)), name):
            used.add(prop["description"])
    for german, english, _ in DOCS.values():
        assert f"{german}\n\n{english}" in used, german
