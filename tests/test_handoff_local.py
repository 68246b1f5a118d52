"""Handoff with the example local layer (issue 14): the local contact of the user's region is
asked first, escalation reaches the Land's contacts and then the nationwide ones; a Meldestelle
is never asked; the case carries the region, the consent says who will be asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.actions import Action
from bot.engine.events import Choose, Command, Start
from bot.engine.state import InCase
from bot.handoff.rules import LAND, LOCAL, NATION, NOBODY
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from tests.helpers import HandoffWorld as World
from tests.helpers import deliver, handoff_world, last_ask, rows

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"l" * 32
USER = Sender("telegram", "2001", "de")


@pytest.fixture
async def world(musterland: Content, tmp_path: Path) -> AsyncIterator[World]:
    async with handoff_world(musterland, tmp_path / "l.db", SECRET) as made:
        yield made


async def tap(runtime: Runtime, actions: tuple[Action, ...], label: str) -> tuple[Action, ...]:
    prompt = last_ask(actions)
    index = next(o.index for o in prompt.options if o.label == label)
    return await runtime.handle(Incoming(USER, Choose(prompt.turn, index)))


async def to_consent(runtime: Runtime, region: str) -> tuple[Action, ...]:
    """uebergriff (urgency high): threatened, Sachsen, the region, talk to someone."""
    actions = await runtime.handle(Incoming(USER, Start("uebergriff")))
    for label in ("Nein, es ist vorbei", "Ich wurde bedroht oder beleidigt", "Sachsen", region):
        actions = await tap(runtime, actions, label)
    return await tap(runtime, actions, "Mit einer Ansprechperson sprechen")


async def contact(
    world: World, account: str, lands: str, regions: str = "", role: str = "contact"
) -> None:
    code = await world.runtime.handoff.invite(
        f"Person {account}", lands.split(","), ["all"], regions.split(",") if regions else [], role
    )
    sender = Sender("matrix", account, "de", route=f"room-{account}")
    reply = await world.runtime.handle(Incoming(sender, Command("register", code)))
    assert "registriert" in reply[0].text  # type: ignore[union-attr]


async def test_the_local_contact_first_then_the_land_then_the_nation(world: World) -> None:
    await contact(world, "@meldestelle:x", "SN", "14999", "meldestelle")
    await contact(world, "@musterland:x", "SN", "14999")
    await contact(world, "@sachsen:x", "SN")
    await contact(world, "@bund:x", "DE")
    actions = await to_consent(world.runtime, "Landkreis Musterland")
    consent = last_ask(actions).text
    assert "Region: Landkreis Musterland" in consent
    assert (
        "Ich frage zuerst die Ansprechperson für Landkreis Musterland, dann die "
        "Ansprechpersonen für Sachsen und danach die bundesweiten." in consent
    )
    actions = await tap(world.runtime, actions, "Ja, über diesen Chat weitergeben")
    state = await world.runtime.store.load(world.runtime.key(USER))
    assert state is not None and isinstance(state.mode, InCase)
    code = state.mode.code
    assert rows(world.db, "SELECT land, region, circle FROM cases") == [("SN", "14999", LOCAL)]
    await deliver(world)
    assert [room for room, _, _ in world.matrix.sent] == ["room-@musterland:x"]
    notice = world.matrix.texts("room-@musterland:x")[0]
    assert f"Neuer Fall {code}" in notice and "Sachsen · Landkreis Musterland" in notice
    assert "werden weitere Ansprechpersonen gefragt" in notice
    world.clock.now += 11 * 60  # high urgency: the next circle after 10 minutes
    await deliver(world)
    assert [room for room, _, _ in world.matrix.sent][1:] == ["room-@sachsen:x"]
    assert rows(world.db, "SELECT circle FROM cases") == [(LAND,)]
    world.clock.now += 11 * 60
    await deliver(world)
    assert [room for room, _, _ in world.matrix.sent][2:] == ["room-@bund:x"]
    assert rows(world.db, "SELECT circle FROM cases") == [(NATION,)]
    assert "schon gefragt" in world.matrix.texts("room-@bund:x")[0]
    world.clock.now += 11 * 60
    await deliver(world)
    assert rows(world.db, "SELECT circle FROM cases") == [(NOBODY,)]
    nobody = world.telegram.texts("2001")[-1]
    assert f"Zu Ihrem Fall {code} ist gerade leider niemand frei" in nobody
    # the nobody-free notice lists the local contact first among the services
    assert nobody.index("Landratsamt Musterland") < nobody.index("ZASTEX")
    # the Meldestelle was never asked
    assert world.matrix.texts("room-@meldestelle:x") == []


async def test_elsewhere_in_the_land_skips_the_local_circle(world: World) -> None:
    await contact(world, "@musterland:x", "SN", "14999")
    await contact(world, "@bund:x", "DE")
    actions = await to_consent(world.runtime, "Anderswo / keine Angabe")
    consent = last_ask(actions).text
    assert "Ich frage zuerst die Ansprechpersonen für Sachsen, dann die bundesweiten." in consent
    assert "Region:" not in consent
    await tap(world.runtime, actions, "Ja, über diesen Chat weitergeben")
    await deliver(world)
    # the local contact is one of Sachsen's contacts: asked in the Land circle
    assert [room for room, _, _ in world.matrix.sent] == ["room-@musterland:x"]
    assert rows(world.db, "SELECT region, circle FROM cases") == [("none", LAND)]
