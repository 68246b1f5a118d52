"""Conversation state: what the engine needs between two events, and nothing a user typed."""

from __future__ import annotations

from dataclasses import dataclass

#: How many earlier questions ``back`` can return to.
MAX_HISTORY = 30


@dataclass(frozen=True, slots=True)
class AtNode:
    """The question (or end prompt) of the current flow node is open."""


@dataclass(frozen=True, slots=True)
class ChoosingLanguage:
    """The language menu is open."""


@dataclass(frozen=True, slots=True)
class ChoosingRegion:
    """After the Land at an ``ask: land`` node: the local layer's regions of that Land are
    offered (then the node's ``next``)."""


@dataclass(frozen=True, slots=True)
class Suggesting:
    """Flows matching words the user typed are offered (ids, best first)."""

    flows: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Consenting:
    """At a handoff node: the user is asked whether their case may be passed on."""


@dataclass(frozen=True, slots=True)
class InCase:
    """The user's case ``code`` is open: everything typed is relayed to the contact person.

    ``confirm`` names what waits for a "yes" before the case ends: ``end`` (the "end case"
    button), or the command that would leave the case (``start``, ``back``, ``restart``)."""

    code: str
    confirm: str = ""


@dataclass(frozen=True, slots=True)
class InSurvey:
    """Question ``question`` (from 0) of the open survey ``survey`` (its code) is asked.

    Only the position is kept: the answers given are counted at once and never stored here."""

    survey: str
    question: int = 0


@dataclass(frozen=True, slots=True)
class Reporting:
    """Question ``question`` of the Übergriff report (:mod:`bot.engine.report`) is open.

    ``answers`` hold the fixed-choice answers given so far, ``(question, value)`` (a typed
    date only as its ISO date; the typed text is dropped), and, once the report was sent, its
    code (``("code", CODE)``) while the employee is asked how to be reached."""

    question: str
    answers: tuple[tuple[str, str], ...] = ()

    def answer(self, name: str) -> str | None:
        """The value given for one question, or None."""
        return next((v for k, v in self.answers if k == name), None)


#: What kind of question is open; stored as text by the storage edge (``bot/storage/modes.py``).
Mode = (
    AtNode
    | ChoosingLanguage
    | Suggesting
    | Consenting
    | InCase
    | ChoosingRegion
    | InSurvey
    | Reporting
)
AT_NODE = AtNode()


@dataclass(frozen=True, slots=True)
class State:
    """Where a conversation stands.

    ``slots`` hold only values chosen from enumerations (a Land code, a channel). ``mode`` says
    which question is open: the flow node's (:class:`AtNode`), the language menu, topic
    suggestions, the consent question of a handoff, or an open case.
    """

    flow: str
    node: str
    locale: str = "de"
    slots: tuple[tuple[str, str], ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    turn: int = 0
    mode: Mode = AT_NODE

    # The copies below are built directly, not through dataclasses.replace (several per step,
    # the engine's hottest path); tests/test_prepared.py fails if a field is added here and
    # not to them.

    def slot(self, name: str) -> str | None:
        """The value of a slot, or None if unset."""
        for key, value in reversed(self.slots):  # the last one wins, as in a dict
            if key == name:
                return value
        return None

    def with_slots(self, updates: tuple[tuple[str, str], ...]) -> State:
        """A copy with some slots set (order kept stable by name)."""
        merged = dict(self.slots)
        merged.update(updates)
        slots = tuple(sorted(merged.items()))
        return State(self.flow, self.node, self.locale, slots, self.history, self.turn, self.mode)

    def without_slot(self, name: str) -> State:
        """A copy with one slot unset."""
        slots = tuple((k, v) for k, v in self.slots if k != name)
        return State(self.flow, self.node, self.locale, slots, self.history, self.turn, self.mode)

    def pushed(self) -> State:
        """A copy with the current question added to the history."""
        history = (*self.history, (self.flow, self.node))[-MAX_HISTORY:]
        return State(self.flow, self.node, self.locale, self.slots, history, self.turn, self.mode)

    def at(self, flow: str, node: str, mode: Mode = AT_NODE) -> State:
        """A copy at another node (of another flow) with ``mode`` open."""
        return State(flow, node, self.locale, self.slots, self.history, self.turn, mode)

    def next_turn(self) -> State:
        """A copy with the turn counted up (a new question is asked)."""
        return State(
            self.flow, self.node, self.locale, self.slots, self.history, self.turn + 1, self.mode
        )


@dataclass(frozen=True, slots=True)
class CaseContext:
    """What the runtime knows about the user's handoff, passed into a step (never stored by it).

    ``code`` is the user's open case, ``claimed`` whether a contact person has taken it,
    ``refusal`` why no new case may be opened (``limit`` or ``blocked``), and ``new_code`` the
    code a new case would get (random numbers come from outside the pure engine).
    """

    code: str | None = None
    claimed: bool = False
    refusal: str | None = None
    new_code: str = ""


@dataclass(frozen=True, slots=True)
class ReportContext:
    """What the runtime knows about the Übergriff reporting route, passed into a step.

    ``office`` is the name of the Meldestelle that would receive a report from this user (for
    their region, else their Land; "" if none is set up), ``new_code`` the code a report sent in
    this step would get (random numbers come from outside the pure engine)."""

    office: str = ""
    new_code: str = ""
