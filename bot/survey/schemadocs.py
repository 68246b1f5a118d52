"""What each key of a survey file means, German and English with an example (merged into
:data:`bot.flow.schemadocs.DOCS`, which renders the JSON Schema's descriptions)."""

from __future__ import annotations

from typing import Any

_TEXT = {"de": "Keine Angabe", "en": "No answer"}

#: (scope, key) -> (German, English, example)
SURVEY_DOCS: dict[tuple[str, str], tuple[str, str, Any]] = {
    ("survey", "id"): (
        "Kennung der Befragung (Kleinbuchstaben, Ziffern, Unterstrich); erscheint in "
        "`beistand survey list`. Der Code im Link wird beim Öffnen zufällig vergeben.",
        "The survey's id (lower-case letters, digits, underscore); shown by `beistand survey "
        "list`. The code in the link is drawn at random when it is opened.",
        "saalbefragung",
    ),
    ("survey", "title"): (
        "Titel der Befragung, den Teilnehmende zuerst lesen.",
        "The survey's title, the first thing participants read.",
        {"de": "Anonyme Befragung", "en": "Anonymous survey"},
    ),
    ("survey", "intro"): (
        "Einleitender Text nach dem Titel: worum es geht, dass die Befragung anonym ist.",
        "An introduction after the title: what it is about, that the survey is anonymous.",
        {"de": "Vier kurze Fragen.", "en": "Four short questions."},
    ),
    ("survey", "questions"): (
        "Die Fragen in ihrer Reihenfolge (höchstens 20), jede mit festen Antworten.",
        "The questions in order (at most 20), each with fixed answers.",
        [
            {
                "id": "erlebt",
                "text": {
                    "de": "Haben Sie Anfeindungen erlebt?",
                    "en": "Did you experience hostility?",
                },
                "answers": [
                    {"id": "ja", "label": {"de": "Ja", "en": "Yes"}},
                    {"id": "nein", "label": {"de": "Nein", "en": "No"}},
                ],
            }
        ],
    ),
    ("question", "id"): (
        "Kennung der Frage, eindeutig in der Befragung (erscheint in den JSON-Ergebnissen).",
        "The question's id, unique in the survey (shown in the JSON results).",
        "erlebt",
    ),
    ("question", "text"): (
        "Der Fragetext.",
        "The question's text.",
        {"de": "Haben Sie Anfeindungen erlebt?", "en": "Did you experience hostility?"},
    ),
    ("question", "answers"): (
        "Die festen Antworten (2 bis 9) als Schaltflächen; „Umfrage verlassen“ und der Notruf "
        "110 kommen immer dazu. Bieten Sie „Keine Angabe“ an.",
        'The fixed answers (2 to 9) as buttons; "leave the survey" and the 110 emergency '
        'answer are always added. Offer "No answer".',
        [{"id": "keine_angabe", "label": _TEXT}, {"id": "nein", "label": {"de": "Nein"}}],
    ),
    ("answer", "id"): (
        "Kennung der Antwort, eindeutig in der Frage.",
        "The answer's id, unique in the question.",
        "keine_angabe",
    ),
    ("answer", "label"): (
        "Beschriftung der Schaltfläche (höchstens 60 Zeichen).",
        "The button's label (at most 60 characters).",
        _TEXT,
    ),
    ("text in German and English", "de"): (
        "Der deutsche Text (Pflicht).",
        "The German text (required).",
        "Keine Angabe",
    ),
    ("text in German and English", "en"): (
        "Der englische Text; fehlt er, lesen Englischsprachige den deutschen (Warnung).",
        "The English text; without it English readers see the German one (a warning).",
        "No answer",
    ),
}
