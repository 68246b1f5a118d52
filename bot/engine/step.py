"""The pure conversation engine: ``step(content, state, event, now) -> Step``.

No I/O, no clock, no randomness: the same inputs always give the same outputs. Free text is only
looked at while a step runs; it never reaches the state, the actions or a log. The work is split
by job: :mod:`~bot.engine.nodes` (entering nodes), :mod:`~bot.engine.questions` (the open
question), :mod:`~bot.engine.answers` (buttons and typed text), :mod:`~bot.engine.orders` (global
commands), :mod:`~bot.engine.case` (consent and an open case); the wording is in
:mod:`~bot.engine.texts`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.engine import intent, texts
from bot.engine.actions import CloseCase, Erase, Say, Stale
from bot.engine.answers import on_choice, on_text
from bot.engine.case import ask_first, leaves_case
from bot.engine.events import Choose, Command, Event, Start, Text, Unsupported
from bot.engine.nodes import continue_here, enter
from bot.engine.orders import on_command
from bot.engine.questions import current_labels, emergency
from bot.engine.report import concerns as reporting
from bot.engine.report import on_report
from bot.engine.run import Run, Step
from bot.engine.state import AT_NODE, CaseContext, InCase, ReportContext, State
from bot.engine.survey import concerns, on_survey
from bot.flow.model import Content
from bot.survey.model import SurveyContext


def initial_state(content: Content, locale: str | None) -> State:
    """A new conversation at the entry flow's start, in the best matching language."""
    entry = content.flows[content.entry]
    return State(flow=entry.id, node=entry.start, locale=content.catalogs.normalize(locale))


def _fits(content: Content, state: State) -> bool:
    flow = content.flows.get(state.flow)
    return flow is not None and state.node in flow.nodes


def _begin(content: Content, state: State | None, locale: str | None) -> State:
    """A conversation starting over: new, or its node gone (answers and turn kept)."""
    if state is None:
        return initial_state(content, locale)
    return replace(initial_state(content, state.locale), slots=state.slots, turn=state.turn)


def _start_over(run: Run, event: Event, saved: bool) -> None:
    """What is said when a conversation starts over on an answer: a tapped button is stale, and
    a saved conversation whose node the edited flows no longer have is told so."""
    if isinstance(event, Choose):
        run.actions.append(Stale(texts.stale_button(run.t)))
    if saved:
        run.say(texts.flow_changed(run.t))


def _erase(run: Run, context: CaseContext) -> Step:
    closing = (CloseCase(context.code, "erased"),) if context.code else ()
    return Step(None, (*closing, Erase(), Say(texts.erased(run.t))), erase=True)


def _first(run: Run, event: Event, fresh: bool) -> Step | None:
    """What comes before the run: erasure, or asking before leaving an open case."""
    if isinstance(event, Command) and event.name == "delete":
        return _erase(run, run.case)
    if not fresh and _asks_before_leaving(run, event):
        return run.result()
    return None


def _asks_before_leaving(run: Run, event: Event) -> bool:
    """/start, a deep link, /zurueck or /neustart in an open case: ask first."""
    leaving = leaves_case(run, event)
    if leaving is None or not isinstance(run.state.mode, InCase):
        return False
    ask_first(run, run.state.mode.code, leaving)
    return True


def _own_mode(run: Run, event: Event, survey: SurveyContext | None, new: bool) -> bool:
    """The report or a survey handles the event itself (True), or the step goes on."""
    if reporting(run) and on_report(run, event):
        return True
    return concerns(run.state, event) and on_survey(run, event, survey, new=new)


def step(
    content: Content,
    state: State | None,
    event: Event,
    now: datetime,
    locale: str | None = None,
    case: CaseContext | None = None,
    survey: SurveyContext | None = None,
    report: ReportContext | None = None,
) -> Step:
    """Advance one conversation by one event.

    Args:
        content: validated flows, knowledge and translations.
        state: the stored state, or None for a new (or erased) conversation.
        event: what the user did.
        now: the current time (timezone-aware), for opening hours.
        locale: the platform's language hint, used for new conversations.
        case: the user's handoff situation, from the runtime.
        survey: the survey this step concerns (:func:`bot.engine.survey.requested`), read by
            the runtime.
        report: whether a Meldestelle is set up for the user (and a new report's code), read
            by the runtime when :func:`bot.engine.report_ask.due`.

    Returns:
        The new state and the actions to perform.
    """
    fresh = state is None or not _fits(content, state)
    current = _begin(content, state, locale) if state is None or fresh else state
    context = case or CaseContext()
    run = Run(content, current, now, context)
    run.report = report or run.report
    t = run.t
    early = _first(run, event, fresh)
    if early is not None:
        return early
    if fresh and not isinstance(event, Start | Command):
        if isinstance(event, Text) and intent.is_danger(event.text):
            emergency(run)
            return run.result()
        _start_over(run, event, saved=state is not None)
        event = Start()
    if _own_mode(run, event, survey, new=state is None):
        return run.result()
    match event:
        case Start(payload=payload):
            if state is None:
                run.say(texts.welcome(t))
            target = payload if payload in content.flows else content.entry
            run.state = replace(run.state, history=(), mode=AT_NODE)
            enter(run, target)
        case Choose(turn=turn, index=index):
            if turn != run.state.turn or not 0 <= index <= len(current_labels(run)):
                return Step(state, (Stale(texts.stale_button(t)),))
            on_choice(run, index)
        case Text(text=text):
            on_text(run, text)
        case Command():
            on_command(run, event)
        case Unsupported():
            run.say(texts.unsupported_media(t))
            continue_here(run)
    return run.result()


__all__ = ["Step", "initial_state", "step"]
