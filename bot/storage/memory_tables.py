"""The tables of :class:`bot.storage.memory.MemoryStore`: what the SQLite tables hold, in
dictionaries, and the copy a unit rolls back to."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.engine.state import State
from bot.ports import Audit, CaseRecord, ContactRecord, CounterKey, OutboxRow
from bot.storage.memory_reports import ReportTables
from bot.storage.memory_survey import SurveyTables


@dataclass(frozen=True, slots=True)
class Invitation:
    invite_hash: bytes
    expires: int


@dataclass(slots=True)
class Tables:
    """Everything the store holds, as the SQLite tables hold it."""

    conversations: dict[bytes, tuple[State, int]]
    seen: dict[bytes, int]
    counters: dict[CounterKey, int]
    contacts: dict[int, ContactRecord]
    invitations: dict[int, Invitation]
    cases: dict[str, CaseRecord]
    notices: set[tuple[str, int]]
    outbox: dict[int, tuple[OutboxRow, int]]  # row and its next attempt time
    audit: list[Audit]
    blocks: dict[bytes, int]
    opens: list[tuple[bytes, int]]
    next_contact: int = 1
    next_outbox: int = 1
    survey: SurveyTables = field(default_factory=SurveyTables)
    reports: ReportTables = field(default_factory=ReportTables)


def empty() -> Tables:
    """Empty tables."""
    return Tables({}, {}, {}, {}, {}, {}, set(), {}, [], {}, [])


def copy_tables(data: Tables) -> Tables:
    """A copy to roll back to."""
    return Tables(
        dict(data.conversations),
        dict(data.seen),
        dict(data.counters),
        dict(data.contacts),
        dict(data.invitations),
        dict(data.cases),
        set(data.notices),
        dict(data.outbox),
        list(data.audit),
        dict(data.blocks),
        list(data.opens),
        data.next_contact,
        data.next_outbox,
        data.survey.copy(),
        data.reports.copy(),
    )
