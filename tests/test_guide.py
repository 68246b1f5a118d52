"""The printed guide's model and HTML (issue 14 item 3): built from the shipped content and the
example local layer; pure, no PDF (that is tests/test_guide_pdf.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from bot.content import ContentPaths, require_content
from bot.errors import ConfigError
from bot.flow.model import Content
from bot.guide import spec
from bot.guide.links import bot_links, matrix_link, other_link, telegram_link
from bot.guide.model import Guide, build_guide, resolve_place
from bot.guide.render import to_html

TODAY = date(2026, 12, 7)
TELEGRAM = "https://t.me/beistand_test_bot?start=menu"
MATRIX = "https://matrix.to/#/@beistand:example.org"
LINKS = bot_links("beistand_test_bot", "@beistand:example.org", None, "menu")


@pytest.fixture(scope="module")
def shipped() -> Content:
    return require_content(ContentPaths())


def guide_for(
    content: Content, land: str | None = None, region: str | None = None, lang: str = "de"
) -> Guide:
    return build_guide(content, resolve_place(content, land, region), lang, TODAY, LINKS)


def flat(text: str) -> str:
    """Whitespace as one blank (texts wrap across lines in HTML and PDF)."""
    return " ".join(text.split())


def all_text(guide: Guide) -> str:
    parts: list[str] = []
    for block in (guide.emergency, *guide.situations, *guide.deadlines, guide.register_block):
        parts.extend(block.paragraphs)
    for group in guide.contacts:
        for card in group.cards:
            parts.extend(w.value for w in card.ways)
    return flat(" ".join(parts))


# --------------------------------------------------------------------- the model, German


def test_a_land_without_regions_has_its_own_and_the_national_contacts(shipped: Content) -> None:
    guide = guide_for(shipped, land="BY")
    assert guide.place.name == "Bayern"
    assert [g.key for g in guide.contacts] == ["land", "national"]
    land = {c.service_id for c in guide.contacts[0].cards}
    assert land == {"by_hatespeech", "by_online_verfahren"}
    national = [c.service_id for c in guide.contacts[1].cards]
    assert national[0] == "starke_stelle"
    assert "polizei_notruf" not in national  # the emergency numbers stand apart
    assert [n.ways[0].value for n in guide.emergency_numbers] == ["110", "112"]


def test_numbers_hours_and_check_dates_come_from_the_knowledge(shipped: Content) -> None:
    guide = guide_for(shipped, land="BY")
    cards = {c.service_id: c for g in guide.contacts for c in g.cards}
    starke = cards["starke_stelle"]
    assert "0800 300 99 44" in [w.value for w in starke.ways]
    # the engine's hours formatting, with the note
    assert starke.hours == "Mo–Fr 9:00–16:00 (sonst nach Vereinbarung)"
    # the latest of its sources' check dates
    assert starke.checked.on == "1. Dezember 2026"
    assert "kriminalpraevention.de" in starke.checked.sources
    assert "089 5597-4524" in [w.value for w in cards["by_hatespeech"].ways]
    assert cards["by_hatespeech"].hours == ""  # the fact sheet gives no hours
    assert guide.made == "7. Dezember 2026"


def test_the_deadlines_and_the_register_block_as_the_fact_sheet_says(shipped: Content) -> None:
    guide = guide_for(shipped, land="BY")
    strafantrag, beschwerde = (flat(" ".join(b.paragraphs)) for b in guide.deadlines)
    assert "drei Monate ab dem Tag, an dem Sie von der Tat und der Person wissen" in strafantrag
    assert "§ 77b StGB" in strafantrag
    assert "innerhalb von zwei Wochen" in beschwerde
    assert "§ 172 StPO" in beschwerde
    block = flat(" ".join(guide.register_block.paragraphs))
    for fact in ("§ 51 Bundesmeldegesetz", "kostenlos", "zwei Jahre", "verlängert", "Partner"):
        assert fact in block
    for b in (*guide.deadlines, guide.register_block, *guide.situations):
        assert b.checked is not None, b.key
        assert re.fullmatch(r"\d{1,2}\. \w+ 2026", b.checked.on), b.checked.on
    assert guide.deadlines[0].checked is not None
    assert guide.deadlines[0].checked.sources == ("github.com/kmein/gesetze",)


def test_every_quote_exists_in_the_shipped_flows(shipped: Content) -> None:
    for part in spec.ALL_PARTS:
        for q in part.quotes:
            node = shipped.flows[q.flow].nodes[q.node]
            assert q.index < len(node.texts), q
        if part is not spec.ABOUT:
            assert part.sources, part.key


def test_a_quote_the_content_lacks_is_a_clear_error(shipped: Content) -> None:
    flows = dict(shipped.flows)
    del flows["anzeige"]
    broken = replace(shipped, flows=flows)
    with pytest.raises(ConfigError, match=r"anzeige/eingestellt"):
        guide_for(broken, land="BY")


def test_first_steps_per_situation_use_the_flow_titles(shipped: Content) -> None:
    guide = guide_for(shipped, land="HB")
    titles = [b.title for b in guide.situations]
    assert titles == [
        "Bedrohung erhalten",
        "Hasskommentar / Beleidigung online",
        "Übergriff im Amt",
        "Nachstellung (Stalking)",
        "Belastung",
    ]
    # HB has no Land service: national only
    assert [g.key for g in guide.contacts] == ["national"]


# --------------------------------------------------------------------- regions (local layer)


def test_the_example_region_lists_its_local_contact_first(musterland: Content) -> None:
    guide = guide_for(musterland, region="14999")
    assert guide.place.name == "Landkreis Musterland (Sachsen)"
    assert [g.key for g in guide.contacts] == ["local", "land", "national"]
    local = guide.contacts[0].cards
    assert [c.service_id for c in local] == [
        "musterland_ansprechperson",
        "musterland_opferberatung",
    ]
    assert local[0].local and not local[1].local
    assert guide.contacts[0].title == "Vor Ort: Landkreis Musterland"
    assert [c.service_id for c in guide.contacts[1].cards] == ["sn_zastex"]
    # the other region's contact is not on this guide
    ids = {c.service_id for g in guide.contacts for c in g.cards}
    assert "musterstadt_ansprechstelle" not in ids


def test_a_land_with_regions_printed_for_the_land_has_no_local_contacts(
    musterland: Content,
) -> None:
    guide = guide_for(musterland, land="SN")
    assert [g.key for g in guide.contacts] == ["land", "national"]


def test_unknown_places_are_refused_with_the_known_ones(
    shipped: Content, musterland: Content
) -> None:
    with pytest.raises(ConfigError, match="Länder: BB, BE, BW, BY"):
        resolve_place(shipped, "XX", None)
    with pytest.raises(ConfigError, match="no local layer"):
        resolve_place(shipped, None, "14999")
    with pytest.raises(ConfigError, match="14999 Landkreis Musterland"):
        resolve_place(musterland, None, "14997")
    assert resolve_place(shipped, "by", None).land == "BY"


# --------------------------------------------------------------------- English


def test_the_english_guide_is_complete(musterland: Content) -> None:
    guide = guide_for(musterland, region="14999", lang="en")
    assert guide.locale == "en"
    assert guide.place.name == "Landkreis Musterland (Saxony)"
    assert guide.made == "December 7, 2026"
    text = all_text(guide)
    assert "three months" in text and "section 77b StGB" in text
    assert "two weeks" in text and "section 172 StPO" in text
    assert "two years" in text
    words = guide.labels
    assert words.emergency == "In an emergency"
    assert words.checked.format(date="x") == "checked on x"
    assert guide.situations[0].title == "I received a threat"
    cards = {c.service_id: c for g in guide.contacts for c in g.cards}
    assert cards["starke_stelle"].hours.startswith("Mon–Fri 9:00–16:00")
    # no German label is left (each one has its translation)
    german = guide_for(musterland, region="14999").labels
    for name in ("title", "audience", "first_steps", "deadlines", "register_block", "contacts"):
        assert getattr(words, name) != getattr(german, name), name


# --------------------------------------------------------------------- links


def test_links_to_the_bot() -> None:
    assert telegram_link("@beistand_test_bot", "menu").url == TELEGRAM
    assert matrix_link("@beistand:example.org").url == MATRIX
    assert [link.url for link in LINKS] == [TELEGRAM, MATRIX]
    assert other_link("https://example.org/beistand").channel == "link"
    for bad in ("beistand", "x_bot!", "ab_bot"):
        with pytest.raises(ConfigError, match="Telegram bot name"):
            telegram_link(bad, "menu")
    with pytest.raises(ConfigError, match="flow id"):
        telegram_link("beistand_test_bot", "two words")
    with pytest.raises(ConfigError, match="@name:server"):
        matrix_link("beistand")
    with pytest.raises(ConfigError, match="https"):
        other_link("http://example.org")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_USERNAME and/or MATRIX_USER_ID"):
        bot_links(None, None, None, "menu")


# --------------------------------------------------------------------- HTML


@pytest.mark.parametrize(("land", "region"), [(None, "14999"), ("BY", None)])
def test_the_html_page_carries_numbers_deadlines_and_check_dates(
    musterland: Content, land: str | None, region: str | None
) -> None:
    guide = guide_for(musterland, land=land, region=region)
    html = to_html(guide, TODAY)
    text = flat(re.sub(r"<[^>]+>", " ", html))
    for fact in (
        "110",
        "112",
        "0800 300 99 44",
        "116 006",
        "drei Monate",
        "§ 77b StGB",
        "zwei Wochen",
        "§ 172 StPO",
        "§ 51 Bundesmeldegesetz",
        "geprüft am 1. Dezember 2026",
        "geprüft am 19. August 2026",
        "Stand dieses Leitfadens: 7. Dezember 2026",
        TELEGRAM,
        MATRIX,
    ):
        assert fact in text, fact
    if region:
        assert "0351 855-2223" in text  # ZASTEX, the Land's
        assert "ansprechperson@landkreis-musterland.example.org" in text
    else:
        assert "089 5597-4524" in text
    assert html.count("<svg") == len(guide.links) == 2
    assert 'lang="de"' in html
    assert '<meta name="dcterms.created" content="2026-12-07">' in html


def test_the_html_page_loads_nothing_from_outside(shipped: Content) -> None:
    html = to_html(guide_for(shipped, land="BY"), TODAY)
    for tag in ("<script", "<link", "<img", "<iframe", "@import", "url("):
        assert tag not in html, tag
    assert not re.search(r"\ssrc=", html)


def test_the_html_page_is_escaped(shipped: Content) -> None:
    links = bot_links(None, None, "https://example.org/?a=1&b=<x>", "menu")
    guide = build_guide(shipped, resolve_place(shipped, "BY", None), "de", TODAY, links)
    html = to_html(guide, TODAY)
    assert "&b=<x>" not in html
    assert "a=1&amp;b=&lt;x&gt;" in html
