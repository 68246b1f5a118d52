"""What the runtime does for a participant's step: read the survey and whether this account
answered before (before the step), and turn the step's answers into writes (in its unit).

The participant's key for "answered once" is :func:`voter_key`, an HMAC under the service's
secret of the survey's code, the platform and the platform's user id: a different value for
every survey and apart from the conversation key, so a survey's hashes cannot be joined to
conversations, cases or another survey without the secret. It is written with the first answer
(in the same unit that counts it) and deleted for the whole survey when it is closed.
"""

from __future__ import annotations

import hashlib
import hmac

from bot.engine.events import Event
from bot.engine.state import State
from bot.engine.survey import requested
from bot.ports import SurveyStore, SurveyVote
from bot.runtime_api import Sender
from bot.survey.model import SurveyAnswer, SurveyContext


def voter_key(secret: bytes, survey_id: str, platform: str, user_id: str) -> bytes:
    """HMAC-SHA256 of "survey", the survey's code, platform and user id."""
    return hmac.new(
        secret, f"survey|{survey_id}|{platform}|{user_id}".encode(), hashlib.sha256
    ).digest()


async def survey_context(
    store: SurveyStore, secret: bytes, sender: Sender, state: State | None, event: Event
) -> SurveyContext | None:
    """The survey a step concerns, read from the store (None: the step concerns none)."""
    code = requested(state, event)
    if code is None:
        return None
    record = await store.survey(code) if code else None
    if record is None or not record.open:
        return SurveyContext(code, None, closed=record.survey if record else None)
    voter = voter_key(secret, code, sender.platform, sender.user_id)
    return SurveyContext(code, record.survey, await store.survey_voted(code, voter))


def vote_writes(
    secret: bytes, sender: Sender, answers: tuple[SurveyAnswer, ...]
) -> tuple[SurveyVote, ...]:
    """The writes that count a step's answers (each keeps the participant's hash)."""
    return tuple(
        SurveyVote(
            a.survey,
            voter_key(secret, a.survey, sender.platform, sender.user_id),
            a.question,
            a.answer,
        )
        for a in answers
    )


__all__ = ["survey_context", "vote_writes", "voter_key"]
