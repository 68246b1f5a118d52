"""What a user reads about the deployment's local layer: the region question and which circle
of contact persons a handoff asks (see :mod:`bot.engine.texts`)."""

from __future__ import annotations

from bot.i18n import Translator


def region_question(t: Translator) -> str:
    """The question after the Land where the deployment defines regions for it."""
    return t.gettext("In welchem Landkreis oder welcher Stadt?")


def region_elsewhere(t: Translator) -> str:
    """The answer of the region question for a place the deployment does not list."""
    return t.gettext("Anderswo / keine Angabe")


def circles_local(t: Translator, region: str, land: str) -> str:
    """Who a handoff asks, for a user in a local region (names already translated)."""
    return t.gettext(
        "Ich frage zuerst die Ansprechperson für {region}, dann die Ansprechpersonen für "
        "{land} und danach die bundesweiten."
    ).format(region=region, land=land)


def circles_land(t: Translator, land: str) -> str:
    """Who a handoff asks, for a user who named a Land."""
    return t.gettext(
        "Ich frage zuerst die Ansprechpersonen für {land}, dann die bundesweiten."
    ).format(land=land)


def circles_nation(t: Translator) -> str:
    """Who a handoff asks, for a user who named no Land."""
    return t.gettext("Ich frage die bundesweiten Ansprechpersonen.")
