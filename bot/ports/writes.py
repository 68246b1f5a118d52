"""The writes the core asks a store for, as values: a unit of the store carries out a tuple of
them in one transaction (:meth:`bot.ports.CaseStore.unit`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.engine.state import State
from bot.ports.records import CaseRecord, CounterKey, ReportRecord
from bot.survey.model import Survey


@dataclass(frozen=True, slots=True)
class PutState:
    """Store a conversation's state."""

    key: bytes
    state: State
    at: int


@dataclass(frozen=True, slots=True)
class Forget:
    """Delete a conversation."""

    key: bytes


@dataclass(frozen=True, slots=True)
class Seen:
    """Record a platform event id (its keyed hash) as handled, so a redelivery is dropped."""

    key: bytes
    at: int


@dataclass(frozen=True, slots=True)
class Count:
    """Increment anonymous counters."""

    rows: tuple[CounterKey, ...]


@dataclass(frozen=True, slots=True)
class AddCase:
    """Open a case."""

    case: CaseRecord


#: The columns of a case that :class:`ChangeCase` may set.
CASE_CHANGES = frozenset(
    {
        "status",
        "contact_id",
        "circle",
        "user_route",
        "user_key",
        "claimed_at",
        "closed_at",
        "escalate_at",
        "close_reason",
        "limit_key",
    }
)


@dataclass(frozen=True, slots=True)
class ChangeCase:
    """Set some columns of a case (names from :data:`CASE_CHANGES`)."""

    code: str
    changes: tuple[tuple[str, str | int | bytes | None], ...]

    def __post_init__(self) -> None:
        wrong = {name for name, _ in self.changes} - CASE_CHANGES
        if wrong:
            raise ValueError(f"not a changeable case column: {sorted(wrong)}")


@dataclass(frozen=True, slots=True)
class Told:
    """Record that a contact person was notified of a case (they may claim it)."""

    code: str
    contact_id: int


@dataclass(frozen=True, slots=True)
class Notify:
    """Queue a notice in the outbox: to a contact, or to the user's sealed route."""

    kind: str
    code: str
    at: int
    contact_id: int | None = None
    route: bytes | None = None


@dataclass(frozen=True, slots=True)
class AddReport:
    """Store an Übergriff report until its notice is delivered (then :class:`ClearReport`)."""

    report: ReportRecord


@dataclass(frozen=True, slots=True)
class ClearReport:
    """Clear a report's answers (its notice reached the Meldestelle)."""

    code: str


@dataclass(frozen=True, slots=True)
class DropReport:
    """Delete a report (acknowledged by the Meldestelle), with the notices still waiting."""

    code: str


@dataclass(frozen=True, slots=True)
class UnlinkReport:
    """Unlink a report from its employee (``/loeschen``): a new random key, its sealed route
    released. The report itself stays with its Meldestelle; nobody is told of its
    acknowledgement any more."""

    code: str
    user_key: bytes


@dataclass(frozen=True, slots=True)
class DropUserNotices:
    """Drop the notices still waiting for the user of these cases."""

    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Audit:
    """One audit entry: event, case code and role, never content."""

    at: int
    event: str
    code: str | None
    role: str


@dataclass(frozen=True, slots=True)
class Block:
    """Block a limit key (or, in rows from before migration 4, a user key) from new cases until
    ``until``."""

    user_key: bytes
    until: int


@dataclass(frozen=True, slots=True)
class CountOpen:
    """Count a case opened at ``at`` against a limit key's daily limit (kept for
    :data:`~bot.ports.records.LIMIT_WINDOW`, then purged; survives ``/loeschen``, which unlinks
    the case)."""

    limit_key: bytes
    at: int


@dataclass(frozen=True, slots=True)
class Invite:
    """Create a contact person's invitation (the code only as its hash)."""

    name: str
    lands: tuple[str, ...]
    topics: tuple[str, ...]
    invite_hash: bytes
    expires: int
    at: int
    #: the local regions (AGS keys) the contact is local for
    regions: tuple[str, ...] = ()
    #: ``contact`` or ``meldestelle``
    role: str = "contact"


@dataclass(frozen=True, slots=True)
class Register:
    """Make an invited contact's account their channel (the invitation is used up)."""

    contact_id: int
    platform: str
    account: str
    route: str
    locale: str


@dataclass(frozen=True, slots=True)
class SetAvailable:
    """Pause or resume a contact person's notifications."""

    contact_id: int
    available: bool


@dataclass(frozen=True, slots=True)
class RemoveContact:
    """Delete a contact person; their claimed cases go back to waiting (escalating at ``at``)."""

    contact_id: int
    at: int


@dataclass(frozen=True, slots=True)
class OpenSurvey:
    """Register a survey under its code (its questions, never an answer)."""

    id: str
    survey: Survey
    at: int


@dataclass(frozen=True, slots=True)
class CloseSurvey:
    """End a survey: no more answers, and every participant's keyed hash is deleted."""

    id: str
    at: int


@dataclass(frozen=True, slots=True)
class SurveyVote:
    """Count one answer of an open survey and keep the participant's keyed hash (so they
    cannot answer again) while the survey is open. A closed or unknown survey counts nothing."""

    survey: str
    voter: bytes
    question: int
    answer: int

    def __repr__(self) -> str:
        return f"SurveyVote({self.survey}, q{self.question})"


Write = (
    PutState
    | Forget
    | Seen
    | Count
    | AddCase
    | ChangeCase
    | Told
    | Notify
    | DropUserNotices
    | Audit
    | Block
    | CountOpen
    | Invite
    | Register
    | SetAvailable
    | RemoveContact
    | OpenSurvey
    | CloseSurvey
    | SurveyVote
    | AddReport
    | ClearReport
    | DropReport
    | UnlinkReport
)


__all__ = [
    "CASE_CHANGES",
    "AddCase",
    "AddReport",
    "Audit",
    "Block",
    "ChangeCase",
    "ClearReport",
    "CloseSurvey",
    "Count",
    "CountOpen",
    "DropReport",
    "DropUserNotices",
    "Forget",
    "Invite",
    "Notify",
    "OpenSurvey",
    "PutState",
    "Register",
    "RemoveContact",
    "Seen",
    "SetAvailable",
    "SurveyVote",
    "Told",
    "UnlinkReport",
    "Write",
]
