"""The loader builds one node type per kind, each with where it was written."""

from __future__ import annotations

from bot.content import Content, ContentPaths, load_content
from bot.flow.model import (
    NODE_KINDS,
    ChoiceNode,
    EndNode,
    GotoNode,
    HandoffNode,
    MessageNode,
    ServicesNode,
)

TYPES = {
    "message": MessageNode,
    "choice": ChoiceNode,
    "services": ServicesNode,
    "handoff": HandoffNode,
    "goto": GotoNode,
    "end": EndNode,
}


def test_one_node_type_per_kind() -> None:
    assert tuple(TYPES) == NODE_KINDS
    assert all(cls.kind == kind for kind, cls in TYPES.items())


def test_shipped_nodes_have_their_type_and_location() -> None:
    shipped, problems = load_content(ContentPaths())
    assert shipped is not None, problems
    kinds: set[str] = set()
    for flow in shipped.flows.values():
        for node in flow.nodes.values():
            assert isinstance(node, TYPES[node.kind])
            kinds.add(node.kind)
            assert node.loc.file.endswith((".yaml", ".yml")), node.loc
            assert node.loc.line >= 1 and node.loc.column >= 1, node.loc
            assert str(node.loc).startswith(f"{node.loc.file}:{node.loc.line}:")
            if isinstance(node, MessageNode):
                assert node.next in flow.nodes
    assert kinds == set(NODE_KINDS) - {"goto"} or kinds == set(NODE_KINDS)


def test_fixture_content_has_every_type(content: Content) -> None:
    found = {type(n) for flow in content.flows.values() for n in flow.nodes.values()}
    assert {ChoiceNode, MessageNode, ServicesNode, HandoffNode, EndNode} <= found
