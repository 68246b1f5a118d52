"""The open question: its answers, asking it (again), and the emergency answer of every question."""

from __future__ import annotations

from bot.engine import region, texts
from bot.engine.actions import Ask
from bot.engine.prepared import Choice
from bot.engine.run import Run
from bot.engine.state import (
    AtNode,
    ChoosingLanguage,
    ChoosingRegion,
    Consenting,
    InCase,
    Suggesting,
)
from bot.flow.model import LAND_SLOT, ChoiceNode, HandoffNode, OptionSpec
from bot.i18n import LANGUAGE_NAMES


def _choice(run: Run, node: ChoiceNode) -> Choice | None:
    """The prepared choice of a node of the current flow, or None where its answers are not
    fixed by the content (then they are worked out per step below)."""
    found = run.local.choices.get((run.state.flow, node.id))
    return found if found is not None and found.node is node else None


def options(run: Run, node: ChoiceNode) -> list[OptionSpec]:
    """The options the user sees at a choice node, in order."""
    choice = _choice(run, node)
    if choice is not None:
        return [choice.specs[i] for i in choice.visible(run.state.slots)]
    if node.ask == LAND_SLOT:
        return [
            OptionSpec(run.t.pgettext("region", r.label), node.next or "", ((LAND_SLOT, r.code),))
            for r in run.content.knowledge.regions
        ]
    slots = dict(run.state.slots)
    return [o for o in node.options if o.visible(slots)]


def current_labels(run: Run) -> list[str]:
    """Labels of the open question, without the emergency answer."""
    if isinstance(run.state.mode, AtNode):  # the common case first
        return node_labels(run)
    t = run.t
    match run.state.mode:
        case ChoosingLanguage():
            return [LANGUAGE_NAMES.get(loc, loc) for loc in run.content.catalogs.locales]
        case Consenting():
            return list(texts.consent_answers(t))
        case ChoosingRegion():
            return region.labels(run)
        case InCase(confirm=""):
            return [texts.end_case(t)]
        case InCase():
            return [texts.confirm_end(t), texts.keep_case(t)]
        case Suggesting(flows=flows):
            titles = [t.content_text(f, run.content.flows[f].title) for f in flows]
            return [*titles, texts.back_to_question(t)]
    return node_labels(run)


def node_labels(run: Run) -> list[str]:
    """Labels of the current node's question: a choice's options, or the end prompt's."""
    node = run.node()
    if not isinstance(node, ChoiceNode):
        return [texts.to_main_menu(run.t)]
    choice = _choice(run, node)
    if choice is not None:
        if not choice.conditional:
            return list(choice.labels)
        return [choice.labels[i] for i in choice.visible(run.state.slots)]
    found = options(run, node)
    if node.ask:
        return [o.label for o in found]
    return [run.ctx_text(run.flow(), node, o.label) for o in found]


def all_labels(run: Run) -> list[str]:
    """Labels of the open question as offered: the emergency answer last."""
    return [*current_labels(run), run.local.emergency_option]


def consent_text(run: Run) -> str:
    """The consent question of the current handoff node."""
    t = run.t
    node = run.node()
    topic_id, urgency = (node.topic, node.urgency) if isinstance(node, HandoffNode) else ("", "")
    land = run.state.slot(LAND_SLOT) or "none"
    label = next((r.label for r in run.content.knowledge.regions if r.code == land), land)
    land_name = t.pgettext("region", label)
    topic = run.content.knowledge.topic_labels.get(topic_id, topic_id)
    local = region.local_region(run)
    if local is not None:
        circles = texts.circles_local(t, local.name, land_name)
    elif land != "none":
        circles = texts.circles_land(t, land_name)
    else:
        circles = texts.circles_nation(t)
    return texts.consent_question(
        t,
        t.pgettext("topic", topic),
        texts.urgency_label(t, urgency),
        land_name,
        circles,
        local.name if local is not None else "",
    )


def question_text(run: Run) -> str:
    """The text of the open question."""
    t = run.t
    match run.state.mode:
        case ChoosingLanguage():
            return texts.CHOOSE_LANGUAGE
        case Suggesting():
            return texts.did_you_mean(t)
        case Consenting():
            return consent_text(run)
        case ChoosingRegion():
            return texts.region_question(t)
        case InCase(code=code, confirm=""):
            return texts.case_question(t, code, run.case.claimed)
        case InCase(code=code, confirm=confirm):
            return texts.end_question(t, code, confirm)
        case AtNode():
            pass
    node = run.node()
    if isinstance(node, ChoiceNode):
        choice = _choice(run, node)
        return choice.text if choice is not None else run.ctx_text(run.flow(), node, node.text)
    return texts.how_to_go_on(t)


def prompt(run: Run) -> None:
    """(Re-)issue the open question with a fresh turn."""
    text = question_text(run)
    run.actions.append(Ask(text, run.local.options(all_labels(run)), run.new_turn()))


def emergency(run: Run) -> None:
    """The emergency guidance, then the open question again."""
    for text in texts.emergency_guidance(run.t):
        run.say(text)
    run.outcomes.append((run.state.flow, "emergency"))
    prompt(run)
