"""What the engine prepares once per content bundle (bot/engine/prepared.py, issue 18) is what it
computed per step before: for every node, locale and slot combination of the fixture and the
shipped content; it is made anew for a reloaded bundle and not kept after a bundle is gone."""

from __future__ import annotations

import gc
import itertools
import shutil
import weakref
from dataclasses import fields, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.content import Content, ContentPaths, load_content
from bot.engine.actions import Ask, Option
from bot.engine.events import Choose, Start
from bot.engine.prepared import FIXED_ASKS, prepare, prepared_for
from bot.engine.present import card_for, static_card, with_status
from bot.engine.questions import current_labels, options, question_text
from bot.engine.run import Run
from bot.engine.state import AT_NODE, CaseContext, ChoosingLanguage, InCase, State
from bot.engine.step import step
from bot.engine.texts import emergency_option
from bot.flow.model import LAND_SLOT, ChoiceNode, OptionSpec
from bot.i18n import Translator
from tests.conftest import BASIC, MONDAY_10, basic_paths


@pytest.fixture(scope="module")
def shipped() -> Content:
    loaded, problems = load_content(ContentPaths())
    assert loaded is not None, [str(p) for p in problems]
    return loaded


@pytest.fixture(params=["fixture", "shipped"])
def bundle(request: pytest.FixtureRequest, content: Content, shipped: Content) -> Content:
    return content if request.param == "fixture" else shipped


def _raw_options(content: Content, t: Translator, node: ChoiceNode) -> tuple[OptionSpec, ...]:
    """The options of a choice as questions.options() built them per step before."""
    if node.ask == LAND_SLOT:
        return tuple(
            OptionSpec(t.pgettext("region", r.label), node.next or "", ((LAND_SLOT, r.code),))
            for r in content.knowledge.regions
        )
    return node.options


def _slot_combinations(node: ChoiceNode) -> list[tuple[tuple[str, str], ...]]:
    """Every combination of the values the options' conditions name, unset and another value."""
    named: dict[str, set[str]] = {}
    for option in node.options:
        for condition in option.when:
            named.setdefault(condition.slot, {"other"}).update(condition.values)
    names = sorted(named)
    combos: list[tuple[tuple[str, str], ...]] = []
    for values in itertools.product(*(sorted(named[n]) for n in names)):
        combos.append(tuple((n, v) for n, v in zip(names, values, strict=True) if v != "none"))
    return combos


def test_every_choice_matches_the_per_step_computation(bundle: Content) -> None:
    prepared = prepare(bundle)
    checked = 0
    for locale in bundle.catalogs.locales:
        t = bundle.catalogs.translator(locale)
        local = prepared.by_locale[locale]
        for flow in bundle.flows.values():
            for node in flow.nodes.values():
                context = f"{flow.id}/{node.id}"
                wanted_texts = tuple(t.content_text(context, x) for x in node.texts)
                assert local.node_texts[flow.id, node.id] == wanted_texts
                if not isinstance(node, ChoiceNode):
                    assert (flow.id, node.id) not in local.choices
                    continue
                choice = local.choices[flow.id, node.id]
                assert choice.node is node
                assert choice.text == t.content_text(context, node.text)
                specs = _raw_options(bundle, t, node)
                assert choice.specs == specs
                for slots in _slot_combinations(node):
                    shown = [o for o in specs if o.visible(dict(slots))]
                    labels = [
                        o.label if node.ask else t.content_text(context, o.label) for o in shown
                    ]
                    assert [choice.specs[i] for i in choice.visible(slots)] == shown
                    assert [choice.labels[i] for i in choice.visible(slots)] == labels
                    checked += 1
    assert checked > len(bundle.catalogs.locales)


def test_prepared_and_per_step_paths_of_the_engine_agree(bundle: Content) -> None:
    """questions.options/current_labels/question_text with the prepared choices and with none
    (the per-step path, which unprepared choices such as another ``ask:`` take)."""
    checked = 0
    for locale in bundle.catalogs.locales:
        for flow in bundle.flows.values():
            for node in flow.nodes.values():
                if not isinstance(node, ChoiceNode):
                    continue
                assert node.ask in FIXED_ASKS
                for slots in _slot_combinations(node):
                    state = State(flow.id, node.id, locale, slots)
                    fast = Run(bundle, state, MONDAY_10, CaseContext())
                    slow = Run(bundle, state, MONDAY_10, CaseContext())
                    slow._local = replace(fast.local, choices={})
                    slow._locale = locale
                    assert options(fast, node) == options(slow, node)
                    assert current_labels(fast) == current_labels(slow)
                    assert question_text(fast) == question_text(slow)
                    checked += 1
    assert checked > len(bundle.catalogs.locales)


def test_conditional_options_are_really_filtered(content: Content) -> None:
    """The fixture's menu offers "Nur Bayern" only with land BY (a check that can fail)."""
    choice = prepare(content).by_locale["de"].choices["menu", "auswahl"]
    assert choice.conditional
    assert [choice.labels[i] for i in choice.visible(())] == ["Drohung", "Ende"]
    with_by = [choice.labels[i] for i in choice.visible(((LAND_SLOT, "BY"),))]
    assert with_by == ["Drohung", "Nur Bayern", "Ende"]


