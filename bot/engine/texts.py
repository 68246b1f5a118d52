"""Every user-facing text of the program's code, in one place.

The msgids are German (the source language); each function takes the conversation's
:class:`~bot.i18n.Translator`, so Babel's extractor finds every ``t.gettext("...")`` here and
``beistand validate --translations`` can tell which are missing in a catalog. Texts of the
content (flows, knowledge) come from the content files, not from here. No markup: HTML is made
only in :mod:`bot.render`.
"""

from __future__ import annotations

from bot.i18n import Translator

#: The language menu's question, in every language at once (the language is not known yet).
CHOOSE_LANGUAGE = "Bitte wählen Sie Ihre Sprache. / Please choose your language."

# ---------------------------------------------------------------- questions and answers


def emergency_option(t: Translator) -> str:
    """The last answer of every question."""
    return t.gettext("🆘 Akute Gefahr: Notruf 110")


def to_main_menu(t: Translator) -> str:
    """The answer offered after an end."""
    return t.gettext("Zum Hauptmenü")


def how_to_go_on(t: Translator) -> str:
    """The question after an end."""
    return t.gettext("Wie möchten Sie weitermachen?")


def did_you_mean(t: Translator) -> str:
    """The question of the topic suggestions."""
    return t.gettext("Meinten Sie eines dieser Themen?")


def back_to_question(t: Translator) -> str:
    """The last suggestion: none of them."""
    return t.gettext("Nein, zurück zur Frage")


def stale_button(t: Translator) -> str:
    """The answer to a tap on a button that is forged or no longer valid."""
    return t.gettext("Diese Schaltfläche ist nicht mehr gültig.")


def flow_changed(t: Translator) -> str:
    """A saved conversation whose step no longer exists (the flows were edited meanwhile)."""
    return t.gettext(
        "Die Inhalte wurden inzwischen überarbeitet, und die Stelle, an der Sie zuletzt waren, "
        "gibt es nicht mehr. Wir beginnen deshalb noch einmal vorne."
    )


def not_understood(t: Translator) -> str:
    """Typed text that is no answer, command, danger or topic."""
    return t.gettext(
        "Das habe ich leider nicht verstanden. Bitte tippen Sie auf eine Antwort "
        "oder schreiben Sie ihre Nummer. Bei akuter Gefahr: 110."
    )


def delete_needs_command(t: Translator) -> str:
    """The word for erasing typed without the slash: erasing needs the explicit command."""
    return t.gettext("Um alles zu löschen, senden Sie /loeschen.")


def unsupported_media(t: Translator) -> str:
    """A photo, voice message, file or sticker."""
    return t.gettext(
        "Bilder, Sprachnachrichten und Dateien kann ich nicht öffnen, und ich "
        "speichere sie nicht. Bitte antworten Sie mit den Schaltflächen."
    )


def slow_down(t: Translator) -> str:
    """The first refused message of a flood."""
    return t.gettext("Bitte etwas langsamer: Ihre Nachrichten kommen zu schnell.")


# ---------------------------------------------------------------- commands


def welcome(t: Translator) -> str:
    """The first words to a new conversation."""
    return t.gettext(
        "Willkommen bei Beistand. Ich speichere keine Texte und keine Namen; "
        "mehr dazu mit /datenschutz. Bei akuter Gefahr wählen Sie 110."
    )


def restarted(t: Translator) -> str:
    """``/neustart``."""
    return t.gettext("Wir fangen von vorne an. Ihre bisherigen Angaben sind verworfen.")


def erased(t: Translator) -> str:
    """``/loeschen``: everything is gone."""
    return t.gettext(
        "Alles, was Beistand über Sie gespeichert hatte, ist gelöscht. "
        "Mit /start können Sie jederzeit neu beginnen."
    )


def at_the_beginning(t: Translator) -> str:
    """``/zurueck`` with nothing to go back to."""
    return t.gettext("Sie sind bereits am Anfang.")


def language_set(t: Translator) -> str:
    """After choosing a language (translated into that language)."""
    return t.gettext("Die Sprache ist jetzt Deutsch.")


def emergency_guidance(t: Translator) -> tuple[str, str]:
    """What to do in acute danger: two messages."""
    return (
        t.gettext(
            "Sind Sie oder andere in akuter Gefahr? Rufen Sie sofort die Polizei: 110. "
            "Bei Verletzten oder Feuer: 112. Bringen Sie sich in Sicherheit, "
            "schließen Sie Türen ab und holen Sie andere Menschen dazu."
        ),
        t.gettext(
            "Sagen Sie am Telefon: wo Sie sind, was passiert, wer bedroht wird. "
            "Legen Sie nicht zuerst auf. Dieser Chat ersetzt keinen Notruf."
        ),
    )


