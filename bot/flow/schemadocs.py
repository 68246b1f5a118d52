"""What each key of the content files means, in German and English, with an example: the
descriptions of the JSON Schemas, shown by an editor (yaml-language-server) while typing.

Keyed by (scope, key): the scope is an object's title in :mod:`bot.flow.schema`, a node or contact
kind, or, for an untitled object, the key that holds it.
"""

from __future__ import annotations

from typing import Any

from bot.survey.schemadocs import SURVEY_DOCS

#: (scope, key) -> (German, English, example)
DOCS: dict[tuple[str, str], tuple[str, str, Any]] = {
    # ------------------------------------------------------------------ a flow file
    ("flow", "id"): (
        "Kennung des Ablaufs: Kleinbuchstaben, Ziffern, Unterstrich; andere Abläufe springen "
        "mit `goto: ID` hierher.",
        "The flow's id: lower-case letters, digits, underscore; other flows jump here with "
        "`goto: ID`.",
        "anzeige",
    ),
    ("flow", "title"): (
        "Titel des Ablaufs, wie ihn Nutzerinnen und Nutzer in Übersichten sehen.",
        "The flow's title, as users see it in overviews.",
        "Anzeige ohne Fortgang",
    ),
    ("flow", "description"): (
        "Ein Satz, worum es geht (für die Suche nach Themen und für Redaktion).",
        "One sentence on what the flow is about (for topic search and editors).",
        "Nach einer Anzeige passiert lange nichts.",
    ),
    ("flow", "topic"): (
        "Thema aus knowledge/taxonomy.yaml, zu dem der Ablauf gehört.",
        "The topic of knowledge/taxonomy.yaml this flow belongs to.",
        "complaint",
    ),
    ("flow", "start"): (
        "Der Schritt (Knoten), mit dem der Ablauf beginnt.",
        "The node the flow starts with.",
        "einstieg",
    ),
    ("flow", "keywords"): (
        "Wörter je Sprache, an denen getippter Text diesen Ablauf erkennt.",
        "Words per language by which typed text finds this flow.",
        {"de": ["anzeige", "staatsanwaltschaft"], "en": ["complaint"]},
    ),
    ("flow", "slots"): (
        "Eigene Merkmale dieses Ablaufs und ihre erlaubten Werte (gesetzt mit `set`, "
        "abgefragt mit `when`).",
        "This flow's own slots and their allowed values (set with `set`, tested with `when`).",
        {"kanal": ["online", "brief"]},
    ),
    ("flow", "nodes"): (
        "Die Schritte des Ablaufs: Kennung und Inhalt; jeder Schritt hat genau eine Art "
        "(message, choice, services, handoff, goto, end).",
        "The flow's steps: id and content; each step has exactly one kind (message, choice, "
        "services, handoff, goto, end).",
        {"einstieg": {"message": "Guten Tag.", "next": "frage"}},
    ),
    # ------------------------------------------------------------------ node kinds
    ("message", "message"): (
        "Ein Text oder eine Liste von Texten, die nacheinander gesendet werden.",
        "A text, or a list of texts sent one after the other.",
        "Es ist zermürbend, wenn lange nichts passiert.",
    ),
    ("message", "next"): (
        "Der Schritt, der danach von selbst folgt.",
        "The node that follows by itself.",
        "stand",
    ),
    ("message", "report"): (
        "`true`: hier beginnt der Meldeweg an die Meldestelle, wenn für die Region oder das "
        "Land eine eingerichtet ist; sonst wird der erste Text gesendet. Die weiteren Texte "
        "(die eigenen Schritte) folgen in beiden Fällen.",
        "`true`: the reporting route to the Meldestelle starts here when one is set up for the "
        "region or Land; otherwise the first text is sent. The other texts (the employee's own "
        "steps) follow in both cases.",
        True,
    ),
    ("choice", "choice"): (
        "Die Frage, die mit Antwortknöpfen gestellt wird.",
        "The question asked with answer buttons.",
        "Was ist der Stand bei Ihnen?",
    ),
    ("choice", "options"): (
        "Die Antworten: je ein Knopf mit `label` und dem Schritt `next`.",
        "The answers: one button each, with `label` and the node `next`.",
        [{"label": "Ich habe nichts mehr gehört", "next": "nachfragen"}],
    ),
    ("choice", "ask"): (
        "Statt `options`: die Werte eines Merkmals anbieten (nur `land`); übersprungen, wenn "
        "es schon bekannt ist.",
        "Instead of `options`: offer the values of a slot (only `land`); skipped when it is "
        "already known.",
        "land",
    ),
    ("choice", "next"): (
        "Nur mit `ask`: der Schritt nach der Antwort.",
        "Only with `ask`: the node after the answer.",
        "stellen",
    ),
    ("services", "services"): (
        "Welche Beratungsstellen gezeigt werden: feste `ids` oder ein `topic` (gefiltert nach "
        "Bundesland).",
        "Which services are shown: fixed `ids`, or a `topic` (filtered by the user's Land).",
        {"topic": "threat"},
    ),
    ("services", "text"): (
        "Einleitender Satz über den Karten.",
        "The sentence shown above the cards.",
        "Diese Stellen helfen Ihnen weiter:",
    ),
    ("services", "next"): (
        "Der Schritt danach; ohne `next` endet das Gespräch hier.",
        "The node after the cards; without `next` the conversation ends here.",
        "weiter",
    ),
    ("service query", "ids"): (
        "Kennungen von Stellen aus knowledge/services.yaml, in dieser Reihenfolge.",
        "Ids of services from knowledge/services.yaml, in this order.",
        ["starke_stelle", "weisser_ring"],
    ),
    ("service query", "topic"): (
        "Thema: alle geprüften Stellen dazu, passend zum Bundesland.",
        "A topic: every verified service for it, matching the user's Land.",
        "threat",
    ),
    ("handoff", "handoff"): (
        "Anbieten, den Fall an eine Ansprechperson zu übergeben (Thema, Dringlichkeit).",
        "Offer to pass the case to a contact person (topic, urgency).",
        {"topic": "threat", "urgency": "high"},
    ),
    ("handoff", "text"): (
        "Einleitender Satz vor dem Angebot.",
        "The sentence before the offer.",
        "Möchten Sie mit einer Ansprechperson sprechen?",
    ),
    ("handoff", "next"): (
        "Der Schritt danach; ohne `next` endet das Gespräch hier.",
        "The node after the offer; without `next` the conversation ends here.",
        "weiter",
    ),
    ("handoff", "topic"): (
        "Thema des Falls (aus knowledge/taxonomy.yaml).",
        "The case's topic (from knowledge/taxonomy.yaml).",
        "threat",
    ),
    ("handoff", "urgency"): (
        "Dringlichkeit: low, normal oder high.",
        "Urgency: low, normal or high.",
        "normal",
    ),
    ("goto", "goto"): (
        "Weiter in einem anderen Ablauf (seine Kennung) oder an einem Schritt "
        "(`{flow: ..., node: ...}`).",
        "Continue in another flow (its id) or at a node (`{flow: ..., node: ...}`).",
        "bedrohung",
    ),
    ("goto target", "flow"): (
        "Der Ablauf, in dem es weitergeht (ohne: dieser).",
        "The flow to continue in (without: this one).",
        "anzeige",
    ),
    ("goto target", "node"): (
        "Der Schritt, an dem es weitergeht (ohne: der Anfang des Ablaufs).",
        "The node to continue at (without: the flow's start).",
        "verlauf",
    ),
    ("end", "end"): (
        "Die Abschiedsworte; danach ruht das Gespräch.",
        "The closing words; the conversation rests afterwards.",
        "Passen Sie gut auf sich auf.",
    ),
    ("option", "label"): (
        "Die Aufschrift des Knopfs (kurz, unter 40 Zeichen).",
        "The button's text (short, under 40 characters).",
        "Ich habe nichts mehr gehört",
    ),
    ("option", "next"): (
        "Der Schritt nach dieser Antwort.",
        "The node after this answer.",
        "nachfragen",
    ),
    ("option", "set"): (
        "Merkmale, die diese Antwort setzt.",
        "Slots this answer sets.",
        {"kanal": "online"},
    ),
    ("option", "when"): (
        "Die Antwort wird nur gezeigt, wenn die Merkmale diese Werte haben (`none`: nicht "
        "gesetzt).",
        "The answer is shown only when the slots have these values (`none`: not set).",
        {"land": ["BY", "BW"]},
    ),
    # ------------------------------------------------------------------ knowledge: services
    ("services file", "services"): (
        "Die Beratungsstellen.",
        "The services.",
        [
            {
                "id": "beispiel",
                "name": "Beispielstelle",
                "summary": "Berät nach Bedrohungen.",
                "topics": ["threat"],
                "regions": ["BY"],
                "contacts": [{"web": "https://example.org/"}],
                "sources": [{"url": "https://example.org/", "checked": "2026-11-20"}],
                "verified": True,
            }
        ],
    ),
    ("service", "id"): (
        "Kennung der Stelle (für `services: {ids: [...]}`).",
        "The service's id (for `services: {ids: [...]}`).",
        "weisser_ring",
    ),
    ("service", "name"): ("Name der Stelle.", "The service's name.", "WEISSER RING"),
    ("service", "summary"): (
        "Ein Satz, wobei die Stelle hilft.",
        "One sentence on what the service helps with.",
        "Hilfe für Opfer von Straftaten.",
    ),
    ("service", "topics"): (
        "Themen, zu denen die Stelle gezeigt wird.",
        "Topics the service is shown for.",
        ["threat", "hate"],
    ),
    ("service", "regions"): (
        "Bundesländer (Kürzel), in denen sie hilft; `DE` für bundesweit; in der lokalen Ebene "
        "auch Regionen aus `regions.yaml` (AGS, in Anführungszeichen).",
        "Länder (codes) it serves; `DE` for nationwide; in the local layer also regions of "
        "`regions.yaml` (AGS keys, quoted).",
        ["BY"],
    ),
    ("service", "kind"): (
        "Art der Stelle: `local_contact` für eine benannte Ansprechperson oder Stelle vor Ort "
        "(wird vor allen anderen gezeigt; braucht mindestens eine Region der lokalen Ebene).",
        "The service's kind: `local_contact` for a named local contact person or office "
        "(shown before all others; needs at least one region of the local layer).",
        "local_contact",
    ),
    ("service", "contacts"): (
        "Wege, die Stelle zu erreichen: phone, email oder web, je mit optionaler `note`.",
        "Ways to reach the service: phone, email or web, each with an optional `note`.",
        [{"phone": "+49 30 1234567"}],
    ),
    ("service", "hours"): (
        "Erreichbarkeit: `24/7` oder Zeitfenster (Tage, von, bis; Ortszeit Berlin).",
        "When it can be reached: `24/7` or windows (days, from, to; Berlin time).",
        [{"days": ["mo", "tu", "we", "th", "fr"], "from": "09:00", "to": "17:00"}],
    ),
    ("service", "hours_note"): (
        "Hinweis zur Erreichbarkeit in Worten.",
        "A note on the opening hours in words.",
        "Rückruf nach Vereinbarung",
    ),
    ("service", "holidays"): (
        "An Feiertagen geschlossen: `national` oder die Feiertage eines Bundeslands.",
        "Closed on public holidays: `national` or a Land's holidays.",
        "BY",
    ),
    ("service", "closures"): (
        "Schließzeiten (von, bis, Hinweis), z. B. eine Winterpause.",
        "Closures (from, to, note), such as a winter break.",
        [{"from": "2026-12-24", "to": "2027-01-01", "note": "Winterpause"}],
    ),
    ("service", "sources"): (
        "Woher die Angaben stammen und wann sie geprüft wurden.",
        "Where the facts come from and when they were checked.",
        [{"url": "https://weisser-ring.de/", "checked": "2026-11-20"}],
    ),
    ("service", "verified"): (
        "Nur geprüfte Stellen (`true`) werden gezeigt.",
        "Only verified services (`true`) are shown.",
        True,
    ),
    ("phone", "phone"): ("Telefonnummer.", "A phone number.", "+49 30 1234567"),
    ("phone", "note"): ("Hinweis zu diesem Weg.", "A note on this contact.", "kostenlos"),
    ("email", "email"): ("E-Mail-Adresse.", "An e-mail address.", "info@example.org"),
    ("email", "note"): ("Hinweis zu diesem Weg.", "A note on this contact.", "Antwort in 2 Tagen"),
    ("web", "web"): ("Webadresse (https://).", "A web address (https://).", "https://example.org/"),
    ("web", "note"): ("Hinweis zu diesem Weg.", "A note on this contact.", "Onlineberatung"),
    ("opening window", "days"): (
        "Wochentage: mo, tu, we, th, fr, sa, su.",
        "Weekdays: mo, tu, we, th, fr, sa, su.",
        ["mo", "we"],
    ),
    ("opening window", "from"): ("Beginn (HH:MM).", "Opens (HH:MM).", "09:00"),
    ("opening window", "to"): ("Ende (HH:MM, bis 24:00).", "Closes (HH:MM, up to 24:00).", "17:00"),
    ("closure", "from"): ("Erster geschlossener Tag.", "First closed day.", "2026-12-24"),
    ("closure", "to"): (
        "Letzter geschlossener Tag (ohne: nur ein Tag).",
        "Last closed day (without: one day).",
        "2027-01-01",
    ),
    ("closure", "note"): ("Hinweis, z. B. der Grund.", "A note, such as why.", "Winterpause"),
    ("source", "url"): (
        "Webseite, die die Angaben belegt.",
        "The page that backs the facts.",
        "https://example.org/kontakt",
    ),
    ("source", "checked"): ("Wann sie geprüft wurde.", "When it was checked.", "2026-11-20"),
    # ------------------------------------------------------------------ knowledge: taxonomy
    ("taxonomy", "regions"): (
        "Die Bundesländer (Kürzel und Name) für `ask: land`.",
        "The Länder (code and name) for `ask: land`.",
        [{"code": "BY", "label": "Bayern"}],
    ),
    ("taxonomy", "topics"): (
        "Die Themen (Kennung und Name).",
        "The topics (id and name).",
        [{"id": "threat", "label": "Bedrohung"}],
    ),
    ("regions", "code"): (
        "Kürzel des Bundeslands (oder `none`).",
        "The Land's code (or `none`).",
        "BY",
    ),
    ("regions", "label"): ("Name, wie er auf dem Knopf steht.", "Its button text.", "Bayern"),
    # ------------------------------------------------------------------ local layer: regions
    ("regions file", "regions"): (
        "Die Regionen dieser Installation unterhalb eines Bundeslands (Landkreis, kreisfreie "
        "Stadt, Gemeinde): amtlicher Schlüssel, Name, Bundesland.",
        "This deployment's regions below a Land (Landkreis, kreisfreie Stadt, municipality): "
        "official key, name, Land.",
        [{"ags": "14999", "name": "Landkreis Musterland", "land": "SN"}],
    ),
    ("local region", "ags"): (
        "Amtlicher Gemeindeschlüssel (AGS): 5 Ziffern für Kreis oder kreisfreie Stadt, 8 für "
        "eine Gemeinde; die ersten zwei Ziffern sind das Bundesland. In Anführungszeichen.",
        "Official municipality key (AGS): 5 digits for a Kreis or kreisfreie Stadt, 8 for a "
        "municipality; the first two digits are the Land. Quoted.",
        "14999",
    ),
    ("local region", "name"): (
        "Name, wie er auf dem Knopf steht.",
        "The name as the button shows it.",
        "Landkreis Musterland",
    ),
    ("local region", "land"): (
        "Kürzel des Bundeslands, zu dem die Region gehört (muss zum AGS passen).",
        "The code of the Land the region belongs to (must fit the AGS).",
        "SN",
    ),
    ("topics", "id"): ("Kennung des Themas.", "The topic's id.", "threat"),
    ("topics", "label"): ("Name des Themas.", "The topic's name.", "Bedrohung"),
}


DOCS.update(SURVEY_DOCS)


def describe(scope: str, key: str) -> dict[str, Any]:
    """The JSON Schema annotations of one key: description (German, then English), example."""
    found = DOCS.get((scope, key))
    if found is None:
        return {}
    german, english, example = found
    return {
        "description": f"{german}\n\n{english}",
        "markdownDescription": f"{german}\n\n*{english}*",
        "examples": [example],
    }


__all__ = ["DOCS", "describe"]
