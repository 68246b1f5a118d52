"""Draw a flow: a neutral graph model rendered as Mermaid or Graphviz DOT."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.flow.model import ChoiceNode, EndNode, Flow, GotoNode, HandoffNode, Node, ServicesNode

#: Shapes per node kind: (mermaid open, mermaid close, dot shape).
_SHAPES = {
    "message": ("[", "]", "box"),
    "choice": ("{", "}", "diamond"),
    "services": ("[[", "]]", "component"),
    "handoff": ("[/", "/]", "parallelogram"),
    "goto": (">", "]", "cds"),
    "end": ("([", "])", "oval"),
}


_COLOURS = {
    "message": "#e8f0fe",
    "choice": "#fff4d6",
    "services": "#e3f6e8",
    "handoff": "#fde2e1",
    "goto": "#eeeeee",
    "end": "#dddddd",
}


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A drawn node."""

    id: str
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """A drawn edge; ``label`` is the option text, if any."""

    source: str
    target: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class Graph:
    """A flow as nodes and edges; other flows appear as ``flow:<id>`` nodes."""

    title: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]


def _short(text: str, limit: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(node: Node) -> str:
    match node:
        case ServicesNode(query=query):
            what = ", ".join(query.ids) if query.ids else f"topic {query.topic}"
            return f"services: {what}"
        case HandoffNode():
            return f"handoff: {node.topic} ({node.urgency})"
        case GotoNode():
            target = node.target_flow or ""
            return f"goto {target}{'/' + node.target_node if node.target_node else ''}"
        case ChoiceNode(ask=str(ask)):
            return f"{_short(node.text)} [ask {ask}]"
    return _short(node.text)


def build(flow: Flow) -> Graph:
    """The neutral graph of one flow."""
    nodes = [GraphNode(n.id, n.kind, f"{n.id}: {_label(n)}") for n in flow.nodes.values()]
    edges: list[GraphEdge] = []
    external: dict[str, GraphNode] = {}
    for node in flow.nodes.values():
        if isinstance(node, ChoiceNode):
            for option in node.options:
                cond = " ".join(f"[{c.slot}={'|'.join(c.values)}]" for c in option.when)
                edges.append(
                    GraphEdge(node.id, option.next, _short(f"{option.label} {cond}".strip(), 40))
                )
        if not isinstance(node, GotoNode | EndNode) and node.next:
            each = isinstance(node, ChoiceNode) and node.ask
            edges.append(GraphEdge(node.id, node.next, "each Land" if each else ""))
        if isinstance(node, GotoNode):
            if node.target_flow and node.target_flow != flow.id:
                ext = f"flow:{node.target_flow}"
                external[ext] = GraphNode(ext, "flow", f"flow {node.target_flow}")
                edges.append(GraphEdge(node.id, ext, node.target_node or ""))
            elif node.target_node:
                edges.append(GraphEdge(node.id, node.target_node))
    return Graph(flow.title, (*nodes, *external.values()), tuple(edges))


def _mid(node_id: str) -> str:
    # prefixed: Mermaid reads a bare "end" as a keyword
    return "n_" + node_id.replace(":", "__")


def _mq(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(graph: Graph) -> str:
    """Mermaid ``flowchart`` text."""
    lines = ["---", f"title: {json.dumps(graph.title, ensure_ascii=False)}", "---", "flowchart TD"]
    for node in graph.nodes:
        opened, closed, _ = _SHAPES.get(node.kind, ("[(", ")]", "folder"))
        lines.append(f'    {_mid(node.id)}{opened}"{_mq(node.label)}"{closed}')
    for edge in graph.edges:
        label = f'|"{_mq(edge.label)}"|' if edge.label else ""
        lines.append(f"    {_mid(edge.source)} -->{label} {_mid(edge.target)}")
    kinds = sorted({n.kind for n in graph.nodes})
    lines.extend(
        f"    class {','.join(_mid(n.id) for n in graph.nodes if n.kind == k)} {k}" for k in kinds
    )
    return "\n".join(lines) + "\n"


def _dq(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def to_dot(graph: Graph) -> str:
    """Graphviz DOT text."""
    lines = [
        f"digraph {_dq(graph.title)} {{",
        "    rankdir=TB;",
        '    node [fontname="sans-serif"];',
    ]
    for node in graph.nodes:
        shape = _SHAPES.get(node.kind, ("", "", "folder"))[2]
        lines.append(f"    {_dq(node.id)} [label={_dq(node.label)}, shape={shape}];")
    for edge in graph.edges:
        label = f" [label={_dq(edge.label)}]" if edge.label else ""
        lines.append(f"    {_dq(edge.source)} -> {_dq(edge.target)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"
