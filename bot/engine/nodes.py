"""Entering flow nodes: nodes that advance by themselves, service cards, handoff and end."""

from __future__ import annotations

from dataclasses import replace

from bot.engine import region, texts
from bot.engine.actions import ShowServices
from bot.engine.present import card_for
from bot.engine.questions import prompt
from bot.engine.run import Run
from bot.engine.state import AT_NODE, Consenting, InCase
from bot.flow.model import (
    LAND_SLOT,
    ChoiceNode,
    EndNode,
    Flow,
    GotoNode,
    HandoffNode,
    MessageNode,
    ServicesNode,
)
from bot.knowledge import select

#: Nodes that advance by themselves; more in a row than this means broken content.
MAX_AUTO_STEPS = 64


def enter(run: Run, flow_id: str, node_id: str | None = None) -> None:
    """Go to a node and run self-advancing nodes until a question or an end."""
    flow = run.content.flows[flow_id]
    current = node_id or flow.start
    for _ in range(MAX_AUTO_STEPS):
        node = flow.nodes[current]
        run.state = replace(run.state, flow=flow.id, node=node.id, mode=AT_NODE)
        run.path.append((flow.id, node.id))
        match node:
            case MessageNode():
                for text in node.texts:
                    run.say(run.ctx_text(flow, node, text))
                current = node.next
                continue
            case GotoNode():
                flow = run.content.flows[node.target_flow] if node.target_flow else flow
                current = node.target_node or flow.start
                continue
            case ChoiceNode(ask=str(slot), next=str(after)) if run.state.slot(slot) is not None:
                if slot != LAND_SLOT or not region.wanted(run):
                    current = after
                    continue
                region.ask(run)  # the Land is known, its region not yet: ask that only
            case ServicesNode():
                show_services(run, flow, node)
                if node.next:
                    current = node.next
                    continue
            case HandoffNode():
                run.outcomes.append((flow.id, "handoff"))
                if node.texts:
                    run.say(run.ctx_text(flow, node, node.text))
                code = run.case.code
                run.state = replace(run.state, mode=InCase(code) if code else Consenting())
            case EndNode():
                run.say(run.ctx_text(flow, node, node.text))
                run.outcomes.append((flow.id, "end"))
        prompt(run)
        return
    raise AssertionError(f"flow {flow_id!r} advances without a question")  # pragma: no cover


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
        intro = run.ctx_text(flow, node, node.text) if node.texts else ""
    cards = tuple(card_for(s, run.t, run.now) for s in services)
    run.actions.append(ShowServices(intro, cards))
    run.outcomes.append((flow.id, "services"))


def continue_here(run: Run) -> None:
    """Re-ask the current question (or continue an interrupted auto-advance)."""
    node = run.node()
    if isinstance(node, MessageNode | GotoNode):
        enter(run, run.state.flow, node.id)
    else:
        prompt(run)
