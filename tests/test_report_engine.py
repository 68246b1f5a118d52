"""The Übergriff report in the pure engine (bot/engine/report.py): each question, a typed date,
back, 110 from every question, bad input, consent, the contact details and the stored mode."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.actions import Ask, RelayReport, Say, SendReport, Stale
from bot.engine.events import Choose, Command, Event, Start, Text
from bot.engine.report import typed_date
from bot.engine.report_ask import CONSENT, ORDER, REACH, due
from bot.engine.state import AT_NODE, ReportContext, Reporting, State
from bot.engine.step import Step, step
from bot.storage.modes import mode_text, parse_mode
from tests.conftest import MONDAY_10

ROOT = Path(__file__).resolve().parent.parent
OFFICE = ReportContext("Meldestelle Musterland", "ABCD-EF")
#: the labels that answer each question in turn
PATH = ("Bedrohung", "Ordnungsamt / Vollzug", "Heute", "Ja", "Nein", "Nein")


def at_weiter(content: Content) -> State:
    """At the "how to go on" question of uebergriff, Land and region chosen."""
    state = State("uebergriff", "weiter", slots=(("land", "SN"), ("region", "14999")), turn=5)
    return state.pushed()


def run(
    content: Content, state: State, event: Event, report: ReportContext | None = OFFICE
) -> Step:
    return step(content, state, event, MONDAY_10, report=report)


def ask(result: Step) -> Ask:
    return [a for a in result.actions if isinstance(a, Ask)][-1]


def said(result: Step) -> str:
    return "\n".join(a.text for a in result.actions if isinstance(a, Say))


def tap(content: Content, result: Step, label: str, report: ReportContext = OFFICE) -> Step:
    prompt = ask(result)
    index = next(o.index for o in prompt.options if o.label == label)
    assert result.state is not None
    return run(content, result.state, Choose(prompt.turn, index), report)


def start(content: Content, report: ReportContext | None = OFFICE) -> Step:
    state = at_weiter(content)
    first = step(content, state, Text("x"), MONDAY_10)  # just to get the question's turn
    assert first.state is not None
    prompt = ask(first)
    index = next(o.index for o in prompt.options if "melden" in o.label)
    return run(content, first.state, Choose(prompt.turn, index), report)


def mode(result: Step) -> Reporting:
    assert result.state is not None and isinstance(result.state.mode, Reporting)
    return result.state.mode


def test_without_a_meldestelle_the_node_says_so_and_no_report_starts(musterland: Content) -> None:
    result = start(musterland, None)
    assert "keine Meldestelle eingerichtet" in said(result)
    assert result.state is not None and result.state.node == "weiter"


def test_each_question_in_turn_then_the_consent(musterland: Content) -> None:
    result = start(musterland)
    assert mode(result) == Reporting("what")
    texts = [ask(result).text]
    for label, following in zip(PATH, (*ORDER[1:], CONSENT), strict=True):
        result = tap(musterland, result, label)
        assert mode(result).question == following
        texts.append(ask(result).text)
    assert mode(result).answers == (
        ("what", "bedrohung"),
        ("where", "ordnungsamt"),
        ("when", "heute"),
        ("hurt", "ja"),
        ("police", "nein"),
        ("contact", "nein"),
    )
    assert "Wo ist es geschehen?" in texts[1] and "Wurde jemand verletzt?" in texts[3]
    consent = texts[-1]
    assert "Empfangende Stelle: Meldestelle Musterland\nJetzt senden?" in consent
    assert "Meldestelle Meldestelle" not in consent  # a name with the word reads well too
    assert "Was: Bedrohung" in consent and "Verletzt: Ja" in consent


def test_every_question_has_back_and_110_last(musterland: Content) -> None:
    result = start(musterland)
    for label in (*PATH, None):
        labels = [o.label for o in ask(result).options]
        assert labels[-1] == "🆘 Akute Gefahr: Notruf 110"
        assert labels[-2] == "⬅ Zurück"
        if label is not None:
            result = tap(musterland, result, label)


def test_110_from_every_question_keeps_the_question(musterland: Content) -> None:
    result = start(musterland)
    for label in (*PATH, None):
        before = mode(result)
        emergency = tap(musterland, result, "🆘 Akute Gefahr: Notruf 110")
        assert "110" in said(emergency)
        assert mode(emergency) == before
        assert ("uebergriff", "emergency") in emergency.outcomes
        by_command = run(musterland, result.state, Command("emergency"))  # type: ignore[arg-type]
        assert "110" in said(by_command) and mode(by_command) == before
        if label is not None:
            result = tap(musterland, result, label)


def test_back_goes_one_question_back_and_forgets_that_answer(musterland: Content) -> None:
    result = start(musterland)
    for label in PATH[:3]:
        result = tap(musterland, result, label)
    assert mode(result).question == "hurt"
    back = tap(musterland, result, "⬅ Zurück")
    assert mode(back) == Reporting("when", (("what", "bedrohung"), ("where", "ordnungsamt")))
    by_command = run(musterland, result.state, Command("back"))  # type: ignore[arg-type]
    assert mode(by_command) == mode(back)


def test_back_from_the_consent_returns_to_the_last_question(musterland: Content) -> None:
    result = start(musterland)
    for label in PATH:
        result = tap(musterland, result, label)
    back = tap(musterland, result, "⬅ Zurück")
    assert mode(back).question == "contact" and len(mode(back).answers) == 5


def test_back_from_the_first_question_leaves_the_report(musterland: Content) -> None:
    back = tap(musterland, start(musterland), "⬅ Zurück")
    assert back.state is not None and back.state.mode == AT_NODE
    assert back.state.node == "weiter"


def test_a_typed_date_is_kept_as_its_date_only(musterland: Content) -> None:
    result = start(musterland)
    for label in PATH[:2]:
        result = tap(musterland, result, label)
    typed = run(musterland, result.state, Text("20.11.2026"))  # type: ignore[arg-type]
    assert mode(typed) == Reporting(
        "hurt", (("what", "bedrohung"), ("where", "ordnungsamt"), ("when", "2026-11-20"))
    )
    assert "20.11.2026" not in mode_text(mode(typed)).replace("2026-11-20", "")


@pytest.mark.parametrize("text", ["31.02.2026", "1.1.2099", "5.13.", "2026-99-01"])
def test_a_bad_date_gets_a_friendly_answer_and_changes_nothing(
    musterland: Content, text: str
) -> None:
    result = start(musterland)
    for label in PATH[:2]:
        result = tap(musterland, result, label)
    bad = run(musterland, result.state, Text(text))  # type: ignore[arg-type]
    assert "Dieses Datum kann ich nicht lesen" in said(bad)
    assert mode(bad) == mode(result)


def test_typed_nonsense_changes_nothing(musterland: Content) -> None:
    result = start(musterland)
    bad = run(musterland, result.state, Text("blubb"))  # type: ignore[arg-type]
    assert "nicht verstanden" in said(bad) and mode(bad) == mode(result)


def test_a_typed_label_answers(musterland: Content) -> None:
    result = run(musterland, start(musterland).state, Text("beleidigung"))  # type: ignore[arg-type]
    assert mode(result) == Reporting("where", (("what", "beleidigung"),))


def test_a_stale_button_changes_nothing(musterland: Content) -> None:
    result = start(musterland)
    assert result.state is not None
    stale = run(musterland, result.state, Choose(result.state.turn - 1, 0))
    assert isinstance(stale.actions[0], Stale) and mode(stale) == mode(result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.12.2026", date(2026, 12, 3)),
        ("03.12.26", date(2026, 12, 3)),
        ("3.12.", date(2026, 12, 3)),
        ("28.12.", date(2025, 12, 28)),
        ("2026-11-30", date(2026, 11, 30)),
        ("8.12.2026", None),
        ("1.1.2020", None),
        ("gestern abend", None),
    ],
)
def test_typed_dates(text: str, expected: date | None) -> None:
    assert typed_date(text, date(2026, 12, 7)) == expected


def test_send_emits_the_report_and_the_own_steps(musterland: Content) -> None:
    result = start(musterland)
    for label in PATH:
        result = tap(musterland, result, label)
    sent = tap(musterland, result, "Ja, senden")
    reports = [a for a in sent.actions if isinstance(a, SendReport)]
    assert reports == [
        SendReport("ABCD-EF", "assault", mode(result).answers, "SN", "14999"),
    ]
    assert ("uebergriff", "report") in sent.outcomes
    text = said(sent)
    assert "Ihre Meldung ABCD-EF ist auf dem Weg zur Meldestelle." in text
    assert "Empfangende Stelle: Meldestelle Musterland\n" in text
    assert "Meldestelle Meldestelle" not in text
    assert "Durchgangsarzt" in text and "keine Meldestelle eingerichtet" not in text
    assert sent.state is not None and sent.state.mode == AT_NODE and sent.state.node == "weiter"


def test_decline_sends_nothing(musterland: Content) -> None:
    result = start(musterland)
    for label in PATH:
        result = tap(musterland, result, label)
    declined = tap(musterland, result, "Nein, nicht senden")
    assert not [a for a in declined.actions if isinstance(a, SendReport)]
    assert "nichts gesendet" in said(declined)


def test_the_office_gone_at_consent_sends_nothing(musterland: Content) -> None:
    result = start(musterland)
    for label in PATH:
        result = tap(musterland, result, label)
    gone = tap(musterland, result, "Ja, senden", ReportContext())
    assert not [a for a in gone.actions if isinstance(a, SendReport)]
    assert "nicht mehr in Beistand erreichbar" in said(gone)


def contact_wanted(musterland: Content) -> Step:
    result = start(musterland)
    for label in (*PATH[:5], "Ja"):
        result = tap(musterland, result, label)
    return tap(musterland, result, "Ja, senden")


def test_contact_wanted_asks_how_and_relays_the_text(musterland: Content) -> None:
    sent = contact_wanted(musterland)
    assert mode(sent) == Reporting(REACH, (("code", "ABCD-EF"),))
    labels = [o.label for o in ask(sent).options]
    assert labels[-2:] == ["⬅ Zurück", "🆘 Akute Gefahr: Notruf 110"]
    typed = run(musterland, sent.state, Text("Tel 0351 123"))  # type: ignore[arg-type]
    relays = [a for a in typed.actions if isinstance(a, RelayReport)]
    assert relays == [RelayReport("ABCD-EF", "Tel 0351 123")]
    assert "0351" not in repr(relays[0])
    assert typed.state is not None and typed.state.mode == AT_NODE
    assert "0351" not in repr(typed.state)


def test_contact_details_can_be_skipped(musterland: Content) -> None:
    skipped = tap(musterland, contact_wanted(musterland), "Doch keine Kontaktangabe senden")
    assert not [a for a in skipped.actions if isinstance(a, RelayReport)]
    assert skipped.state is not None and skipped.state.mode == AT_NODE


def test_danger_words_while_typing_the_contact_are_not_relayed(musterland: Content) -> None:
    sent = contact_wanted(musterland)
    typed = run(musterland, sent.state, Text("er ist wieder da, hilfe"))  # type: ignore[arg-type]
    assert not [a for a in typed.actions if isinstance(a, RelayReport)]
    assert "110" in said(typed) and mode(typed).question == REACH


def test_start_leaves_the_report(musterland: Content) -> None:
    result = run(musterland, start(musterland).state, Start())  # type: ignore[arg-type]
    assert result.state is not None and result.state.mode == AT_NODE
    assert result.state.flow == musterland.entry


def test_help_keeps_the_question(musterland: Content) -> None:
    result = tap(musterland, start(musterland), "Beleidigung")
    helped = run(musterland, result.state, Command("help"))  # type: ignore[arg-type]
    assert mode(helped) == mode(result)


def test_english_labels(musterland: Content) -> None:
    result = start(musterland)
    assert result.state is not None
    english = replace(result.state, locale="en")
    again = run(musterland, english, Command("help"))
    assert "Physical attack" in [o.label for o in ask(again).options]


@pytest.mark.parametrize(
    "value",
    [
        Reporting("what"),
        Reporting("consent", (("what", "angriff"), ("when", "2026-12-01"))),
        Reporting("reach", (("code", "ABCD-EF"),)),
    ],
)
def test_the_mode_is_stored_and_read_back(value: Reporting) -> None:
    assert parse_mode(mode_text(value)) == value


def test_old_mode_texts_still_decode() -> None:
    assert parse_mode("") == AT_NODE
    assert parse_mode("report:") == AT_NODE
    assert isinstance(parse_mode("case:ABCD-EF"), type(parse_mode("case:X")))


def test_the_lookup_is_due_only_where_a_report_can_start(musterland: Content) -> None:
    assert due(musterland, at_weiter(musterland))
    assert due(musterland, State("uebergriff", "meldung", mode=Reporting("what")))
    assert not due(musterland, State("uebergriff", "gefahr"))
    assert not due(musterland, None)
