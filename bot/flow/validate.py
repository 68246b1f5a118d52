"""Whole-graph checks over all flows and the knowledge base, collecting every problem."""

from __future__ import annotations

from collections.abc import Iterator

from bot.errors import Problem, SourceLocation
from bot.flow.model import (
    LAND_SLOT,
    ChoiceNode,
    EndNode,
    Flow,
    GotoNode,
    HandoffNode,
    Knowledge,
    MessageNode,
    Node,
    ServicesNode,
)
from bot.flow.schema import suggest

#: Messages longer than this are hard to read on a phone; validate warns.
MAX_TEXT = 600


def edges(node: Node) -> Iterator[tuple[str, str]]:
    """(flow or "", node) targets of a node; "" means the same flow."""
    match node:
        case GotoNode():
            yield node.target_flow or "", node.target_node or ""
        case EndNode():
            pass
        case _:
            if node.next:
                yield "", node.next
            if isinstance(node, ChoiceNode):
                for option in node.options:
                    yield "", option.next


def located_edges(node: Node) -> Iterator[tuple[str, str, SourceLocation]]:
    """Like :func:`edges`, with where each reference is written (the node's place if unknown)."""
    match node:
        case GotoNode():
            yield node.target_flow or "", node.target_node or "", node.next_loc or node.loc
        case EndNode():
            pass
        case _:
            if node.next:
                yield "", node.next, node.next_loc or node.loc
            if isinstance(node, ChoiceNode):
                for option in node.options:
                    yield "", option.next, option.next_loc or option.loc


def _auto_next(node: Node) -> str | None:
    """Where a node that advances by itself goes within its flow (None: it rests or leaves)."""
    match node:
        case MessageNode() | ServicesNode() | HandoffNode():
            return node.next
        case GotoNode():
            return node.target_node if not node.target_flow else None
    return None


def slot_values(flows: dict[str, Flow], knowledge: Knowledge | None) -> dict[str, tuple[str, ...]]:
    """Every declared slot and its allowed values (``land`` comes from the knowledge regions)."""
    slots: dict[str, tuple[str, ...]] = {}
    for flow in flows.values():
        for name, values in flow.slots:
            slots[name] = tuple(dict.fromkeys(slots.get(name, ()) + values))
    if knowledge is not None:
        slots[LAND_SLOT] = knowledge.region_codes()
    return slots


