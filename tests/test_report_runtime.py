"""The Übergriff reporting route through the runtime on the example overlay (issue 14 item 4):
the report reaches the Meldestelle of the region, else the Land's, else the fallback text is
said; the Meldestelle acknowledges and the employee is told; after delivery the row holds no
answers, after the acknowledgement or the expiry there is no row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.actions import Action, Say
from bot.engine.events import Choose, Command, Start, Text
from bot.engine.state import Reporting
from bot.handoff.reports import REPORT_DAYS
from bot.lagebild.keys import ENGINE_OUTCOMES
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.routes_file import read_routes
from tests.helpers import HandoffWorld as World
from tests.helpers import deliver, handoff_world, last_ask, rows

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"m" * 32
USER = Sender("telegram", "3001", "de")
ANSWERS = ("Bedrohung", "Ausländerbehörde", "Gestern", "Nein", "Ja")


@pytest.fixture
async def world(musterland: Content, tmp_path: Path) -> AsyncIterator[World]:
    async with handoff_world(musterland, tmp_path / "r.db", SECRET) as made:
        yield made


def said(actions: tuple[Action, ...]) -> str:
    return "\n".join(a.text for a in actions if isinstance(a, Say))


async def tap(
    runtime: Runtime, actions: tuple[Action, ...], label: str, user: Sender = USER
) -> tuple[Action, ...]:
    prompt = last_ask(actions)
    index = next(o.index for o in prompt.options if o.label == label)
    return await runtime.handle(Incoming(user, Choose(prompt.turn, index)))


async def to_report(
    runtime: Runtime, region: str = "Landkreis Musterland", land: str = "Sachsen"
) -> tuple[Action, ...]:
    """uebergriff: over, threatened, the Land, the region, "report it"."""
    actions = await runtime.handle(Incoming(USER, Start("uebergriff")))
    for label in ("Nein, es ist vorbei", "Ich wurde bedroht oder beleidigt", land):
        actions = await tap(runtime, actions, label)
    if region:
        actions = await tap(runtime, actions, region)
    return await tap(runtime, actions, "Übergriff in meiner Verwaltung melden")


async def office(
    world: World, account: str, land: str, region: str = "", locale: str = "de"
) -> Sender:
    code = await world.runtime.handoff.invite(
        f"Meldestelle {account}", [land], ["assault"], [region] if region else [], "meldestelle"
    )
    sender = Sender("matrix", account, locale, route=f"room-{account}")
    await world.runtime.handle(Incoming(sender, Command("register", code)))
    return sender


async def answer_all(
    runtime: Runtime, actions: tuple[Action, ...], contact: str = "Nein"
) -> tuple[Action, ...]:
    for label in (*ANSWERS, contact):
        actions = await tap(runtime, actions, label)
    return actions


async def sent_code(world: World) -> str:
    found = rows(world.db, "SELECT code FROM reports")
    assert len(found) == 1
    return str(found[0][0])


async def test_the_report_reaches_the_meldestelle_of_the_region(world: World) -> None:
    await office(world, "@land:x", "SN")
    await office(world, "@kreis:x", "SN", "14999")
    actions = await to_report(world.runtime)
    assert last_ask(actions).text.endswith("Was ist geschehen?")
    actions = await answer_all(world.runtime, actions)
    consent = last_ask(actions).text
    assert "Empfangende Stelle: Meldestelle @kreis:x" in consent
    assert "Wo: Ausländerbehörde" in consent and "Meldestelle Meldestelle" not in consent
    actions = await tap(world.runtime, actions, "Ja, senden")
    code = await sent_code(world)
    text = said(actions)
    assert f"Ihre Meldung {code} ist auf dem Weg zur Meldestelle" in text
    assert "Durchgangsarzt" in text and "§ 77b StGB" in text  # the own steps
    assert "keine Meldestelle eingerichtet" not in text
    await deliver(world)
    notice = world.matrix.text("room-@kreis:x")
    assert code in notice and "Bedrohung" in notice and "Ausländerbehörde" in notice
    assert "§ 193 SGB VII" in notice and "Dienstunfall" in notice and "Personalrat" in notice
    assert "Nachsorge" in notice and f"/bestaetigen {code}" in notice
    assert world.matrix.text("room-@land:x") == ""
    # after delivery the row keeps no answers
    assert rows(world.db, "SELECT answers FROM reports") == [("",)]
    counted = rows(world.db, "SELECT outcome FROM statistics WHERE outcome='report_sent'")
    assert counted == [("report_sent",)]


async def test_without_a_regional_one_the_lands_meldestelle_gets_it(world: World) -> None:
    await office(world, "@kreis:x", "SN", "14999")
    await office(world, "@land:x", "SN")
    actions = await to_report(world.runtime, "Stadt Musterstadt")
    actions = await answer_all(world.runtime, actions)
    await tap(world.runtime, actions, "Ja, senden")
    await deliver(world)
    code = await sent_code(world)
    assert code in world.matrix.text("room-@land:x")
    assert world.matrix.text("room-@kreis:x") == ""


async def test_without_a_meldestelle_the_fallback_text_stays(world: World) -> None:
    await office(world, "@kreis:x", "SN", "14999")
    actions = await to_report(world.runtime, "Stadt Musterstadt")
    assert "keine Meldestelle eingerichtet" in said(actions)
    state = await world.runtime.store.load(world.runtime.key(USER))
    assert state is not None and not isinstance(state.mode, Reporting)
    assert rows(world.db, "SELECT count(*) FROM reports") == [(0,)]


async def test_the_acknowledgement_reaches_the_employee_and_deletes_the_row(world: World) -> None:
    kreis = await office(world, "@kreis:x", "SN", "14999")
    actions = await answer_all(world.runtime, await to_report(world.runtime))
    await tap(world.runtime, actions, "Ja, senden")
    await deliver(world)
    code = await sent_code(world)
    reply = await world.runtime.handle(Incoming(kreis, Command("acknowledge", code.lower())))
    assert f"Meldung {code} ist bestätigt" in said(reply)
    assert rows(world.db, "SELECT count(*) FROM reports") == [(0,)]
    await deliver(world)
    assert "Ihre Meldung wurde von der Meldestelle bestätigt." in world.telegram.text()
    assert rows(world.db, "SELECT count(*) FROM outbox") == [(0,)]
    again = await world.runtime.handle(Incoming(kreis, Command("acknowledge", code)))
    assert "kenne ich nicht" in said(again)


async def test_only_the_reports_meldestelle_may_acknowledge(world: World) -> None:
    await office(world, "@kreis:x", "SN", "14999")
    other = await office(world, "@land:x", "SN")
    actions = await answer_all(world.runtime, await to_report(world.runtime))
    await tap(world.runtime, actions, "Ja, senden")
    await deliver(world)
    code = await sent_code(world)
    reply = await world.runtime.handle(Incoming(other, Command("acknowledge", code)))
    assert "kenne ich nicht" in said(reply)
    code_c = await world.runtime.handoff.invite("Kontakt", ["SN"], ["all"], [], "contact")
    person = Sender("matrix", "@kontakt:x", "de", route="room-k")
    await world.runtime.handle(Incoming(person, Command("register", code_c)))
    reply = await world.runtime.handle(Incoming(person, Command("acknowledge", code)))
    assert "nur eine Meldestelle" in said(reply)
    stranger = await world.runtime.handle(Incoming(USER, Command("acknowledge", code)))
    assert "bestätigt" not in said(stranger)
    assert rows(world.db, "SELECT count(*) FROM reports") == [(1,)]


async def test_contact_wanted_relays_the_typed_details_and_stores_none(world: World) -> None:
    await office(world, "@kreis:x", "SN", "14999")
    actions = await answer_all(world.runtime, await to_report(world.runtime), contact="Ja")
    actions = await tap(world.runtime, actions, "Ja, senden")
    assert "Wie kann die Meldestelle Sie erreichen?" in last_ask(actions).text
    await deliver(world)
    code = await sent_code(world)
    actions = await world.runtime.handle(Incoming(USER, Text("Durchwahl 4711-99")))
    assert "weitergereicht" in said(actions)
    relayed = world.matrix.text("room-@kreis:x")
    assert "Durchwahl 4711-99" in relayed and code in relayed
    assert "möchte kontaktiert werden" in relayed
    dump = b"".join(p.read_bytes() for p in world.db.parent.glob("r.db*"))
    assert b"4711-99" not in dump


async def test_an_unacknowledged_report_is_deleted_at_its_expiry(world: World) -> None:
    await office(world, "@kreis:x", "SN", "14999")
    actions = await answer_all(world.runtime, await to_report(world.runtime))
    await tap(world.runtime, actions, "Ja, senden")
    await world.runtime.purge()
    assert rows(world.db, "SELECT count(*) FROM reports") == [(1,)]
    world.clock.advance(REPORT_DAYS * 86400 + 1)
    await world.runtime.purge()
    assert rows(world.db, "SELECT count(*) FROM reports") == [(0,)]
    assert rows(world.db, "SELECT count(*) FROM outbox") == [(0,)]


async def test_declining_sends_nothing(world: World) -> None:
    await office(world, "@kreis:x", "SN", "14999")
    actions = await answer_all(world.runtime, await to_report(world.runtime))
    actions = await tap(world.runtime, actions, "Nein, nicht senden")
    assert "nichts gesendet" in said(actions) and "§ 77b StGB" in said(actions)
    await deliver(world)
    assert rows(world.db, "SELECT count(*) FROM reports") == [(0,)]
    assert world.matrix.text("room-@kreis:x") == ""


def test_the_engines_report_outcome_is_counted_as_report_sent() -> None:
    assert ENGINE_OUTCOMES["report"] == "report_sent"


async def test_an_erasure_unlinks_the_employees_report_and_the_ack_tells_nobody(
    world: World,
) -> None:
    """``/loeschen`` after a report: the report stays with its Meldestelle, but its row no
    longer carries the employee's key or route (the route is gone from the routes file and its
    files), and the acknowledgement that follows reaches nobody."""
    kreis = await office(world, "@kreis:x", "SN", "14999")
    actions = await answer_all(world.runtime, await to_report(world.runtime))
    await tap(world.runtime, actions, "Ja, senden")
    code = await sent_code(world)
    key = world.runtime.key(USER)
    [(route,)] = rows(world.db, "SELECT count(*) FROM reports WHERE user_key=?", (key,))
    assert route == 1 and f"report:{code}" in read_routes(world.db)
    sealed = read_routes(world.db)[f"report:{code}"]

    await world.runtime.handle(Incoming(USER, Command("delete")))
    assert rows(world.db, "SELECT count(*) FROM reports WHERE user_key=?", (key,)) == [(0,)]
    assert rows(world.db, "SELECT count(*) FROM reports WHERE user_route IS NULL") == [(1,)]
    assert f"report:{code}" not in read_routes(world.db)
    dump = b"".join(p.read_bytes() for p in world.db.parent.glob("r.db*"))
    assert sealed not in dump and key not in dump

    await deliver(world)  # the report itself still reaches its Meldestelle
    assert code in world.matrix.text("room-@kreis:x")
    reply = await world.runtime.handle(Incoming(kreis, Command("acknowledge", code)))
    assert f"Meldung {code} ist bestätigt" in said(reply)
    assert rows(world.db, "SELECT count(*) FROM reports") == [(0,)]
    assert rows(world.db, "SELECT count(*) FROM outbox WHERE target='user'") == [(0,)]
    await deliver(world)
    assert "bestätigt" not in world.telegram.text()
