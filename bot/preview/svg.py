"""A flow's diagram as SVG: a simple layered layout of :mod:`bot.flow.graph`'s graph.

Layers come from a breadth-first walk from the start node (nodes it does not reach go below);
within a layer nodes keep the order they were found in. Edges to a lower layer are straight
lines, edges back up (loops, "back to the menu") are curves on the side. Every node is a
``<g class="node" data-node="ID">`` and every edge a ``<g class="edge" data-source data-target>``
so that the preview page can highlight the current node and mark the path taken.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from html import escape

from bot.flow.graph import Graph, GraphEdge, GraphNode, build
from bot.flow.model import Flow

WIDTH = 230
GAP_X = 30
GAP_Y = 70
LINE = 15
PAD = 8
CHARS = 30
MAX_LINES = 4
#: At most this many nodes side by side; a wider layer (a long menu) continues below.
MAX_ROW = 6

_FILL = {
    "message": "#e8f0fe",
    "choice": "#fff4d6",
    "services": "#e3f6e8",
    "handoff": "#fde2e1",
    "goto": "#eeeeee",
    "end": "#dddddd",
    "flow": "#f3e8fd",
}


@dataclass(frozen=True, slots=True)
class Box:
    """A placed node."""

    node: GraphNode
    x: float
    y: float
    lines: tuple[str, ...]

    @property
    def height(self) -> float:
        return len(self.lines) * LINE + 2 * PAD


def wrap(text: str, width: int = CHARS, most: int = MAX_LINES) -> tuple[str, ...]:
    """Words wrapped into at most ``most`` lines of about ``width`` characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[: width - 1] + "-")
            word = word[width - 1 :]
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1][: width - 1] + "…"]
    return tuple(lines) or ("",)


def layers(graph: Graph, start: str) -> list[list[GraphNode]]:
    """Nodes by breadth-first depth from ``start``; unreached nodes in one layer at the end."""
    by_id = {n.id: n for n in graph.nodes}
    out: dict[str, list[str]] = {}
    for edge in graph.edges:
        out.setdefault(edge.source, []).append(edge.target)
    depth: dict[str, int] = {}
    queue: deque[str] = deque()
    if start in by_id:
        depth[start] = 0
        queue.append(start)
    while queue:
        current = queue.popleft()
        for target in out.get(current, []):
            if target in by_id and target not in depth:
                depth[target] = depth[current] + 1
                queue.append(target)
    rest = max(depth.values(), default=-1) + 1
    result: list[list[GraphNode]] = [[] for _ in range(rest + 1)]
    for node in graph.nodes:
        result[depth.get(node.id, rest)].append(node)
    return _ordered([layer for layer in result if layer], graph.edges)


def _ordered(rows: list[list[GraphNode]], edges: tuple[GraphEdge, ...]) -> list[list[GraphNode]]:
    """Each layer sorted below the mean place of its nodes' parents (fewer crossing edges)."""
    parents: dict[str, list[str]] = {}
    for edge in edges:
        parents.setdefault(edge.target, []).append(edge.source)
    place: dict[str, float] = {}
    for row in rows:

        def key(node: GraphNode) -> float:
            known = [place[p] for p in parents.get(node.id, []) if p in place]
            return sum(known) / len(known) if known else 2.0

        row.sort(key=key)
        for index, node in enumerate(row):
            place[node.id] = (index + 0.5) / len(row)
    return rows


def place(graph: Graph, start: str) -> tuple[dict[str, Box], float, float]:
    """Boxes by node id, and the drawing's width and height."""
    rows = [
        layer[i : i + MAX_ROW]
        for layer in layers(graph, start)
        for i in range(0, len(layer), MAX_ROW)
    ]
    widest = max((len(r) for r in rows), default=1)
    total_width = widest * (WIDTH + GAP_X) + GAP_X + 60
    boxes: dict[str, Box] = {}
    y = 20.0
    for row in rows:
        row_width = len(row) * (WIDTH + GAP_X) - GAP_X
        x = (total_width - 60 - row_width) / 2
        tallest = 0.0
        for node in row:
            box = Box(node, x, y, wrap(node.label))
            boxes[node.id] = box
            tallest = max(tallest, box.height)
            x += WIDTH + GAP_X
        y += tallest + GAP_Y
    return boxes, total_width, y


