"""The Übergriff reporting route (issue 14 item 4), pure like the rest of the engine.

A ``report: true`` message node (``flows/uebergriff.yaml``, node ``meldung``) starts it when
the runtime says a Meldestelle is set up for the user's region or Land
(:class:`~bot.engine.state.ReportContext`, read before the step only when
:func:`bot.engine.report_ask.due`); otherwise the node's first text says that none is.

The mode :class:`~bot.engine.state.Reporting` holds the question and the fixed-choice answers
given so far: what happened, where, when (a button, or a typed date kept only as its ISO
date: the typed text is dropped), anyone hurt, police there, contact wanted; then the consent
screen. "Send" emits :class:`~bot.engine.actions.SendReport`; with contact wanted the employee
then types how to be reached, which leaves as :class:`~bot.engine.actions.RelayReport` (relayed,
never stored). Every question offers "back" and the emergency answer last; ``/notfall`` and
danger words work throughout. Afterwards the node's other texts (the employee's own steps) are
said and the flow goes on at the node's ``next``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

from bot.engine import intent, texts
from bot.engine.actions import RelayReport, SendReport, Stale
from bot.engine.events import Choose, Command, Event, Start, Text, Unsupported
from bot.engine.nodes import enter
from bot.engine.orders import back as back_command
from bot.engine.orders import on_command
from bot.engine.present import help_text
from bot.engine.report_ask import CONSENT, ORDER, REACH, ask, labels, values
from bot.engine.run import Run
from bot.engine.state import AT_NODE, Reporting
from bot.flow.model import LAND_SLOT, REGION_SLOT, MessageNode
from bot.knowledge import BERLIN

#: A typed date: 3.12.2026, 03.12.26, 3.12. (this year) or 2026-12-03.
_DOTTED = re.compile(r"(\d{1,2})\.\s*(\d{1,2})\.(?:\s*(\d{2}|\d{4}))?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
#: How far back a typed date may lie.
_OLDEST = timedelta(days=3 * 366)


def concerns(run: Run) -> bool:
    """Whether the open question is one of the report's."""
    return isinstance(run.state.mode, Reporting)


def on_report(run: Run, event: Event) -> bool:
    """Handle an event while the report is open; False if the normal step should go on (a
    ``/start`` or deep link leaves the report)."""
    mode = run.state.mode
    assert isinstance(mode, Reporting)
    t = run.t
    match event:
        case Choose(turn=turn, index=index):
            offered = labels(run, mode)
            if turn != run.state.turn or not 0 <= index <= len(offered):
                run.actions.append(Stale(texts.stale_button(t)))
            elif index == len(offered):
                _emergency(run)
            else:
                _chosen(run, mode, index)
        case Text(text=text):
            _typed(run, mode, text)
        case Command(name="survey" | "stop"):  # a survey: leave the report, the survey answers
            run.state = replace(run.state, mode=AT_NODE)
            return False
        case Command():
            _command(run, event)
        case Unsupported():
            run.say(texts.unsupported_media(t))
            ask(run)
        case Start():
            run.state = replace(run.state, mode=AT_NODE)
            return False
    return True


def _emergency(run: Run) -> None:
    """The emergency guidance, then the same question again."""
    for line in texts.emergency_guidance(run.t):
        run.say(line)
    run.outcomes.append((run.state.flow, "emergency"))
    ask(run)


def _command(run: Run, command: Command) -> None:
    t = run.t
    match command:
        case Command(name="emergency"):
            _emergency(run)
        case Command(name="back"):
            _back(run)
        case Command(name="help" | "privacy"):
            run.say(
                help_text(t, run.state.locale) if command.name == "help" else texts.privacy_text(t)
            )
            ask(run)
        case Command(name="language", argument=str(wanted)) if (
            wanted.casefold() in run.content.catalogs.locales
        ):
            run.state = replace(run.state, locale=wanted.casefold())
            run.say(texts.language_set(run.t))
            ask(run)
        case _:  # /start, /neustart, the language menu: the report is left
            run.state = replace(run.state, mode=AT_NODE)
            on_command(run, command)


def _chosen(run: Run, mode: Reporting, index: int) -> None:
    """Answer ``index`` (not the emergency answer) of the open question."""
    if index == len(labels(run, mode)) - 1:
        _back(run)
    elif mode.question == CONSENT:
        _send(run, mode) if index == 0 else _not_sent(run)
    elif mode.question == REACH:
        _finish(run)
    else:
        _answered(run, mode, values(mode.question)[index])


