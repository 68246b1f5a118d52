"""What a contact person reads in answer to their commands and messages (see
:mod:`bot.engine.texts`)."""

from __future__ import annotations

from bot.i18n import Translator

#: Where the guide for contact persons is (docs/kontaktpersonen.md), shown in their help.
GUIDE = "docs/kontaktpersonen.md"


def contact_help(t: Translator) -> str:
    """The commands of a contact person, and how to use the bot as a user."""
    return t.gettext(
        "Sie sind als Ansprechperson registriert.\n"
        "/uebernehmen CODE – Fall übernehmen\n"
        "/abschliessen CODE – Fall abschließen\n"
        "/missbrauch CODE – Fall als Missbrauch beenden\n"
        "/faelle – Ihre Fälle\n"
        "/abwesend, /verfuegbar – Benachrichtigungen pausieren oder wieder aufnehmen\n"
        "Text ohne Befehl geht an die Person Ihres Falls.\n"
        "Ohne übernommenen Fall können Sie den Bot wie jede andere Person nutzen: /start.\n"
        "Anleitung für Ansprechpersonen: {guide}"
    ).format(guide=GUIDE)


def no_claimed_case(t: Translator) -> str:
    """A contact typed text while holding no case."""
    return t.gettext(
        "Sie haben gerade keinen übernommenen Fall. Neue Fälle übernehmen Sie mit "
        "/uebernehmen CODE."
    )


def which_case(t: Translator, codes: tuple[str, ...]) -> str:
    """A contact with several cases typed text without a code: it was not passed on."""
    return t.gettext(
        "Sie haben mehrere Fälle: {codes}. Für welchen ist die Nachricht? Sie wurde nicht "
        "weitergegeben. Schreiben Sie den Fallcode davor, z. B. {code}: Guten Tag"
    ).format(codes=", ".join(codes), code=codes[0])


def media_not_relayed(t: Translator) -> str:
    """A contact sent a picture or a file."""
    return t.gettext("Bilder und Dateien werden nicht weitergeleitet.")


def claim_answer(t: Translator, outcome: str, code: str) -> str:
    """The answer to a claim (outcomes of :func:`bot.handoff.rules.claim`)."""
    answers = {
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
    return answers[outcome].format(code=code)


def not_your_case(t: Translator, code: str) -> str:
    """``/close`` or ``/abuse`` of a case the contact does not hold."""
    return t.gettext("Sie haben keinen offenen Fall {code}.").format(code=code)


def ended_as_abuse(t: Translator, code: str) -> str:
    """The answer to ``/abuse``."""
    return t.gettext(
        "Fall {code} ist als Missbrauch beendet. Diese Person kann vorerst keine "
        "neuen Fälle eröffnen."
    ).format(code=code)


def case_closed(t: Translator, code: str) -> str:
    """The answer to ``/close``."""
    return t.gettext("Fall {code} ist abgeschlossen.").format(code=code)


def available_again(t: Translator) -> str:
    """The answer to ``/available``."""
    return t.gettext("Sie bekommen wieder Benachrichtigungen über neue Fälle.")


def marked_away(t: Translator) -> str:
    """The answer to ``/away``."""
    return t.gettext(
        "Sie sind als abwesend markiert und bekommen keine neuen Fälle. Zurück mit /verfuegbar."
    )


def no_cases(t: Translator) -> str:
    """``/faelle`` with nothing to list."""
    return t.gettext("Sie haben keine offenen Fälle.")


def your_cases(t: Translator) -> str:
    """The heading of ``/faelle``."""
    return t.gettext("Ihre Fälle:")


def relay_failed(t: Translator, code: str) -> str:
    """A contact's text could not be passed on."""
    return t.gettext("Die Nachricht zu Fall {code} konnte gerade nicht zugestellt werden.").format(
        code=code
    )


def user_relay_failed(t: Translator) -> str:
    """A user's text could not be passed on."""
    return t.gettext(
        "Ihre Nachricht konnte gerade nicht zugestellt werden. Bitte versuchen Sie es "
        "gleich noch einmal. Bei akuter Gefahr: 110."
    )


def code_invalid(t: Translator) -> str:
    """``/register`` with a code that is not (or no longer) valid."""
    return t.gettext("Dieser Code ist ungültig oder abgelaufen.")


def registered(t: Translator) -> str:
    """``/register`` succeeded."""
    return t.gettext(
        "Sie sind jetzt als Ansprechperson registriert. Neue Fälle kommen hier an. "
        "Mit /faelle sehen Sie Ihre Fälle, mit /abwesend pausieren Sie "
        "Benachrichtigungen. Anleitung für Ansprechpersonen: {guide}"
    ).format(guide=GUIDE)


def contacts_only(t: Translator) -> str:
    """A contact command from someone who is not a contact person."""
    return t.gettext("Dieser Befehl ist nur für registrierte Ansprechpersonen.")
