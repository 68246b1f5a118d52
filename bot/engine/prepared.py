"""What the engine would otherwise recompute on every step, computed once per content bundle.

A :class:`~bot.flow.model.Content` never changes after loading (a reload swaps the whole
bundle), so for every node and locale the translated texts, the options of a choice with their
shown labels and compiled visibility conditions, the buttons of questions whose answers are
fixed, and the parts of a service card that do not depend on the time can be worked out once.
:func:`prepared_for` does that on first use and keeps the result for exactly as long as the
bundle lives (keyed by its identity); :func:`bot.content.load_content` calls it, so a loaded
(or reloaded) bundle is prepared before its first step. Everything here is derived with the
same functions the engine used per step before, so the results are the same (tests compare
them for every node and locale).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from weakref import WeakKeyDictionary, ref

from bot.engine import texts
from bot.engine.actions import Card, Option
from bot.engine.present import static_card
from bot.flow.model import LAND_SLOT, ChoiceNode, Content, OptionSpec
from bot.i18n import LANGUAGE_NAMES, Translator

#: The choices prepared: those with their own options and those asking the Land (the answers
#: of any other ``ask:`` are worked out per step by :func:`bot.engine.questions.options`).
FIXED_ASKS = frozenset({None, "", LAND_SLOT})
#: A compiled visibility condition: the slot, and the values it must hold ("none" for unset).
Test = tuple[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class Choice:
    """A choice node in one locale: its question, its options with their shown labels, and
    (per option) the conditions under which it is offered."""

    node: ChoiceNode
    text: str
    specs: tuple[OptionSpec, ...]
    labels: tuple[str, ...]
    tests: tuple[tuple[Test, ...], ...]
    #: True when some option has a condition (else every option is always offered)
    conditional: bool

    def visible(self, slots: tuple[tuple[str, str], ...]) -> tuple[int, ...]:
        """Indexes of the options offered with these slot values."""
        if not self.conditional:
            return tuple(range(len(self.specs)))
        values = dict(slots)
        shown: list[int] = []
        for i, tests in enumerate(self.tests):
            for slot, allowed in tests:
                if values.get(slot, "none") not in allowed:
                    break
            else:
                shown.append(i)
        return tuple(shown)


@dataclass(frozen=True, slots=True)
class Localized:
    """Everything prepared for one locale."""

    locale: str
    translator: Translator
    #: the texts of every node, translated in the node's context, by (flow id, node id)
    node_texts: dict[tuple[str, str], tuple[str, ...]]
    #: every choice node, by (flow id, node id)
    choices: dict[tuple[str, str], Choice]
    #: each service's card without its time-dependent status, by service id
    cards: dict[str, Card]
    #: the last answer of every question
    emergency_option: str
    #: the buttons of every question whose labels are fixed, by their labels (the emergency
    #: answer last, as in :func:`bot.engine.questions.all_labels`)
    buttons: dict[tuple[str, ...], tuple[Option, ...]]

    def options(self, labels: Iterable[str]) -> tuple[Option, ...]:
        """The buttons of a question with these labels (the emergency answer included)."""
        key = tuple(labels)
        found = self.buttons.get(key)
        return _numbered(key) if found is None else found


@dataclass(frozen=True, slots=True)
class Prepared:
    """The prepared data of one content bundle, per (normalized) locale."""

    by_locale: dict[str, Localized]


def _numbered(labels: tuple[str, ...]) -> tuple[Option, ...]:
    return tuple(Option(i, label) for i, label in enumerate(labels))


def prepare_choice(content: Content, t: Translator, flow_id: str, node: ChoiceNode) -> Choice:
    """A choice node's question and the options the user sees, as
    :func:`bot.engine.questions.options` works them out per step for unprepared choices."""
    context = f"{flow_id}/{node.id}"
    text = t.content_text(context, node.text)
    if node.ask == LAND_SLOT:
        specs = tuple(
            OptionSpec(t.pgettext("region", r.label), node.next or "", ((LAND_SLOT, r.code),))
            for r in content.knowledge.regions
        )
    else:
        specs = node.options
    if node.ask:
        labels = tuple(o.label for o in specs)
    else:
        labels = tuple(t.content_text(context, o.label) for o in specs)
    tests = tuple(tuple((c.slot, frozenset(c.values)) for c in o.when) for o in specs)
    return Choice(node, text, specs, labels, tests, any(tests))


def _fixed_labels(t: Translator, content: Content) -> list[tuple[str, ...]]:
    """Label sets of the engine's own questions (menus of the language, consent, a case)."""
    return [
        (texts.to_main_menu(t),),
        tuple(LANGUAGE_NAMES.get(loc, loc) for loc in content.catalogs.locales),
        tuple(texts.consent_answers(t)),
        (texts.end_case(t),),
        (texts.confirm_end(t), texts.keep_case(t)),
    ]


def _localized(content: Content, locale: str) -> Localized:
    t = content.catalogs.by_locale[locale]
    node_texts: dict[tuple[str, str], tuple[str, ...]] = {}
    choices: dict[tuple[str, str], Choice] = {}
    for flow in content.flows.values():
        for node in flow.nodes.values():
            context = f"{flow.id}/{node.id}"
            node_texts[flow.id, node.id] = tuple(t.content_text(context, x) for x in node.texts)
            if isinstance(node, ChoiceNode) and node.ask in FIXED_ASKS:
                choices[flow.id, node.id] = prepare_choice(content, t, flow.id, node)
    emergency = texts.emergency_option(t)
    label_sets = [c.labels for c in choices.values() if not c.conditional]
    label_sets.extend(_fixed_labels(t, content))
    buttons = {(*labels, emergency): _numbered((*labels, emergency)) for labels in label_sets}
    cards = {s.id: static_card(s, t) for s in content.knowledge.services.values()}
    return Localized(locale, t, node_texts, choices, cards, emergency, buttons)


def prepare(content: Content) -> Prepared:
    """Work out the prepared data of a bundle (uncached; :func:`prepared_for` caches it)."""
    catalogs = content.catalogs
    # every locale a conversation can be in: those Catalogs.normalize can return
    wanted = [loc for loc in catalogs.by_locale if catalogs.normalize(loc) == loc]
    return Prepared({loc: _localized(content, loc) for loc in wanted})


_PREPARED: WeakKeyDictionary[Content, Prepared] = WeakKeyDictionary()
#: the bundle asked for last (nearly always the one in use), found by identity alone
_last: tuple[ref[Content], Prepared] | None = None


def prepared_for(content: Content) -> Prepared:
    """The prepared data of a bundle, made on first use and kept while the bundle lives."""
    global _last
    last = _last
    if last is not None and last[0]() is content:
        return last[1]
    found = _PREPARED.get(content)
    if found is None:
        found = _PREPARED[content] = prepare(content)
    _last = (ref(content), found)
    return found
