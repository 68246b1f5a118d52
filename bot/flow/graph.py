"""Draw a flow: a neutral graph model rendered as Mermaid or Graphviz DOT (SVG and HTML in
:mod:`bot.flow.drawing`).

A flow with broken references is drawn all the same: a reference to a node or flow that does not
exist ends at a "missing" node, and its edge is marked ``broken``."""

from __future__ import annotations

import json
from collections.abc import Collection
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
    "missing": ("[/", "\\]", "octagon"),
}


#: Fill colours per node kind (SVG and HTML drawings).
COLOURS = {
    "message": "#e8f0fe",
    "choice": "#fff4d6",
    "services": "#e3f6e8",
    "handoff": "#fde2e1",
    "goto": "#eeeeee",
    "end": "#dddddd",
    "missing": "#ffd0d0",
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
    #: the target does not exist (drawn red and dashed)
    broken: bool = False


@dataclass(frozen=True, slots=True)
class Graph:
    """A flow as nodes and edges; other flows appear as ``flow:<id>`` nodes."""

    title: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]


def _full(text: str) -> str:
    return " ".join(text.split())


def _label(node: Node) -> str:
    match node:
        case ServicesNode(query=query):
            what = ", ".join(query.ids) if query.ids else f"topic {query.topic}"
            lead = f" – {_full(node.text)}" if node.text else ""
            return f"services: {what}{lead}"
        case HandoffNode():
            return f"handoff: {node.topic} ({node.urgency})"
        case GotoNode():
            target = node.target_flow or ""
            return f"goto {target}{'/' + node.target_node if node.target_node else ''}"
        case ChoiceNode(ask=str(ask)):
            return f"{_full(node.text)} [ask {ask}]"
    more = len(node.texts) - 1
    return _full(node.text) + (f" (+{more} more)" if more > 0 else "")


def build(flow: Flow, flows: Collection[str] | None = None) -> Graph:
    """The neutral graph of one flow; ``flows`` are the ids of the flows that exist (default:
    any other flow is taken to exist)."""
    nodes = [GraphNode(n.id, n.kind, f"{n.id}: {_label(n)}") for n in flow.nodes.values()]
    edges: list[GraphEdge] = []
    external: dict[str, GraphNode] = {}

    def local(source: str, target: str, label: str = "") -> None:
        if target in flow.nodes:
            edges.append(GraphEdge(source, target, label))
            return
        missing = f"missing:{target}"
        external[missing] = GraphNode(missing, "missing", f"missing node {target}")
        edges.append(GraphEdge(source, missing, label, broken=True))

    if flow.start not in flow.nodes:
        local("start:", flow.start, "start")
        external["start:"] = GraphNode("start:", "goto", "start")
    for node in flow.nodes.values():
        if isinstance(node, ChoiceNode):
            for option in node.options:
                cond = " ".join(f"[{c.slot}={'|'.join(c.values)}]" for c in option.when)
                local(node.id, option.next, _full(f"{option.label} {cond}".strip()))
        if not isinstance(node, GotoNode | EndNode) and node.next:
            each = isinstance(node, ChoiceNode) and node.ask
            local(node.id, node.next, "each Land" if each else "")
        if isinstance(node, GotoNode):
            if node.target_flow and node.target_flow != flow.id:
                ext = f"flow:{node.target_flow}"
                gone = flows is not None and node.target_flow not in flows
                kind, what = ("missing", "missing flow") if gone else ("flow", "flow")
                external[ext] = GraphNode(ext, kind, f"{what} {node.target_flow}")
                edges.append(GraphEdge(node.id, ext, node.target_node or "", broken=gone))
            elif node.target_node:
                local(node.id, node.target_node)
    return Graph(flow.title, (*nodes, *external.values()), tuple(edges))


def wrap(text: str, width: int = 36) -> list[str]:
    """A label as lines of about ``width`` characters, broken between words (nothing is cut)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


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
        arrow = "-.->" if edge.broken else "-->"
        lines.append(f"    {_mid(edge.source)} {arrow}{label} {_mid(edge.target)}")
    kinds = sorted({n.kind for n in graph.nodes})
    lines.extend(f"    classDef {k} fill:{COLOURS.get(k, '#ffffff')}" for k in kinds)
    if any(n.kind == "missing" for n in graph.nodes):
        lines.append("    classDef missing fill:#ffd0d0,stroke:#c00000,stroke-dasharray:4 3")
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
        extra = ", color=red, fontcolor=red" if node.kind == "missing" else ""
        label = _dq("\n".join(wrap(node.label)))
        lines.append(f"    {_dq(node.id)} [label={label}, shape={shape}{extra}];")
    for edge in graph.edges:
        attrs = [f"label={_dq(edge.label)}"] if edge.label else []
        if edge.broken:
            attrs.append("color=red, style=dashed, fontcolor=red")
        label = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"    {_dq(edge.source)} -> {_dq(edge.target)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"
