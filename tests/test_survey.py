"""The anonymous survey: the engine's mode, the runtime (once per participant, counted with
the step), the results' k rule, the survey file's checks."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.content import Content, ContentPaths, require_content
from bot.engine.actions import Ask, Say, Stale
from bot.engine.events import Choose, Command, Start, Text
from bot.engine.state import AtNode, InSurvey
from bot.engine.step import step
from bot.engine.typed import parse_typed
from bot.ports import SurveyCount, SurveyRecord
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.memory import MemoryStore
from bot.storage.modes import mode_text, parse_mode
from bot.survey.admin import SurveyError, close_survey, open_survey, results
from bot.survey.loader import load_survey
from bot.survey.model import Survey
from bot.survey.results import marginals, survey_section, to_json, to_text
from tests.helpers import FakeClock

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "surveys" / "saalbefragung.yaml"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CODE = "ABCD2345"


@pytest.fixture(scope="module")
def shipped() -> Content:
    return require_content(ContentPaths())


@pytest.fixture(scope="module")
def survey() -> Survey:
    found, problems = load_survey(EXAMPLE)
    assert found is not None, problems
    assert problems == []
    return found


def asks(actions: tuple[object, ...]) -> list[Ask]:
    return [a for a in actions if isinstance(a, Ask)]


# ------------------------------------------------------------------ the engine


def test_a_link_starts_the_survey_and_each_answer_leaves_the_step_as_a_count(shipped, survey):
    from bot.survey.model import SurveyContext

    ctx = SurveyContext(CODE, survey)
    event = parse_typed(f"/start survey-{CODE.lower()}")
    assert event == Start(f"survey-{CODE.lower()}")
    result = step(shipped, None, event, NOW, "de", survey=ctx)
    assert result.state is not None and result.state.mode == InSurvey(CODE, 0)
    assert result.answers == ()
    state = result.state
    for index in range(len(survey.questions)):
        ask = asks(result.actions)[-1]
        labels = [o.label for o in ask.options]
        assert labels[-1] == "🆘 Akute Gefahr: Notruf 110"  # 110 in one step, every question
        assert labels[-2] == "Umfrage verlassen"
        result = step(shipped, state, Choose(ask.turn, 0), NOW, "de", survey=ctx)
        assert [(a.question, a.answer) for a in result.answers] == [(index, 0)]
        assert result.state is not None
        state = result.state
        # the state keeps the position only: nothing of the answer
        assert state.slots == () and state.history == ()
    assert isinstance(state.mode, AtNode)
    assert "Vielen Dank" in " ".join(a.text for a in result.actions if isinstance(a, Say))


def test_the_emergency_answer_and_110_typed_show_the_guidance_and_ask_again(shipped, survey):
    from bot.survey.model import SurveyContext

    ctx = SurveyContext(CODE, survey)
    first = step(shipped, None, Start(f"survey-{CODE}"), NOW, "de", survey=ctx)
    assert first.state is not None
    ask = asks(first.actions)[-1]
    tapped = step(shipped, first.state, Choose(ask.turn, len(ask.options) - 1), NOW, survey=ctx)
    typed = step(shipped, first.state, Text("Hilfe, er bedroht mich"), NOW, survey=ctx)
    command = step(shipped, first.state, Command("emergency"), NOW, survey=ctx)
    for result in (tapped, typed, command):
        said = " ".join(a.text for a in result.actions if isinstance(a, Say))
        assert "110" in said
        assert result.answers == ()
        assert result.state is not None and result.state.mode == InSurvey(CODE, 0)
        assert "Frage 1 von 4" in asks(result.actions)[-1].text


@pytest.mark.parametrize(
    "event", [Command("stop"), Command("back"), Text("abbrechen"), "leave"], ids=str
)
def test_stop_back_and_the_leave_answer_end_the_participation(shipped, survey, event):
    from bot.survey.model import SurveyContext

    ctx = SurveyContext(CODE, survey)
    first = step(shipped, None, Start(f"survey-{CODE}"), NOW, "de", survey=ctx)
    assert first.state is not None
    if event == "leave":
        ask = asks(first.actions)[-1]
        event = Choose(ask.turn, len(ask.options) - 2)
    result = step(shipped, first.state, event, NOW, survey=ctx)
    assert result.state is not None and isinstance(result.state.mode, AtNode)
    assert result.answers == ()
    assert "verlassen" in " ".join(a.text for a in result.actions if isinstance(a, Say))


def test_refusals_unknown_code_already_answered_closed_meanwhile_stale(shipped, survey):
    from bot.survey.model import SurveyContext

    unknown = step(
        shipped, None, Start("survey-ZZZZ9999"), NOW, survey=SurveyContext("ZZZZ9999", None)
    )
    assert "gibt es nicht" in " ".join(a.text for a in unknown.actions if isinstance(a, Say))
    assert unknown.state is not None and isinstance(unknown.state.mode, AtNode)
    bare = step(shipped, None, Command("survey"), NOW)
    assert "/umfrage" in " ".join(a.text for a in bare.actions if isinstance(a, Say))
    again = step(
        shipped, None, Command("survey", CODE), NOW, survey=SurveyContext(CODE, survey, True)
    )
    assert "bereits teilgenommen" in " ".join(a.text for a in again.actions if isinstance(a, Say))
    assert again.state is not None and isinstance(again.state.mode, AtNode)
    ctx = SurveyContext(CODE, survey)
    first = step(shipped, None, Start(f"survey-{CODE}"), NOW, survey=ctx)
    assert first.state is not None
    ask = asks(first.actions)[-1]
    stale = step(shipped, first.state, Choose(ask.turn - 1, 0), NOW, survey=ctx)
    assert any(isinstance(a, Stale) for a in stale.actions) and stale.answers == ()
    closed = step(shipped, first.state, Choose(ask.turn, 0), NOW, survey=SurveyContext(CODE, None))
    assert closed.answers == ()
    assert "inzwischen beendet" in " ".join(a.text for a in closed.actions if isinstance(a, Say))
    # closed meanwhile: the emergency button and a typed danger word still show 110
    gone = SurveyContext(CODE, None, closed=survey)
    tap = Choose(ask.turn, len(ask.options) - 1)
    for event in (tap, Text("ich werde bedroht"), Command("emergency")):
        result = step(shipped, first.state, event, NOW, survey=gone)
        said = " ".join(a.text for a in result.actions if isinstance(a, Say))
        assert "110" in said and "Polizei" in said, event
        assert result.state is not None and isinstance(result.state.mode, AtNode)


def test_the_mode_is_stored_as_code_and_position(shipped):
    assert mode_text(InSurvey(CODE, 3)) == f"survey:{CODE}:3"
    assert parse_mode(f"survey:{CODE}:3") == InSurvey(CODE, 3)
    assert isinstance(parse_mode("survey:broken"), AtNode)


# ------------------------------------------------------------------ the runtime


async def test_a_participant_answers_once_and_the_hash_goes_at_close(shipped, survey):
    store = MemoryStore()
    clock = FakeClock()
    runtime = Runtime(shipped, store, secrets.token_bytes(32), clock=clock, purge_every=None)
    code = await open_survey(store, survey, int(clock()))
    user = Sender("telegram", "4242424242", "de")

    async def send(event) -> tuple[object, ...]:
        clock.advance(5)
        return await runtime.handle(Incoming(user, event))

    replies = await send(Start(f"survey-{code}"))
    ask = asks(replies)[-1]
    assert await store.survey_voters(code) == 0  # nothing before the first answer
    replies = await send(Choose(ask.turn, 1))
    assert await store.survey_voters(code) == 1  # written with the first answer
    assert await store.survey_counts(code) == [SurveyCount(0, 1, 1)]
    await send(Command("stop"))
    # the link again, or the code typed: refused; nothing more counted
    for event in (Start(f"survey-{code}"), Command("survey", code.lower())):
        again = await send(event)
        assert "bereits teilgenommen" in " ".join(a.text for a in again if isinstance(a, Say))
    state = await store.load(runtime.key(user))
    assert state is not None and isinstance(state.mode, AtNode)
    assert await store.survey_counts(code) == [SurveyCount(0, 1, 1)]
    # the keyed hash is neither the conversation key nor any other stored key
    voters = store._data.survey.voters[code]
    assert runtime.key(user) not in voters
    await close_survey(store, code, int(clock()))
    assert await store.survey_voters(code) == 0
    assert store._data.survey.voters == {}


# ------------------------------------------------------------------ results and k


def record(survey: Survey, closed: int | None = 2000) -> SurveyRecord:
    return SurveyRecord(CODE, survey, 1000, closed)


@pytest.mark.parametrize("k", [2, 3, 5, 8])
def test_a_question_below_k_shows_nothing_and_k_is_never_below_3(survey, k):
    effective = max(k, 3)
    counts = [
        SurveyCount(0, 0, effective - 1),
        SurveyCount(1, 0, effective - 2),
        SurveyCount(1, 1, 2),
    ]
    counts += [SurveyCount(2, 3, effective)]
    found = marginals(record(survey), counts, k)
    assert found.k == effective
    first, second, third, fourth = found.questions
    assert first.answered is None and all(a.count is None for a in first.answers)
    assert second.answered == effective and [a.count for a in second.answers][:2] == [
        effective - 2,
        2,
    ]
    assert third.answered == effective
    assert fourth.answered is None
    text, js = to_text(found), to_json(found)
    assert f"weniger als {effective} Antworten" in text
    assert '"answered": null' in js and '"count": null' in js
    html = survey_section([found])
    assert "nicht angezeigt" in html and "<script" not in html


async def test_results_of_an_open_survey_are_refused_and_shown_after_close(survey):
    store = MemoryStore()
    code = await open_survey(store, survey, 1000)
    with pytest.raises(SurveyError, match="still open"):
        await results(store, code, 5)
    await close_survey(store, code, 2000)
    found = await results(store, code, 5)
    assert found.participants is None
    with pytest.raises(SurveyError, match="no survey"):
        await results(store, "ZZZZ9999", 5)


# ------------------------------------------------------------------ the survey file


def test_errors_in_a_survey_file_have_file_line_and_column(tmp_path: Path):
    bad = tmp_path / "kaputt.yaml"
    bad.write_text(
        "id: probe\n"
        "title: {de: Probe}\n"
        "questions:\n"
        "  - id: a\n"
        "    text: {de: Frage, en: Question}\n"
        "    answers:\n"
        "      - {id: ja, label: {de: Ja, en: Yes}}\n"
        "      - {id: ja, lable: {de: Nein}}\n",
        encoding="utf-8",
    )
    found, problems = load_survey(bad)
    assert found is None
    shown = [str(p) for p in problems]
    assert any(s.startswith(f"{bad}:8:") and "lable" in s and "label" in s for s in shown), shown
    twice = tmp_path / "doppelt.yaml"
    twice.write_text(bad.read_text().replace("lable", "label"), encoding="utf-8")
    found, problems = load_survey(twice)
    assert found is None
    shown = [str(p) for p in problems]
    assert any(":8:" in s and "used twice" in s for s in shown), shown
    assert any(":2:" in s and "warning" in s and "English" in s for s in shown), shown
