"""Conversation state: what the engine needs between two events, and nothing a user typed."""

from __future__ import annotations

from dataclasses import dataclass, replace

#: How many earlier questions ``back`` can return to.
MAX_HISTORY = 30


@dataclass(frozen=True, slots=True)
class State:
    """Where a conversation stands.

    ``slots`` hold only values chosen from enumerations (a Land code, a channel). ``mode`` is empty
    while a flow question is open, ``language`` while the language menu is open, or
    ``suggest:<flow>,<flow>`` while flows matching typed words are offered.
    """

    flow: str
    node: str
    locale: str = "de"
    slots: tuple[tuple[str, str], ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    turn: int = 0
    mode: str = ""

    def slot(self, name: str) -> str | None:
        """The value of a slot, or None if unset."""
        return dict(self.slots).get(name)

    def with_slots(self, updates: tuple[tuple[str, str], ...]) -> State:
        """A copy with some slots set (order kept stable by name)."""
        merged = dict(self.slots)
        merged.update(updates)
        return replace(self, slots=tuple(sorted(merged.items())))

    def pushed(self) -> State:
        """A copy with the current question added to the history."""
        history = (*self.history, (self.flow, self.node))[-MAX_HISTORY:]
        return replace(self, history=history)


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
