"""What the Übergriff reporting route says: the employee's questions and answers, and the
Meldestelle's notice and acknowledgement (see :mod:`bot.engine.texts`, :mod:`bot.engine.report`).

The legal facts (§ 193 SGB VII, Dienstunfall, § 77b StGB) follow
``../shared/reference/domain-facts.md`` (statutory accident insurance; § 77b)."""

from __future__ import annotations

from bot.i18n import Translator

#: The questions of a report, in order, with their fixed answers (values as stored).
REPORT_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("what", ("beleidigung", "bedrohung", "angriff", "sachschaden", "sonstiges")),
    (
        "where",
        ("buergerbuero", "auslaenderbehoerde", "ordnungsamt", "jugendamt", "kfz", "sonstiges"),
    ),
    ("when", ("heute", "gestern", "woche", "frueher")),
    ("hurt", ("ja", "nein")),
    ("police", ("ja", "nein")),
    ("contact", ("ja", "nein")),
)


def report_question(t: Translator, name: str) -> str:
    """The text of one question of the report."""
    match name:
        case "what":
            return t.gettext(
                "Ich stelle Ihnen sechs kurze Fragen zu Ihrer Meldung; Sie antworten nur mit "
                "den Schaltflächen. Was ist geschehen?"
            )
        case "where":
            return t.gettext("Wo ist es geschehen?")
        case "when":
            return t.gettext(
                "Wann ist es geschehen? Sie können auch ein Datum schreiben, z. B. 3.12.2026."
            )
        case "hurt":
            return t.gettext("Wurde jemand verletzt?")
        case "police":
            return t.gettext("War die Polizei da?")
        case "contact":
            return t.gettext("Möchten Sie, dass die Meldestelle Sie kontaktiert?")
    return ""


def answer_label(t: Translator, name: str, value: str) -> str:
    """The label of a fixed answer (or, for ``when``, of a date value ``YYYY-MM-DD``)."""
    labels = {
        "beleidigung": t.gettext("Beleidigung"),
        "bedrohung": t.gettext("Bedrohung"),
        "angriff": t.gettext("Körperlicher Angriff"),
        "sachschaden": t.gettext("Sachbeschädigung"),
        "buergerbuero": t.gettext("Bürgerbüro / Schalter"),
        "auslaenderbehoerde": t.gettext("Ausländerbehörde"),
        "ordnungsamt": t.gettext("Ordnungsamt / Vollzug"),
        "jugendamt": t.gettext("Jugendamt"),
        "kfz": t.gettext("Kfz-Zulassung"),
        "sonstiges": t.gettext("Sonstiges"),
        "heute": t.gettext("Heute"),
        "gestern": t.gettext("Gestern"),
        "woche": t.gettext("In den letzten 7 Tagen"),
        "frueher": t.gettext("Früher"),
        "ja": t.gettext("Ja"),
        "nein": t.gettext("Nein"),
    }
    if name == "when" and value not in labels and len(value) == 10:
        year, month, day = value.split("-")
        return f"{day}.{month}.{year}"
    return labels.get(value, value)


def report_back(t: Translator) -> str:
    """The "back" answer of every question of the report."""
    return t.gettext("⬅ Zurück")


def bad_date(t: Translator) -> str:
    """A typed date that cannot be read, or lies in the future."""
    return t.gettext(
        "Dieses Datum kann ich nicht lesen. Schreiben Sie es etwa so: 3.12.2026 – "
        "oder tippen Sie auf eine Antwort."
    )


def report_consent(t: Translator, office: str, summary: list[str]) -> str:
    """The consent screen: what will be sent, and to whom. The contact's name stands on a line
    of its own, so that any name reads well (also one that says "Meldestelle" itself)."""
    lines = "\n".join(f"• {line}" for line in summary)
    return t.gettext(
        "Das würde ich ohne Ihren Namen und ohne Text an die Meldestelle senden:\n"
        "{lines}\nEmpfangende Stelle: {office}\nJetzt senden?"
    ).format(office=office, lines=lines)


def report_send_answers(t: Translator) -> tuple[str, str]:
    """Send, or not."""
    return (t.gettext("Ja, senden"), t.gettext("Nein, nicht senden"))


def summary_line(t: Translator, name: str, label: str) -> str:
    """One line of the summary: the question's short name and the answer."""
    heads = {
        "what": t.gettext("Was"),
        "where": t.gettext("Wo"),
        "when": t.gettext("Wann"),
        "hurt": t.gettext("Verletzt"),
        "police": t.gettext("Polizei da"),
        "contact": t.gettext("Kontakt gewünscht"),
        "region": t.gettext("Region"),
        "office": t.gettext("Bereich"),
    }
    return f"{heads.get(name, name)}: {label}"


