"""Tests of the shipped content: flows/, knowledge/ and the catalogs in locales/.

They pin the facts that matter most against ../shared/reference/domain-facts.md and check that
acute danger is one step away from every node. They use the real loader and engine.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import date, datetime, time, timedelta

import pytest
from babel.messages.pofile import read_po

from bot.content import Content, ContentPaths, load_content, missing_translations
from bot.engine.actions import Action, Ask, Say
from bot.engine.events import Choose, Command, Start
from bot.engine.present import format_hours, format_status
from bot.engine.state import State
from bot.engine.step import step
from bot.flow.model import ChoiceNode, EndNode, Flow, GotoNode, Node, ServicesNode
from bot.i18n import po_path
from bot.knowledge import BERLIN, select

PATHS = ContentPaths()
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
SATURDAY_10 = MONDAY_10 + timedelta(days=5)
LOCALES = ("de", "en")
#: The date of the fact sheet's research (law texts read 19.08.2026).
FACT_SHEET_CHECKED = date(2026, 8, 19)


@pytest.fixture(scope="module")
def real() -> Content:
    loaded, problems = load_content(PATHS)
    assert loaded is not None, [str(p) for p in problems if p.severity == "error"]
    return loaded


# ------------------------------------------------------------------ helpers


def _says(actions: tuple[Action, ...]) -> str:
    return "\n".join(a.text for a in actions if isinstance(a, Say))


def _asks(actions: tuple[Action, ...]) -> list[Ask]:
    return [a for a in actions if isinstance(a, Ask)]


def _emergency_option(ask: Ask) -> bool:
    last = ask.options[-1].label
    return last.startswith("🆘") and "110" in last


def _region_codes(content: Content) -> list[str | None]:
    return [None, *content.knowledge.region_codes()]


def _land_of(state: State) -> str | None:
    land = state.slot("land")
    return None if land in (None, "none") else land


def _chain(content: Content, flow_id: str, node_id: str, slots: dict[str, str]) -> list[str]:
    """The nodes the engine passes through from ``node_id`` until it rests (flow/node ids).

    A small model of how nodes behave (docs/flows.md); the walk below checks it against where
    the engine really stops, so the two cannot drift apart unnoticed.
    """
    passed: list[str] = []
    flow = content.flows[flow_id]
    current = node_id
    for _ in range(64):
        node = flow.nodes[current]
        passed.append(f"{flow.id}/{node.id}")
        if node.kind in ("message",) or (node.kind == "choice" and node.ask and node.ask in slots):
            assert node.next is not None
            current = node.next
        elif node.kind == "goto":
            flow = content.flows[node.target_flow] if node.target_flow else flow
            current = node.target_node or flow.start
        elif node.kind in ("services", "handoff") and node.next:
            current = node.next
        else:
            return passed
    raise AssertionError(f"no rest after {flow_id}/{node_id}")


def _all_texts(flow: Flow) -> list[tuple[Node, str]]:
    found = []
    for node in flow.nodes.values():
        found.extend((node, t) for t in node.texts)
        if isinstance(node, ChoiceNode):
            found.extend((node, o.label) for o in node.options)
    return found


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    with po_path(PATHS.locales, locale).open("rb") as f:
        return read_po(f, locale=locale)


# ------------------------------------------------------------------ (a) emergency one step away


def test_emergency_is_one_step_away_from_every_node(real: Content) -> None:
    """Standing at any node, /notfall and the 🆘 answer both give the 110 guidance."""
    checked = 0
    for flow in real.flows.values():
        for node in flow.nodes.values():
            for locale in LOCALES:
                state = State(flow=flow.id, node=node.id, locale=locale)
                result = step(real, state, Command("emergency"), MONDAY_10)
                assert "110" in _says(result.actions), f"{flow.id}/{node.id} [{locale}]"
                asks = _asks(result.actions)
                assert asks and _emergency_option(asks[-1]), f"{flow.id}/{node.id} [{locale}]"
                assert result.state is not None
                sos = asks[-1].options[-1]
                again = step(real, result.state, Choose(asks[-1].turn, sos.index), MONDAY_10)
                assert "110" in _says(again.actions), f"{flow.id}/{node.id} [{locale}]"
                checked += 1
    assert checked == 2 * sum(len(f.nodes) for f in real.flows.values())


def _walk(real: Content, locale: str) -> tuple[set[str], int]:
    """Press every answer of every question reachable from every flow's start (and every Land).

    Returns the nodes passed through and the number of questions seen. Every question must carry
    the emergency answer.
    """
    reached: set[str] = set()
    seen: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
    todo: deque[tuple[State | None, object]] = deque()
    questions = 0
    for flow in real.flows.values():
        todo.append((None, Start(flow.id)))
    while todo:
        state, event = todo.popleft()
        if isinstance(event, Choose):
            assert state is not None
            node = real.flows[state.flow].nodes[state.node]
            options = [o for o in node.options if o.visible(dict(state.slots))]
            if node.ask:
                target, sets = node.next or "", {"land": "x"}
            else:
                option = options[event.index]
                target, sets = option.next, dict(option.sets)
            slots = dict(state.slots) | sets
            path = _chain(real, state.flow, target, slots)
        else:
            assert isinstance(event, Start) and event.payload
            flow = real.flows[event.payload]
            path = _chain(real, flow.id, flow.start, {})
        result = step(real, state, event, MONDAY_10, locale)  # type: ignore[arg-type]
        new = result.state
        assert new is not None
        assert path[-1] == f"{new.flow}/{new.node}", (path, new)
        reached.update(path)
        for ask in _asks(result.actions):
            assert _emergency_option(ask), (new.flow, new.node, ask.text)
            questions += 1
        key = (new.flow, new.node, new.slots)
        if key in seen:
            continue
        seen.add(key)
        node = real.flows[new.flow].nodes[new.node]
        if node.kind != "choice":
            continue  # ends and service cards only lead back to the main menu
        count = len(_asks(result.actions)[-1].options) - 1  # without the emergency answer
        for index in range(count):
            todo.append((new, Choose(new.turn, index)))
    return reached, questions


@pytest.mark.parametrize("locale", LOCALES)
def test_walk_reaches_every_node_with_the_emergency_answer(real: Content, locale: str) -> None:
    reached, questions = _walk(real, locale)
    every = {f"{f.id}/{n}" for f in real.flows.values() for n in f.nodes}
    assert every - reached == set()
    assert questions > 100


def test_land_is_asked_before_cards_by_topic(real: Content) -> None:
    """No path from a flow's start reaches a ``services: {topic}`` node without the Land question
    (or a handoff node, which also chooses by Land)."""
    unasked: set[str] = set()
    todo = [(f.id, f.start) for f in real.flows.values()]
    while todo:
        flow_id, node_id = todo.pop()
        key = f"{flow_id}/{node_id}"
        if key in unasked:
            continue
        node = real.flows[flow_id].nodes[node_id]
        if node.kind == "choice" and node.ask == "land":
            continue
        unasked.add(key)
        if node.kind == "goto":
            target_flow = node.target_flow or flow_id
            todo.append((target_flow, node.target_node or real.flows[target_flow].start))
        if not isinstance(node, GotoNode | EndNode) and node.next:
            todo.append((flow_id, node.next))
        if isinstance(node, ChoiceNode):
            todo.extend((flow_id, o.next) for o in node.options)
    bad = [
        k
        for k in unasked
        if (n := real.flows[k.split("/")[0]].nodes[k.split("/")[1]]).kind in ("services", "handoff")
        and (n.kind == "handoff" or (n.query is not None and n.query.topic))
    ]
    assert bad == []


# ------------------------------------------------------------------ (b) key facts


def _service(real: Content, sid: str):  # type: ignore[no-untyped-def]
    return real.knowledge.services[sid]


def _phones(real: Content, sid: str) -> list[str]:
    return [c.value for c in _service(real, sid).contacts if c.kind == "phone"]


def _node_text(real: Content, ref: str) -> str:
    flow_id, node_id = ref.split("/")
    return "\n".join(real.flows[flow_id].nodes[node_id].texts)


def _translated(real: Content, ref: str, locale: str) -> str:
    flow_id, node_id = ref.split("/")
    node = real.flows[flow_id].nodes[node_id]
    t = real.catalogs.translator(locale)
    return "\n".join(t.content_text(ref, text) for text in node.texts)


def test_police_110(real: Content) -> None:
    svc = _service(real, "polizei_notruf")
    assert _phones(real, "polizei_notruf") == ["110"]
    assert svc.always_open and svc.verified
    for ref in ("bedrohung/notruf", "uebergriff/notruf", "belastung/krise_jetzt"):
        assert re.search(r"\b110\b", _node_text(real, ref)), ref
        assert re.search(r"\b110\b", _translated(real, ref, "en")), ref
    for ref in ("bedrohung/notruf_karte", "uebergriff/notruf_karte", "belastung/krise_karte"):
        query = real.flows[ref.split("/")[0]].nodes[ref.split("/")[1]].query
        assert query is not None and "polizei_notruf" in query.ids


def test_emergency_112(real: Content) -> None:
    svc = _service(real, "notruf_112")
    assert _phones(real, "notruf_112") == ["112"]
    assert svc.always_open and svc.verified
    assert re.search(r"\b112\b", _node_text(real, "belastung/krise_jetzt"))
    assert re.search(r"\b112\b", _node_text(real, "bedrohung/notruf"))
    assert re.search(r"\b112\b", _node_text(real, "uebergriff/notruf"))


def test_starke_stelle_number_and_hours(real: Content) -> None:
    svc = _service(real, "starke_stelle")
    assert _phones(real, "starke_stelle") == ["0800 300 99 44"]
    assert "info@starkestelle.de" in [c.value for c in svc.contacts]
    assert [(h.days, h.opens, h.closes) for h in svc.hours] == [
        ((0, 1, 2, 3, 4), time(9, 0), time(16, 0))
    ]
    assert not svc.always_open
    de = real.catalogs.translator("de")
    assert format_hours(svc, de) == "Mo–Fr 9:00–16:00 (sonst nach Vereinbarung)"
    assert format_status(svc, de, MONDAY_10) == "Jetzt erreichbar, bis 16:00 Uhr"
    assert "Montag um 9:00" in format_status(svc, de, SATURDAY_10)
    en = real.catalogs.translator("en")
    assert format_hours(svc, en) == "Mon–Fri 9:00–16:00 (otherwise by appointment)"
    # shown wherever the risk assessment is offered, whatever the Land
    for land in _region_codes(real):
        assert svc in select(real.knowledge, "risk", (), land)


def test_strafantrag_deadline_three_months(real: Content) -> None:
    refs = (
        "bedrohung/anzeige",
        "hass/frist",
        "anzeige/strafantrag_nachholen",
        "uebergriff/anzeige",
    )
    for ref in refs:
        text = _node_text(real, ref)
        assert "drei Monate" in text and "§ 77b" in text, ref
        assert "von der Tat und der Person wissen" in text, ref
        english = _translated(real, ref, "en")
        assert "three months" in english and "77b" in english, ref
        assert "know of the act and of the person" in english, ref


def test_complaint_against_termination_two_weeks(real: Content) -> None:
    text = _node_text(real, "anzeige/eingestellt")
    assert "zwei Wochen" in text and "§ 172 StPO" in text and "Generalstaatsanwaltschaft" in text
    english = _translated(real, "anzeige/eingestellt", "en")
    assert "two weeks" in english and "172" in english
    assert "zwei Wochen" in _node_text(real, "anzeige/vorlage_172")


def test_telefonseelsorge_numbers(real: Content) -> None:
    numbers = ["0800 111 0 111", "0800 111 0 222", "116 123"]
    svc = _service(real, "telefonseelsorge")
    assert _phones(real, "telefonseelsorge") == numbers
    assert svc.always_open
    for locale in LOCALES:
        text = _translated(real, "belastung/krise_jetzt", locale)
        for number in numbers:
            assert number in text, (locale, number)


def test_other_helplines(real: Content) -> None:
    weisser_ring = _service(real, "weisser_ring")
    assert _phones(real, "weisser_ring") == ["116 006"]
    assert [(h.days, h.opens, h.closes) for h in weisser_ring.hours] == [
        ((0, 1, 2, 3, 4, 5, 6), time(7, 0), time(22, 0))
    ]
    assert _phones(real, "hilfetelefon_frauen") == ["116 016"]
    assert _service(real, "hilfetelefon_frauen").always_open
    hateaid = _service(real, "hateaid")
    assert _phones(real, "hateaid") == ["030 252 088 38"]
    assert [(h.days, h.opens, h.closes) for h in hateaid.hours] == [
        ((0,), time(10, 0), time(13, 0)),
        ((1,), time(15, 0), time(18, 0)),
        ((3,), time(16, 0), time(19, 0)),
    ]


@pytest.mark.parametrize(
    ("sid", "land", "phone", "always"),
    [
        ("bw_zamat", "BW", "0711 5401-3003", True),
        ("nw_ansprechstelle", "NW", "0211 871-3131", True),
        ("rp_lka_hotline", "RP", "06131 65-65250", True),
        ("sn_zastex", "SN", "0351 855-2223", False),
        ("by_hatespeech", "BY", "089 5597-4524", False),
        ("he_hessengegenhetze", "HE", "0611 353-9977", False),
        ("bb_ansprechstelle", "BB", "0331 283-4040", False),
    ],
)
def test_state_contacts(real: Content, sid: str, land: str, phone: str, always: bool) -> None:
    svc = _service(real, sid)
    assert svc.regions == (land,)
    assert _phones(real, sid) == [phone]
    assert svc.always_open is always
    assert svc.verified


#: The one place that speaks about recording calls: the answer to "Soll ich Anrufe aufnehmen?",
#: which advises against it (§ 201 StGB). Everywhere else the words are forbidden.
RECORDING_ANSWER = ("bedrohung/aufnehmen", "Soll ich Anrufe aufnehmen?")


def test_no_unverified_advice(real: Content) -> None:
    """Nothing marked UNVERIFIED in the fact sheet is shown: no tip to record calls (§ 201 StGB
    is unresolved), no claim that volunteer council members are Amtsträger, no RiStBV claims,
    no draft BMG amendment."""
    forbidden = re.compile(
        r"aufzeichn|mitschneid|aufnehm|\brecord|ristbv|richtlinien für das straf|vier jahre|"
        r"four years|teresa|david beck",
        re.IGNORECASE,
    )
    texts: list[str] = []
    for flow in real.flows.values():
        texts.extend(
            t
            for node, t in _all_texts(flow)
            if f"{flow.id}/{node.id}" != RECORDING_ANSWER[0] and t != RECORDING_ANSWER[1]
        )
    for svc in real.knowledge.services.values():
        texts.extend((svc.name, svc.summary, svc.hours_note))
    texts.extend(
        m.string
        for m in _catalog("en")
        if m.id
        and isinstance(m.string, str)
        and m.context != RECORDING_ANSWER[0]
        and m.id != RECORDING_ANSWER[1]
    )
    assert [t for t in texts if forbidden.search(t)] == []
    councillors = [
        t for t in texts if "ehrenamtliche Ratsmitglieder" in t.replace("Ehren", "ehren")
    ]
    assert councillors and all("Bundesgerichtshof" in t for t in councillors)
    assert not [t for t in texts if "nicht sicher geklärt" in t]


def test_recording_calls_is_advised_against(real: Content) -> None:
    """The answer to "should I record it" does not advise recording (§ 201 StGB)."""
    de = _node_text(real, RECORDING_ANSWER[0])
    assert de.startswith("Davon raten wir ab") and "§ 201 StGB" in de and "mithören" in de
    en = _translated(real, RECORDING_ANSWER[0], "en")
    assert en.startswith("We advise against it") and "201" in en


def _every_text(real: Content, locale: str) -> list[str]:
    found: list[str] = []
    t = real.catalogs.translator(locale)
    for flow in real.flows.values():
        for node in flow.nodes.values():
            found.extend(t.content_text(f"{flow.id}/{node.id}", x) for x in node.texts)
    for svc in real.knowledge.services.values():
        found.extend((svc.name, svc.summary, svc.hours_note))
    if locale == "en":
        found.extend(m.string for m in _catalog("en") if m.id and isinstance(m.string, str))
    return found


def test_no_public_or_online_shortcut(real: Content) -> None:
    """§ 241 Abs. 4, § 185 and § 188 need publicity, an assembly or disseminated content; a
    private mail or letter is not covered, so no text may say "öffentlich oder im Netz"."""
    assert [t for t in _every_text(real, "de") if "öffentlich oder im netz" in t.lower()] == []
    assert [t for t in _every_text(real, "en") if "publicly or online" in t.lower()] == []


def test_section_241_and_188_as_corrected(real: Content) -> None:
    law = _node_text(real, "bedrohung/strafbar")
    assert "nahestehenden Person" in law and "Abs. 3" in law and "Abs. 4" in law
    assert "öffentlich, in einer Versammlung oder durch Verbreiten eines Inhalts" in law
    assert "private E-Mail, ein Brief oder eine Direktnachricht" in law
    assert "nahestehen" in _node_text(real, "bedrohung/familie")
    hate = _node_text(real, "hass/strafbar")
    assert "politischen Leben" in hate and "Beschäftigte ohne politisches Amt" in hate
    assert "öffentlich, in einer Versammlung oder durch Verbreiten eines Inhalts" in hate
    assert "nicht für eine private Nachricht" in _node_text(real, "hass/privat")
    assert "nahestehende Personen" in _node_text(real, "hass/daten")  # § 126a
    en = _translated(real, "bedrohung/strafbar", "en")
    assert "close to you" in en and "in an assembly or by disseminating content" in en


def test_councillors_mayor_and_procedure(real: Content) -> None:
    for ref in ("bedrohung/dienststelle", "uebergriff/anzeige"):
        assert "in der Regel keine Amtsträger" in _node_text(real, ref), ref
    assert "Kommunalaufsicht (§ 77a Abs. 3 StGB)" in _node_text(real, "bedrohung/dienststelle")
    closed = _node_text(real, "anzeige/eingestellt")
    for norm in ("§ 153 Abs. 1", "§ 153a Abs. 1", "§ 153b Abs. 1", "§§ 153c bis 154 Abs. 1"):
        assert norm in closed
    assert "§ 154b" in closed and "§ 154c" in closed
    private = _node_text(real, "anzeige/privatklage")
    assert "§ 380 StPO" in private and "Schiedsstelle" in private and "§ 379a" in private
    assert "berechtigtes Interesse" in _node_text(real, "anzeige/nachfragen")
    course = _node_text(real, "anzeige/verlauf")
    for norm in ("§ 406d", "§ 68 Abs. 2", "§ 406f", "§ 406g", "§ 406j", "Nebenkl"):
        assert norm in course, norm


def test_new_situations_pinned(real: Content) -> None:
    assert "§ 238 StGB" in _node_text(real, "nachstellung/was")
    assert "Gewaltschutzgesetz" in _node_text(real, "nachstellung/schritte")
    damage = _node_text(real, "sachbeschaedigung/recht")
    assert "§ 303 StGB" in damage and "§ 303c" in damage and "drei Monate" in damage
    work = _node_text(real, "uebergriff/unfall")
    assert "§ 2 Abs. 1 SGB VII" in work and "§ 193 SGB VII" in work and "seelisch" in work
    assert "Ehrenamtliche" in work and "Dienstunfall" in work
    assert "Durchgangsarzt" in _node_text(real, "uebergriff/koerper")
    assert "Personalrat" in _node_text(real, "uebergriff/intern")
    own = _node_text(real, "uebergriff/meldung")
    assert "keine Meldestelle" in own and "Durchgangsarzt" in own and "Unfallkasse" in own
    assert "Dienstunfall" in own and "drei Monaten" in own and "§ 77b StGB" in own
    assert "Personalrat" in own
    agg = _node_text(real, "diskriminierung/agg")
    assert "§ 13" in agg and "§ 24 AGG" in agg and "§ 12 Abs. 5" in agg and "§ 16 AGG" in agg
    assert "§ 12 Abs. 4 AGG" in _node_text(real, "diskriminierung/buerger")
    assert "gilt das AGG nicht" in _node_text(real, "diskriminierung/ehrenamt")
    assert "116 016" in _node_text(real, "bedrohung/sexualisiert")
    assert "Telefonanbieter" in _node_text(real, "bedrohung/anrufe")
    assert "eigene Einträge" in _node_text(real, "vorbeugen/sperre")
    assert "10a SGB VII" in _node_text(real, "vorbeugen/wahl")
    assert "Dienstanschrift" in _node_text(real, "bedrohung/anzeige")
    ads = _service(real, "ads")
    assert _phones(real, "ads") == ["0800 546 546 5"]
    assert "beratung@ads.bund.de" in [c.value for c in ads.contacts]
    assert [(h.days, h.opens, h.closes) for h in ads.hours] == [((0, 1, 2, 3), time(9), time(15))]


def test_hilfetelefon_many_languages(real: Content) -> None:
    texts = _every_text(real, "de") + _every_text(real, "en")
    assert not [t for t in texts if re.search(r"18 (Sprachen|languages)", t)]
    assert "vielen Sprachen" in _service(real, "hilfetelefon_frauen").summary


@pytest.mark.parametrize("land", ["BE", "TH", "MV"])
def test_unpublished_hotlines_say_how_to_get_the_number(real: Content, land: str) -> None:
    (svc,) = [s for s in real.knowledge.services.values() if s.regions == (land,)]
    assert "nicht öffentlich" in svc.summary and "Partei" in svc.summary
    assert _phones(real, svc.id) == ["110"]
    assert svc in select(real.knowledge, "risk", (), land)


def test_laender_without_contacts_keep_national_services(real: Content) -> None:
    for land in ("HB", "HH", "SH"):
        assert not [s for s in real.knowledge.services.values() if land in s.regions]
        assert _service(real, "starke_stelle") in select(real.knowledge, "risk", (), land)


def test_no_bare_site_roots_where_the_audit_gives_pages(real: Content) -> None:
    urls = {
        sid: [s.url for s in _service(real, sid).sources] for sid in ("starke_stelle", "hateaid")
    }
    assert "https://kriminalpraevention.de" not in urls["starke_stelle"]
    assert any("die-starke-stelle-ist-gestartet" in u for u in urls["starke_stelle"])
    assert "https://hateaid.org/betroffenenberatung" in urls["hateaid"]
    assert "Tatort im Internet" not in _service(real, "onlinewache").summary  # path UNVERIFIED
    assert "(rechts-)extremistischer" in _service(real, "sn_zastex").summary


# ------------------------------------------------------------------ (c) sources, check dates


def test_every_service_has_sources_and_check_dates(real: Content) -> None:
    for svc in real.knowledge.services.values():
        assert svc.sources, svc.id
        for src in svc.sources:
            assert src.url.startswith("https://"), (svc.id, src.url)
            assert FACT_SHEET_CHECKED <= src.checked <= date.today(), (svc.id, src.checked)


def test_only_verified_services_are_shown(real: Content) -> None:
    shown: set[str] = set()
    for flow in real.flows.values():
        for node in flow.nodes.values():
            if node.kind == "handoff":
                queries = [(node.topic, ())]
            elif isinstance(node, ServicesNode):
                queries = [(node.query.topic, node.query.ids)]
            else:
                continue
            for topic, ids in queries:
                for land in _region_codes(real):
                    found = select(real.knowledge, topic, ids, land)
                    assert found, (flow.id, node.id, land)
                    if ids:
                        assert [s.id for s in found] == list(ids), (flow.id, node.id)
                    shown.update(s.id for s in found)
    services = real.knowledge.services
    assert all(services[sid].verified for sid in shown)
    assert all(svc.verified for svc in services.values()), "drop or hide unverified services"
    assert shown == set(services), f"services never shown: {set(services) - shown}"


def test_state_cards_fit_the_land(real: Content) -> None:
    """A Land's own services come first; other Länder's never appear."""
    for land in _region_codes(real):
        for topic in real.knowledge.topics:
            for svc in select(real.knowledge, topic, (), land):
                assert "DE" in svc.regions or land in svc.regions, (topic, land, svc.id)


# ------------------------------------------------------------------ (d) short texts


def test_no_text_over_600_characters(real: Content) -> None:
    long: list[str] = []
    for flow in real.flows.values():
        long.extend(f"{flow.id}/{n.id}" for n, t in _all_texts(flow) if len(t) > 600)
    for svc in real.knowledge.services.values():
        long.extend(svc.id for t in (svc.name, svc.summary, svc.hours_note) if len(t) > 600)
    for locale in LOCALES:
        for m in _catalog(locale):
            if isinstance(m.string, str) and len(m.string) > 600:
                long.append(f"{locale}: {m.context} {m.id[:40]}")
    assert long == []


# ------------------------------------------------------------------ (e) translations


def test_no_missing_translations(real: Content) -> None:
    missing = missing_translations(real, PATHS)
    assert [str(p) for p in missing] == []


def test_placeholders_kept_in_english(real: Content) -> None:
    for m in _catalog("en"):
        if m.id and m.string:
            assert re.findall(r"\{\w+\}", m.id) == re.findall(r"\{\w+\}", m.string), m.id


def test_every_flow_has_keywords_in_both_languages(real: Content) -> None:
    for flow in real.flows.values():
        if flow.id == real.entry:
            continue
        languages = dict(flow.keywords)
        assert languages.get("de") and languages.get("en"), flow.id


def test_formal_address_in_german(real: Content) -> None:
    informal = re.compile(r"\b(du|dich|dir|dein\w*)\b", re.IGNORECASE)
    for flow in real.flows.values():
        for node, text in _all_texts(flow):
            assert not informal.search(text), f"{flow.id}/{node.id}: {text[:60]}"
