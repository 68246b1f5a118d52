"""Actions the engine returns; transports turn them into platform calls."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Say:
    """Send a text (plain text; transports escape it for their markup)."""

    text: str


@dataclass(frozen=True, slots=True)
class Option:
    """One answer of a prompt; ``index`` goes back in :class:`~bot.engine.events.Choose`."""

    index: int
    label: str


@dataclass(frozen=True, slots=True)
class Ask:
    """Ask the user to choose; ``turn`` identifies this prompt so stale answers can be refused."""

    text: str
    options: tuple[Option, ...]
    turn: int


@dataclass(frozen=True, slots=True)
class Contact:
    """One way to reach a service: kind is ``phone``, ``email``, ``web`` or ``chat``."""

    kind: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Card:
    """A support service as shown to the user, already translated."""

    service_id: str
    name: str
    summary: str
    contacts: tuple[Contact, ...]
    hours: str  # e.g. "Mo–Fr 9:00–16:00"; empty when not applicable
    status: str  # e.g. "jetzt erreichbar" / "wieder erreichbar Montag 9:00"; empty if always open


@dataclass(frozen=True, slots=True)
class ShowServices:
    """Show service cards, with an optional lead-in text."""

    intro: str
    cards: tuple[Card, ...]


@dataclass(frozen=True, slots=True)
class Stale:
    """A button that no longer fits the conversation: answer briefly, change nothing."""

    text: str


@dataclass(frozen=True, slots=True)
class Erase:
    """Erase everything stored about this user (the runtime does it; the state is already reset)."""


@dataclass(frozen=True, slots=True)
class OpenCase:
    """The user consented: open a case with this code and notify the contact persons."""

    code: str
    topic: str
    urgency: str
    land: str
    flow: str
    #: the user's local region (an AGS key of the local layer), or "none"
    region: str = "none"


@dataclass(frozen=True, slots=True)
class CloseCase:
    """The user ends (or withdraws) their case; ``reason`` is ``user`` or ``erased``."""

    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Relay:
    """Pass the user's text to the contact person of a claimed case. Never stored or logged."""

    code: str
    text: str

    def __repr__(self) -> str:
        return f"Relay({self.code}, <{len(self.text)} chars>)"


@dataclass(frozen=True, slots=True)
class SendReport:
    """The employee consented: send the Übergriff report (fixed-choice answers only) with
    this code to the Meldestelle of their region or Land (the runtime finds it again)."""

    code: str
    topic: str
    answers: tuple[tuple[str, str], ...]
    land: str
    region: str = "none"


@dataclass(frozen=True, slots=True)
class RelayReport:
    """Pass the employee's typed contact details to the Meldestelle of report ``code``.
    Never stored or logged."""

    code: str
    text: str

    def __repr__(self) -> str:
        return f"RelayReport({self.code}, <{len(self.text)} chars>)"


Action = (
    Say
    | Ask
    | ShowServices
    | Stale
    | Erase
    | OpenCase
    | CloseCase
    | Relay
    | SendReport
    | RelayReport
)