def _answered(run: Run, mode: Reporting, value: str) -> None:
    """Keep one answer and ask the next question (or the consent)."""
    answers = (*mode.answers, (mode.question, value))
    position = ORDER.index(mode.question) + 1
    following = ORDER[position] if position < len(ORDER) else CONSENT
    run.state = replace(run.state, mode=Reporting(following, answers))
    ask(run)


def _back(run: Run) -> None:
    """One question back; from the first, back to where the report was started from; from
    the contact details (the report is sent already) on without them."""
    mode = run.state.mode
    assert isinstance(mode, Reporting)
    if mode.question == REACH:
        _finish(run)
        return
    if mode.question == ORDER[0]:
        run.state = replace(run.state, mode=AT_NODE)
        back_command(run)
        return
    before = ORDER[-1] if mode.question == CONSENT else ORDER[ORDER.index(mode.question) - 1]
    answers = tuple((k, v) for k, v in mode.answers if ORDER.index(k) < ORDER.index(before))
    run.state = replace(run.state, mode=Reporting(before, answers))
    ask(run)


def _typed(run: Run, mode: Reporting, text: str) -> None:
    """Typed text: the contact details (relayed), an answer, a date, danger, or not understood."""
    t = run.t
    if intent.is_danger(text):
        _emergency(run)
        return
    if mode.question == REACH:
        code = mode.answer("code") or ""
        if text.strip():
            run.actions.append(RelayReport(code, text))
        _finish(run)
        return
    offered = [*labels(run, mode), texts.emergency_option(t)]
    picked = intent.match_answer(text, offered)
    if picked is not None:
        _chosen(run, mode, picked) if picked < len(offered) - 1 else _emergency(run)
        return
    word = intent.normalize(text).rstrip(".!?)")
    if word in ("zurück", "zurueck", "back"):
        _back(run)
        return
    if mode.question == "when":
        found = typed_date(text, run.now.astimezone(BERLIN).date())
        if found is not None:
            _answered(run, mode, found.isoformat())
            return
        if any(ch.isdigit() for ch in text):
            run.say(texts.bad_date(t))
            ask(run)
            return
    run.say(texts.not_understood(t))
    ask(run)


def typed_date(text: str, today: date) -> date | None:
    """The date in typed text (not in the future, at most about three years back), or None."""
    stripped = text.strip()
    iso, dotted = _ISO.fullmatch(stripped), _DOTTED.fullmatch(stripped)
    try:
        if iso is not None:
            found = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif dotted is not None:
            year = int(dotted[3]) if dotted[3] else today.year
            year = year + 2000 if year < 100 else year
            found = date(year, int(dotted[2]), int(dotted[1]))
            if not dotted[3] and found > today:  # "28.12." typed in January: last year
                found = found.replace(year=year - 1)
        else:
            return None
    except ValueError:  # 31.2., month 13
        return None
    return found if today - _OLDEST <= found <= today else None


def _send(run: Run, mode: Reporting) -> None:
    """Consent given: the report goes out (if the Meldestelle is still there)."""
    t, report = run.t, run.report
    if not report.office or not report.new_code:
        run.say(texts.report_unavailable(t))
        _finish(run)
        return
    code = report.new_code
    land = run.state.slot(LAND_SLOT) or "none"
    region = run.state.slot(REGION_SLOT) or "none"
    topic = run.flow().topic or ""
    run.actions.append(SendReport(code, topic, mode.answers, land, region))
    run.outcomes.append((run.state.flow, "report"))  # counted as report_sent
    run.say(texts.report_sent(t, code, report.office))
    if mode.answer("contact") == "ja":
        run.state = replace(run.state, mode=Reporting(REACH, (("code", code),)))
        ask(run)
    else:
        _finish(run)


def _not_sent(run: Run) -> None:
    run.say(texts.report_not_sent(run.t))
    _finish(run)


def _finish(run: Run) -> None:
    """Leave the report: the employee's own steps (the node's texts after the first), then
    the node's ``next``."""
    run.state = replace(run.state, mode=AT_NODE)
    flow, node = run.flow(), run.node()
    if not isinstance(node, MessageNode):  # the content changed under the report
        enter(run, run.content.entry)
        return
    for text in run.node_texts(flow, node)[1:]:
        run.say(text)
    enter(run, flow.id, node.next)


__all__ = ["concerns", "on_report", "typed_date"]
