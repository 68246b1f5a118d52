"""The survey part of the store contract, on the SQLite and the in-memory store."""

from __future__ import annotations

import pytest

from bot.engine.state import InSurvey, State
from bot.ports import CloseSurvey, OpenSurvey, PutState, Store, SurveyCount, SurveyVote
from bot.survey.model import Answer, Question, Survey, Text

SURVEY = Survey(
    "probe",
    Text("Probe", "Trial"),
    (
        Question(
            "a",
            Text("Frage A", "Question A"),
            (Answer("ja", Text("Ja")), Answer("nein", Text("Nein"))),
        ),
        Question("b", Text("Frage B"), (Answer("x", Text("X")), Answer("y", Text("Y")))),
    ),
    Text("Einleitung", "Intro"),
)
VOTER, OTHER = b"v" * 32, b"w" * 32


async def opened(store: Store, code: str = "ABCD2345") -> str:
    async with store.unit() as unit:
        unit.apply(OpenSurvey(code, SURVEY, 1000))
    return code


async def test_a_registered_survey_reads_back_with_its_questions(store: Store) -> None:
    code = await opened(store)
    record = await store.survey(code)
    assert record is not None
    assert (record.id, record.survey, record.opened_at, record.open) == (code, SURVEY, 1000, True)
    assert await store.survey("ZZZZ9999") is None
    assert [r.id for r in await store.surveys()] == [code]
    assert await store.survey_counts(code) == []


async def test_a_code_cannot_be_registered_twice(store: Store) -> None:
    code = await opened(store)
    with pytest.raises(Exception):  # noqa: B017, PT011 - sqlite3.IntegrityError or ValueError
        await opened(store, code)
    assert len(await store.surveys()) == 1


async def test_votes_count_per_answer_and_keep_the_hash_while_open(store: Store) -> None:
    code = await opened(store)
    async with store.unit() as unit:
        unit.apply(SurveyVote(code, VOTER, 0, 1), SurveyVote(code, OTHER, 0, 1))
    async with store.unit() as unit:
        unit.apply(SurveyVote(code, VOTER, 1, 0))
    assert await store.survey_counts(code) == [SurveyCount(0, 1, 2), SurveyCount(1, 0, 1)]
    assert await store.survey_voted(code, VOTER)
    assert await store.survey_voted(code, OTHER)
    assert not await store.survey_voted(code, b"n" * 32)
    assert await store.survey_voters(code) == 2


async def test_close_deletes_every_hash_and_later_votes_count_nothing(store: Store) -> None:
    code = await opened(store)
    async with store.unit() as unit:
        unit.apply(SurveyVote(code, VOTER, 0, 0))
    async with store.unit() as unit:
        unit.apply(CloseSurvey(code, 2000))
    record = await store.survey(code)
    assert record is not None
    assert (record.open, record.closed_at) == (False, 2000)
    assert await store.survey_voters(code) == 0
    assert not await store.survey_voted(code, VOTER)
    async with store.unit() as unit:  # a vote arriving after the close
        unit.apply(SurveyVote(code, OTHER, 0, 1))
    assert await store.survey_counts(code) == [SurveyCount(0, 0, 1)]
    assert await store.survey_voters(code) == 0


async def test_a_vote_for_an_unknown_survey_counts_nothing(store: Store) -> None:
    async with store.unit() as unit:
        unit.apply(SurveyVote("NOPE2345", VOTER, 0, 0))
    assert await store.survey_counts("NOPE2345") == []
    assert await store.survey_voters("NOPE2345") == 0


async def test_a_failed_unit_counts_no_answer_and_keeps_no_hash(store: Store) -> None:
    code = await opened(store)
    state = State("menu", "auswahl", mode=InSurvey(code, 1))
    with pytest.raises(RuntimeError):  # noqa: PT012 - the unit must fail inside
        async with store.unit() as unit:
            unit.apply(PutState(b"k" * 32, state, 1), SurveyVote(code, VOTER, 0, 0))
            raise RuntimeError("crash before the commit")
    assert await store.survey_counts(code) == []
    assert not await store.survey_voted(code, VOTER)
    assert await store.load(b"k" * 32) is None


async def test_the_state_and_the_vote_commit_together(store: Store) -> None:
    code = await opened(store)
    state = State("menu", "auswahl", mode=InSurvey(code, 1))
    async with store.unit() as unit:
        unit.apply(PutState(b"k" * 32, state, 1), SurveyVote(code, VOTER, 0, 0))
    assert await store.load(b"k" * 32) == state
    assert await store.survey_counts(code) == [SurveyCount(0, 0, 1)]
