"""The preview's SVG diagrams: ids for highlighting, layers, escaping, broken edges."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.flow.graph import Graph, GraphEdge, GraphNode
from bot.preview.svg import MAX_ROW, draw, layers, wrap

SVG = "{http://www.w3.org/2000/svg}"


def _graph() -> Graph:
    nodes = (
        GraphNode("a", "choice", "a: Frage <&> mit einem sehr langen Text, der umbrochen wird"),
        GraphNode("b", "message", "b: Text"),
        GraphNode("c", "end", "c: Ende"),
        GraphNode("lost", "message", "lost: nie erreicht"),
    )
    edges = (
        GraphEdge("a", "b", "Ja"),
        GraphEdge("a", "c", "Nein"),
        GraphEdge("b", "a", "zurück"),
        GraphEdge("b", "gone", ""),
    )
    return Graph("Titel", nodes, edges)


def test_nodes_and_edges_carry_ids_and_broken_edges_are_marked() -> None:
    root = ET.fromstring(draw(_graph(), "a", "demo"))
    assert root.get("data-flow") == "demo"
    groups = list(root.iter(SVG + "g"))
    nodes = {g.get("data-node"): g for g in groups if "node" in (g.get("class") or "").split()}
    assert set(nodes) == {"a", "b", "c", "lost"}
    assert "start" in (nodes["a"].get("class") or "")
    edges = [g for g in groups if (g.get("class") or "").startswith("edge")]
    broken = [g for g in edges if "broken" in (g.get("class") or "")]
    assert [(g.get("data-source"), g.get("data-target")) for g in broken] == [("b", "gone")]
    # the label is escaped, not markup
    assert any("<&>" in (t.text or "") for t in root.iter(SVG + "text"))


def test_layers_by_distance_and_unreached_last() -> None:
    rows = layers(_graph(), "a")
    assert [[n.id for n in row] for row in rows] == [["a"], ["b", "c"], ["lost"]]


def test_wrap() -> None:
    assert wrap("eins zwei drei", 9) == ("eins zwei", "drei")
    assert len(wrap("wort " * 100)) == 4 and wrap("wort " * 100)[-1].endswith("…")
    assert all(len(line) <= 30 for line in wrap("x" * 200))
    assert MAX_ROW >= 4
