"""The pure engine: every node kind, every global command, stale input, free text."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.content import Content
from bot.engine.actions import (
    Ask,
    CloseCase,
    Erase,
    OpenCase,
    Relay,
    Say,
    ShowServices,
    Stale,
)
from bot.engine.events import COMMANDS, Choose, Command, Start, Text, Unsupported
from bot.engine.state import AtNode, CaseContext, Consenting, InCase, State
from bot.engine.step import Step, step
from tests.conftest import MONDAY_10


def texts(result: Step) -> str:
    out: list[str] = []
    for a in result.actions:
        if isinstance(a, Say | Stale):
            out.append(a.text)
        elif isinstance(a, Ask):
            out.append(a.text)
            out.extend(o.label for o in a.options)
        elif isinstance(a, ShowServices):
            out.append(a.intro)
            out.extend(c.name for c in a.cards)
    return "\n".join(out)


def ask(result: Step) -> Ask:
    asks = [a for a in result.actions if isinstance(a, Ask)]
    assert asks, result.actions
    return asks[-1]


def tap(content: Content, result: Step, label: str) -> Step:
    prompt = ask(result)
    option = next(o for o in prompt.options if o.label == label)
    assert result.state is not None
    return step(content, result.state, Choose(prompt.turn, option.index), MONDAY_10)


def cards(result: Step) -> list[str]:
    return [c.service_id for a in result.actions if isinstance(a, ShowServices) for c in a.cards]


@pytest.fixture
def started(content: Content) -> Step:
    return step(content, None, Start(), MONDAY_10, "de")


def test_start_runs_message_then_asks(started: Step) -> None:
    kinds = [type(a).__name__ for a in started.actions]
    assert kinds == ["Say", "Say", "Ask"]  # welcome, message node, question
    assert "Guten Tag." in texts(started)
    assert started.state == State("menu", "auswahl", "de", turn=1)


def test_every_question_offers_emergency(started: Step) -> None:
    assert ask(started).options[-1].label == "🆘 Akute Gefahr: Notruf 110"


def test_condition_hides_option_until_slot_set(content: Content, started: Step) -> None:
    labels = [o.label for o in ask(started).options]
    assert "Nur Bayern" not in labels
    assert started.state is not None
    by = step(content, replace(started.state, slots=(("land", "BY"),)), Command("start"), MONDAY_10)
    assert "Nur Bayern" in [o.label for o in ask(by).options]


def test_goto_choice_set_and_history(content: Content, started: Step) -> None:
    demo = tap(content, started, "Drohung")
    assert demo.state is not None
    assert (demo.state.flow, demo.state.node) == ("demo", "frage")
    online = tap(content, demo, "Online")
    assert online.state is not None
    assert online.state.slot("kanal") == "online"
    assert online.state.node == "land"
    assert online.state.history == (("menu", "auswahl"), ("demo", "frage"))


def test_ask_land_lists_regions_and_is_skipped_once_known(content: Content, started: Step) -> None:
    land = tap(content, tap(content, started, "Drohung"), "Online")
    assert [o.label for o in ask(land).options][:3] == [
        "Bayern",
        "Nordrhein-Westfalen",
        "Keine Angabe",
    ]
    after = tap(content, land, "Bayern")
    assert after.state is not None and after.state.slot("land") == "BY"
    # a second time through, the Land question is skipped
    again = tap(content, step(content, after.state, Command("start"), MONDAY_10), "Drohung")
    skipped = tap(content, again, "Brief")
    assert skipped.state is not None and skipped.state.node == "nach_kanal"


def test_message_list_and_services_by_topic_with_land(content: Content, started: Step) -> None:
    land = tap(content, tap(content, started, "Drohung"), "Online")
    tipps = tap(content, land, "Bayern")
    said = [a.text for a in tipps.actions if isinstance(a, Say)]
    assert said == ["Erster Tipp.", "Zweiter Tipp."]
    shown = tap(content, tipps, "Online-Hinweis")
    assert cards(shown) == ["stelle_by", "notruf", "buero"]  # the Land's own first
    assert "ungeprueft" not in cards(shown)


def test_services_without_land_are_national_only(content: Content, started: Step) -> None:
    land = tap(content, tap(content, started, "Drohung"), "Online")
    shown = tap(content, tap(content, land, "Keine Angabe"), "Online-Hinweis")
    assert cards(shown) == ["notruf", "buero"]


def _at_handoff(content: Content, started: Step, land: str = "Nordrhein-Westfalen") -> Step:
    land_q = tap(content, tap(content, started, "Drohung"), "Online")
    return tap(content, tap(content, land_q, land), "Online-Hinweis")


def test_handoff_asks_consent_showing_what_is_passed_on(content: Content, started: Step) -> None:
    at = _at_handoff(content, started)
    assert at.state is not None and (at.state.node, at.state.mode) == ("abgabe", Consenting())
    prompt = ask(at)
    assert "Thema: Bedrohung · Dringlichkeit: hoch · Land: Nordrhein-Westfalen" in prompt.text
    assert "Kein Name, kein Text, kein Konto" in prompt.text
    assert [o.label for o in prompt.options] == [
        "Ja, über diesen Chat weitergeben",
        "Nein, Kontaktdaten zeigen",
        "Nein, danke",
        "🆘 Akute Gefahr: Notruf 110",
    ]
    assert ("demo", "handoff") in at.outcomes
    assert not any(isinstance(a, OpenCase) for a in at.actions)


def test_handoff_contact_details_instead(content: Content, started: Step) -> None:
    details = tap(content, _at_handoff(content, started), "Nein, Kontaktdaten zeigen")
    assert cards(details) == ["notruf", "buero"]
    assert not any(isinstance(a, OpenCase) for a in details.actions)
    assert ask(details).options[0].label == "Zum Hauptmenü"


def test_handoff_declined_passes_nothing(content: Content, started: Step) -> None:
    declined = tap(content, _at_handoff(content, started), "Nein, danke")
    assert "Es wird nichts weitergegeben" in texts(declined)
    assert not any(isinstance(a, OpenCase) for a in declined.actions)


def test_handoff_consent_opens_case(content: Content, started: Step) -> None:
    at = _at_handoff(content, started)
    prompt = ask(at)
    ctx = CaseContext(new_code="K7F3-Q9")
    opened = step(content, at.state, Choose(prompt.turn, 0), MONDAY_10, case=ctx)
    assert OpenCase("K7F3-Q9", "threat", "high", "NW", "demo") in opened.actions
    assert opened.state is not None and opened.state.mode == InCase("K7F3-Q9")
    assert "K7F3-Q9" in texts(opened) and "110" in texts(opened)
    assert [o.label for o in ask(opened).options] == ["Fall beenden", "🆘 Akute Gefahr: Notruf 110"]


def test_case_text_waits_until_claimed_then_relays(content: Content, started: Step) -> None:
    at = _at_handoff(content, started)
    opened = step(
        content, at.state, Choose(ask(at).turn, 0), MONDAY_10, case=CaseContext(new_code="AB12-CD")
    )
    waiting = step(content, opened.state, Text("Hallo"), MONDAY_10, case=CaseContext("AB12-CD"))
    assert not any(isinstance(a, Relay) for a in waiting.actions)
    assert "nicht weitergegeben und nicht aufbewahrt" in texts(waiting)
    claimed = CaseContext("AB12-CD", claimed=True)
    relayed = step(content, opened.state, Text("42 Leute"), MONDAY_10, case=claimed)
    assert relayed.actions == (Relay("AB12-CD", "42 Leute"),)
    assert relayed.state == opened.state
    for typed in ("1", "2", "Fall beenden", "Ja, Fall beenden", "zurück", "start"):
        kept = step(content, opened.state, Text(typed), MONDAY_10, case=claimed)
        assert kept.actions == (Relay("AB12-CD", typed),), typed  # all relayed, none ends it
    secret = step(content, opened.state, Text("GEHEIM-42"), MONDAY_10, case=claimed)
    assert "GEHEIM" not in repr(secret.actions) and "GEHEIM" not in repr(secret.state)


def test_case_danger_text_gives_emergency_and_is_relayed(content: Content, started: Step) -> None:
    at = _at_handoff(content, started)
    opened = step(
        content, at.state, Choose(ask(at).turn, 0), MONDAY_10, case=CaseContext(new_code="AB12-CD")
    )
    claimed = CaseContext("AB12-CD", claimed=True)
    result = step(content, opened.state, Text("er steht vor der Tür"), MONDAY_10, case=claimed)
    assert "110" in texts(result)
    assert Relay("AB12-CD", "er steht vor der Tür") in result.actions


def test_user_ends_case(content: Content, started: Step) -> None:
    at = _at_handoff(content, started)
    opened = step(
        content, at.state, Choose(ask(at).turn, 0), MONDAY_10, case=CaseContext(new_code="AB12-CD")
    )
    asked = step(
        content, opened.state, Choose(ask(opened).turn, 0), MONDAY_10, case=CaseContext("AB12-CD")
    )
    assert not any(isinstance(a, CloseCase) for a in asked.actions)  # asks first
    assert asked.state is not None and asked.state.mode == InCase("AB12-CD", "end")
    assert [o.label for o in ask(asked).options][:2] == [
        "Ja, Fall beenden",
        "Nein, im Fall bleiben",
    ]
    kept = step(
        content, asked.state, Choose(ask(asked).turn, 1), MONDAY_10, case=CaseContext("AB12-CD")
    )
    assert kept.state is not None and kept.state.mode == InCase("AB12-CD")
    assert not any(isinstance(a, CloseCase) for a in kept.actions)
    ended = step(
        content, asked.state, Choose(ask(asked).turn, 0), MONDAY_10, case=CaseContext("AB12-CD")
    )
    assert CloseCase("AB12-CD", "user") in ended.actions
    assert ended.state is not None and ended.state.mode == AtNode()


def test_leaving_a_case_asks_first(content: Content, started: Step) -> None:
    """/start, a deep link, /zurueck and /neustart in a case ask before the case ends; /notfall
    and the emergency answer keep it open."""
    at = _at_handoff(content, started)
    opened = step(
        content, at.state, Choose(ask(at).turn, 0), MONDAY_10, case=CaseContext(new_code="AB12-CD")
    )
    case = CaseContext("AB12-CD", claimed=True)
    for event, what in (
        (Start(), "start"),
        (Start("demo"), "start"),
        (Command("back"), "back"),
        (Command("restart"), "restart"),
    ):
        asked = step(content, opened.state, event, MONDAY_10, case=case)
        assert asked.state is not None and asked.state.mode == InCase("AB12-CD", what), event
        assert not any(isinstance(a, CloseCase) for a in asked.actions)
        assert "noch offen" in texts(asked)
        ended = step(content, asked.state, Choose(ask(asked).turn, 0), MONDAY_10, case=case)
        assert CloseCase("AB12-CD", "user") in ended.actions
        assert ended.state is not None and ended.state.mode == AtNode()
    start_over = step(content, opened.state, Start(), MONDAY_10, case=case)
    ended = step(content, start_over.state, Choose(ask(start_over).turn, 0), MONDAY_10, case=case)
    assert ended.state is not None and ended.state.flow == content.entry
    for event in (Command("emergency"), Command("help"), Command("language", "de")):
        stays = step(content, opened.state, event, MONDAY_10, case=case)
        assert stays.state is not None and isinstance(stays.state.mode, InCase), event
        assert not any(isinstance(a, CloseCase) for a in stays.actions)
    sos = step(content, opened.state, Choose(ask(opened).turn, 1), MONDAY_10, case=case)
    assert "110" in texts(sos) and sos.state == replace(opened.state, turn=sos.state.turn)


def test_case_closed_by_contact_meanwhile(content: Content, started: Step) -> None:
    at = _at_handoff(content, started)
    opened = step(
        content, at.state, Choose(ask(at).turn, 0), MONDAY_10, case=CaseContext(new_code="AB12-CD")
    )
    after = step(content, opened.state, Text("noch da?"), MONDAY_10, case=CaseContext())
    assert "ist beendet" in texts(after)
    assert not any(isinstance(a, Relay | CloseCase) for a in after.actions)


def test_refused_handoff_shows_services(content: Content, started: Step) -> None:
    at = _at_handoff(content, started)
    refused = step(
        content,
        at.state,
        Choose(ask(at).turn, 0),
        MONDAY_10,
        case=CaseContext(refusal="blocked", new_code="XX11-YY"),
    )
    assert not any(isinstance(a, OpenCase) for a in refused.actions)
    assert cards(refused) == ["notruf", "buero"]


def test_open_case_is_shown_again_at_a_handoff_node(content: Content, started: Step) -> None:
    again = step(content, started.state, Start("demo"), MONDAY_10, case=CaseContext("AB12-CD"))
    land_q = tap(content, again, "Online")
    assert land_q.state is not None
    at = step(
        content,
        land_q.state,
        Choose(ask(land_q).turn, 1),
        MONDAY_10,
        case=CaseContext("AB12-CD"),
    )
    shown = step(content, at.state, Choose(ask(at).turn, 0), MONDAY_10, case=CaseContext("AB12-CD"))
    assert shown.state is not None and shown.state.mode == InCase("AB12-CD")


def test_delete_with_open_case_withdraws_it(content: Content, started: Step) -> None:
    result = step(content, started.state, Command("delete"), MONDAY_10, case=CaseContext("AB12-CD"))
    assert result.actions[0] == CloseCase("AB12-CD", "erased")
    assert isinstance(result.actions[1], Erase)


def test_services_by_ids_keep_order(content: Content, started: Step) -> None:
    land = tap(content, tap(content, started, "Drohung"), "Brief")
    shown = tap(content, tap(content, land, "Bayern"), "Brief-Hinweis")
    assert cards(shown) == ["stelle_by", "notruf"]
    assert ("demo", "services") in shown.outcomes


def test_goto_node_and_end_then_main_menu(content: Content, started: Step) -> None:
    end = tap(content, tap(content, started, "Drohung"), "Zum Schluss springen")
    assert end.state is not None and end.state.node == "schluss"
    assert "Auf Wiedersehen." in texts(end)
    assert ("demo", "end") in end.outcomes
    menu = tap(content, end, "Zum Hauptmenü")
    assert menu.state is not None and (menu.state.flow, menu.state.node) == ("menu", "auswahl")
    assert menu.state.history == ()


def test_opening_hours_status(content: Content, started: Step) -> None:
    land = tap(content, tap(content, started, "Drohung"), "Online")
    tipps = tap(content, land, "Keine Angabe")
    prompt = ask(tipps)
    assert tipps.state is not None
    open_now = step(content, tipps.state, Choose(prompt.turn, 0), MONDAY_10)
    buero = next(
        c
        for a in open_now.actions
        if isinstance(a, ShowServices)
        for c in a.cards
        if c.service_id == "buero"
    )
    assert buero.hours == "Mo–Fr 9:00–16:00"
    assert buero.status == "Jetzt erreichbar, bis 16:00 Uhr"
    saturday = MONDAY_10.replace(day=28)
    closed = step(content, tipps.state, Choose(prompt.turn, 0), saturday)
    buero = next(
        c
        for a in closed.actions
        if isinstance(a, ShowServices)
        for c in a.cards
        if c.service_id == "buero"
    )
    assert buero.status == "Gerade geschlossen. Wieder erreichbar: Montag um 9:00 Uhr"
    early = step(content, tipps.state, Choose(prompt.turn, 0), MONDAY_10.replace(hour=7))
    buero = next(
        c
        for a in early.actions
        if isinstance(a, ShowServices)
        for c in a.cards
        if c.service_id == "buero"
    )
    assert buero.status == "Gerade geschlossen. Wieder erreichbar: heute um 9:00 Uhr"


# ---------------------------------------------------------------- stale and free text


def test_stale_choice_changes_nothing(content: Content, started: Step) -> None:
    demo = tap(content, started, "Drohung")
    old = step(content, demo.state, Choose(ask(started).turn, 0), MONDAY_10)
    assert [type(a) for a in old.actions] == [Stale]
    assert old.state == demo.state


@pytest.mark.parametrize("index", [99, -1])
def test_unknown_choice_index_is_stale(content: Content, started: Step, index: int) -> None:
    result = step(content, started.state, Choose(ask(started).turn, index), MONDAY_10)
    assert [type(a) for a in result.actions] == [Stale]
    assert result.state == started.state


def test_choice_without_conversation_starts_one(content: Content) -> None:
    result = step(content, None, Choose(7, 0), MONDAY_10)
    assert isinstance(result.actions[0], Stale)
    assert result.state is not None and result.state.node == "auswahl"


@pytest.mark.parametrize("typed", ["1", " 1. ", "Drohung", "drohung", "DROH"])
def test_typing_number_or_label_chooses(content: Content, started: Step, typed: str) -> None:
    result = step(content, started.state, Text(typed), MONDAY_10)
    assert result.state is not None and result.state.flow == "demo"


@pytest.mark.parametrize("typed", ["¹", "²", "1²", "⑴"])
def test_digits_int_cannot_read_are_free_text(content: Content, started: Step, typed: str) -> None:
    # str.isdigit() passes these, int() refuses them: the step must not fail
    result = step(content, started.state, Text(typed), MONDAY_10)
    assert "nicht verstanden" in texts(result)
    assert result.state is not None and result.state.node == "auswahl"


def test_free_text_reprompts_and_is_never_stored(content: Content, started: Step) -> None:
    secret = "Mein Name ist Erika Mustermann, Tel 0171 1234567"
    result = step(content, started.state, Text(secret), MONDAY_10)
    assert "nicht verstanden" in texts(result)
    assert isinstance(result.actions[-1], Ask)
    assert result.state is not None
    assert result.state.node == "auswahl"
    assert "Erika" not in repr(result) and "0171" not in repr(result)
    assert "Erika" not in repr(Text(secret))


@pytest.mark.parametrize(
    "typed",
    [
        "Ich werde gerade bedroht",
        "er steht vor der Tür",
        "Notfall",
        "help",
        "HILFE!!",
        "someone is at my door",
    ],
)
def test_danger_in_free_text_gives_emergency_at_once(
    content: Content, started: Step, typed: str
) -> None:
    result = step(content, started.state, Text(typed), MONDAY_10)
    assert "110" in result.actions[0].text  # type: ignore[union-attr]
    assert ("menu", "emergency") in result.outcomes


def test_danger_in_first_message_without_conversation(content: Content) -> None:
    result = step(content, None, Text("Notfall"), MONDAY_10)
    assert "110" in texts(result)


def test_topic_words_offer_flows(content: Content, started: Step) -> None:
    result = step(content, started.state, Text("Ich habe eine Drohung per Post"), MONDAY_10)
    prompt = ask(result)
    assert prompt.options[0].label == "Drohung erhalten"
    chosen = step(content, result.state, Choose(prompt.turn, 0), MONDAY_10)
    assert chosen.state is not None and chosen.state.flow == "demo"


def test_unsupported_media_gets_hint(content: Content, started: Step) -> None:
    result = step(content, started.state, Unsupported("photo"), MONDAY_10)
    assert "Bilder" in texts(result)
    assert isinstance(result.actions[-1], Ask)


# ---------------------------------------------------------------- global commands


def test_all_commands_are_handled_everywhere(content: Content, started: Step) -> None:
    land = tap(content, tap(content, started, "Drohung"), "Online")
    for name in COMMANDS:
        for state in (started.state, land.state):
            result = step(content, state, Command(name), MONDAY_10)
            assert result.actions, name


def test_help_lists_commands_and_reasks(content: Content, started: Step) -> None:
    result = step(content, started.state, Command("help"), MONDAY_10)
    assert "/notfall" in texts(result) and "/loeschen" in texts(result)
    assert ask(result).text == "Worum geht es?"


def test_emergency_from_a_question(content: Content, started: Step) -> None:
    result = step(content, started.state, Command("emergency"), MONDAY_10)
    assert "110" in texts(result) and "112" in texts(result)
    assert ask(result).text == "Worum geht es?"


def test_emergency_option_button(content: Content, started: Step) -> None:
    result = tap(content, started, "🆘 Akute Gefahr: Notruf 110")
    assert "110" in texts(result)
    assert result.state is not None and result.state.node == "auswahl"


def test_back_returns_to_previous_question(content: Content, started: Step) -> None:
    online = tap(content, tap(content, started, "Drohung"), "Online")
    back = step(content, online.state, Command("back"), MONDAY_10)
    assert back.state is not None and (back.state.flow, back.state.node) == ("demo", "frage")
    back2 = step(content, back.state, Command("back"), MONDAY_10)
    assert back2.state is not None and (back2.state.flow, back2.state.node) == ("menu", "auswahl")
    first = step(content, back2.state, Command("back"), MONDAY_10)
    assert "bereits am Anfang" in texts(first)


def test_restart_forgets_slots(content: Content, started: Step) -> None:
    assert started.state is not None
    state = replace(started.state, slots=(("land", "BY"),), history=(("menu", "auswahl"),))
    result = step(content, state, Command("restart"), MONDAY_10)
    assert result.state is not None
    assert result.state.slots == () and result.state.history == ()


def test_start_keeps_slots_and_opens_deep_link(content: Content, started: Step) -> None:
    assert started.state is not None
    state = replace(started.state, slots=(("land", "BY"),))
    result = step(content, state, Start("demo"), MONDAY_10)
    assert result.state is not None and result.state.flow == "demo"
    assert result.state.slot("land") == "BY"
    unknown = step(content, state, Start("<script>"), MONDAY_10)
    assert unknown.state is not None and unknown.state.flow == "menu"


def test_language_menu_and_direct_switch(content: Content, started: Step) -> None:
    menu = step(content, started.state, Command("language"), MONDAY_10)
    assert [o.label for o in ask(menu).options][:2] == ["Deutsch", "English"]
    english = tap(content, menu, "English")
    assert english.state is not None and english.state.locale == "en"
    assert ask(english).text == "What is it about?"
    direct = step(content, started.state, Command("language", "en"), MONDAY_10)
    assert direct.state is not None and direct.state.locale == "en"


def test_missing_translation_falls_back_to_german(content: Content) -> None:
    result = step(content, None, Start(), MONDAY_10, "en-GB")
    assert result.state is not None and result.state.locale == "en"
    prompt = ask(result)
    assert prompt.text == "What is it about?"
    assert "Ende" in [o.label for o in prompt.options]  # not translated in the fixture: German


def test_privacy_command(content: Content, started: Step) -> None:
    result = step(content, started.state, Command("privacy"), MONDAY_10)
    assert "keine Texte" in texts(result)


def test_delete_erases_and_keeps_nothing(content: Content, started: Step) -> None:
    result = step(content, started.state, Command("delete"), MONDAY_10)
    assert result.state is None and result.erase
    assert isinstance(result.actions[0], Erase)


def test_step_is_pure(content: Content, started: Step) -> None:
    first = step(content, started.state, Text("2"), MONDAY_10)
    second = step(content, started.state, Text("2"), MONDAY_10)
    assert first == second


def test_state_from_removed_flow_restarts(content: Content) -> None:
    gone = State("verschwunden", "x", "de", slots=(("land", "NW"),), turn=5)
    result = step(content, gone, Text("hallo"), MONDAY_10)
    assert result.state is not None and result.state.flow == "menu"
    assert result.state.slot("land") == "NW"
