"""What the printed guide is made of: which texts of the flows it quotes, in which section, and
where each quoted fact was checked.

The guide writes no text of its own about the law or the steps to take: every paragraph is a
text of a flow node (``flow/node``, the n-th text), taken in the reader's language from the same
catalogs the bot uses, so the page and the chat never disagree. What this module adds is the
selection and, for each selection, the sources with their check dates (the flows keep their
sources in comments, see docs/content.md). When a flow text changes, check the date here too;
``tests/test_guide.py`` fails when a quoted text no longer carries the fact it is quoted for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.flow.model import Source

#: The law texts as the fact sheet read them (domain-facts.md, "L", 19.08.2026).
LAW_MIRROR = "https://github.com/kmein/gesetze"
#: The law texts read for the content itself (docs/content.md, Sources 2: BMG § 51, StPO § 68).
LAW_READ_FOR_CONTENT = date(2026, 11, 21)
#: The fact sheet's date for the law texts and everything else from its first research.
FACT_SHEET = date(2026, 8, 19)
#: The audit of 12/2026 (domain-facts.md §9); the first of the month, never later than true.
AUDIT = date(2026, 12, 1)


@dataclass(frozen=True, slots=True)
class Quote:
    """The ``index``-th text of node ``node`` in flow ``flow``."""

    flow: str
    node: str
    index: int = 0


@dataclass(frozen=True, slots=True)
class Part:
    """One block of the guide: a heading (the flow's title, or a fixed one), the quoted texts,
    and the sources of what they say."""

    key: str
    quotes: tuple[Quote, ...]
    sources: tuple[Source, ...]
    #: the heading is the title of this flow (in the reader's language); empty: a fixed heading
    title_flow: str = ""


def _law(checked: date = FACT_SHEET) -> Source:
    return Source(LAW_MIRROR, checked)


STARK_IM_AMT = Source(
    "https://stark-im-amt.de/rat-und-tat/online-hetze/umgang-mit-hassnachrichten", FACT_SHEET
)

#: First steps per situation, in the order of the main menu.
SITUATIONS: tuple[Part, ...] = (
    Part(
        "threat",
        (
            Quote("bedrohung", "beweise_persoenlich"),
            Quote("bedrohung", "beweise_online"),
            Quote("bedrohung", "dienststelle"),
        ),
        (STARK_IM_AMT, _law(AUDIT)),
        title_flow="bedrohung",
    ),
    Part(
        "hate",
        (Quote("hass", "beweise"), Quote("hass", "anzeige")),
        (Source("https://hateaid.org/rechtssichere-screenshots", FACT_SHEET), STARK_IM_AMT),
        title_flow="hass",
    ),
    Part(
        "assault",
        (Quote("uebergriff", "notieren"), Quote("uebergriff", "intern")),
        (_law(AUDIT), Source("https://landkreis-mittelsachsen.de", FACT_SHEET)),
        title_flow="uebergriff",
    ),
    Part(
        "stalking",
        (Quote("nachstellung", "was", 1), Quote("nachstellung", "schritte", 1)),
        (_law(AUDIT),),
        title_flow="nachstellung",
    ),
    Part(
        "strain",
        (Quote("belastung", "normal", 2), Quote("belastung", "krise_jetzt", 1)),
        (STARK_IM_AMT, Source("https://domradio.de", FACT_SHEET)),
        title_flow="belastung",
    ),
)

#: The two deadlines: the Strafantrag (§ 77b StGB) and the complaint against a termination
#: (§ 172 StPO).
DEADLINES: tuple[Part, ...] = (
    Part("strafantrag", (Quote("bedrohung", "anzeige"),), (_law(),)),
    Part("beschwerde_172", (Quote("anzeige", "eingestellt"),), (_law(AUDIT),)),
)

#: The register block (Auskunftssperre, § 51 BMG): what it does, when, for how long, household.
REGISTER_BLOCK = Part(
    "auskunftssperre",
    (
        Quote("vorbeugen", "sperre"),
        Quote("vorbeugen", "sperre", 1),
        Quote("vorbeugen", "sperre", 2),
        Quote("vorbeugen", "sperre", 4),
    ),
    (_law(LAW_READ_FOR_CONTENT), Source("https://rsw.beck.de", AUDIT)),
)

#: The words below the heading "Im Notfall" (the emergency numbers come from the services of
#: topic ``emergency``).
EMERGENCY = Part("emergency", (Quote("bedrohung", "notruf", 1),), (STARK_IM_AMT,))

#: What Beistand is and is not (the guide's closing lines).
ABOUT = Part("about", (Quote("menu", "ueber", 1),), ())

#: Every quote of the guide, for the check that the content has them.
ALL_PARTS: tuple[Part, ...] = (EMERGENCY, *SITUATIONS, *DEADLINES, REGISTER_BLOCK, ABOUT)

#: The topic whose services are the emergency numbers.
EMERGENCY_TOPIC = "emergency"