def test_buttons_are_the_labels_numbered(bundle: Content) -> None:
    for locale, local in prepare(bundle).by_locale.items():
        emergency = emergency_option(bundle.catalogs.translator(locale))
        assert local.emergency_option == emergency
        for labels, buttons in local.buttons.items():
            assert labels[-1] == emergency
            assert buttons == tuple(Option(i, label) for i, label in enumerate(labels))
        odd = ("nicht vorbereitet", emergency)
        assert local.options(odd) == (Option(0, odd[0]), Option(1, emergency))


def test_cards_match_card_for_at_any_time(bundle: Content) -> None:
    moments = [MONDAY_10 + timedelta(hours=h) for h in (0, 9, 14, 30, 24 * 5 + 2)]
    moments.append(datetime(2026, 12, 25, 11, 0, tzinfo=MONDAY_10.tzinfo))  # a holiday
    prepared = prepare(bundle)
    for locale, local in prepared.by_locale.items():
        t = bundle.catalogs.translator(locale)
        for svc in bundle.knowledge.services.values():
            assert local.cards[svc.id] == static_card(svc, t)
            assert local.cards[svc.id].status == ""
            for now in moments:
                assert with_status(local.cards[svc.id], svc, t, now) == card_for(svc, t, now)


def test_prepared_once_per_bundle_and_ready_after_loading(content: Content) -> None:
    assert prepared_for(content) is prepared_for(content)
    other, _ = load_content(basic_paths())
    assert other is not None
    assert prepared_for(other) is not prepared_for(content)
    assert prepared_for(content) is prepared_for(content)  # switching back finds the first
    run = Run(content, State("menu", "auswahl"), MONDAY_10, CaseContext())
    assert run.prepared is prepared_for(content)


def test_a_bundle_that_is_gone_is_not_kept() -> None:
    loaded, _ = load_content(basic_paths())
    assert loaded is not None
    prepared_for(loaded)
    gone = weakref.ref(loaded)
    del loaded
    gc.collect()
    assert gone() is None


def _labels(result: object) -> list[str]:
    asks = [a for a in getattr(result, "actions", ()) if isinstance(a, Ask)]
    return [o.label for o in asks[-1].options]


def test_a_reload_prepares_the_edited_content(tmp_path: Path) -> None:
    root = tmp_path / "basic"
    shutil.copytree(BASIC, root)
    paths = ContentPaths(root / "flows", root / "knowledge", root / "locales")
    before, _ = load_content(paths)
    assert before is not None
    assert "Ende" in _labels(step(before, None, Start(), MONDAY_10))
    menu = paths.flows / "menu.yaml"
    menu.write_text(menu.read_text(encoding="utf-8").replace("label: Ende,", "label: Schluss,"))
    after, problems = load_content(paths)
    assert after is not None, [str(p) for p in problems]
    labels = _labels(step(after, None, Start(), MONDAY_10))
    assert "Schluss" in labels
    assert "Ende" not in labels
    assert "Ende" in _labels(step(before, None, Start(), MONDAY_10))  # the old bundle is intact


def test_language_switch_mid_step_uses_the_new_language(shipped: Content) -> None:
    entry = shipped.flows[shipped.entry]
    state = State(entry.id, entry.start, "de", turn=1, mode=ChoosingLanguage())
    result = step(shipped, state, Choose(1, shipped.catalogs.locales.index("en")), MONDAY_10)
    assert result.state is not None and result.state.locale == "en"
    labels = _labels(result)
    assert labels[-1] == emergency_option(shipped.catalogs.translator("en"))
    assert labels[-1] != emergency_option(shipped.catalogs.translator("de"))
    choice = prepared_for(shipped).by_locale["en"].choices[entry.id, entry.start]
    assert labels[:-1] == [choice.labels[i] for i in choice.visible(())]


def test_an_unknown_locale_is_served_in_german(content: Content) -> None:
    run = Run(content, State("menu", "auswahl", "fr"), MONDAY_10, CaseContext())
    assert run.local is prepared_for(content).by_locale["de"]
    assert current_labels(run) == ["Drohung", "Ende"]


def test_state_copies_keep_every_field() -> None:
    """The direct copies of State must name every field: adding one means adding it there."""
    assert [f.name for f in fields(State)] == [
        "flow",
        "node",
        "locale",
        "slots",
        "history",
        "turn",
        "mode",
    ]
    full = State("f", "n", "en", (("a", "1"), ("b", "2")), (("g", "h"),), 7, InCase("K7"))
    assert full.at("x", "y") == replace(full, flow="x", node="y", mode=AT_NODE)
    assert full.at("x", "y", ChoosingLanguage()) == replace(
        full, flow="x", node="y", mode=ChoosingLanguage()
    )
    assert full.next_turn() == replace(full, turn=8)
    assert full.pushed() == replace(full, history=(("g", "h"), ("f", "n")))
    assert full.with_slots((("a", "9"), ("c", "3"))) == replace(
        full, slots=(("a", "9"), ("b", "2"), ("c", "3"))
    )
    assert full.slot("b") == "2"
    assert full.slot("z") is None
    assert State("f", "n", slots=(("a", "1"), ("a", "2"))).slot("a") == "2"  # as dict() did
