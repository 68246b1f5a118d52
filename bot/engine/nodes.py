"""Entering flow nodes: nodes that advance by themselves, service cards, handoff and end."""

from __future__ import annotations

from bot.engine import region, report_ask, texts
from bot.engine.actions import Card, ShowServices
from bot.engine.present import card_for, with_status
from bot.engine.questions import prompt
from bot.engine.run import Run
from bot.engine.state import Consenting, InCase
from bot.flow.model import (
    LAND_SLOT,
    ChoiceNode,
    EndNode,
    Flow,
    GotoNode,
    HandoffNode,
    MessageNode,
    Service,
    ServicesNode,
)
from bot.knowledge import select

#: Nodes that advance by themselves; more in a row than this means broken content.
MAX_AUTO_STEPS = 64


def enter(run: Run, flow_id: str, node_id: str | None = None) -> None:  # noqa: C901 - a table
    """Go to a node and run self-advancing nodes until a question or an end."""
    flow = run.content.flows[flow_id]
    current = node_id or flow.start
    for _ in range(MAX_AUTO_STEPS):
        node = flow.nodes[current]
        run.path.append((flow.id, node.id))
        match node:  # message and goto nodes do not look at the state: it is set after them
            case MessageNode(report=True) if run.report.office:
                report_ask.begin(run, flow, node)  # a Meldestelle is set up: the report
                return
            case MessageNode():
                for text in run.node_texts(flow, node):
                    run.say(text)
                current = node.next
                continue
            case GotoNode():
                flow = run.content.flows[node.target_flow] if node.target_flow else flow
                current = node.target_node or flow.start
                continue
            case ChoiceNode() if (after := _answered(run, node)) is not None:
                current = after
                continue
        run.state = run.state.at(flow.id, node.id)
        match node:
            case ChoiceNode(ask="land") if run.state.slot(LAND_SLOT) is not None:
                region.ask(run)  # the Land is known, its region not yet: ask that only
            case ServicesNode():
                show_services(run, flow, node)
                if node.next:
                    current = node.next
                    continue
            case HandoffNode():
                run.outcomes.append((flow.id, "handoff"))
                if node.texts:
                    run.say(run.node_text(flow, node))
                code = run.case.code
                run.state = run.state.at(flow.id, node.id, InCase(code) if code else Consenting())
            case EndNode():
                run.say(run.node_text(flow, node))
                run.outcomes.append((flow.id, "end"))
        prompt(run)
        return
    raise AssertionError(f"flow {flow_id!r} advances without a question")  # pragma: no cover


def _answered(run: Run, node: ChoiceNode) -> str | None:
    """The node after a choice whose slot is already known, or None if it must be asked (or,
    for a known Land with local regions and no region chosen yet, only its region)."""
    if node.ask is None or node.next is None or run.state.slot(node.ask) is None:
        return None
    if node.ask == LAND_SLOT and region.wanted(run):
        return None
    return node.next


def show_services(run: Run, flow: Flow, node: ServicesNode | HandoffNode) -> None:
    """The service cards of a services node, or those of a handoff node's topic."""
    land = run.state.slot(LAND_SLOT)
    land = None if land in (None, "none") else land
    local = region.local_region(run)
    ags = local.ags if local is not None else None
    if isinstance(node, HandoffNode):
        services = select(run.content.knowledge, node.topic, (), land, ags)
        intro = texts.reachable_directly(run.t)
    else:
        services = select(run.content.knowledge, node.query.topic, node.query.ids, land, ags)
        intro = run.node_text(flow, node) if node.texts else ""
    cards = tuple(card(run, s) for s in services)
    run.actions.append(ShowServices(intro, cards))
    run.outcomes.append((flow.id, "services"))


def card(run: Run, svc: Service) -> Card:
    """A service's card in the conversation's language, its status computed for now."""
    static = run.local.cards.get(svc.id)
    if static is None:  # a service outside the content (never in a loaded bundle)
        return card_for(svc, run.t, run.now)
    return with_status(static, svc, run.t, run.now)


def continue_here(run: Run) -> None:
    """Re-ask the current question (or continue an interrupted auto-advance)."""
    node = run.node()
    if isinstance(node, MessageNode | GotoNode):
        enter(run, run.state.flow, node.id)
    else:
        prompt(run)
