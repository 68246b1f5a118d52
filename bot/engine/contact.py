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
from bot.engine.events import Choose, Command, Event, Start, Text

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
class Answer:
    """Nothing to carry out: answer the contact person."""

    actions: tuple[Action, ...]


ContactRequest = ClaimCase | FinishCase | ListCases | SetAvailability | RelayToUser | Answer


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
        case Command(name="away" | "available"):
            return SetAvailability(event.name == "available")
        case Text(text=text):
            return _relay(t, text, claimed)
        case Choose():
            return Answer((Stale(texts.stale_button(t)),))
        case Start() | Command():
            return Answer((Say(contact_help(t)),))
    return Answer((Say(t.gettext("Bilder und Dateien werden nicht weitergeleitet.")),))


def _relay(t: Translator, text: str, claimed: tuple[str, ...]) -> ContactRequest:
    head, sep, rest = text.partition(":")
    if sep and head.strip().upper() in claimed:
        return RelayToUser(head.strip().upper(), rest.strip())
    if len(claimed) == 1:
        return RelayToUser(claimed[0], text)
    if not claimed:
        return Answer(
            (
                Say(
                    t.gettext(
                        "Sie haben gerade keinen übernommenen Fall. Neue Fälle übernehmen Sie mit "
                        "/uebernehmen CODE."
                    )
                ),
            )
        )
    return Answer(
        (
            Say(
                t.gettext(
                    "Sie haben mehrere Fälle. Schreiben Sie den Fallcode vor Ihre Nachricht, "
                    "z. B. {code}: Guten Tag"
                ).format(code=claimed[0])
            ),
        )
    )


# ---------------------------------------------------------------- the answers to outcomes


def contact_help(t: Translator) -> str:
    """The commands of a contact person."""
    return t.gettext(
        "Sie sind als Ansprechperson registriert.\n"
        "/uebernehmen CODE – Fall übernehmen\n"
        "/abschliessen CODE – Fall abschließen\n"
        "/missbrauch CODE – Fall als Missbrauch beenden\n"
        "/faelle – Ihre Fälle\n"
        "/abwesend, /verfuegbar – Benachrichtigungen pausieren oder wieder aufnehmen\n"
        "Text ohne Befehl geht an die Person Ihres Falls."
    )


def claim_reply(t: Translator, outcome: str, code: str) -> tuple[Action, ...]:
    """The answer to a claim (outcomes of :func:`bot.handoff.rules.claim`)."""
    texts = {
        "won": t.gettext(
            "Sie haben Fall {code} übernommen. Was Sie hier schreiben, geht an die "
            "Person; ihre Antworten kommen hier mit dem Fallcode an. Beenden mit "
            "/abschliessen {code}."
        ),
        "unknown": t.gettext("Einen Fall {code} gibt es für Sie nicht."),
        "closed": t.gettext("Fall {code} ist bereits beendet."),
        "yours": t.gettext("Sie haben Fall {code} bereits übernommen."),
        "taken": t.gettext("Fall {code} hat bereits eine andere Ansprechperson übernommen."),
    }
    return (Say(texts[outcome].format(code=code)),)


def finish_reply(t: Translator, closed: bool, code: str, how: str) -> tuple[Action, ...]:
    """The answer to ``/close`` or ``/abuse``."""
    if not closed:
        return (Say(t.gettext("Sie haben keinen offenen Fall {code}.").format(code=code)),)
    if how == "abuse":
        return (
            Say(
                t.gettext(
                    "Fall {code} ist als Missbrauch beendet. Diese Person kann vorerst keine "
                    "neuen Fälle eröffnen."
                ).format(code=code)
            ),
        )
    return (Say(t.gettext("Fall {code} ist abgeschlossen.").format(code=code)),)


def availability_reply(t: Translator, available: bool) -> tuple[Action, ...]:
    """The answer to ``/away`` and ``/available``."""
    if available:
        return (Say(t.gettext("Sie bekommen wieder Benachrichtigungen über neue Fälle.")),)
    return (
        Say(
            t.gettext(
                "Sie sind als abwesend markiert und bekommen keine neuen Fälle. "
                "Zurück mit /verfuegbar."
            )
        ),
    )


def cases_reply(t: Translator, lines: list[str]) -> tuple[Action, ...]:
    """The contact's list of cases (``lines`` already worded)."""
    if not lines:
        return (Say(t.gettext("Sie haben keine offenen Fälle.")),)
    return (Say("\n".join([t.gettext("Ihre Fälle:"), *lines])),)


def relay_failed(t: Translator, code: str) -> tuple[Action, ...]:
    """A contact's text could not be passed on."""
    return (
        Say(
            t.gettext("Die Nachricht zu Fall {code} konnte gerade nicht zugestellt werden.").format(
                code=code
            )
        ),
    )


def user_relay_failed(t: Translator) -> tuple[Action, ...]:
    """A user's text could not be passed on."""
    return (
        Say(
            t.gettext(
                "Ihre Nachricht konnte gerade nicht zugestellt werden. Bitte versuchen Sie es "
                "gleich noch einmal. Bei akuter Gefahr: 110."
            )
        ),
    )


def register_reply(t: Translator, ok: bool) -> tuple[Action, ...]:
    """The answer to ``/register CODE``."""
    if not ok:
        return (Say(t.gettext("Dieser Code ist ungültig oder abgelaufen.")),)
    return (
        Say(
            t.gettext(
                "Sie sind jetzt als Ansprechperson registriert. Neue Fälle kommen hier an. "
                "Mit /faelle sehen Sie Ihre Fälle, mit /abwesend pausieren Sie "
                "Benachrichtigungen."
            )
        ),
    )


def refusal(t: Translator) -> tuple[Action, ...]:
    """A contact command from someone who is not a contact person."""
    return (Say(t.gettext("Dieser Befehl ist nur für registrierte Ansprechpersonen.")),)
