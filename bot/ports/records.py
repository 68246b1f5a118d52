"""The records that cross the ports: what a store returns about counters, contacts, cases and
the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Seconds since the epoch; the runtime's only source of time.
Clock = Callable[[], float]

#: One counter increment: (ISO week, flow, outcome, Land).
CounterKey = tuple[str, str, str, str]

_ALL_TOPICS = "all"
#: ``ContactRecord.role`` of a handoff contact person, and of an office that receives reports
#: (never asked for handoff cases)
ROLE_CONTACT = "contact"
ROLE_MELDESTELLE = "meldestelle"
ROLES = (ROLE_CONTACT, ROLE_MELDESTELLE)

#: The window of the daily case limit, in seconds.
LIMIT_WINDOW = 86400


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
    #: the local regions (AGS keys) this contact is the local contact for; () for none
    regions: tuple[str, ...] = ()
    #: ``contact`` (handoff) or ``meldestelle`` (receives reports, never handoff cases)
    role: str = ROLE_CONTACT

    def serves(self, topic: str, land: str | None) -> bool:
        """Whether this contact covers the topic and, unless ``land`` is None, that region
        (``DE`` means the nationwide contacts)."""
        topic_ok = _ALL_TOPICS in self.topics or topic in self.topics
        return topic_ok and (land is None or land in self.lands)

    def serves_region(self, topic: str, region: str) -> bool:
        """Whether this contact covers the topic and is a local contact of ``region`` (AGS)."""
        topic_ok = _ALL_TOPICS in self.topics or topic in self.topics
        return topic_ok and region in self.regions

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
    #: the user's local region (an AGS key of the local layer), or "none"
    region: str = "none"

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


__all__ = [
    "LIMIT_WINDOW",
    "ROLES",
    "ROLE_CONTACT",
    "ROLE_MELDESTELLE",
    "CaseRecord",
    "Clock",
    "ContactRecord",
    "Counter",
    "CounterKey",
    "OutboxRow",
]