def help_intro(t: Translator) -> str:
    """The first line of ``/hilfe``."""
    return t.gettext("Sie können jederzeit diese Befehle senden:")


def help_outro(t: Translator) -> str:
    """The last line of ``/hilfe``."""
    return t.gettext("Tippen Sie sonst einfach auf eine Antwort oder schreiben Sie ihre Nummer.")


def command_descriptions(t: Translator) -> dict[str, str]:
    """Short descriptions of the commands (also used for Telegram's command menu)."""
    return {
        "start": t.gettext("Hauptmenü"),
        "help": t.gettext("Hilfe und Befehle"),
        "emergency": t.gettext("Akute Gefahr: Notruf 110"),
        "back": t.gettext("Einen Schritt zurück"),
        "restart": t.gettext("Von vorne beginnen"),
        "language": t.gettext("Sprache wählen"),
        "privacy": t.gettext("Was gespeichert wird"),
        "delete": t.gettext("Alle meine Daten löschen"),
    }


def privacy_text(t: Translator) -> str:
    """What is stored, in short."""
    return t.gettext(
        "Datenschutz: Beistand speichert keine Texte, die Sie schreiben, und keine Namen. "
        "Gespeichert wird nur, an welcher Stelle des Gesprächs Sie sind, Ihre Sprache und "
        "Ihre Auswahl (z. B. das Bundesland), unter einem Pseudonym. Nach 30 Tagen ohne "
        "Nutzung wird das gelöscht. Geben Sie Ihr Anliegen an eine Ansprechperson weiter, "
        "erfährt sie nur Thema, Dringlichkeit und Land; Nachrichten werden nur durchgereicht, "
        "der Fall wird 7 Tage nach dem Ende gelöscht. Mit /loeschen löschen Sie sofort alles. "
        "Der Messenger-Anbieter sieht, dass Sie mit diesem Bot schreiben."
    )


# ---------------------------------------------------------------- handoff (the user's side)


def consent_answers(t: Translator) -> tuple[str, str, str]:
    """The answers of the consent question: pass on, show contacts instead, no."""
    return (
        t.gettext("Ja, über diesen Chat weitergeben"),
        t.gettext("Nein, Kontaktdaten zeigen"),
        t.gettext("Nein, danke"),
    )


def urgency_label(t: Translator, urgency: str) -> str:
    """An urgency in words (unknown ones as they are)."""
    return {
        "high": t.gettext("hoch"),
        "normal": t.gettext("mittel"),
        "low": t.gettext("niedrig"),
    }.get(urgency, urgency)


def consent_question(t: Translator, topic: str, urgency: str, land: str) -> str:
    """What would be passed on, and the question whether it may (arguments already translated)."""
    return t.gettext(
        "Ich kann Ihr Anliegen an eine Ansprechperson weitergeben, die Ihnen hier im Chat "
        "antwortet. Weitergegeben wird nur: Thema: {topic} · Dringlichkeit: {urgency} · "
        "Land: {land}. Kein Name, kein Text, kein Konto. Möchten Sie das?"
    ).format(topic=topic, urgency=urgency, land=land)


def case_opened(t: Translator, code: str) -> str:
    """The user consented and a case was opened."""
    return t.gettext(
        "Ihr Anliegen ist als Fall {code} weitergegeben. Sobald eine Ansprechperson "
        "übernimmt, sage ich Ihnen hier Bescheid. Bei akuter Gefahr: 110."
    ).format(code=code)


def case_refused(t: Translator, limit: bool) -> str:
    """No case may be opened: over the limit (or a case already open), or not possible here."""
    if limit:
        return t.gettext(
            "Eine Weitergabe ist gerade nicht möglich, weil Sie schon einen offenen Fall "
            "haben oder heute schon mehrere Anfragen gestellt haben. Diese Stellen "
            "helfen Ihnen direkt:"
        )
    return t.gettext(
        "Eine Weitergabe ist über diesen Chat gerade nicht möglich. Diese Stellen "
        "helfen Ihnen direkt:"
    )


def nothing_passed_on(t: Translator) -> str:
    """The user declined the handoff."""
    return t.gettext("In Ordnung. Es wird nichts weitergegeben.")


def reachable_directly(t: Translator) -> str:
    """The lead-in of the services shown instead of a handoff."""
    return t.gettext("Diese Stellen können Sie direkt erreichen:")


def case_question(t: Translator, code: str, claimed: bool) -> str:
    """The question while a case is open."""
    if claimed:
        return t.gettext(
            "Ihr Fall {code}: Eine Ansprechperson ist für Sie da. Schreiben Sie einfach "
            "hier, Ihre Nachrichten werden weitergeleitet und nicht gespeichert."
        ).format(code=code)
    return t.gettext(
        "Ihr Fall {code} wartet auf eine Ansprechperson. Sie bekommen hier Bescheid, "
        "sobald jemand übernimmt."
    ).format(code=code)


