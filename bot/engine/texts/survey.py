"""What a participant of an anonymous survey reads (see :mod:`bot.engine.texts`)."""

from __future__ import annotations

from bot.i18n import Translator


def survey_intro(t: Translator, title: str, count: int) -> str:
    """The first message of a survey: its title, how many questions, what is stored."""
    return t.gettext(
        "Umfrage: {title}\n{count} Fragen. Die Umfrage ist anonym: Es wird nur gezählt, wie oft "
        "jede Antwort gewählt wurde, nicht wer was geantwortet hat. Jede Antwort zählt sofort. "
        "Mit /stop hören Sie jederzeit auf."
    ).format(title=title, count=count)


def survey_question(t: Translator, number: int, count: int, text: str) -> str:
    """One question, with where the participant stands."""
    return t.gettext("Frage {number} von {count}: {text}").format(
        number=number, count=count, text=text
    )


def survey_leave(t: Translator) -> str:
    """The answer that leaves the survey."""
    return t.gettext("Umfrage verlassen")


def survey_thanks(t: Translator) -> str:
    """After the last answer."""
    return t.gettext("Vielen Dank! Ihre Antworten sind gezählt. Die Umfrage ist für Sie beendet.")


def survey_left(t: Translator) -> str:
    """After /stop, /zurueck or the leave answer."""
    return t.gettext(
        "Sie haben die Umfrage verlassen. Bereits gegebene Antworten bleiben gezählt; "
        "noch einmal teilnehmen können Sie nicht."
    )


def survey_not_open(t: Translator) -> str:
    """A link or code of a survey that is unknown or already closed."""
    return t.gettext("Diese Umfrage gibt es nicht oder sie ist bereits beendet.")


def survey_closed_meanwhile(t: Translator) -> str:
    """The survey was closed while the participant was answering."""
    return t.gettext(
        "Die Umfrage wurde inzwischen beendet. Ihre bisherigen Antworten sind gezählt."
    )


def survey_already(t: Translator) -> str:
    """A second attempt at the same survey from the same account."""
    return t.gettext(
        "Sie haben an dieser Umfrage bereits teilgenommen. Jede Person antwortet nur einmal."
    )


def survey_needs_code(t: Translator) -> str:
    """``/umfrage`` without a code."""
    return t.gettext(
        "Bitte senden Sie /umfrage und den Code der Umfrage, zum Beispiel: /umfrage K7Q2M9XA"
    )


def no_survey(t: Translator) -> str:
    """``/stop`` outside a survey."""
    return t.gettext("Gerade läuft keine Umfrage.")


__all__ = [
    "no_survey",
    "survey_already",
    "survey_closed_meanwhile",
    "survey_intro",
    "survey_leave",
    "survey_left",
    "survey_needs_code",
    "survey_not_open",
    "survey_question",
    "survey_thanks",
]
