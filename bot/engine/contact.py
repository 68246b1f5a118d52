"""The contact person's side of the engine: their events in, a request or an answer out.

Pure and synchronous like :func:`bot.engine.step.step`: :func:`contact_step` turns what a
registered contact person sends into a :data:`ContactRequest` (claim, finish, list, availability,
relay) or a direct :class:`Answer`; the handoff carries out the request against the store and
words the outcome with the ``*_reply`` functions below. No I/O, no clock, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.engine import texts
from bot.engine.actions import Action, Say, Stale
from bot.engine.commands import CONTACT_COMMANDS
from bot.engine.events import Choose, Command, Event, Start, Text, Unsupported

if TYPE_CHECKING:
    from bot.i18n import Translator


@dataclass(frozen=True, slots=True)
class ClaimCase:
    """Take a case (first claim wins)."""

    code: str


@dataclass(frozen=True, slots=True)
class FinishCase:
    """End a case the contact holds; ``how`` is ``close`` or ``abuse``."""

    code: str
    how: str


@dataclass(frozen=True, slots=True)
class ListCases:
    """List the contact's cases and the ones waiting for them."""


@dataclass(frozen=True, slots=True)
class SetAvailability:
    """Pause (False) or resume (True) notifications of new cases."""

    available: bool


@dataclass(frozen=True, slots=True)
class RelayToUser:
    """Pass text to the user of a claimed case. Never stored or logged."""

    code: str
    text: str

    def __repr__(self) -> str:
        return f"RelayToUser({self.code}, <{len(self.text)} chars>)"


@dataclass(frozen=True, slots=True)
class AcknowledgeReport:
    """A Meldestelle confirms an Übergriff report (``/bestaetigen CODE``)."""

    code: str


@dataclass(frozen=True, slots=True)
class Answer:
    """Nothing to carry out: answer the contact person."""

    actions: tuple[Action, ...]


ContactRequest = (
    ClaimCase | FinishCase | ListCases | SetAvailability | RelayToUser | AcknowledgeReport | Answer
)


def as_contact(event: Event, has_cases: bool) -> bool:
    """Whether a registered contact person's event is for their contact role.

    Contact commands and ``/hilfe`` always are; typed text, pictures and buttons only while
    they have a case (claimed, or waiting for them). Everything else (``/start``, the menu's
    buttons, ``/loeschen``, and typed text with no case) goes to the bot as from any user, so
    a contact person can use the bot for themselves (docs/kontaktpersonen.md)."""
    match event:
        case Command(name=name):
            return name in CONTACT_COMMANDS or name == "help"
        case Text() | Unsupported():
            return has_cases
    return False


def contact_step(event: Event, t: Translator, claimed: tuple[str, ...] = ()) -> ContactRequest:
    """What a registered contact person's event asks for; ``claimed`` are the codes of their
    claimed cases (needed for typed text only: with several, the text starts with a code)."""
    match event:
        case Command(name="claim", argument=code):
            return ClaimCase((code or "").upper())
        case Command(name="close" | "abuse", argument=code):
            return FinishCase((code or "").upper(), event.name)
        case Command(name="cases"):
            return ListCases()
        case Command(name="acknowledge", argument=code):
            return AcknowledgeReport((code or "").strip().upper())
        case Command(name="away" | "available"):
            return SetAvailability(event.name == "available")
        case Text(text=text):
            return _relay(t, text, claimed)
        case Choose():
            return Answer((Stale(texts.stale_button(t)),))
        case Start() | Command():
            return Answer((Say(contact_help(t)),))
    return Answer((Say(texts.media_not_relayed(t)),))


def _relay(t: Translator, text: str, claimed: tuple[str, ...]) -> ContactRequest:
    """Text with a code goes to that case, without one to the only case; with several cases
    it is not passed on and the contact is asked which case it is for."""
    head, sep, rest = text.partition(":")
    if sep and head.strip().upper() in claimed:
        return RelayToUser(head.strip().upper(), rest.strip())
    if len(claimed) == 1:
        return RelayToUser(claimed[0], text)
    if not claimed:
        return Answer((Say(texts.no_claimed_case(t)),))
    return Answer((Say(texts.which_case(t, claimed)),))


# ---------------------------------------------------------------- the answers to outcomes


def contact_help(t: Translator) -> str:
    """The commands of a contact person."""
    return texts.contact_help(t)


def claim_reply(t: Translator, outcome: str, code: str) -> tuple[Action, ...]:
    """The answer to a claim (outcomes of :func:`bot.handoff.rules.claim`)."""
    return (Say(texts.claim_answer(t, outcome, code)),)


def finish_reply(t: Translator, closed: bool, code: str, how: str) -> tuple[Action, ...]:
    """The answer to ``/close`` or ``/abuse``."""
    if not closed:
        return (Say(texts.not_your_case(t, code)),)
    if how == "abuse":
        return (Say(texts.ended_as_abuse(t, code)),)
    return (Say(texts.case_closed(t, code)),)


def availability_reply(t: Translator, available: bool) -> tuple[Action, ...]:
    """The answer to ``/away`` and ``/available``."""
    return (Say(texts.available_again(t) if available else texts.marked_away(t)),)


def cases_reply(t: Translator, lines: list[str]) -> tuple[Action, ...]:
    """The contact's list of cases (``lines`` already worded)."""
    if not lines:
        return (Say(texts.no_cases(t)),)
    return (Say("\n".join([texts.your_cases(t), *lines])),)


def relay_failed(t: Translator, code: str) -> tuple[Action, ...]:
    """A contact's text could not be passed on."""
    return (Say(texts.relay_failed(t, code)),)


def user_relay_failed(t: Translator) -> tuple[Action, ...]:
    """A user's text could not be passed on."""
    return (Say(texts.user_relay_failed(t)),)


def register_reply(t: Translator, ok: bool) -> tuple[Action, ...]:
    """The answer to ``/register CODE``."""
    return (Say(texts.registered(t) if ok else texts.code_invalid(t)),)


def refusal(t: Translator) -> tuple[Action, ...]:
    """A contact command from someone who is not a contact person."""
    return (Say(texts.contacts_only(t)),)
