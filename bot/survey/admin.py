"""The administration's side of a survey, through the store: open (register under a random
code), close (no more answers, every keyed hash deleted), results (closed surveys only).

The code is random (8 characters, about 40 bits, from an alphabet without look-alikes) rather
than the file's id, so only people who were shown the link or the QR code can answer, and one
file can be run again (a new code each time)."""

from __future__ import annotations

import secrets

from bot.errors import BotError
from bot.ports import CloseSurvey, OpenSurvey, Store, SurveyRecord
from bot.survey.model import Survey
from bot.survey.results import SurveyResults, marginals

#: Upper-case letters and digits without 0/O, 1/I/L: easy to read aloud and to type.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


class SurveyError(BotError):
    """A survey command that cannot be carried out (unknown code, still open...)."""


def new_code() -> str:
    """A fresh random survey code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def open_survey(store: Store, survey: Survey, now: int) -> str:
    """Register ``survey``; returns its code."""
    for _ in range(10):
        code = new_code()
        if await store.survey(code) is None:
            async with store.unit() as unit:
                unit.apply(OpenSurvey(code, survey, now))
            return code
    raise SurveyError("could not find a free survey code")  # pragma: no cover - 31**8 codes


async def _known(store: Store, code: str) -> SurveyRecord:
    record = await store.survey(code.strip().upper())
    if record is None:
        raise SurveyError(f"no survey {code}")
    return record


async def close_survey(store: Store, code: str, now: int) -> SurveyRecord:
    """End a survey and delete every participant's keyed hash; returns it as closed (closing
    a closed survey changes nothing but deletes any hash left, which there is none)."""
    record = await _known(store, code)
    async with store.unit() as unit:
        unit.apply(CloseSurvey(record.id, now))
    closed = await store.survey(record.id)
    assert closed is not None
    return closed


async def results(store: Store, code: str, k: int) -> SurveyResults:
    """The marginals of a closed survey (questions below k suppressed)."""
    record = await _known(store, code)
    if record.open:
        raise SurveyError(
            f"survey {record.id} is still open: results are shown after `beistand survey close "
            f"{record.id}` (counts seen while people answer would tell each answer by subtraction)"
        )
    return marginals(record, await store.survey_counts(record.id), k)


async def closed_results(store: Store, k: int) -> list[SurveyResults]:
    """The results of every closed survey, oldest first (for the Lagebild report)."""
    return [
        marginals(r, await store.survey_counts(r.id), k)
        for r in await store.surveys()
        if not r.open
    ]


__all__ = [
    "ALPHABET",
    "SurveyError",
    "close_survey",
    "closed_results",
    "new_code",
    "open_survey",
    "results",
]
