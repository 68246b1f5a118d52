"""The ports between the core and its storage: small Protocols, the records that cross them and
the writes the core asks for.

The core (runtime, handoff) reads through these Protocols and says what to change as a tuple of
:data:`Write` values; a store carries out one tuple in one transaction (:meth:`CaseStore.unit`).
Two stores implement them: :class:`bot.storage.sqlite.SqliteStore` and
:class:`bot.storage.memory.MemoryStore`; ``tests/storage/`` runs one contract suite over both.

Reads outside a unit see committed data only; a unit's writes become visible together when it
ends without an error, and not at all when it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from bot.engine.state import State

#: Seconds since the epoch; the runtime's only source of time.
Clock = Callable[[], float]

#: One counter increment: (ISO week, flow, outcome, Land).
CounterKey = tuple[str, str, str, str]

_ALL_TOPICS = "all"

#: The window of the daily case limit, in seconds.
LIMIT_WINDOW = 86400


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Counter:
    """One row of the anonymous weekly counters."""

    week: str
    flow: str
    outcome: str
    land: str
    count: int


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """A contact person as stored (``platform``/``account``/``route`` once registered)."""

    id: int
    name: str
    lands: tuple[str, ...]
    topics: tuple[str, ...]
    platform: str | None
    account: str | None
    route: str | None
    locale: str
    available: bool

    def serves(self, topic: str, land: str | None) -> bool:
        """Whether this contact covers the topic and, unless ``land`` is None, that region
        (``DE`` means the nationwide contacts)."""
        topic_ok = _ALL_TOPICS in self.topics or topic in self.topics
        return topic_ok and (land is None or land in self.lands)

    def __repr__(self) -> str:
        return f"ContactRecord(id={self.id})"


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case as stored. ``user_route`` is sealed (AES-GCM); None once the case is closed."""

    code: str
    user_key: bytes
    topic: str
    urgency: str
    land: str  # a Land code, "DE", or "none" if the user gave none
    status: str  # open, claimed, closed
    contact_id: int | None
    circle: int  # 1 local, 2 nationwide, 3 nobody free
    user_route: bytes | None
    locale: str
    created_at: int
    claimed_at: int | None = None
    closed_at: int | None = None
    escalate_at: int | None = None
    close_reason: str | None = None
    #: the user's limit key (:func:`bot.runtime.limit_key`) while the case is open or claimed,
    #: so that ``/missbrauch`` can block it; None once the case is closed or unlinked
    limit_key: bytes | None = None

    def __repr__(self) -> str:
        return f"CaseRecord({self.code}, {self.status})"


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A notice waiting for delivery; its text is made at delivery from ``kind``."""

    id: int
    target: str  # "contact" or "user"
    contact_id: int | None
    code: str
    route: bytes | None  # the user's sealed route for target "user"
    kind: str
    attempts: int
    nonce: str


# ---------------------------------------------------------------- writes


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
    :data:`LIMIT_WINDOW`, then purged; survives ``/loeschen``, which unlinks the case)."""

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


Write = (
    PutState
    | Forget
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
)


# ---------------------------------------------------------------- protocols


class ConversationStore(Protocol):
    """Conversation state, seen event ids and the erasure checkpoint."""

    async def load(self, key: bytes) -> State | None:
        """The state of a conversation, or None."""
        ...

    async def save(
        self, key: bytes, state: State, now: float, counters: tuple[CounterKey, ...] = ()
    ) -> None:
        """Store a state and its counter increments together (may be committed in a group)."""
        ...

    async def first_time(self, key: bytes, now: float) -> bool:
        """Record an event id; False if it was recorded before."""
        ...

    async def purge(self, idle_before: float, seen_before: float) -> int:
        """Delete conversations idle since ``idle_before`` and old event ids; how many went."""
        ...

    async def checkpoint(self) -> None:
        """Make deletions final on disk (no copy left behind)."""
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


class Unit(CaseReads, Protocol):
    """One transaction: reads see committed data; :meth:`apply` writes at the end, together."""

    def apply(self, *writes: Write) -> None:
        """Add writes; they are carried out in order when the unit ends without an error."""
        ...


class CaseStore(CaseReads, Protocol):
    """Cases and contacts: read anywhere, change only in a unit."""

    def unit(self) -> AbstractAsyncContextManager[Unit]:
        """A transaction holding the store's write lock; committed at the end of the block,
        rolled back (nothing written) if it raises."""
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
        """Delete a delivered (or undeliverable) row."""
        ...

    async def outbox_retry(self, row_id: int, next_at: int) -> None:
        """Count a failed attempt and set the next one."""
        ...

    async def outbox_backlog(self) -> int:
        """How many notices wait (for the metrics)."""
        ...


class Health(Protocol):
    """What the health endpoint asks."""

    async def ping(self, within: float = 2.0) -> bool:
        """Whether the store answers within ``within`` seconds."""
        ...


class Store(ConversationStore, CounterStore, CaseStore, OutboxStore, Health, Protocol):
    """Everything the runtime needs of a store."""
