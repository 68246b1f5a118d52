"""Answers to the open question: a button, or typed text (an answer, a command word, danger,
topic words); and the topic suggestions made from typed words."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from bot.engine import intent, region, texts
from bot.engine.case import on_case_choice, on_case_text, on_consent
from bot.engine.commands import names_for
from bot.engine.events import Command
from bot.engine.nodes import enter
from bot.engine.orders import on_command, set_language
from bot.engine.questions import all_labels, current_labels, emergency, options, prompt
from bot.engine.run import Run
from bot.engine.state import (
    AT_NODE,
    ChoosingLanguage,
    ChoosingRegion,
    Consenting,
    InCase,
    Suggesting,
)
from bot.flow.model import LAND_SLOT, REGION_SLOT, ChoiceNode, Content

#: How many flows typed topic words offer at most.
MAX_SUGGESTIONS = 3


def on_choice(run: Run, index: int) -> None:
    """Answer ``index`` of the open question (the emergency answer is the last one)."""
    labels = current_labels(run)
    if index == len(labels):
        emergency(run)
        return
    match run.state.mode:
        case ChoosingLanguage():
            set_language(run, run.content.catalogs.locales[index])
        case Suggesting(flows=flows):
            run.state = replace(run.state, mode=AT_NODE)
            if index < len(flows):
                run.state = run.state.pushed()
                enter(run, flows[index])
            else:
                prompt(run)
        case Consenting():
            on_consent(run, index)
        case ChoosingRegion():
            on_region(run, index)
        case InCase() as mode:
            on_case_choice(run, mode, index)
        case _:
            node = run.node()
            if isinstance(node, ChoiceNode):
                option = options(run, node)[index]
                chosen = run.state.with_slots(option.sets)
                run.state = region.fit(chosen, run.content.knowledge)
                if node.ask == LAND_SLOT and region.offered(run):
                    region.ask(run)  # the Land has regions: one more question, same node
                    prompt(run)
                    return
                run.state = run.state.pushed()
                enter(run, run.state.flow, option.next)
            else:
                run.state = replace(run.state, history=())
                enter(run, run.content.entry)


def on_region(run: Run, index: int) -> None:
    """An answer to the region question: set the slot, go on where the Land answer leads."""
    value = region.value_of(run, index)
    node = run.node()
    run.state = replace(run.state, mode=AT_NODE)
    if not isinstance(node, ChoiceNode) or node.next is None:  # the content changed under it
        prompt(run)
        return
    run.state = run.state.pushed().with_slots(((REGION_SLOT, value),))
    enter(run, run.state.flow, node.next)


def on_text(run: Run, text: str) -> None:
    """Typed text: an answer, a command word, danger, topic words, or not understood."""
    mode = run.state.mode
    if isinstance(mode, InCase):
        # everything typed is relayed, a bare "1" or a button's label too: ending the case
        # is a button (with a confirmation) and 110 is /notfall or the emergency answer
        on_case_text(run, mode.code, text)
        return
    picked = intent.match_answer(text, all_labels(run))
    if picked is None and isinstance(mode, ChoosingRegion):  # "Musterland", with a typo too
        picked = intent.match_place(text, [r.name for r in region.offered(run)])
    if picked is not None:
        on_choice(run, picked)
        return
    word = intent.normalize(text).rstrip(".!?)")
    command = names_for(run.state.locale).get(word) or names_for("de").get(word)
    if command == "delete":  # erasing needs the explicit command, not a word in passing
        run.say(texts.delete_needs_command(run.t))
        prompt(run)
        return
    if command and command != "help":  # a bare "Hilfe!" may be a cry for help: see below
        on_command(run, Command(command))
        return
    if intent.is_danger(text):
        emergency(run)
        return
    if suggest(run, text):
        return
    guesses = intent.rank_topics(text, topics_of(run.content), near=True)
    if guesses:  # no topic word, but some nearly: offer the likeliest rather than a dead end
        run.say(texts.not_sure(run.t))
        _offer(run, guesses)
        return
    run.say(texts.not_understood(run.t))
    prompt(run)


@lru_cache(maxsize=4)
def topics_of(content: Content) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every flow but the entry with its keywords of all languages (people write in either)."""
    return tuple(
        (flow.id, tuple(word for _, words in flow.keywords for word in words))
        for flow in content.flows.values()
        if flow.keywords and flow.id != content.entry
    )


def suggest(run: Run, text: str) -> bool:
    """Offer the flows whose keywords the text contains (in any language, with a typo or two);
    False if none fits."""
    ranked = intent.rank_topics(text, topics_of(run.content))
    if not ranked:
        return False
    _offer(run, ranked)
    return True


def _offer(run: Run, ranked: list[tuple[float, str]]) -> None:
    best = tuple(flow_id for _, flow_id in ranked[:MAX_SUGGESTIONS])
    run.state = replace(run.state, mode=Suggesting(best))
    prompt(run)
