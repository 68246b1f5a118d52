"""The user's global commands (``/start``, ``/hilfe``, ``/zurueck``...), carried out in a step.

``/loeschen`` is handled by :func:`bot.engine.step.step` before a step starts; the command
names themselves are in :mod:`bot.engine.commands`.
"""

from __future__ import annotations

from dataclasses import replace

from bot.engine import texts
from bot.engine.events import Command
from bot.engine.nodes import continue_here, enter
from bot.engine.present import help_text
from bot.engine.questions import emergency, prompt
from bot.engine.run import Run
from bot.engine.state import AT_NODE, AtNode, ChoosingLanguage, InCase, Mode
from bot.flow.model import HandoffNode


def on_command(run: Run, command: Command) -> None:
    """Carry out one global command."""
    t = run.t
    match command.name:
        case "start":
            run.state = replace(run.state, history=())
            enter(run, run.content.entry)
        case "restart":
            run.state = replace(run.state, history=(), slots=())
            run.say(texts.restarted(t))
            enter(run, run.content.entry)
        case "help":
            run.say(help_text(t, run.state.locale))
            continue_here(run)
        case "emergency":
            emergency(run)
        case "privacy":
            run.say(texts.privacy_text(t))
            continue_here(run)
        case "language":
            wanted = (command.argument or "").casefold()
            if wanted in run.content.catalogs.locales:
                set_language(run, wanted)
            else:
                run.state = replace(run.state, mode=ChoosingLanguage())
                prompt(run)
        case "back":
            back(run)
        case _:  # pragma: no cover - delete is handled before a run starts
            raise AssertionError(command.name)


def _resting(run: Run) -> Mode:
    """The mode to return to from a menu: the open case, if the user is in one."""
    code = run.case.code
    return InCase(code) if code and isinstance(run.node(), HandoffNode) else AT_NODE


def set_language(run: Run, locale: str) -> None:
    """Switch the conversation's language and go on where it was (in the case, if open)."""
    run.state = replace(run.state, locale=locale, mode=_resting(run))
    run.say(texts.language_set(run.t))
    continue_here(run)


def back(run: Run) -> None:
    """Close a menu, or return to the previous question."""
    if not isinstance(run.state.mode, AtNode):
        run.state = replace(run.state, mode=_resting(run))
        prompt(run)
        return
    if not run.state.history:
        run.say(texts.at_the_beginning(run.t))
        continue_here(run)
        return
    (flow_id, node_id), rest = run.state.history[-1], run.state.history[:-1]
    run.state = replace(run.state, flow=flow_id, node=node_id, history=rest, mode=AT_NODE)
    prompt(run)
