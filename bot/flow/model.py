"""The flow and knowledge model: frozen dataclasses that remember where they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import ClassVar

from bot.errors import SourceLocation
from bot.flow.calendars import NO_HOLIDAYS, HolidayDates
from bot.i18n import Catalogs

#: Node kinds of the flow language, each named by the key that carries its text.
NODE_KINDS = ("message", "choice", "services", "handoff", "goto", "end")
#: The flow a conversation starts in, and returns to from the end prompt.
ENTRY_FLOW = "menu"
#: The slot asked by ``ask: land``; its values are the knowledge's region codes.
LAND_SLOT = "land"
#: The slot of the deployment's region below the Land (an AGS key, or ``none``); set only where
#: the local layer defines regions for the chosen Land (see docs/content.md, "The local layer").
REGION_SLOT = "region"
#: ``Service.kind`` of a named local contact person or office, shown before every other service.
SERVICE_KIND_LOCAL = "local_contact"


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
    next_loc: SourceLocation | None = field(default=None, compare=False)

    def visible(self, slots: dict[str, str]) -> bool:
        """Whether every condition holds."""
        return all(c.holds(slots) for c in self.when)


@dataclass(frozen=True, slots=True)
class ServiceQuery:
    """Which service cards to show: fixed ids, or a topic filtered by the user's Land."""

    ids: tuple[str, ...] = ()
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class NodeBase:
    """What every node has: its id, its text(s) and where it was written.

    ``texts`` holds the node's text(s): one or more messages for a message node, the prompt of a
    choice, the lead-in of services/handoff (may be empty), the closing words of an end; a goto
    has none.
    """

    id: str
    texts: tuple[str, ...]
    loc: SourceLocation

    @property
    def text(self) -> str:
        """The first (often only) text of the node."""
        return self.texts[0] if self.texts else ""


@dataclass(frozen=True, slots=True)
class MessageNode(NodeBase):
    """Say the texts, then go on to ``next`` by itself."""

    next: str
    #: where the reference to the next node is written (for errors at the line that holds it)
    next_loc: SourceLocation | None = field(default=None, compare=False)
    #: ``report: true``: the Übergriff reporting route starts here when a Meldestelle is set up
    #: for the user's region or Land (:mod:`bot.engine.report`); otherwise the texts are said.
    #: The first text is that fallback, the others the employee's own steps (said in both cases)
    report: bool = False
    kind: ClassVar[str] = "message"


@dataclass(frozen=True, slots=True)
class ChoiceNode(NodeBase):
    """Ask a question: its ``options``, or (with ``ask``) the values of a slot, then ``next``.

    A choice whose ``ask`` slot is already set is skipped. The validator makes sure a choice has
    either options (each with its own ``next``) or ``ask`` with ``next``.
    """

    options: tuple[OptionSpec, ...] = ()
    ask: str | None = None
    next: str | None = None
    #: where the reference to the next node is written (for errors at the line that holds it)
    next_loc: SourceLocation | None = field(default=None, compare=False)
    kind: ClassVar[str] = "choice"


@dataclass(frozen=True, slots=True)
class ServicesNode(NodeBase):
    """Show the service cards of ``query``; then ``next``, or the end prompt without one."""

    query: ServiceQuery = ServiceQuery()
    next: str | None = None
    #: where the reference to the next node is written (for errors at the line that holds it)
    next_loc: SourceLocation | None = field(default=None, compare=False)
    kind: ClassVar[str] = "services"


@dataclass(frozen=True, slots=True)
class HandoffNode(NodeBase):
    """Offer to pass the case (topic, urgency, Land) to a contact person."""

    topic: str = ""
    urgency: str = "normal"
    next: str | None = None
    #: where the reference to the next node is written (for errors at the line that holds it)
    next_loc: SourceLocation | None = field(default=None, compare=False)
    kind: ClassVar[str] = "handoff"


@dataclass(frozen=True, slots=True)
class GotoNode(NodeBase):
    """Continue in another flow (its start, or ``target_node``) or at a node of this flow."""

    target_flow: str | None = None
    target_node: str | None = None
    #: where the target is written
    next_loc: SourceLocation | None = field(default=None, compare=False)
    kind: ClassVar[str] = "goto"


@dataclass(frozen=True, slots=True)
class EndNode(NodeBase):
    """Say the closing words; the conversation rests with the end prompt."""

    kind: ClassVar[str] = "end"


#: One step of a flow: one node type per kind of :data:`NODE_KINDS`.
Node = MessageNode | ChoiceNode | ServicesNode | HandoffNode | GotoNode | EndNode


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
    #: where ``start:`` names the first node
    start_loc: SourceLocation | None = field(default=None, compare=False)

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
class Closure:
    """Days a service is closed although its hours say open: a service break from ``first`` to
    ``last`` (both included; one day if equal) with an optional ``note`` such as "Winterpause",
    or (``holiday``) a public holiday of the service's calendar."""

    first: date
    last: date
    note: str = ""
    holiday: bool = False
    loc: SourceLocation = field(default=SourceLocation("", 0, 0), compare=False)


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
    regions: tuple[str, ...]  # "DE" for national, Land codes, or AGS keys of local regions
    contacts: tuple[ContactWay, ...]
    sources: tuple[Source, ...]
    verified: bool
    loc: SourceLocation
    always_open: bool = False
    hours: tuple[Hours, ...] = ()
    hours_note: str = ""
    #: The public-holiday calendar the service keeps ("national" or a Land code; "" for none).
    holidays: str = ""
    #: Dated exceptions from the file (service breaks, single closed days).
    closures: tuple[Closure, ...] = ()
    #: The public holidays of ``holidays`` (computed on first use, see
    #: :mod:`bot.flow.calendars`), so that the engine only looks dates up.
    holiday_dates: HolidayDates = NO_HOLIDAYS
    #: ``local_contact`` (:data:`SERVICE_KIND_LOCAL`) for a named local contact, else ``""``.
    kind: str = ""

    @property
    def local_contact(self) -> bool:
        """Whether this is a named local contact person or office."""
        return self.kind == SERVICE_KIND_LOCAL


@dataclass(frozen=True, slots=True)
class LocalRegion:
    """A region of the deployment's local layer below a Land: a Landkreis, a kreisfreie Stadt
    (AGS of 5 digits) or a Gemeinde (8 digits), with its display name and Land code."""

    ags: str
    name: str
    land: str
    loc: SourceLocation = field(default=SourceLocation("", 0, 0), compare=False)


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
    #: the regions of the deployment's local layer (empty without one), in file order
    local_regions: tuple[LocalRegion, ...] = ()

    def region_codes(self) -> tuple[str, ...]:
        """Codes of every region, ``none`` included."""
        return tuple(r.code for r in self.regions)

    def local_regions_of(self, land: str | None) -> tuple[LocalRegion, ...]:
        """The local layer's regions of a Land, in file order (empty for none or no Land)."""
        return tuple(r for r in self.local_regions if r.land == land)

    def local_region(self, ags: str | None) -> LocalRegion | None:
        """The local region with this AGS key, or None."""
        return next((r for r in self.local_regions if r.ags == ags), None)


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Content:
    """Validated flows, knowledge and translations; swapped as a whole on reload.

    Built by :func:`bot.content.load_content`; the engine sees only this model (and what
    :mod:`bot.engine.prepared` derives from it once, kept by a weak reference to it).
    """

    flows: dict[str, Flow]
    knowledge: Knowledge
    catalogs: Catalogs
    entry: str = ENTRY_FLOW

    def __hash__(self) -> int:
        return id(self)