def report_sent(t: Translator, code: str, office: str) -> str:
    """The report went to the Meldestelle (its name on a line of its own, as in the consent)."""
    return t.gettext(
        "Ihre Meldung {code} ist auf dem Weg zur Meldestelle.\nEmpfangende Stelle: {office}\n"
        "Sobald die Meldestelle sie bestätigt, sage ich es Ihnen hier."
    ).format(code=code, office=office)


def reach_question(t: Translator) -> str:
    """The contact wanted: how the employee can be reached (typed, relayed, never stored)."""
    return t.gettext(
        "Wie kann die Meldestelle Sie erreichen? Schreiben Sie es in eine Nachricht, etwa "
        "Ihre Durchwahl oder Dienst-E-Mail. Ich reiche den Text nur weiter und speichere ihn nicht."
    )


def reach_skip(t: Translator) -> str:
    """Do not send how to be reached after all."""
    return t.gettext("Doch keine Kontaktangabe senden")


def reach_sent(t: Translator) -> str:
    """The typed contact details were passed on."""
    return t.gettext("Danke, ich habe Ihre Angabe an die Meldestelle weitergereicht.")


def reach_failed(t: Translator) -> str:
    """The typed contact details could not be passed on now."""
    return t.gettext(
        "Ich konnte Ihre Angabe gerade nicht weiterreichen; sie wurde nicht gespeichert. "
        "Bitte wenden Sie sich direkt an Ihre Meldestelle."
    )


def report_not_sent(t: Translator) -> str:
    """The employee chose not to send."""
    return t.gettext("In Ordnung, ich habe nichts gesendet.")


def report_unavailable(t: Translator) -> str:
    """The Meldestelle went away between the questions and the consent."""
    return t.gettext(
        "Die Meldestelle ist gerade nicht mehr in Beistand erreichbar; ich habe nichts "
        "gesendet. Melden Sie den Übergriff bitte Ihrer oder Ihrem Vorgesetzten."
    )


def report_acknowledged(t: Translator) -> str:
    """To the employee: the Meldestelle acknowledged the report."""
    return t.gettext("Ihre Meldung wurde von der Meldestelle bestätigt.")


# ---------------------------------------------------------------- the Meldestelle's side


def report_notice(t: Translator, code: str, lines: list[str], contact: bool, sent: str) -> str:
    """The notice of a new report to the Meldestelle (answers already worded)."""
    head = t.gettext(
        "Neue Meldung {code} eines Übergriffs auf eine Beschäftigte oder einen "
        "Beschäftigten (gesendet {sent}):"
    ).format(code=code, sent=sent)
    contact_line = (
        t.gettext("Die Person möchte kontaktiert werden; wie, reiche ich gleich weiter.")
        if contact
        else t.gettext("Die Person möchte nicht kontaktiert werden.")
    )
    reminder = t.gettext(
        "Bitte denken Sie an: die Unfallanzeige an die Unfallkasse – Pflicht des Arbeitgebers, "
        "wenn die Person mehr als drei Tage arbeitsunfähig ist (§ 193 SGB VII); bei Beamtinnen "
        "und Beamten die Meldung als Dienstunfall an die Dienstvorgesetzten; die Nachsorge "
        "(die Unfallkasse bietet nach einem Gewaltereignis schnell psychotherapeutische Hilfe an); "
        "und den Personalrat einzubeziehen."
    )
    confirm = t.gettext("Bestätigen Sie den Eingang mit /bestaetigen {code}.").format(code=code)
    body = "\n".join(f"• {line}" for line in lines)
    return f"{head}\n{body}\n{contact_line}\n\n{reminder}\n\n{confirm}"


def reach_relay_label(t: Translator, code: str) -> str:
    """The head of the employee's relayed contact details."""
    return t.gettext("Meldung {code} – so ist die Person erreichbar:").format(code=code)


def ack_done(t: Translator, code: str) -> str:
    """To the Meldestelle: the acknowledgement is passed on."""
    return t.gettext(
        "Meldung {code} ist bestätigt; ich sage es der Person. Die Meldung ist jetzt gelöscht."
    ).format(code=code)


def ack_unknown(t: Translator, code: str) -> str:
    """To the Meldestelle: an unknown, expired or someone else's report code."""
    return t.gettext(
        "Eine offene Meldung {code} für Sie kenne ich nicht (vielleicht schon bestätigt oder "
        "abgelaufen). Es hat sich nichts geändert."
    ).format(code=code or "–")


def ack_meldestelle_only(t: Translator) -> str:
    """To a contact person who is no Meldestelle."""
    return t.gettext("Meldungen bestätigen kann nur eine Meldestelle.")
