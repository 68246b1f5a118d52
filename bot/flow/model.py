"""The flow and knowledge model: frozen dataclasses that remember where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from bot.errors import SourceLocation

#: Node kinds of the flow language, each named by the key that carries its text.
NODE_KINDS = ("message", "choice", "services", "handoff", "goto", "end")


@dataclass(frozen=True, slots=True)
class Condition:
    """``slot`` must hold one of ``values`` (``none`` matches an unset slot)."""

    slot: str
    values: tuple[str, ...]
    loc: SourceLocation

    def holds(self, slots: dict[str, str]) -> bool:
        """Whether the condition is met by these slot values."""
        return slots.get(self.slot, "none") in self.values


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option of a choice node."""

    label: str
    next: str
    sets: tuple[tuple[str, str], ...] = ()
    when: tuple[Condition, ...] = ()
    loc: SourceLocation = field(default=SourceLocation("", 0, 0), compare=False)

    def visible(self, slots: dict[str, str]) -> bool:
        """Whether every condition holds."""
        return all(c.holds(slots) for c in self.when)


@dataclass(frozen=True, slots=True)
class ServiceQuery:
    """Which service cards to show: fixed ids, or a topic filtered by the user's Land."""

    ids: tuple[str, ...] = ()
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Node:
    """One step of a flow. ``kind`` is one of :data:`NODE_KINDS`.

    ``texts`` holds the node's text(s): one or more messages for ``message``, the prompt for
    ``choice``, the lead-in for ``services``/``handoff`` (may be empty), the closing words for
    ``end``.
    """

    id: str
    kind: str
    texts: tuple[str, ...]
    loc: SourceLocation
    next: str | None = None
    options: tuple[OptionSpec, ...] = ()
    ask: str | None = None  # choice: options come from this slot's values; skipped if set
    query: ServiceQuery | None = None
    urgency: str | None = None  # handoff
    topic: str | None = None  # handoff
    target_flow: str | None = None  # goto
    target_node: str | None = None  # goto

    @property
    def text(self) -> str:
        """The first (often only) text of the node."""
        return self.texts[0] if self.texts else ""


@dataclass(frozen=True, slots=True)
class Flow:
    """One flow file."""

    id: str
    title: str
    start: str
    nodes: dict[str, Node]
    loc: SourceLocation
    topic: str | None = None
    description: str = ""
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (language, words)
    slots: tuple[tuple[str, tuple[str, ...]], ...] = ()  # flow-local slot enumerations

    def __hash__(self) -> int:
        return hash(self.id)


@dataclass(frozen=True, slots=True)
class ContactWay:
    """A contact of a service."""

    kind: str  # phone, email, web, chat
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Hours:
    """An opening window on some weekdays (0 = Monday), Europe/Berlin local time."""

    days: tuple[int, ...]
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact was checked, and when."""

    url: str
    checked: date


@dataclass(frozen=True, slots=True)
class Service:
    """A support service from ``knowledge/``."""

    id: str
    name: str
    summary: str
    topics: tuple[str, ...]
    regions: tuple[str, ...]  # "DE" for national or Land codes
    contacts: tuple[ContactWay, ...]
    sources: tuple[Source, ...]
    verified: bool
    loc: SourceLocation
    always_open: bool = False
    hours: tuple[Hours, ...] = ()
    hours_note: str = ""


@dataclass(frozen=True, slots=True)
class Region:
    """A Land (or ``none`` for no answer), with its German label."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class Knowledge:
    """All services and the region and topic vocabulary."""

    services: dict[str, Service]
    regions: tuple[Region, ...]
    topics: tuple[str, ...]
    topic_labels: dict[str, str] = field(default_factory=dict)  # German labels by topic id

    def region_codes(self) -> tuple[str, ...]:
        """Codes of every region, ``none`` included."""
        return tuple(r.code for r in self.regions)
