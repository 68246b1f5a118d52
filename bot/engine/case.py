"""The user's side of a handoff: the consent question and an open case.

In a case, everything the user types is relayed (a bare "1" or a button's label too); ending
the case, going back or starting over is a button or a command, and asks first. 110 stays one
step away through ``/notfall`` and the emergency answer of every question, never a digit.
"""

from __future__ import annotations

from dataclasses import replace

from bot.engine import intent, region, texts
from bot.engine.actions import CloseCase, OpenCase, Relay
from bot.engine.events import Command, Event, Start
from bot.engine.nodes import enter, show_services
from bot.engine.questions import emergency, prompt
from bot.engine.run import Run
from bot.engine.state import AT_NODE, Consenting, InCase, State
from bot.flow.model import LAND_SLOT, HandoffNode


def can_open(state: State | None) -> bool:
    """Whether a step from ``state`` may open a case: only the answer to the consent question
    does (:func:`on_consent`), so only then does the runtime read the block and the daily
    limit and draw a case code (:attr:`~bot.engine.state.CaseContext.new_code`)."""
    return state is not None and isinstance(state.mode, Consenting)


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
        local = region.local_region(run)
        where = local.ags if local is not None else "none"
        urgency = node.urgency or "normal"
        run.actions.append(OpenCase(code, node.topic, urgency, land, flow.id, where))
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


#: The commands that would leave an open case: they ask first.
LEAVING = frozenset({"start", "back", "restart"})


def leaves_case(run: Run, event: Event) -> str | None:
    """The command name if ``event`` would leave the user's open case (None otherwise)."""
    mode = run.state.mode
    if not isinstance(mode, InCase) or run.case.code != mode.code:
        return None
    if isinstance(event, Start):
        return "start"
    if isinstance(event, Command) and event.name in LEAVING:
        return event.name
    return None


def ask_first(run: Run, code: str, what: str) -> None:
    """Ask whether the case should end before doing ``what`` (``end`` or a leaving command)."""
    run.state = replace(run.state, mode=InCase(code, what))
    prompt(run)


def on_case_choice(run: Run, mode: InCase, index: int) -> None:
    """A button of the case question: "end case" asks first; then yes ends, no stays."""
    if run.case.code != mode.code:  # the case is over already (ended by the contact)
        end_case(run, mode.code)
    elif not mode.confirm:
        ask_first(run, mode.code, "end")
    elif index == 0:
        end_case(run, mode.code, mode.confirm)
    else:
        run.state = replace(run.state, mode=InCase(mode.code))
        run.say(texts.case_goes_on(run.t))
        prompt(run)


def end_case(run: Run, code: str, then: str = "end") -> None:
    """The user ends their case (confirmed), then goes where ``then`` said."""
    if run.case.code == code:
        run.actions.append(CloseCase(code, "user"))
    run.say(texts.case_ended(run.t, code))
    if then in ("start", "restart"):
        run.state = replace(run.state, mode=AT_NODE, history=())
        if then == "restart":
            run.state = replace(run.state, slots=())
            run.say(texts.restarted(run.t))
        enter(run, run.content.entry)
        return
    after_handoff(run)


def on_case_text(run: Run, code: str, text: str) -> None:
    """Text typed while a case is open: all of it relayed once the case is claimed; before,
    nothing is passed on or kept, and the user is told so."""
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