def end_case(t: Translator) -> str:
    """The one answer while a case is open."""
    return t.gettext("Fall beenden")


def case_ended(t: Translator, code: str) -> str:
    """The user's case is over."""
    return t.gettext("Ihr Fall {code} ist beendet.").format(code=code)


def waiting_for_claim(t: Translator) -> str:
    """Text typed in a case nobody has claimed yet."""
    return t.gettext(
        "Ihre Nachricht kann erst weitergegeben werden, wenn eine Ansprechperson "
        "Ihren Fall übernommen hat. Sie bekommen hier Bescheid."
    )


# ---------------------------------------------------------------- opening hours


def day_short(t: Translator, day: int) -> str:
    """A weekday (0 = Monday), abbreviated."""
    return (
        t.gettext("Mo"),
        t.gettext("Di"),
        t.gettext("Mi"),
        t.gettext("Do"),
        t.gettext("Fr"),
        t.gettext("Sa"),
        t.gettext("So"),
    )[day]


def day_name(t: Translator, day: int) -> str:
    """A weekday (0 = Monday)."""
    return (
        t.gettext("Montag"),
        t.gettext("Dienstag"),
        t.gettext("Mittwoch"),
        t.gettext("Donnerstag"),
        t.gettext("Freitag"),
        t.gettext("Samstag"),
        t.gettext("Sonntag"),
    )[day]


def always_open(t: Translator) -> str:
    """The hours of a service open day and night."""
    return t.gettext("rund um die Uhr")


def open_until(t: Translator, time: str) -> str:
    """A service open now."""
    return t.gettext("Jetzt erreichbar, bis {time} Uhr").format(time=time)


def today_at(t: Translator, time: str) -> str:
    """When a service opens later today."""
    return t.gettext("heute um {time} Uhr").format(time=time)


def day_at(t: Translator, day: str, time: str) -> str:
    """When a service opens on another day."""
    return t.gettext("{day} um {time} Uhr").format(day=day, time=time)


def closed_until(t: Translator, when: str) -> str:
    """A service closed now."""
    return t.gettext("Gerade geschlossen. Wieder erreichbar: {when}").format(when=when)


# ---------------------------------------------------------------- Telegram


def telegram_notice(t: Translator) -> str:
    """Sent at /start on Telegram: what Telegram itself keeps."""
    return t.gettext(
        "Hinweis: Telegram speichert Chats mit Bots auf seinen Servern; sie sind nicht "
        "Ende-zu-Ende-verschlüsselt. Was Beistand speichert, steht unter /datenschutz."
    )


def apology(t: Translator) -> str:
    """Sent when handling an update failed."""
    return t.gettext(
        "Entschuldigung, das hat nicht geklappt. Bitte versuchen Sie es noch einmal. "
        "Bei akuter Gefahr rufen Sie 110."
    )


# ---------------------------------------------------------------- holidays and closures


def month_name(t: Translator, month: int) -> str:
    """A month (1 = January)."""
    return (
        t.gettext("Januar"),
        t.gettext("Februar"),
        t.gettext("März"),
        t.gettext("April"),
        t.gettext("Mai"),
        t.gettext("Juni"),
        t.gettext("Juli"),
        t.gettext("August"),
        t.gettext("September"),
        t.gettext("Oktober"),
        t.gettext("November"),
        t.gettext("Dezember"),
    )[month - 1]


def date_text(t: Translator, day: int, month: str) -> str:
    """A calendar date without the year, e.g. "5. Januar"."""
    return t.gettext("{day}. {month}").format(day=day, month=month)


def date_at(t: Translator, day: str, date: str, time: str) -> str:
    """When a service opens again more than a few days ahead."""
    return t.gettext("{day}, {date}, um {time} Uhr").format(day=day, date=date, time=time)


def holiday_reason(t: Translator) -> str:
    """Why a service is closed on a public holiday."""
    return t.gettext("Feiertag")


def break_reason(t: Translator) -> str:
    """Why a service is closed during a dated closure without its own note."""
    return t.gettext("Betriebsferien")


def closed_today(t: Translator, reason: str) -> str:
    """A service closed all of today (a public holiday, a one-day closure)."""
    return t.gettext("Geschlossen, heute {reason}.").format(reason=reason)


def closed_through(t: Translator, reason: str, until: str) -> str:
    """A service closed for a break until a later date."""
    return t.gettext("Geschlossen, {reason} bis {until}.").format(reason=reason, until=until)


def open_again(t: Translator, when: str) -> str:
    """When a closed service opens next."""
    return t.gettext("Wieder erreichbar: {when}").format(when=when)


def not_sure(t: Translator) -> str:
    """Typed text with no topic word, but some nearly: the likeliest topics follow."""
    return t.gettext("Das habe ich nicht sicher verstanden.")
