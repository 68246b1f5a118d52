"""The contact person's experience and the user's side of a waiting case (issue 17, items 4-5):
a contact is a user too, notices say when others are asked, /faelle shows ages, replies
without a code, nothing typed before the claim is kept, and a removed contact's cases."""

from __future__ import annotations

from bot.engine.actions import Ask, Say
from bot.engine.events import Command, Text
from bot.engine.state import InCase
from bot.runtime_api import Incoming, Sender
from tests import test_handoff as base
from tests.test_handoff import (
    USER,
    World,
    contact,
    deliver,
    last_ask,
    open_case,
    rows,
    tap,
    to_consent,
)

world = base.world  # the fixture: a runtime over SQLite with recording channels


def said(actions: tuple[object, ...]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say | Ask))


async def test_a_contact_person_can_use_the_bot_as_a_user(world: World) -> None:
    person = await contact(world, "@a:x")
    as_user = Sender(person.platform, person.user_id, "de", route=person.route)
    code = await open_case(world.runtime, as_user)  # the menu, the flow, the consent: all theirs
    assert code
    helped = await world.runtime.handle(Incoming(as_user, Command("help")))
    assert "Ansprechperson" in said(helped) and "kontaktpersonen.md" in said(helped)
    erased = await world.runtime.handle(Incoming(as_user, Command("delete")))
    assert "gelöscht" in said(erased)
    assert await world.runtime.store.load(world.runtime.key(as_user)) is None
    assert rows(world.db, "SELECT status, close_reason FROM cases") == [("closed", "erased")]


async def test_the_notice_says_when_others_are_asked(world: World) -> None:
    await contact(world, "@by:x", "BY")
    await contact(world, "@de:x", "DE")
    await open_case(world.runtime)
    await deliver(world)
    (first,) = world.matrix.texts()
    assert "Übernimmt bis 10:10 Uhr niemand, werden weitere Ansprechpersonen gefragt." in first
    world.clock.advance(11 * 60)
    await deliver(world)
    second = world.matrix.texts()[-1]
    assert "Andere Ansprechpersonen wurden schon gefragt" in second and "10:21" in second


async def test_cases_lists_open_and_claimed_with_their_age(world: World) -> None:
    person = await contact(world, "@a:x")
    first = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", first)))
    world.clock.advance(25 * 60)
    second = await open_case(world.runtime, Sender("telegram", "2002", "de"))
    world.clock.advance(5 * 60)
    listing = said(await world.runtime.handle(Incoming(person, Command("cases"))))
    assert f"{first} · Bedrohung · hoch · Bayern · übernommen · seit 30 Min." in listing
    assert f"{second} · Bedrohung · hoch · Bayern · wartet · seit 5 Min." in listing


async def test_replies_without_a_code(world: World) -> None:
    person = await contact(world, "@a:x")
    first = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", first)))
    assert await world.runtime.handle(Incoming(person, Text("Guten Tag"))) == ()
    await deliver(world)
    assert "💬 Ansprechperson: Guten Tag" in world.telegram.texts("1001")
    second = await open_case(world.runtime, Sender("telegram", "2002", "de"))
    await world.runtime.handle(Incoming(person, Command("claim", second)))
    before = len(world.telegram.sent)
    asked = said(await world.runtime.handle(Incoming(person, Text("Für wen?"))))
    assert first in asked and second in asked and "nicht weitergegeben" in asked
    assert world.telegram.sent[before:] == []


async def test_nothing_typed_before_the_claim_is_passed_on_or_kept(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    waiting = said(await world.runtime.handle(Incoming(USER, Text("Früher Text"))))
    assert "nicht weitergegeben und nicht aufbewahrt" in waiting
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    await deliver(world)
    assert not any("Früher Text" in text for text in world.matrix.texts())
    assert await world.runtime.handle(Incoming(USER, Text("Jetzt"))) == ()
    assert world.matrix.texts()[-1] == f"[{code}] Jetzt"


async def test_entering_the_case_says_how_it_works(world: World) -> None:
    await contact(world, "@a:x")
    actions = await to_consent(world.runtime)
    opened = said(await tap(world.runtime, USER, actions, "Ja, über diesen Chat weitergeben"))
    assert "nichts, was Sie schreiben, weitergegeben oder aufbewahrt" in opened
    assert "Fall beenden" in opened and "/notfall" in opened


async def test_a_removed_contacts_case_waits_again_and_the_user_is_told(world: World) -> None:
    person = await contact(world, "@a:x")
    other = await contact(world, "@b:x")
    code = await open_case(world.runtime)
    await world.runtime.handoff.deliver_due()  # both were told of the new case
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    # the "taken" notice to the user is still waiting when the contact is removed
    listed = {c.account: c.id for c in await world.runtime.handoff.contacts()}
    assert await world.runtime.handoff.remove(listed["@a:x"])
    await world.runtime.handoff.deliver_due()
    to_user = world.telegram.texts("1001")
    assert not any("übernommen" in text for text in to_user), to_user
    assert any("ist nicht mehr dabei" in text for text in to_user)
    assert not any("niemand frei" in text for text in to_user)
    again = [
        text for route, _m, _k in world.matrix.sent if route == other.route for text in [_m.plain]
    ]
    assert any("wartet wieder" in text for text in again)
    assert rows(world.db, "SELECT status, contact_id FROM cases") == [("open", None)]
    claimed = said(await world.runtime.handle(Incoming(other, Command("claim", code))))
    assert "übernommen" in claimed
    state = await world.runtime.store.load(world.runtime.key(USER))
    assert state is not None and isinstance(state.mode, InCase)
    assert last_ask(await world.runtime.handle(Incoming(USER, Command("help"))))
