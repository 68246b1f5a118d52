"""The user's side of a handoff: the consent question and an open case."""

from __future__ import annotations

from dataclasses import replace

from bot.engine import intent, texts
from bot.engine.actions import CloseCase, OpenCase, Relay
from bot.engine.nodes import enter, show_services
from bot.engine.questions import emergency, prompt
from bot.engine.run import Run
from bot.engine.state import AT_NODE, InCase
from bot.flow.model import LAND_SLOT, HandoffNode


def on_consent(run: Run, index: int) -> None:
    """An answer to the consent question: 0 pass on, 1 show contacts instead, 2 no."""
    t = run.t
    flow, node = run.flow(), run.node()
    if not isinstance(node, HandoffNode):  # the content changed under the question
        after_handoff(run)
        return
    if index == 0 and run.case.refusal is None and run.case.new_code:
        code = run.case.new_code
        land = run.state.slot(LAND_SLOT) or "none"
        run.actions.append(OpenCase(code, node.topic, node.urgency or "normal", land, flow.id))
        run.say(texts.case_opened(t, code))
        run.case = replace(run.case, code=code, claimed=False)
        run.state = replace(run.state, mode=InCase(code))
        prompt(run)
        return
    if index == 0:
        run.say(texts.case_refused(t, limit=run.case.refusal == "limit"))
    if index in (0, 1):
        show_services(run, flow, node)
    else:
        run.say(texts.nothing_passed_on(t))
    after_handoff(run)


def after_handoff(run: Run) -> None:
    """Leave the consent or case mode of a handoff node: its ``next``, or the end prompt."""
    node = run.node()
    run.state = replace(run.state, mode=AT_NODE)
    if isinstance(node, HandoffNode) and node.next:
        enter(run, run.state.flow, node.next)
    else:
        prompt(run)


def end_case(run: Run, code: str) -> None:
    """The user ends their case (the "end case" answer)."""
    if run.case.code == code:
        run.actions.append(CloseCase(code, "user"))
    run.say(texts.case_ended(run.t, code))
    after_handoff(run)


def on_case_text(run: Run, code: str, text: str) -> None:
    """Text typed while a case is open: relayed once it is claimed."""
    t = run.t
    if run.case.code != code:
        run.say(texts.case_ended(t, code))
        after_handoff(run)
        return
    if intent.is_danger(text):
        emergency(run)
    if run.case.claimed:
        run.actions.append(Relay(code, text))
    else:
        run.say(texts.waiting_for_claim(t))
