"""A flow's graph as SVG, laid out in Python (layers from the start node downwards), and as a
self-contained HTML page around it: no script, no network resource, opens in any browser.

``highlight`` marks the current node and ``visited`` the path taken, for a live view.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from html import escape
from itertools import pairwise

from bot.flow.graph import COLOURS, Graph, GraphEdge, GraphNode, wrap

BOX_WIDTH = 240
LINE_HEIGHT = 16
PAD = 10
GAP_X = 40
GAP_Y = 70
MARGIN = 20
_CHARS = 34  # characters per label line at BOX_WIDTH


@dataclass(frozen=True, slots=True)
class Box:
    """Where a node is drawn and its label's lines."""

    node: GraphNode
    x: float
    y: float
    height: float
    lines: tuple[str, ...]

    @property
    def centre(self) -> float:
        return self.x + BOX_WIDTH / 2


def _layers(graph: Graph) -> list[list[GraphNode]]:
    """Nodes by depth from the first node (breadth first); nodes not reached go below."""
    by_id = {n.id: n for n in graph.nodes}
    targets: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for edge in graph.edges:
        if edge.source in targets and edge.target in by_id:
            targets[edge.source].append(edge.target)
    depth: dict[str, int] = {}
    order = [n.id for n in graph.nodes]
    for root in order:
        if root in depth:
            continue
        base = max(depth.values(), default=-1) + 1
        depth[root] = base
        queue = [root]
        while queue:
            current = queue.pop(0)
            for target in targets[current]:
                if target not in depth:
                    depth[target] = depth[current] + 1
                    queue.append(target)
    layers: list[list[GraphNode]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node_id in order:
        layers[depth[node_id]].append(by_id[node_id])
    return [layer for layer in layers if layer]


def layout(graph: Graph) -> tuple[dict[str, Box], float, float]:
    """Boxes per node id, and the drawing's width and height."""
    layers = _layers(graph)
    widest = max((len(layer) for layer in layers), default=1)
    width = MARGIN * 2 + widest * BOX_WIDTH + (widest - 1) * GAP_X
    boxes: dict[str, Box] = {}
    y = float(MARGIN + 30)
    for layer in layers:
        row = len(layer) * BOX_WIDTH + (len(layer) - 1) * GAP_X
        x = (width - row) / 2
        tallest = 0.0
        for node in layer:
            lines = tuple(wrap(node.label, _CHARS))
            height = len(lines) * LINE_HEIGHT + 2 * PAD
            boxes[node.id] = Box(node, x, y, height, lines)
            tallest = max(tallest, height)
            x += BOX_WIDTH + GAP_X
        y += tallest + GAP_Y
    return boxes, width, y - GAP_Y + MARGIN


def _edge(edge: GraphEdge, boxes: dict[str, Box], visited: Collection[tuple[str, str]]) -> str:
    start, end = boxes[edge.source], boxes[edge.target]
    x1, y1 = start.centre, start.y + start.height
    x2, y2 = end.centre, end.y
    if y2 <= y1:  # back or sideways: leave the box at its side and come in from above
        x1 = start.x + BOX_WIDTH
        y1 = start.y + start.height / 2
        bend = max(x1, end.x + BOX_WIDTH) + GAP_X / 2
        path = f"M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2 - 30:.0f} {x2:.0f},{y2:.0f}"
        mx, my = bend, (y1 + y2) / 2
    else:
        mid = (y1 + y2) / 2
        path = f"M{x1:.0f},{y1:.0f} C{x1:.0f},{mid:.0f} {x2:.0f},{mid:.0f} {x2:.0f},{y2:.0f}"
        mx, my = (x1 + x2) / 2, mid
    classes = ["edge"]
    if edge.broken:
        classes.append("broken")
    if (edge.source, edge.target) in visited:
        classes.append("taken")
    out = [f'<path class="{" ".join(classes)}" d="{path}" marker-end="url(#arrow)"/>']
    if edge.label:
        for i, line in enumerate(wrap(edge.label, 28)):
            out.append(
                f'<text class="label" x="{mx:.0f}" y="{my + i * 13:.0f}">{escape(line)}</text>'
            )
    return "".join(out)


def to_svg(
    graph: Graph,
    highlight: str | None = None,
    visited: Sequence[str] = (),
) -> str:
    """The graph as one ``<svg>`` element; ``visited`` is the path taken (node ids in order)."""
    boxes, width, height = layout(graph)
    steps = set(pairwise(visited))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(graph.title)}</title>",
        "<style>.edge{fill:none;stroke:#555;stroke-width:1.3}"
        ".broken{stroke:#c00000;stroke-dasharray:6 4}.taken{stroke:#1a56db;stroke-width:3}"
        ".label{fill:#333;font-size:11px;text-anchor:middle}"
        ".node rect{stroke:#555}.missing rect{stroke:#c00000;stroke-dasharray:5 3}"
        ".visited rect{stroke:#1a56db;stroke-width:2}"
        ".current rect{stroke:#1a56db;stroke-width:4}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#555"/></marker></defs>',
        f'<text x="{MARGIN}" y="{MARGIN + 10}" font-size="16" font-weight="bold">'
        f"{escape(graph.title)}</text>",
    ]
    for edge in graph.edges:
        if edge.source in boxes and edge.target in boxes:
            parts.append(_edge(edge, boxes, steps))
    seen = set(visited)
    for box in boxes.values():
        node = box.node
        classes = ["node", node.kind]
        if node.id in seen:
            classes.append("visited")
        if node.id == highlight:
            classes.append("current")
        fill = COLOURS.get(node.kind, "#ffffff")
        rx = 18 if node.kind == "end" else 4
        parts.append(
            f'<g class="{" ".join(classes)}" data-node="{escape(node.id)}">'
            f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{BOX_WIDTH}" '
            f'height="{box.height:.0f}" rx="{rx}" fill="{fill}"/>'
        )
        for i, line in enumerate(box.lines):
            y = box.y + PAD + (i + 1) * LINE_HEIGHT - 4
            parts.append(f'<text x="{box.x + PAD:.0f}" y="{y:.0f}">{escape(line)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def to_html(graph: Graph, problems: Sequence[str] = ()) -> str:
    """A self-contained page: the SVG drawing, a legend, and the file's problems if any."""
    listed = "".join(f"<li>{escape(p)}</li>" for p in problems)
    found = f'<h2>Problems</h2><ul class="problems">{listed}</ul>' if problems else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(graph.title)}</title>"
        "<style>body{font-family:sans-serif;margin:1.5em}"
        ".problems li{color:#c00000;font-family:monospace}"
        ".legend span{display:inline-block;padding:2px 8px;margin-right:6px;"
        "border:1px solid #555;border-radius:3px}</style></head><body>\n"
        f"{found}\n"
        '<p class="legend">'
        + "".join(
            f'<span style="background:{colour}">{kind}</span>' for kind, colour in COLOURS.items()
        )
        + " red dashed: a reference to a node or flow that does not exist</p>\n"
        f"{to_svg(graph)}</body></html>\n"
    )


__all__ = ["Box", "layout", "to_html", "to_svg"]
