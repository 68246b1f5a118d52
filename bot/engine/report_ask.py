"""The questions of the Übergriff report: their answers as offered and asking them.

Kept apart from the handlers (:mod:`bot.engine.report`) so that entering a node
(:mod:`bot.engine.nodes`) can start the route without an import cycle. Every question offers
its fixed answers, then "back", then the emergency answer last (one step to 110)."""

from __future__ import annotations

from functools import lru_cache

from bot.engine import texts
from bot.engine.actions import Ask, Option
from bot.engine.run import Run
from bot.engine.state import Reporting, State
from bot.flow.model import ChoiceNode, Content, Flow, MessageNode

#: The question names in order, then the consent screen and the contact details.
ORDER = tuple(name for name, _ in texts.REPORT_QUESTIONS)
CONSENT = "consent"
REACH = "reach"


def values(name: str) -> tuple[str, ...]:
    """The fixed answers (values) of one question (() for consent and reach)."""
    return next((vals for q, vals in texts.REPORT_QUESTIONS if q == name), ())


def labels(run: Run, mode: Reporting) -> list[str]:
    """The answers of the open question as offered, without the emergency answer."""
    t = run.t
    if mode.question == CONSENT:
        return [*texts.report_send_answers(t), texts.report_back(t)]
    if mode.question == REACH:
        return [texts.reach_skip(t), texts.report_back(t)]
    answers = [texts.answer_label(t, mode.question, v) for v in values(mode.question)]
    return [*answers, texts.report_back(t)]


def summary(run: Run, answers: tuple[tuple[str, str], ...]) -> list[str]:
    """The answers, worded for the consent screen."""
    t = run.t
    return [
        texts.summary_line(t, name, texts.answer_label(t, name, value))
        for name, value in answers
        if name in ORDER
    ]


def question_text(run: Run, mode: Reporting) -> str:
    """The text of the open question."""
    if mode.question == CONSENT:
        return texts.report_consent(run.t, run.report.office, summary(run, mode.answers))
    if mode.question == REACH:
        return texts.reach_question(run.t)
    return texts.report_question(run.t, mode.question)


def ask(run: Run) -> None:
    """(Re-)ask the open question of the report with a fresh turn."""
    mode = run.state.mode
    assert isinstance(mode, Reporting)
    offered = [*labels(run, mode), texts.emergency_option(run.t)]
    options = tuple(Option(i, label) for i, label in enumerate(offered))
    run.actions.append(Ask(question_text(run, mode), options, run.new_turn()))


def begin(run: Run, flow: Flow, node: MessageNode) -> None:
    """Start the report at a ``report: true`` node (a Meldestelle is known)."""
    run.state = run.state.at(flow.id, node.id, Reporting(ORDER[0]))
    ask(run)


@lru_cache(maxsize=4)
def _leading(content: Content) -> frozenset[tuple[str, str]]:
    """The choice nodes with an answer that leads to a ``report: true`` node."""
    found: set[tuple[str, str]] = set()
    for flow in content.flows.values():
        reports = {n.id for n in flow.nodes.values() if isinstance(n, MessageNode) and n.report}
        for node in flow.nodes.values():
            if isinstance(node, ChoiceNode) and any(o.next in reports for o in node.options):
                found.add((flow.id, node.id))
    return frozenset(found)


def due(content: Content, state: State | None) -> bool:
    """Whether the runtime must look up the Meldestelle before this step: the report is open,
    or the open question has an answer that starts it (no lookup for any other step)."""
    if state is None:
        return False
    return isinstance(state.mode, Reporting) or (state.flow, state.node) in _leading(content)
