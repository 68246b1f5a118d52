"""What a user reads in a conversation (see :mod:`bot.engine.texts`)."""

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


def consent_question(
    t: Translator, topic: str, urgency: str, land: str, circles: str = "", region: str = ""
) -> str:
    """What would be passed on, who is asked (``circles``), and the question whether it may
    (arguments already translated; ``region`` only for a user in a local region)."""
    if region:
        said = t.gettext(
            "Ich kann Ihr Anliegen an eine Ansprechperson weitergeben, die Ihnen hier im Chat "
            "antwortet. Weitergegeben wird nur: Thema: {topic} · Dringlichkeit: {urgency} · "
            "Land: {land} · Region: {region}. Kein Name, kein Text, kein Konto."
        ).format(topic=topic, urgency=urgency, land=land, region=region)
    else:
        said = t.gettext(
            "Ich kann Ihr Anliegen an eine Ansprechperson weitergeben, die Ihnen hier im Chat "
            "antwortet. Weitergegeben wird nur: Thema: {topic} · Dringlichkeit: {urgency} · "
            "Land: {land}. Kein Name, kein Text, kein Konto."
        ).format(topic=topic, urgency=urgency, land=land)
    ask = t.gettext("Möchten Sie das?")
    return " ".join(part for part in (said, circles, ask) if part)


def case_opened(t: Translator, code: str) -> str:
    """The user consented and a case was opened: how the case works."""
    return t.gettext(
        "Ihr Anliegen ist als Fall {code} weitergegeben. Sobald eine Ansprechperson "
        "übernimmt, sage ich Ihnen hier Bescheid. Bis dahin wird nichts, was Sie schreiben, "
        "weitergegeben oder aufbewahrt. Danach geht alles, was Sie hier schreiben, an die "
        "Ansprechperson. Beenden können Sie den Fall mit dem Knopf „Fall beenden“. "
        "Bei akuter Gefahr: 110, /notfall oder der Knopf 🆘."
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


def confirm_end(t: Translator) -> str:
    """The "yes" of the question whether to end the case."""
    return t.gettext("Ja, Fall beenden")


def keep_case(t: Translator) -> str:
    """The "no" of the question whether to end the case."""
    return t.gettext("Nein, im Fall bleiben")


def end_question(t: Translator, code: str, what: str) -> str:
    """Ask before the case ends: by its button, or by a command that would leave it."""
    if what == "end":
        return t.gettext(
            "Möchten Sie Ihren Fall {code} wirklich beenden? Die Ansprechperson bekommt dann "
            "keine Nachrichten mehr von Ihnen."
        ).format(code=code)
    return t.gettext(
        "Ihr Fall {code} ist noch offen. Wenn Sie jetzt zurück oder zum Anfang gehen, wird "
        "er beendet. Fall beenden?"
    ).format(code=code)


def case_goes_on(t: Translator) -> str:
    """The user chose to stay in their case."""
    return t.gettext("Gut, Ihr Fall bleibt offen.")


def case_ended(t: Translator, code: str) -> str:
    """The user's case is over."""
    return t.gettext("Ihr Fall {code} ist beendet.").format(code=code)


def waiting_for_claim(t: Translator) -> str:
    """Text typed in a case nobody has claimed yet."""
    return t.gettext(
        "Noch hat niemand Ihren Fall übernommen. Was Sie jetzt schreiben, wird nicht "
        "weitergegeben und nicht aufbewahrt. Sie bekommen hier Bescheid, sobald jemand "
        "übernimmt; schreiben Sie es dann bitte noch einmal."
    )


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


def not_sure(t: Translator) -> str:
    """Typed text with no topic word, but some nearly: the likeliest topics follow."""
    return t.gettext("Das habe ich nicht sicher verstanden.")


def room_erased(t: Translator) -> str:
    """Matrix, after ``/loeschen`` or the retention purge: the bot leaves the room."""
    return t.gettext(
        "Alles aus diesem Gespräch ist gelöscht, auch auf Matrix-Seite, und ich verlasse "
        "diesen Raum. Wenn Sie wieder Hilfe möchten, laden Sie mich in einen neuen Direktchat ein."
    )


#: A contact person's message from a Matrix device their account has not cross-signed (T12): in
#: both languages, because whoever uses that device is not yet known to be the contact person.
UNVERIFIED_DEVICE = (
    "Dieses Gerät ist nicht verifiziert. Als Ansprechperson können Sie Beistand nur von einem "
    "Gerät aus nutzen, das Ihr Matrix-Konto bestätigt hat (Cross-Signing). Bestätigen Sie diese "
    "Sitzung mit einem Ihrer verifizierten Geräte, in Element unter Einstellungen → Sicherheit "
    "→ Sitzung verifizieren, und schreiben Sie dann erneut.\n\n"
    "This device is not verified. As a contact person you can use Beistand only from a device "
    "your Matrix account has confirmed (cross-signing). Verify this session from one of your "
    "verified devices, in Element under Settings → Security → Verify session, then write again."
)
