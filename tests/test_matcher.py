"""Free text as people write it: typos, both languages, colloquial words; the danger detector
keeps every phrase it recognised before and gains typo variants, without firing on ordinary
texts; "not understood" offers the likeliest topics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.content import Content, ContentPaths, load_content
from bot.engine.actions import Ask, Say
from bot.engine.answers import topics_of
from bot.engine.events import Start, Text
from bot.engine.intent import fold, is_danger, normalize, rank_topics
from bot.engine.state import Suggesting
from bot.engine.step import Step, step
from tests.conftest import MONDAY_10

ROOT = Path(__file__).resolve().parents[1]

#: The danger patterns as they were before the fuzzy matcher (commit db54745), kept here so
#: that the recall test compares against what worked then.
LEGACY_PATTERNS = (
    r"notfall",
    r"notruf",
    r"hilfe+\b",
    r"\bsos\b",
    r"(akut\w*|unmittelbar\w*|gro(ss|ß)e\w*)\s+gefahr",
    r"\bin\s+gefahr",
    r"werde\s+(gerade\s+|jetzt\s+)?(bedroht|angegriffen|verfolgt|geschlagen)",
    r"(bedroht|bedrohen|verfolgt|schlägt|schlaegt|greift)\s+mich",
    r"(steht|stehen|ist|sind|wartet|warten)\s+(\w+\s+)?vor\s+(der|meiner|unserer)\s+"
    r"(tür|tuer|haustür|haustuer|wohnung)",
    r"vor\s+(meinem|unserem|dem)\s+(haus|büro|buero|rathaus)",
    r"\b(messer|waffe|pistole)\b",
    r"angegriffen",
    r"\bbrennt\b",
    r"\bhelp\b",
    r"emergency",
    r"\bdanger\b",
    r"being\s+(threatened|attacked|followed)",
    r"(threatening|attacking|following|hitting)\s+me",
    r"(at|outside)\s+(my|the|our)\s+(door|house|home|office)",
    r"\b(knife|gun|weapon)\b",
    r"\bpolice\b",
)
LEGACY = [re.compile(p) for p in LEGACY_PATTERNS]

#: At least one phrase for every legacy pattern, in its order.
PATTERN_PHRASES = (
    "Notfall!",
    "Wie ist der Notruf?",
    "Hilfeee",
    "SOS",
    "Ich bin in akuter Gefahr",
    "wir sind in Gefahr",
    "Ich werde jetzt verfolgt",
    "er bedroht mich",
    "Er steht noch vor der Haustür",
    "jemand wartet vor dem Rathaus",
    "Er hat ein Messer",
    "Ich wurde angegriffen",
    "Das Büro brennt",
    "Please help",
    "This is an emergency",
    "I am in danger",
    "I am being followed",
    "he is following me",
    "someone is outside the office",
    "he has a gun",
    "call the police",
)


def _conversation_danger_phrases() -> list[str]:
    """Every typed text of the conversation tests whose expected reply is the 110 guidance."""
    found: list[str] = []
    for path in sorted((ROOT / "tests" / "conversations").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for conversation in doc.get("conversations", []):
            for entry in conversation.get("steps", []):
                says = " ".join(map(str, (entry.get("expect") or {}).get("says", [])))
                sent = entry.get("send")
                if (
                    isinstance(sent, str)
                    and not sent.startswith("/")
                    and (
                        "Rufen Sie sofort die Polizei" in says or "Call the police at once" in says
                    )
                ):
                    found.append(sent)
    return found


#: Danger phrases of today's tests (tests/test_engine.py, the testbed's scripts).
TEST_PHRASES = (
    "Ich werde gerade bedroht",
    "er steht vor der Tür",
    "Notfall",
    "help",
    "HILFE!!",
    "someone is at my door",
    "Hilfe, ich bin in Gefahr",
    "Ich werde bedroht und beleidigt",
)


def _legacy(phrase: str) -> bool:
    """Whether the danger patterns before the matcher (the frozen copy above) knew ``phrase``."""
    return any(pattern.search(normalize(phrase)) for pattern in LEGACY)


#: Conversation tests also expect 110 for typo and other-language phrases (the new recall, see
#: TYPO_PHRASES); the phrases of today are those the old patterns knew.
TODAY = sorted({*PATTERN_PHRASES, *TEST_PHRASES, *filter(_legacy, _conversation_danger_phrases())})

#: Typos, dialect spelling and the other language: the new recall.
TYPO_PHRASES = (
    "bin bedrot wordn",
    "ich bin bedroht worden",
    "er will mich umbrigen",
    "der will mich umbringen",
    "er droht mich abzustechen und will mich abstechen",
    "he wants to kill me",
    "they are going to kill me",
    "he will kill me",
    "notfal",
    "ich werde gerade bedrooooht",
    "Ich werde verfogt",
    "er steht vor meiner Whonung",
    "ich wurde angegriffn",
    "HILFEEEEE",
    "im being threatend",
    "there is an emergancy",
)

#: Ordinary first messages that must not give the 110 guidance.
ORDINARY = (
    "Guten Tag, ich habe eine Frage zur Auskunftssperre",
    "Ich habe einen Hasskommentar auf Facebook bekommen",
    "Die Staatsanwaltschaft hat mein Verfahren eingestellt",
    "Ich bin Bürgermeisterin und brauche Rat",
    "Es wäre besser, wenn das aufhört",
    "Wir waren auf der Messe in Bonn",
    "Ich möchte eine Waffel",
    "Ich helfe gern im Wahllokal",
    "Ich bin total erschöpft",
    "Morgen ist eine Ratssitzung",
    "Wie kann ich mich schützen?",
    "Er hat mir eine Drohmail geschrieben",
    "I got a hateful comment",
    "the prosecutor dropped my case",
    "I feel anxious and cannot sleep",
    "Thank you very much",
    "Das Thema bringt mich um den Schlaf",
    "Der Kollege hat das Rathaus verlassen",
    "Mein Name ist Erika Mustermann, Tel 0171 1234567",
    "The meeting is at the town hall",
)


@pytest.fixture(scope="module")
def real() -> Content:
    loaded, problems = load_content(
        ContentPaths(ROOT / "flows", ROOT / "knowledge", ROOT / "locales")
    )
    assert not [p for p in problems if p.severity == "error"], problems
    return loaded


def _gives_110(content: Content, text: str, locale: str) -> bool:
    """Whether the first reply to ``text`` (opening a conversation) is the 110 guidance."""
    result = step(content, None, Text(text), MONDAY_10, locale)
    first = result.actions[0] if result.actions else None
    emergency = any(kind == "emergency" for _, kind in result.outcomes)
    return emergency and isinstance(first, Say) and "110" in first.text


def _started(content: Content, locale: str) -> Step:
    return step(content, None, Start(), MONDAY_10, locale)


# ---------------------------------------------------------------- the danger detector's recall


def test_every_legacy_pattern_has_a_phrase() -> None:
    for pattern in LEGACY:
        assert any(pattern.search(normalize(p)) for p in TODAY), pattern.pattern


@pytest.mark.parametrize("phrase", TODAY)
def test_every_danger_phrase_of_today_still_gives_110(real: Content, phrase: str) -> None:
    assert any(p.search(normalize(phrase)) for p in LEGACY), "not a danger phrase of today"
    assert is_danger(phrase)
    for locale in ("de", "en"):
        assert _gives_110(real, phrase, locale), locale
        started = _started(real, locale)
        again = step(real, started.state, Text(phrase), MONDAY_10)
        first = again.actions[0]
        assert isinstance(first, Say) and "110" in first.text, locale


@pytest.mark.parametrize("phrase", TYPO_PHRASES)
def test_typos_and_the_other_language_give_110(real: Content, phrase: str) -> None:
    assert is_danger(phrase)
    for locale in ("de", "en"):
        assert _gives_110(real, phrase, locale), locale


@pytest.mark.parametrize("phrase", ORDINARY)
def test_ordinary_texts_do_not_give_110(real: Content, phrase: str) -> None:
    assert not is_danger(phrase)
    assert not _gives_110(real, phrase, "de")


# ---------------------------------------------------------------- topics as people write


def test_folding() -> None:
    assert (
        fold(normalize("ÜBERGRIFF im Bürgerbüro, Straße")) == "uebergriff im buergerbuero, strasse"
    )
    assert fold("hilfeeeee") == "hilfee"
    assert fold("café") == "cafe"


@pytest.mark.parametrize(
    ("typed", "flow"),
    [
        # typos
        ("Ich habe einen Drohbreif bekommen", "bedrohung"),
        ("Hasskomentar auf Facebok", "hass"),
        ("Die Staatsanwaltschft hat eingestelt", "anzeige"),
        ("Auskunfsperre", "vorbeugen"),
        ("ich bin so überfordrt", "belastung"),
        ("Ubergriff im Rathaus", "uebergriff"),
        ("Uebergriff im Buergerbuero", "uebergriff"),
        # English in a German session, and the other way round below
        ("I got a death threat", "bedrohung"),
        ("hate comment on facebook", "hass"),
        ("the prosecutor dropped my case", "anzeige"),
        # colloquial and dialect words
        ("der Typ hat mich angepöbelt", "uebergriff"),
        ("er hat mir eine Watschn gegeben", "uebergriff"),
        ("ich hab echt Bammel", "belastung"),
        ("ich bin fix und fertig", "belastung"),
        ("bei der Anzeige tut sich nichts", "anzeige"),
        ("der hat gesagt er weiß wo du wohnst", "bedrohung"),
        ("die nennen mich Volksverräter", "hass"),
    ],
)
def test_topic_words_as_people_write(real: Content, typed: str, flow: str) -> None:
    ranked = [t for _, t in rank_topics(typed, topics_of(real))]
    assert ranked and ranked[0] == flow, ranked
    result = step(real, _started(real, "de").state, Text(typed), MONDAY_10)
    assert result.state is not None
    assert isinstance(result.state.mode, Suggesting)
    assert flow in result.state.mode.flows


@pytest.mark.parametrize(
    ("typed", "flow"),
    [
        ("Ich habe einen Drohbrief bekommen", "bedrohung"),
        ("Hasskommentar", "hass"),
        ("Bedrohng per Mail", "bedrohung"),
        ("Übergriff im Rathaus", "uebergriff"),
    ],
)
def test_german_words_in_an_english_session(real: Content, typed: str, flow: str) -> None:
    result = step(real, _started(real, "en").state, Text(typed), MONDAY_10)
    assert result.state is not None and isinstance(result.state.mode, Suggesting)
    assert result.state.mode.flows[0] == flow
    ask = result.actions[-1]
    assert isinstance(ask, Ask) and ask.text == "Did you mean one of these topics?"


def test_not_understood_offers_the_likeliest_topics(real: Content) -> None:
    # "Ubrgrif" is three letters from "uebergriff": too far for a match, near enough for a guess
    assert not rank_topics("Ubrgrif", topics_of(real))
    guesses = rank_topics("Ubrgrif", topics_of(real), near=True)
    assert guesses and guesses[0][1] == "uebergriff"
    result = step(real, _started(real, "de").state, Text("Ubrgrif"), MONDAY_10)
    said = [a.text for a in result.actions if isinstance(a, Say)]
    assert said == ["Das habe ich nicht sicher verstanden."]
    assert result.state is not None and isinstance(result.state.mode, Suggesting)
    assert result.state.mode.flows == ("uebergriff",)
    ask = result.actions[-1]
    assert isinstance(ask, Ask) and ask.text == "Meinten Sie eines dieser Themen?"
    english = step(real, _started(real, "en").state, Text("Ubrgrif"), MONDAY_10)
    assert [a.text for a in english.actions if isinstance(a, Say)] == [
        "I am not sure I understood that."
    ]


def test_two_typos_in_long_words_still_match(real: Content) -> None:
    assert rank_topics("Strafantrg Staatsanwaltschsft", topics_of(real))[0][1] == "anzeige"


def test_nothing_near_is_not_understood(real: Content) -> None:
    result = step(real, _started(real, "de").state, Text("Guten Tag"), MONDAY_10)
    said = " ".join(a.text for a in result.actions if isinstance(a, Say))
    assert "nicht verstanden" in said
    assert result.state is not None and not isinstance(result.state.mode, Suggesting)


def test_short_words_need_no_typo_tolerance(real: Content) -> None:
    # "has" is one letter from "hass": keywords under five letters match exactly only
    assert rank_topics("he has left", topics_of(real)) == []
    assert rank_topics("hast du Zeit", topics_of(real)) == []
