"""The SQL of the anonymous surveys: registering, closing, counting an answer, the reads.

Used by :class:`bot.storage.sqlite.SqliteStore` (reads) and
:func:`bot.storage.sqlite_cases.apply_write` (the writes of a unit)."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.ports import CloseSurvey, OpenSurvey, SurveyCount, SurveyRecord, SurveyVote
from bot.survey.model import Survey

_OPEN = "EXISTS (SELECT 1 FROM surveys WHERE id=? AND closed_at IS NULL)"
_RECORD = "SELECT id, definition, opened_at, closed_at FROM surveys"


def _record(row: tuple[Any, ...]) -> SurveyRecord:
    sid, definition, opened, closed = row
    return SurveyRecord(
        str(sid),
        Survey.from_json(str(definition)),
        int(opened),
        None if closed is None else int(closed),
    )


def apply_survey(db: sqlite3.Connection, write: OpenSurvey | CloseSurvey | SurveyVote) -> None:
    """Carry out one survey write inside the caller's transaction."""
    match write:
        case OpenSurvey(survey_id, survey, at):
            db.execute(
                "INSERT INTO surveys (id, definition, opened_at) VALUES (?, ?, ?)",
                (survey_id, survey.to_json(), at),
            )
        case CloseSurvey(survey_id, at):
            db.execute(
                "UPDATE surveys SET closed_at=? WHERE id=? AND closed_at IS NULL", (at, survey_id)
            )
            db.execute("DELETE FROM survey_voters WHERE survey=?", (survey_id,))
        case SurveyVote(survey_id, voter, question, answer):
            db.execute(
                f"INSERT OR IGNORE INTO survey_voters SELECT ?, ? WHERE {_OPEN}",
                (survey_id, voter, survey_id),
            )
            db.execute(
                f"INSERT INTO survey_counts SELECT ?, ?, ?, 1 WHERE {_OPEN} "
                "ON CONFLICT(survey, question, answer) DO UPDATE SET count = count + 1",
                (survey_id, question, answer, survey_id),
            )


class SqliteSurveyReads:
    """The survey reads of :class:`bot.storage.sqlite.SqliteStore` (its ``_rows`` reads
    committed rows only, so no read sees an uncommitted vote)."""

    async def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def survey(self, survey_id: str) -> SurveyRecord | None:
        rows = await self._rows(f"{_RECORD} WHERE id=?", (survey_id,))
        return _record(rows[0]) if rows else None

    async def surveys(self) -> list[SurveyRecord]:
        return [_record(r) for r in await self._rows(f"{_RECORD} ORDER BY opened_at, id")]

    async def survey_voted(self, survey_id: str, voter: bytes) -> bool:
        rows = await self._rows(
            "SELECT 1 FROM survey_voters WHERE survey=? AND voter=?", (survey_id, voter)
        )
        return bool(rows)

    async def survey_counts(self, survey_id: str) -> list[SurveyCount]:
        rows = await self._rows(
            "SELECT question, answer, count FROM survey_counts WHERE survey=? "
            "ORDER BY question, answer",
            (survey_id,),
        )
        return [SurveyCount(int(q), int(a), int(c)) for q, a, c in rows]

    async def survey_voters(self, survey_id: str) -> int:
        rows = await self._rows("SELECT count(*) FROM survey_voters WHERE survey=?", (survey_id,))
        return int(rows[0][0])
