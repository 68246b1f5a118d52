"""The report's words, German and English (a document for a strategy group, not chat text)."""

from __future__ import annotations

from typing import Any

_OUTCOMES = {
    "de": {
        "services_shown": "Hilfsangebote gezeigt",
        "emergency_shown": "Notfallhinweise gezeigt",
        "handoff_requested": "Weitergabe gewünscht",
        "handoff_claimed": "Ansprechperson übernommen",
        "handoff_nobody_free": "Niemand rechtzeitig frei",
        "report_sent": "Übergriff gemeldet",
    },
    "en": {
        "services_shown": "Services shown",
        "emergency_shown": "Emergency guidance shown",
        "handoff_requested": "Handoff requested",
        "handoff_claimed": "Taken by a contact person",
        "handoff_nobody_free": "Nobody free in time",
        "report_sent": "Assault reported",
    },
}

TEXTS: dict[str, dict[str, Any]] = {
    "de": {
        "title": "Lagebild Anfeindungen",
        "period": "Zeitraum (ISO-Wochen)",
        "region": "Gebiet",
        "all_regions": "alle",
        "week": "Woche",
        "topic": "Lage",
        "place": "Land / Gebiet",
        "no_topic": "ohne Lage (Hauptmenü)",
        "totals_title": "Im Zeitraum insgesamt",
        "trend_title": "Wochenverlauf nach Lage",
        "trend_intro": "Wie oft Beistand je Woche zu einer Lage Hilfsangebote gezeigt hat.",
        "land_title": "Lagen nach Land",
        "region_title": "Lagen nach Gebiet",
        "place_intro": "Gezeigte Hilfsangebote im Zeitraum, nach Lage und Land bzw. Gebiet.",
        "help_title": "Welche Hilfe gewählt wurde",
        "help_intro": "Je Lage: Hilfsangebote, Notfallhinweise, gewünschte Weitergabe an eine "
        "Ansprechperson und gemeldete Übergriffe.",
        "handoff_title": "Weitergaben: übernommen oder niemand frei",
        "handoff_intro": "Je Woche: gewünschte Weitergaben, übernommene und solche, bei denen "
        "in allen Kreisen niemand rechtzeitig frei war.",
        "rule_title": "Schutz kleiner Zahlen",
        "rule": "Zahlen unter {k} werden nie gezeigt (·). Ebenso gesperrt sind Zahlen, aus "
        "denen sich eine gesperrte Zahl zurückrechnen ließe, etwa über Zeilen-, Spalten- oder "
        "Gesamtsummen. Eine gesperrte Zelle kann also auch eine größere Zahl verbergen.",
        "notes_title": "Was die Zahlen sagen können und was nicht",
        "notes": [
            "Gezählt werden Ereignisse im Gespräch, keine Personen: Wer zweimal nach Hilfe "
            "sucht, zählt zweimal; wer Beistand nicht nutzt, fehlt ganz. Die Zahlen zeigen, "
            "welche Lagen vorkommen und welche Hilfe gesucht wird, nicht wie häufig "
            "Anfeindungen insgesamt sind.",
            "Es gibt keine Gesprächsinhalte, keine Namen und keine Zeit genauer als die "
            "Kalenderwoche. Keine Zahl lässt sich einem Gespräch oder einer Person zuordnen.",
            "Land und Gebiet stammen aus der Angabe der Nutzenden und fehlen, wenn niemand "
            "sie gemacht hat (»none«). Kleine Unterschiede zwischen Wochen oder Gebieten sind "
            "meist Zufall; belastbar sind Entwicklungen über mehrere Wochen.",
            "Berichte für überlappende Zeiträume oder verschiedene Gebiete nebeneinander "
            "können einander ergänzen: Bitte feste, nicht überlappende Zeiträume (z. B. "
            "Kalendermonate) veröffentlichen.",
        ],
        "empty": "Für diesen Zeitraum gibt es keine Zahlen.",
    },
    "en": {
        "title": "Local picture: hostility",
        "period": "Period (ISO weeks)",
        "region": "Area",
        "all_regions": "all",
        "week": "Week",
        "topic": "Situation",
        "place": "Land / area",
        "no_topic": "no situation (main menu)",
        "totals_title": "Totals for the period",
        "trend_title": "Weekly trend by situation",
        "trend_intro": "How often Beistand showed services for a situation, per week.",
        "land_title": "Situations by Land",
        "region_title": "Situations by area",
        "place_intro": "Services shown in the period, by situation and Land or area.",
        "help_title": "Which help was chosen",
        "help_intro": "Per situation: services, emergency guidance, a requested handoff to a "
        "contact person and assaults reported.",
        "handoff_title": "Handoffs: taken or nobody free",
        "handoff_intro": "Per week: requested handoffs, those taken, and those where nobody "
        "was free in time in any circle.",
        "rule_title": "Small numbers are protected",
        "rule": "Numbers below {k} are never shown (·). Numbers from which a hidden one could "
        "be computed back (through row, column or grand totals) are hidden as well, so a "
        "hidden cell may also stand for a larger number.",
        "notes_title": "What the numbers can and cannot say",
        "notes": [
            "Events in conversations are counted, not people: someone who looks for help "
            "twice counts twice; someone who does not use Beistand is missing. The numbers "
            "show which situations occur and which help is sought, not how common hostility "
            "is overall.",
            "There is no conversation content, no name and no time finer than the calendar "
            "week. No number can be linked to a conversation or a person.",
            'Land and area are what users said and are missing where nobody said ("none"). '
            "Small differences between weeks or areas are mostly chance; trends over several "
            "weeks are what holds.",
            "Reports for overlapping periods or different areas side by side can complement "
            "each other: please publish fixed, non-overlapping periods (e.g. calendar months).",
        ],
        "empty": "There are no numbers for this period.",
    },
}


def outcome_label(outcome: str, lang: str) -> str:
    """An outcome's name in the report."""
    return _OUTCOMES[lang].get(outcome, outcome)