class _FlowChecker:
    def __init__(
        self,
        flows: dict[str, Flow],
        knowledge: Knowledge | None,
        broken: set[str],
        entry: str,
    ) -> None:
        self.flows = flows
        self.knowledge = knowledge
        self.broken = broken
        self.entry = entry
        self.slots = slot_values(flows, knowledge)
        self.problems: list[Problem] = []
        #: flows with a reference to a node that does not exist (their reach is not checked:
        #: every node behind the broken reference would be reported as well)
        self.dangling: set[str] = set()

    def err(self, loc: SourceLocation, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(loc, message, severity))

    def run(self) -> list[Problem]:
        if self.entry not in self.flows and not self.broken:
            first = next(iter(self.flows.values()), None)
            loc = first.loc if first else SourceLocation("flows", 1, 1)
            self.err(loc, f"the entry flow {self.entry!r} is missing")
        for flow in self.flows.values():
            self.check_flow(flow)
        self.check_flow_reach()
        return self.problems

    def check_flow(self, flow: Flow) -> None:
        if flow.start not in flow.nodes:
            self.err(
                flow.start_loc or flow.loc,
                f"start node {flow.start!r} does not exist{suggest(flow.start, list(flow.nodes))}",
            )
        for node in flow.nodes.values():
            self.check_node(flow, node)
        self.check_graph(flow)

    def check_node(self, flow: Flow, node: Node) -> None:
        where = f"node {node.id!r}"
        for target_flow, target, loc in located_edges(node):
            self.check_target(flow, node, target_flow, target, loc)
        for text in node.texts:
            if len(text) > MAX_TEXT:
                self.err(
                    node.loc,
                    f"{where}: text has {len(text)} characters; keep it under {MAX_TEXT}",
                    "warning",
                )
        match node:
            case ChoiceNode():
                self.check_choice(node, where)
            case ServicesNode():
                self.check_query(node, where)
            case HandoffNode() if node.topic:
                self.check_topic(node.loc, node.topic)

    def check_choice(self, node: ChoiceNode, where: str) -> None:  # noqa: C901
        if node.ask and node.options:
            self.err(node.loc, f"{where}: use either 'ask' or 'options', not both")
        elif node.ask:
            if node.ask != LAND_SLOT:
                self.err(node.loc, f"{where}: 'ask' supports only the slot {LAND_SLOT!r}")
            if not node.next:
                self.err(node.loc, f"{where}: 'ask' needs a 'next' node")
        elif not node.options:
            self.err(node.loc, f"{where}: a choice needs 'options' (or 'ask')")
        elif node.next:
            self.err(node.loc, f"{where}: 'next' belongs to each option of a choice")
        labels: dict[str, SourceLocation] = {}
        for option in node.options:
            key = option.label.casefold()
            if key in labels and not option.when:
                self.err(option.loc, f"{where}: two options have the label {option.label!r}")
            labels[key] = option.loc
            for slot, value in option.sets:
                self.check_slot_value(option.loc, slot, value)
            for cond in option.when:
                for value in cond.values:
                    self.check_slot_value(cond.loc, cond.slot, value, allow_none=True)
        if node.options and all(o.when for o in node.options):
            self.err(
                node.loc,
                f"{where}: every option has a condition; some users may see none",
                "warning",
            )

    def check_slot_value(
        self, loc: SourceLocation, slot: str, value: str, allow_none: bool = False
    ) -> None:
        if slot not in self.slots:
            self.err(
                loc,
                f"unknown slot {slot!r}{suggest(slot, list(self.slots))}; declare it under 'slots'",
            )
            return
        allowed = self.slots[slot]
        if value not in allowed and not (allow_none and value == "none"):
            self.err(
                loc, f"{value!r} is not a value of slot {slot!r}{suggest(value, list(allowed))}"
            )

    def check_topic(self, loc: SourceLocation, topic: str) -> None:
        if self.knowledge is not None and topic not in self.knowledge.topics:
            self.err(loc, f"unknown topic {topic!r}{suggest(topic, list(self.knowledge.topics))}")

    def check_query(self, node: ServicesNode, where: str) -> None:
        query = node.query
        if bool(query.ids) == bool(query.topic):
            self.err(node.loc, f"{where}: services need either 'ids' or 'topic'")
        if self.knowledge is None:
            return
        services = self.knowledge.services
        for sid in query.ids:
            if sid not in services:
                self.err(
                    node.loc, f"{where}: unknown service {sid!r}{suggest(sid, list(services))}"
                )
            elif not services[sid].verified:
                self.err(
                    node.loc, f"{where}: service {sid!r} is not verified and must not be shown"
                )
        if query.topic:
            self.check_topic(node.loc, query.topic)
            if query.topic in self.knowledge.topics and not any(
                s.verified and query.topic in s.topics for s in services.values()
            ):
                self.err(node.loc, f"{where}: no verified service has the topic {query.topic!r}")

    def check_target(
        self, flow: Flow, node: Node, target_flow: str, target: str, loc: SourceLocation
    ) -> None:
        if target_flow and target_flow not in self.flows:
            if target_flow not in self.broken:
                hint = suggest(target_flow, list(self.flows))
                self.err(loc, f"node {node.id!r}: unknown flow {target_flow!r}{hint}")
            return
        other = self.flows[target_flow] if target_flow else flow
        if target and target not in other.nodes:
            if not target_flow:
                self.dangling.add(flow.id)
            hint = suggest(target, list(other.nodes))
            self.err(loc, f"node {node.id!r}: unknown node {target!r} in flow {other.id!r}{hint}")

    def check_graph(self, flow: Flow) -> None:
        local: dict[str, list[str]] = {
            n.id: [t for f, t in edges(n) if not f and t in flow.nodes] for n in flow.nodes.values()
        }
        seen: set[str] = set()
        todo = [flow.start] if flow.start in flow.nodes else []
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(local[current])
        if flow.id in self.dangling:
            self.check_loops(flow)
            return
        for node in flow.nodes.values():
            if node.id not in seen and flow.start in flow.nodes:
                self.err(
                    node.loc, f"node {node.id!r} cannot be reached from the start {flow.start!r}"
                )
        self.check_ends(flow, local)
        self.check_loops(flow)

    def check_ends(self, flow: Flow, local: dict[str, list[str]]) -> None:
        # nodes from which an end, services, handoff or another flow can be reached
        good = {
            n.id
            for n in flow.nodes.values()
            if isinstance(n, EndNode)
            or (isinstance(n, ServicesNode | HandoffNode) and not n.next)
            or (isinstance(n, GotoNode) and n.target_flow)
        }
        changed = True
        while changed:
            changed = False
            for node_id, targets in local.items():
                if node_id not in good and any(t in good for t in targets):
                    good.add(node_id)
                    changed = True
        for node in flow.nodes.values():
            if node.id not in good and all(t in flow.nodes for _, t in edges(node) if _ == ""):
                self.err(
                    node.loc,
                    f"node {node.id!r} has no way forward to an end, services or handoff node",
                )

    def check_loops(self, flow: Flow) -> None:
        # a cycle made only of nodes that advance by themselves would never stop
        auto = {
            n.id: _auto_next(n)
            for n in flow.nodes.values()
            if isinstance(n, MessageNode | ServicesNode | HandoffNode | GotoNode)
        }
        reported: set[str] = set()
        for start in auto:
            path: list[str] = []
            current: str | None = start
            while current in auto and current not in path:
                path.append(current)
                current = auto[current]
            if current in path and current not in reported:
                cycle = path[path.index(current) :]
                reported.update(cycle)
                node = flow.nodes[current]
                self.err(node.loc, f"nodes {' -> '.join(cycle)} form a loop without a question")

    def check_flow_reach(self) -> None:
        if self.entry not in self.flows or self.broken:
            return
        reached = {self.entry}
        todo = [self.entry]
        while todo:
            flow = self.flows[todo.pop()]
            for node in flow.nodes.values():
                target = node.target_flow if isinstance(node, GotoNode) else None
                if target and target in self.flows and target not in reached:
                    reached.add(target)
                    todo.append(target)
        for flow in self.flows.values():
            if flow.id not in reached:
                self.err(
                    flow.loc,
                    f"flow {flow.id!r} is not reachable from the entry flow {self.entry!r}",
                    "warning",
                )


def check_flows(
    flows: dict[str, Flow], knowledge: Knowledge | None, broken: set[str], entry: str
) -> list[Problem]:
    """Cross-reference and graph checks; ``broken`` names flows that failed to load."""
    return _FlowChecker(flows, knowledge, broken, entry).run()


__all__ = ["LAND_SLOT", "MAX_TEXT", "check_flows", "edges", "located_edges", "slot_values"]
