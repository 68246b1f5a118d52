"""A participant's side of an anonymous survey (pure, like the rest of the engine).

A survey is reached by a deep link (``/start survey-CODE``) or by typing ``/umfrage CODE``;
the runtime reads the survey and whether this participant answered before
(:class:`~bot.survey.model.SurveyContext`) and passes it into the step. The mode
:class:`~bot.engine.state.InSurvey` holds only the code and the question's position; each
answer leaves the step as a :class:`~bot.survey.model.SurveyAnswer` that the runtime counts in
the step's store unit, and nothing of it stays in the state. Every question offers "leave" and
the emergency answer last; ``/stop``, ``/zurueck`` and the leave answer end the participation
(answers given so far stay counted: they were counted when given).
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.engine import intent, texts
from bot.engine.actions import Ask, Option, Stale
from bot.engine.events import Choose, Command, Event, Start, Text, Unsupported
from bot.engine.nodes import continue_here, enter
from bot.engine.orders import on_command
from bot.engine.present import help_text
from bot.engine.questions import emergency
from bot.engine.run import Run
from bot.engine.state import AT_NODE, InSurvey, State
from bot.survey.model import Survey, SurveyAnswer, SurveyContext

#: The deep-link payload of a survey: ``survey-`` and its code.
PAYLOAD_PREFIX = "survey-"
#: A survey code as typed or linked (compared in upper case).
CODE = re.compile(r"[A-Z0-9]{4,16}")
#: Typed words that leave a survey (besides /stop and /zurueck).
_LEAVE_WORDS = frozenset({"stop", "stopp", "abbrechen", "ende", "beenden", "quit", "leave"})


def code_of(text: str | None) -> str:
    """The survey code in a payload or a command argument ("" if there is none)."""
    found = (text or "").strip().upper()
    return found if CODE.fullmatch(found) else ""


def requested(state: State | None, event: Event) -> str | None:
    """The survey code a step concerns, for the runtime to read it before the step: from a
    survey link, ``/umfrage CODE`` ("" without a valid code), or the survey being answered;
    None if the step concerns no survey."""
    if isinstance(event, Start) and event.payload and event.payload.startswith(PAYLOAD_PREFIX):
        return code_of(event.payload.removeprefix(PAYLOAD_PREFIX))
    if isinstance(event, Command) and event.name == "survey":
        return code_of(event.argument)
    if state is not None and isinstance(state.mode, InSurvey):
        return state.mode.survey
    return None


def concerns(state: State, event: Event) -> bool:
    """Whether the survey part handles this event (a survey command, link or mode)."""
    if isinstance(event, Command) and event.name in ("survey", "stop"):
        return True
    return isinstance(state.mode, InSurvey) or requested(state, event) is not None


def on_survey(run: Run, event: Event, context: SurveyContext | None, new: bool) -> bool:
    """Handle an event that concerns a survey; False if the normal step should go on (the
    survey was left for a command that leads elsewhere)."""
    code = requested(run.state, event)
    linked = isinstance(event, Start) or (isinstance(event, Command) and event.name == "survey")
    if linked:
        ctx = (
            context
            if context is not None and context.id == code
            else SurveyContext(code or "", None)
        )
        _begin(run, ctx, isinstance(event, Start), new)
        return True
    mode = run.state.mode
    if not isinstance(mode, InSurvey):  # /stop outside a survey
        run.say(texts.no_survey(run.t))
        continue_here(run)
        return True
    same = context is not None and context.id == mode.survey
    survey = context.survey if context is not None and same else None
    closed = context.closed if context is not None and same else None
    return _answering(run, event, mode, survey, closed)


def _begin(run: Run, ctx: SurveyContext, started: bool, new: bool) -> None:
    t = run.t
    if started and new:
        run.say(texts.welcome(t))
    mode = run.state.mode
    if isinstance(mode, InSurvey) and mode.survey == ctx.id and ctx.survey is not None:
        ask(run, ctx.survey, mode.question)  # the link again while answering: go on
        return
    refusal = None
    if ctx.survey is None:
        refusal = texts.survey_not_open(t) if ctx.id else texts.survey_needs_code(t)
    elif ctx.voted:
        refusal = texts.survey_already(t)
    if refusal is not None or ctx.survey is None:
        run.say(refusal or "")
        run.state = replace(run.state, mode=AT_NODE)
        if started:
            run.state = replace(run.state, history=())
            enter(run, run.content.entry)
        else:
            continue_here(run)
        return
    run.state = replace(run.state, mode=InSurvey(ctx.id, 0))
    intro = texts.survey_intro(t, ctx.survey.title.of(run.state.locale), len(ctx.survey.questions))
    run.say(intro)
    if ctx.survey.intro is not None:
        run.say(ctx.survey.intro.of(run.state.locale))
    ask(run, ctx.survey, 0)


def labels(run: Run, survey: Survey, index: int) -> list[str]:
    """The answers of question ``index`` as offered: its answers, "leave", the emergency."""
    locale = run.state.locale
    answers = [a.label.of(locale) for a in survey.questions[index].answers]
    return [*answers, texts.survey_leave(run.t), texts.emergency_option(run.t)]


def ask(run: Run, survey: Survey, index: int) -> None:
    """Ask question ``index`` with a fresh turn."""
    question = survey.questions[index]
    text = texts.survey_question(
        run.t, index + 1, len(survey.questions), question.text.of(run.state.locale)
    )
    offered = labels(run, survey, index)
    options = tuple(Option(i, label) for i, label in enumerate(offered))
    run.actions.append(Ask(text, options, run.new_turn()))


def _answering(
    run: Run, event: Event, mode: InSurvey, survey: Survey | None, closed: Survey | None = None
) -> bool:
    """An event while question ``mode.question`` is open (``closed``: the survey's questions
    if it was closed meanwhile)."""
    t = run.t
    if survey is None or mode.question >= len(survey.questions):
        if _is_emergency(event) or _emergency_tap(run, event, mode, closed):
            run.state = replace(run.state, mode=AT_NODE)
            emergency(run)  # the guidance, then the conversation's own question
            return True
        run.say(texts.survey_closed_meanwhile(t))
        leave(run, quiet=True)
        return True
    match event:
        case Choose(turn=turn, index=index):
            if turn != run.state.turn or not 0 <= index < len(labels(run, survey, mode.question)):
                run.actions.append(Stale(texts.stale_button(t)))
                return True
            _chosen(run, survey, mode, index)
        case Text(text=text):
            _typed(run, survey, mode, text)
        case Command():
            _command(run, survey, mode, event)
        case Unsupported():
            run.say(texts.unsupported_media(t))
            ask(run, survey, mode.question)
        case Start():
            run.state = replace(run.state, mode=AT_NODE)
            return False
    return True


def _command(run: Run, survey: Survey, mode: InSurvey, command: Command) -> None:
    """A command while answering: 110, leaving, help and privacy (then the same question),
    a language; any other leaves the survey and is carried out as usual."""
    t = run.t
    match command:
        case Command(name="emergency"):
            _emergency(run, survey, mode.question)
        case Command(name="stop" | "back"):
            leave(run)
        case Command(name="help" | "privacy"):
            run.say(
                help_text(t, run.state.locale) if command.name == "help" else texts.privacy_text(t)
            )
            ask(run, survey, mode.question)
        case Command(name="language", argument=str(wanted)) if (
            wanted.casefold() in run.content.catalogs.locales
        ):
            run.state = replace(run.state, locale=wanted.casefold())
            run.say(texts.language_set(run.t))
            ask(run, survey, mode.question)
        case _:
            run.state = replace(run.state, mode=AT_NODE)
            on_command(run, command)


def _emergency_tap(run: Run, event: Event, mode: InSurvey, closed: Survey | None) -> bool:
    """The emergency button of a question whose survey was closed meanwhile."""
    if closed is None or mode.question >= len(closed.questions) or not isinstance(event, Choose):
        return False
    last = len(closed.questions[mode.question].answers) + 1
    return event.turn == run.state.turn and event.index == last


def _is_emergency(event: Event) -> bool:
    if isinstance(event, Command):
        return event.name == "emergency"
    return isinstance(event, Text) and intent.is_danger(event.text)


def _chosen(run: Run, survey: Survey, mode: InSurvey, index: int) -> None:
    answers = len(survey.questions[mode.question].answers)
    if index == answers + 1:
        _emergency(run, survey, mode.question)
    elif index == answers:
        leave(run)
    else:
        run.answers.append(SurveyAnswer(mode.survey, mode.question, index))
        following = mode.question + 1
        if following < len(survey.questions):
            run.state = replace(run.state, mode=InSurvey(mode.survey, following))
            ask(run, survey, following)
        else:
            run.say(texts.survey_thanks(run.t))
            leave(run, quiet=True)


def _typed(run: Run, survey: Survey, mode: InSurvey, text: str) -> None:
    """A typed answer (number or label), a word that leaves, danger, or not understood."""
    picked = intent.match_answer(text, labels(run, survey, mode.question))
    word = intent.normalize(text).rstrip(".!?)")
    if picked is not None:
        _chosen(run, survey, mode, picked)
    elif intent.is_danger(text) or word in ("hilfe", "help", "notfall", "notruf", "sos"):
        _emergency(run, survey, mode.question)
    elif word in _LEAVE_WORDS or word in ("zurück", "zurueck", "back"):
        leave(run)
    else:
        run.say(texts.not_understood(run.t))
        ask(run, survey, mode.question)


def _emergency(run: Run, survey: Survey, index: int) -> None:
    """The emergency guidance, then the same question again."""
    for line in texts.emergency_guidance(run.t):
        run.say(line)
    run.outcomes.append((run.state.flow, "emergency"))
    ask(run, survey, index)


def leave(run: Run, quiet: bool = False) -> None:
    """End the participation and go on where the conversation was before the survey."""
    if not quiet:
        run.say(texts.survey_left(run.t))
    run.state = replace(run.state, mode=AT_NODE)
    continue_here(run)


__all__ = [
    "PAYLOAD_PREFIX",
    "ask",
    "code_of",
    "concerns",
    "labels",
    "leave",
    "on_survey",
    "requested",
]