def _edge(edge: GraphEdge, boxes: dict[str, Box], right: float) -> str:
    source, target = boxes.get(edge.source), boxes.get(edge.target)
    attrs = (
        f'class="edge{"" if target else " broken"}" data-source="{escape(edge.source)}" '
        f'data-target="{escape(edge.target)}"'
    )
    if source is None:
        return ""
    sx, sy = source.x + WIDTH / 2, source.y + source.height
    if target is None:  # a target the flow does not have: a short red stub
        path = f"M{sx:.0f},{sy:.0f} l0,{GAP_Y / 2:.0f}"
        lx, ly = sx + 4, sy + GAP_Y / 2
    elif target.y > source.y:
        tx, ty = target.x + WIDTH / 2, target.y
        path = f"M{sx:.0f},{sy:.0f} L{tx:.0f},{ty:.0f}"
        lx, ly = (sx + tx) / 2 + 4, (sy + ty) / 2
    else:  # back up (or sideways): around the right side
        sx, sy = source.x + WIDTH, source.y + source.height / 2
        tx, ty = target.x + WIDTH, target.y + target.height / 2
        bend = right - 20
        path = f"M{sx:.0f},{sy:.0f} C{bend:.0f},{sy:.0f} {bend:.0f},{ty:.0f} {tx:.0f},{ty:.0f}"
        lx, ly = bend - 40, (sy + ty) / 2
    label = ""
    if edge.label:
        text = escape(wrap(edge.label, 26, 1)[0])
        label = f'<text x="{lx:.0f}" y="{ly:.0f}" class="elabel">{text}</text>'
    return f'<g {attrs}><path d="{path}" marker-end="url(#arrow)"/>{label}</g>'


def _node(box: Box, start: str) -> str:
    node = box.node
    fill = _FILL.get(node.kind, "#ffffff")
    texts = "".join(
        f'<text x="{box.x + PAD:.0f}" y="{box.y + PAD + LINE * (i + 1) - 3:.0f}">{escape(line)}'
        "</text>"
        for i, line in enumerate(box.lines)
    )
    rx = 14 if node.kind in ("end", "flow") else 4
    first = " start" if node.id == start else ""
    return (
        f'<g class="node {escape(node.kind)}{first}" data-node="{escape(node.id)}">'
        f"<title>{escape(node.label)}</title>"
        f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{WIDTH}" height="{box.height:.0f}" '
        f'rx="{rx}" fill="{fill}"/>{texts}</g>'
    )


STYLE = """
.node rect{stroke:#555;stroke-width:1}
.node text,.elabel{font:12px sans-serif;fill:#222}
.elabel{font-size:11px;fill:#555}
.edge path{stroke:#888;stroke-width:1.2;fill:none}
.edge.broken path{stroke:#c00;stroke-dasharray:4 3}
"""


def to_svg(flow: Flow) -> str:
    """The diagram of one flow as a standalone SVG document."""
    return draw(build(flow), flow.start, flow.id)


def draw(graph: Graph, start: str, flow_id: str) -> str:
    """A graph as a standalone SVG document; edges to unknown nodes are drawn as broken."""
    boxes, width, height = place(graph, start)
    edges = "".join(_edge(e, boxes, width) for e in graph.edges)
    nodes = "".join(_node(b, start) for b in boxes.values())
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow" data-flow="{escape(flow_id)}" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
        f"<title>{escape(graph.title)}</title><style>{STYLE}</style>"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#888"/>'
        f'</marker></defs><g class="edges">{edges}</g><g class="nodes">{nodes}</g></svg>'
    )
