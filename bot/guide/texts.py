"""The guide's own words: headings and labels (German msgids, like :mod:`bot.engine.texts`).

Everything about the law and the steps to take is quoted from the flows (:mod:`bot.guide.spec`);
these are only the frame around it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import Translator


@dataclass(frozen=True, slots=True)
class Labels:
    """Every fixed text of the printed guide, in one language."""

    title: str
    audience: str
    emergency: str
    first_steps: str
    deadlines: str
    register_block: str
    contacts: str
    local_contacts: str
    land_contacts: str
    national_contacts: str
    local_contact: str
    hours: str
    checked: str
    sources: str
    open_bot: str
    open_bot_hint: str
    made: str
    made_note: str
    telegram: str
    matrix: str
    link: str
    kinds: dict[str, str]


def labels(t: Translator) -> Labels:
    """The labels in the translator's language."""
    return Labels(
        title=t.gettext("Leitfaden bei Bedrohung, Hass und Übergriffen"),
        audience=t.gettext(
            "Für haupt- und ehrenamtliche Amts- und Mandatsträger:innen und die Beschäftigten "
            "der Verwaltung"
        ),
        emergency=t.gettext("Im Notfall"),
        first_steps=t.gettext("Erste Schritte"),
        deadlines=t.gettext("Fristen"),
        register_block=t.gettext("Auskunftssperre im Melderegister"),
        contacts=t.gettext("Ansprechstellen"),
        local_contacts=t.gettext("Vor Ort: {place}"),
        land_contacts=t.gettext("Im Land: {land}"),
        national_contacts=t.gettext("Bundesweit"),
        local_contact=t.gettext("Ansprechperson vor Ort"),
        hours=t.gettext("Erreichbar"),
        checked=t.gettext("geprüft am {date}"),
        sources=t.gettext("Quellen"),
        open_bot=t.gettext("Beistand im Chat"),
        open_bot_hint=t.gettext(
            "Beistand hilft Schritt für Schritt, rund um die Uhr und ohne Anmeldung. Scannen Sie "
            "den Code mit dem Telefon oder öffnen Sie den Link."
        ),
        made=t.gettext("Stand dieses Leitfadens: {date}"),
        made_note=t.gettext(
            "Erstellt aus den Inhalten, die auch der Chat zeigt. Jede Angabe nennt den Tag, an "
            "dem sie zuletzt geprüft wurde."
        ),
        telegram=t.gettext("Telegram"),
        matrix=t.gettext("Matrix (z. B. Element)"),
        link=t.gettext("Im Browser"),
        kinds={
            "phone": t.gettext("Telefon"),
            "email": t.gettext("E-Mail"),
            "web": t.gettext("Web"),
            "chat": t.gettext("Chat"),
        },
    )
