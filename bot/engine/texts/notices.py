"""The handoff's notices, to contact persons and to users (see :mod:`bot.engine.texts`).

Labels (topic, Land, urgency) and times come in already worded; the HTML is made in
:mod:`bot.render`.
"""

from __future__ import annotations

from bot.i18n import Translator


def urgency_word(t: Translator, urgency: str) -> str:
    """An urgency as a contact person reads it."""
    return {
        "high": t.gettext("hoch"),
        "normal": t.gettext("mittel"),
        "low": t.gettext("niedrig"),
    }.get(urgency, urgency)


def new_case(
    t: Translator, code: str, topic: str, urgency: str, land: str, when: str, then: str
) -> str:
    """A new case for a contact person; ``then`` says what happens if nobody takes it."""
    head = t.gettext(
        "Neuer Fall {code} · {topic} · Dringlichkeit: {urgency} · {land} · {time}\n"
        "Übernehmen: /uebernehmen {code}"
    ).format(code=code, topic=topic, urgency=urgency, land=land, time=when)
    return f"{head}\n{then}" if then else head


def others_asked_after(t: Translator, until: str) -> str:
    """The first circle: others are asked at ``until``."""
    return t.gettext(
        "Übernimmt bis {time} Uhr niemand, werden weitere Ansprechpersonen gefragt."
    ).format(time=until)


def nobody_after(t: Translator, until: str) -> str:
    """The last circle: others were asked already; at ``until`` the user hears nobody is free."""
    return t.gettext(
        "Andere Ansprechpersonen wurden schon gefragt. Übernimmt bis {time} Uhr niemand, "
        "erfährt die Person, dass gerade niemand frei ist."
    ).format(time=until)


def claim_button(t: Translator) -> str:
    """The button of a new case."""
    return t.gettext("Übernehmen")


def waiting_again(t: Translator, code: str) -> str:
    """To the other contacts told of a case whose contact person was removed."""
    return t.gettext(
        "Fall {code} wartet wieder auf eine Ansprechperson: die bisherige ist nicht mehr "
        "dabei. Übernehmen: /uebernehmen {code}"
    ).format(code=code)


def notice_text(t: Translator, kind: str, code: str) -> str | None:
    """The plain notices by kind (None: not one of them)."""
    found = {
        "taken": t.gettext("Fall {code} hat eine andere Ansprechperson übernommen."),
        "withdrawn": t.gettext("Fall {code} wurde von der Person zurückgezogen."),
        "ended_by_user": t.gettext("Fall {code}: Die Person hat das Gespräch beendet."),
        "claimed": t.gettext(
            "Eine Ansprechperson hat Ihren Fall {code} übernommen. Schreiben Sie einfach "
            "hier; Ihre Nachrichten werden weitergeleitet und nicht gespeichert."
        ),
        "ended_by_contact": t.gettext(
            "Ihr Fall {code} ist abgeschlossen. Mit /start kommen Sie zum Hauptmenü."
        ),
        "contact_left": t.gettext(
            "Die Ansprechperson Ihres Falls {code} ist nicht mehr dabei. Ihr Fall wartet "
            "wieder auf eine Ansprechperson; Sie bekommen hier Bescheid. Bis jemand "
            "übernimmt, wird nichts weitergegeben, was Sie schreiben. Bei akuter Gefahr: 110."
        ),
    }.get(kind)
    return None if found is None else found.format(code=code)


def nobody_free(t: Translator, code: str, urgent: bool) -> str:
    """Nobody is free: an apology (the national services follow)."""
    text = t.gettext(
        "Zu Ihrem Fall {code} ist gerade leider niemand frei. Das tut mir leid. "
        "Diese Stellen helfen Ihnen direkt weiter:"
    ).format(code=code)
    if urgent:
        return t.gettext("Bei akuter Gefahr rufen Sie sofort 110.") + " " + text
    return text


def listing(
    t: Translator, code: str, topic: str, urgency: str, land: str, claimed: bool, age: str
) -> str:
    """One line of a contact's ``/faelle``."""
    state = t.gettext("übernommen") if claimed else t.gettext("wartet")
    return f"{code} · {topic} · {urgency} · {land} · {state} · {age}"


def age(t: Translator, seconds: int) -> str:
    """How long ago a case was opened, roughly."""
    minutes = max(0, seconds) // 60
    if minutes < 60:
        return t.gettext("seit {n} Min.").format(n=minutes)
    if minutes < 48 * 60:
        return t.gettext("seit {n} Std.").format(n=minutes // 60)
    return t.gettext("seit {n} Tagen").format(n=minutes // 1440)


def contact_label(t: Translator) -> str:
    """Who a relayed message comes from, as the user sees it."""
    return t.gettext("Ansprechperson")
