"""The records that cross the ports: what a store returns about counters, contacts, cases and
the outbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.survey.model import Survey

#: Seconds since the epoch; the runtime's only source of time.
Clock = Callable[[], float]

#: One statistics increment: (ISO week, topic, Land, region, channel, outcome); see
#: :mod:`bot.lagebild.keys` and PRIVACY.md. No conversation key, nothing finer than the week.
CounterKey = tuple[str, str, str, str, str, str]

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
    """One row of the anonymous weekly statistics (table ``statistics``)."""

    week: str
    topic: str
    land: str
    region: str
    channel: str
    outcome: str
    count: int

    @property
    def key(self) -> CounterKey:
        """The row's key, in the order of :data:`CounterKey`."""
        return (self.week, self.topic, self.land, self.region, self.channel, self.outcome)


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
    circle: int  # 1 local region, 2 Land, 3 everyone, 4 nobody free (bot.handoff.rules)
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


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """An Übergriff report to a Meldestelle (table ``reports``, migration 8).

    ``answers`` are fixed-choice values only (``(question, value)``; a typed date is kept as
    its ISO date); they are cleared right after the notice reached the Meldestelle. The row is
    deleted when the Meldestelle acknowledges it, or at ``expires_at``. ``user_route`` is
    sealed like a case's route (AES-GCM under the report code)."""

    code: str
    user_key: bytes
    contact_id: int
    user_route: bytes | None
    land: str
    region: str
    locale: str
    answers: tuple[tuple[str, str], ...]
    created_at: int
    expires_at: int

    def __repr__(self) -> str:
        return f"ReportRecord({self.code})"


@dataclass(frozen=True, slots=True)
class Standing:
    """What one lookup tells about a user's handoff: their open (or claimed) case, whether
    they are blocked from new cases and how many cases their limit key opened in the last
    :data:`LIMIT_WINDOW`."""

    current: CaseRecord | None
    blocked: bool
    opened: int


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    """A registered survey: its code, its questions, when it was opened and closed."""

    id: str
    survey: Survey
    opened_at: int
    closed_at: int | None = None

    @property
    def open(self) -> bool:
        """Whether participants can still answer."""
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class SurveyCount:
    """How often answer ``answer`` (from 0) of question ``question`` was chosen."""

    question: int
    answer: int
    count: int


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
    "ReportRecord",
    "Standing",
    "SurveyCount",
    "SurveyRecord",
]
