"""The ports between the core and its storage: small Protocols, the records that cross them and
the writes the core asks for.

The core (runtime, handoff) reads through these Protocols and says what to change as a tuple of
:data:`Write` values; a store carries out one tuple in one transaction (:meth:`CaseStore.unit`).
Two stores implement them: :class:`bot.storage.sqlite.SqliteStore` and
:class:`bot.storage.memory.MemoryStore`; ``tests/storage/`` runs one contract suite over both.

Reads outside a unit see committed data only; a unit's writes become visible together when it
ends without an error, and not at all when it fails.

The Protocols are here; the records in :mod:`bot.ports.records`, the writes in
:mod:`bot.ports.writes` (both re-exported, so ``from bot.ports import CaseRecord, Notify`` works).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.engine.state import State
from bot.ports.records import (
    LIMIT_WINDOW,
    ROLE_CONTACT,
    ROLE_MELDESTELLE,
    ROLES,
    CaseRecord,
    Clock,
    ContactRecord,
    Counter,
    CounterKey,
    OutboxRow,
    ReportRecord,
    Standing,
    SurveyCount,
    SurveyRecord,
)
from bot.ports.writes import (
    CASE_CHANGES,
    AddCase,
    AddReport,
    Audit,
    Block,
    ChangeCase,
    ClearReport,
    CloseSurvey,
    Count,
    CountOpen,
    DropReport,
    DropUserNotices,
    Forget,
    Invite,
    Notify,
    OpenSurvey,
    PutState,
    Register,
    RemoveContact,
    Seen,
    SetAvailable,
    SurveyVote,
    Told,
    UnlinkReport,
    Write,
)


class ConversationStore(Protocol):
    """Conversation state, seen event ids and the erasure checkpoint."""

    async def load(self, key: bytes) -> State | None:
        """The state of a conversation, or None."""
        ...

    async def save(
        self,
        key: bytes,
        state: State,
        now: float,
        counters: tuple[CounterKey, ...] = (),
        seen: bytes | None = None,
    ) -> None:
        """Store a state, its counter increments and the event id ``seen`` of the step in one
        transaction (may be committed in a group with other conversations' saves). Raises
        :class:`bot.errors.Redelivered`, writing nothing, if ``seen`` was recorded before (as
        does a unit with such a :class:`Seen` write)."""
        ...

    async def first_time(self, key: bytes, now: float) -> bool:
        """Record an event id; False if it was recorded before."""
        ...

    async def was_seen(self, key: bytes) -> bool:
        """Whether an event id is recorded (committed), without recording it."""
        ...

    async def purge(self, idle_before: float, seen_before: float) -> int:
        """Delete conversations idle since ``idle_before`` and old event ids; how many went."""
        ...

    async def checkpoint(self) -> None:
        """Make deletions of conversation and case rows final on disk (no copy left behind;
        sealed routes need none, see :meth:`CaseStore.unit`)."""
        ...

    async def conversation_count(self) -> int:
        """How many conversations are stored."""
        ...


class CounterStore(Protocol):
    """The anonymous counters."""

    async def count(self, counters: tuple[CounterKey, ...]) -> None:
        """Increment counters on their own."""
        ...

    async def counters(self) -> list[Counter]:
        """All counter rows, ordered."""
        ...


class CaseReads(Protocol):
    """What the handoff reads about cases and contacts."""

    async def case(self, code: str) -> CaseRecord | None:
        """One case."""
        ...

    async def user_cases(self, user_key: bytes) -> list[CaseRecord]:
        """Every case of a user key, oldest first."""
        ...

    async def case_users(self) -> set[bytes]:
        """The user keys that have a case (open or closed)."""
        ...

    async def blocked(self, user_key: bytes, now: int) -> bool:
        """Whether a limit key (or an old user key) is blocked from new cases at ``now``."""
        ...

    async def opened_since(self, limit_key: bytes, since: int) -> int:
        """How many cases a limit key opened after ``since``."""
        ...

    async def standing(self, user_key: bytes | None, limit_key: bytes, now: int) -> Standing:
        """In one lookup: the open or claimed case of ``user_key`` (oldest first; None: not
        looked for), whether ``limit_key`` is blocked at ``now`` (or ``user_key``, if it has
        cases: blocks from before migration 4), and how many cases ``limit_key`` opened in the
        last :data:`LIMIT_WINDOW`."""
        ...

    async def notified(self, code: str) -> set[int]:
        """The contacts told about a case."""
        ...

    async def contact(self, contact_id: int) -> ContactRecord | None:
        """One contact person."""
        ...

    async def contact_by_account(self, platform: str, account: str) -> ContactRecord | None:
        """The registered contact person behind a platform account."""
        ...

    async def contact_accounts(self) -> set[tuple[str, str]]:
        """(platform, account) of every registered contact person."""
        ...

    async def contacts(self) -> list[ContactRecord]:
        """Every contact person, registered or invited, by id."""
        ...

    async def invitation(self, invite_hash: bytes, now: int) -> int | None:
        """The contact id of a valid, unused invitation."""
        ...

    async def contact_cases(self, contact_id: int) -> list[CaseRecord]:
        """Cases claimed by a contact and open ones they were told about, oldest first."""
        ...

    async def cases_due(self, now: int) -> list[CaseRecord]:
        """Open cases whose escalation time has come."""
        ...

    async def cases_opened_before(self, before: int) -> list[CaseRecord]:
        """Cases still open or claimed that were opened before ``before``."""
        ...


class ReportReads(Protocol):
    """What the reporting route reads about Übergriff reports."""

    async def report(self, code: str) -> ReportRecord | None:
        """One report (committed), or None."""
        ...

    async def user_reports(self, user_key: bytes) -> list[ReportRecord]:
        """The reports of one employee (by pseudonymous key), for an erasure."""
        ...


class ReportStore(ReportReads, Protocol):
    """Übergriff reports: changed through writes in a unit; purged at their expiry."""

    async def purge_reports(self, now: int) -> int:
        """Delete reports whose ``expires_at`` has passed (with their waiting notices);
        returns how many went."""
        ...


class Unit(CaseReads, ReportReads, Protocol):
    """One transaction: reads see committed data; :meth:`apply` writes at the end, together."""

    def apply(self, *writes: Write) -> None:
        """Add writes; they are carried out in order when the unit ends without an error."""
        ...


class CaseStore(CaseReads, Protocol):
    """Cases and contacts: read anywhere, change only in a unit."""

    def unit(self) -> AbstractAsyncContextManager[Unit]:
        """A transaction holding the store's write lock; committed at the end of the block,
        rolled back (nothing written) if it raises. A sealed route its writes released (a
        closed or unlinked case, dropped notices) is gone from disk when the block is left."""
        ...

    async def purge_cases(self, closed_before: int, audit_before: int, now: int) -> int:
        """Delete closed cases past their time, old audit entries, ended blocks, limit counts
        older than :data:`LIMIT_WINDOW` and expired invitations; returns how many cases went."""
        ...


class OutboxStore(Protocol):
    """The outbox of notices (rows become visible only once their unit committed)."""

    async def outbox_due(self, now: int, limit: int) -> list[OutboxRow]:
        """Due rows, oldest first."""
        ...

    async def outbox_done(self, row_id: int) -> None:
        """Delete a delivered (or undeliverable) row; a route it held is gone from disk when
        this returns."""
        ...

    async def outbox_retry(self, row_id: int, next_at: int) -> None:
        """Count a failed attempt and set the next one."""
        ...

    async def outbox_backlog(self) -> int:
        """How many notices wait (for the metrics)."""
        ...


class SurveyStore(Protocol):
    """The anonymous surveys: registered surveys, per-answer counts, participants' keyed
    hashes (only while a survey is open). Changed only through writes in a unit."""

    async def survey(self, survey_id: str) -> SurveyRecord | None:
        """One registered survey."""
        ...

    async def surveys(self) -> list[SurveyRecord]:
        """Every registered survey, oldest first."""
        ...

    async def survey_voted(self, survey_id: str, voter: bytes) -> bool:
        """Whether this keyed hash has answered the survey (while it is open)."""
        ...

    async def survey_counts(self, survey_id: str) -> list[SurveyCount]:
        """The counts of a survey's answers, by question and answer."""
        ...

    async def survey_voters(self, survey_id: str) -> int:
        """How many keyed hashes are stored for a survey (0 once it is closed)."""
        ...


class Health(Protocol):
    """What the health endpoint asks."""

    async def ping(self, within: float = 2.0) -> bool:
        """Whether the store answers within ``within`` seconds."""
        ...


class Store(
    ConversationStore,
    CounterStore,
    CaseStore,
    OutboxStore,
    SurveyStore,
    ReportStore,
    Health,
    Protocol,
):
    """Everything the runtime needs of a store."""


__all__ = [
    "CASE_CHANGES",
    "LIMIT_WINDOW",
    "ROLES",
    "ROLE_CONTACT",
    "ROLE_MELDESTELLE",
    "AddCase",
    "AddReport",
    "Audit",
    "Block",
    "CaseReads",
    "CaseRecord",
    "CaseStore",
    "ChangeCase",
    "ClearReport",
    "Clock",
    "CloseSurvey",
    "ContactRecord",
    "ConversationStore",
    "Count",
    "CountOpen",
    "Counter",
    "CounterKey",
    "CounterStore",
    "DropReport",
    "DropUserNotices",
    "Forget",
    "Health",
    "Invite",
    "Notify",
    "OpenSurvey",
    "OutboxRow",
    "OutboxStore",
    "PutState",
    "Register",
    "RemoveContact",
    "ReportReads",
    "ReportRecord",
    "ReportStore",
    "Seen",
    "SetAvailable",
    "Standing",
    "Store",
    "SurveyCount",
    "SurveyRecord",
    "SurveyStore",
    "SurveyVote",
    "Told",
    "Unit",
    "UnlinkReport",
    "Write",
]
