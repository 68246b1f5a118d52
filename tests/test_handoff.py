"""Handoff through the runtime: consent, routing, claims, escalation, relay, closing, abuse,
delivery. Channels are recording fakes here; the end-to-end tests use the real transports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.actions import Action, Ask, Say
from bot.engine.events import Choose, Command, Start, Text
from bot.engine.state import InCase
from bot.handoff import rules
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore
from tests.helpers import FakeClock as Clock
from tests.helpers import HandoffWorld as World
from tests.helpers import RecordingChannel as Channel
from tests.helpers import deliver, handoff_world, last_ask, rows

SECRET = b"h" * 32
USER = Sender("telegram", "1001", "de")


@pytest.fixture
async def world(content: Content, tmp_path: Path) -> AsyncIterator[World]:
    async with handoff_world(content, tmp_path / "h.db", SECRET) as made:
        yield made


async def tap(runtime: Runtime, sender: Sender, actions: tuple[Action, ...], label: str):
    prompt = last_ask(actions)
    index = next(o.index for o in prompt.options if o.label == label)
    return await runtime.handle(Incoming(sender, Choose(prompt.turn, index)))


async def to_consent(runtime: Runtime, sender: Sender = USER, land: str = "Bayern"):
    actions = await runtime.handle(Incoming(sender, Start("demo")))
    actions = await tap(runtime, sender, actions, "Online")
    if any(o.label == land for o in last_ask(actions).options):  # asked once, then known
        actions = await tap(runtime, sender, actions, land)
    return await tap(runtime, sender, actions, "Online-Hinweis")


async def open_case(runtime: Runtime, sender: Sender = USER, land: str = "Bayern") -> str:
    actions = await to_consent(runtime, sender, land)
    actions = await tap(runtime, sender, actions, "Ja, über diesen Chat weitergeben")
    state = await runtime.store.load(runtime.key(sender))
    assert state is not None and isinstance(state.mode, InCase), actions
    return state.mode.code


async def contact(
    world: World, account: str, lands: str = "BY", topics: str = "threat", platform: str = "matrix"
) -> Sender:
    code = await world.runtime.handoff.invite(
        f"Person {account}", lands.split(","), topics.split(",")
    )
    sender = Sender(platform, account, "de", route=f"room-{account}")
    reply = await world.runtime.handle(Incoming(sender, Command("register", code)))
    assert "registriert" in reply[0].text  # type: ignore[union-attr]
    return sender


# ---------------------------------------------------------------- consent and routing


async def test_nothing_is_passed_on_without_consent(world: World) -> None:
    await contact(world, "@a:x")
    actions = await to_consent(world.runtime)
    assert "Kein Name, kein Text, kein Konto" in last_ask(actions).text
    await tap(world.runtime, USER, actions, "Nein, danke")
    await deliver(world)
    assert world.matrix.sent == []
    assert rows(world.db, "SELECT count(*) FROM cases") == [(0,)]
    assert rows(world.db, "SELECT count(*) FROM outbox") == [(0,)]


async def test_consent_notifies_contacts_of_land_and_topic(world: World) -> None:
    await contact(world, "@by:x", "BY")
    await contact(world, "@nw:x", "NW")
    await contact(world, "@hate:x", "BY", "hate")
    code = await open_case(world.runtime)
    await deliver(world)
    assert [r for r, _, _ in world.matrix.sent] == ["room-@by:x"]
    text = world.matrix.texts()[0]
    assert f"Neuer Fall {code} · Bedrohung · Dringlichkeit: hoch · Bayern" in text
    assert f"/uebernehmen {code}" in text
    assert world.matrix.sent[0][1].buttons[0].data == f"claim:{code}"


async def test_no_contacts_at_all_tells_the_user_honestly(world: World) -> None:
    code = await open_case(world.runtime)
    await deliver(world)
    user_texts = world.telegram.texts("1001")
    assert len(user_texts) == 1
    assert f"Zu Ihrem Fall {code} ist gerade leider niemand frei" in user_texts[0]
    assert "110" in user_texts[0] and "Beratungsbüro" in user_texts[0]


# ---------------------------------------------------------------- claims


async def test_exactly_one_owner_under_concurrent_claims(world: World) -> None:
    people = [await contact(world, f"@c{i}:x") for i in range(6)]
    code = await open_case(world.runtime)
    replies = await asyncio.gather(
        *(world.runtime.handle(Incoming(p, Command("claim", code))) for p in people)
    )
    winners = [r for r in replies if "Sie haben Fall" in r[0].text]  # type: ignore[union-attr]
    assert len(winners) == 1
    assert rows(
        world.db, f"SELECT status, contact_id IS NOT NULL FROM cases WHERE code='{code}'"
    ) == [("claimed", 1)]
    await deliver(world)
    assert "übernommen" in world.telegram.texts("1001")[-1]
    taken = [t for t in world.matrix.texts() if "andere Ansprechperson übernommen" in t]
    assert len(taken) == 5


async def test_not_a_contact_is_refused_and_nothing_changes(world: World) -> None:
    await contact(world, "@a:x")
    code = await open_case(world.runtime)
    stranger = Sender("telegram", "666", "de")
    before = rows(world.db, "SELECT * FROM cases")
    for name in ("claim", "close", "abuse", "cases", "away"):
        reply = await world.runtime.handle(Incoming(stranger, Command(name, code)))
        assert "nur für registrierte Ansprechpersonen" in reply[0].text  # type: ignore[union-attr]
    assert rows(world.db, "SELECT * FROM cases") == before


async def test_uninvolved_contact_cannot_claim(world: World) -> None:
    await contact(world, "@by:x", "BY")
    outsider = await contact(world, "@nw:x", "NW")
    code = await open_case(world.runtime)
    reply = await world.runtime.handle(Incoming(outsider, Command("claim", code)))
    assert "gibt es für Sie nicht" in reply[0].text  # type: ignore[union-attr]
    assert rows(world.db, "SELECT status FROM cases") == [("open",)]


async def test_registration_codes(world: World) -> None:
    code = await world.runtime.handoff.invite("Erika", ["BY"], ["threat"])
    someone = Sender("telegram", "77", "de")
    bad = await world.runtime.handle(Incoming(someone, Command("register", "AAAA-BBBB-CCCC")))
    assert "ungültig" in bad[0].text  # type: ignore[union-attr]
    world.clock.now += 8 * 86400
    expired = await world.runtime.handle(Incoming(someone, Command("register", code)))
    assert "ungültig" in expired[0].text  # type: ignore[union-attr]
    fresh = await world.runtime.handoff.invite("Erika", ["BY"], ["threat"])
    assert (
        "registriert"
        in (await world.runtime.handle(Incoming(someone, Command("register", fresh))))[0].text
    )  # type: ignore[union-attr]
    again = await world.runtime.handle(
        Incoming(Sender("telegram", "78"), Command("register", fresh))
    )
    assert "ungültig" in again[0].text  # type: ignore[union-attr]
    assert rows(world.db, "SELECT count(*) FROM contacts WHERE account IS NOT NULL") == [(1,)]
    await world.runtime.purge()  # the expired, unused invitation goes
    assert rows(world.db, "SELECT count(*) FROM contacts") == [(1,)]


# ---------------------------------------------------------------- escalation


async def test_escalation_with_a_controlled_clock(world: World) -> None:
    await contact(world, "@by:x", "BY")
    await contact(world, "@de:x", "DE")
    code = await open_case(world.runtime)
    await deliver(world)
    assert [r for r, _, _ in world.matrix.sent] == ["room-@by:x"]
    world.clock.now += 9 * 60
    await deliver(world)
    assert len(world.matrix.sent) == 1  # high urgency escalates after 10 minutes
    world.clock.now += 2 * 60
    await deliver(world)
    assert [r for r, _, _ in world.matrix.sent] == ["room-@by:x", "room-@de:x"]
    assert world.telegram.texts("1001") == []
    world.clock.now += 11 * 60
    await deliver(world)
    assert f"Zu Ihrem Fall {code} ist gerade leider niemand frei" in world.telegram.texts("1001")[0]
    assert rows(world.db, "SELECT circle, status FROM cases") == [(rules.NOBODY, "open")]
    # a late claim still reaches the user
    late = Sender("matrix", "@de:x", "de", route="room-@de:x")
    await world.runtime.handle(Incoming(late, Command("claim", code)))
    await deliver(world)
    assert "übernommen" in world.telegram.texts("1001")[-1]


async def test_escalation_timer_survives_a_restart(content: Content, tmp_path: Path) -> None:
    clock = Clock()
    async with SqliteStore(tmp_path / "r.db") as store:
        first = Runtime(content, store, SECRET, clock=clock)
        code = await first.handoff.invite("A", ["BY"], ["threat"])
        await first.handle(
            Incoming(Sender("matrix", "@a:x", route="r1"), Command("register", code))
        )
        code = await first.handoff.invite("B", ["DE"], ["threat"])
        await first.handle(
            Incoming(Sender("matrix", "@b:x", route="r2"), Command("register", code))
        )
        await open_case(first)
    clock.now += 11 * 60
    async with SqliteStore(tmp_path / "r.db") as store:
        second = Runtime(content, store, SECRET, clock=clock)
        channel = Channel()
        second.register_channel("matrix", channel)
        assert await second.handoff.escalate_due() == 1
        await second.handoff.deliver_due()
        assert [r for r, _, _ in channel.sent] == ["r1", "r2"]


# ---------------------------------------------------------------- relay and closing


async def test_relay_both_ways_and_nothing_stored(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    await deliver(world)
    marker = "CNRY-relay-7f3a"
    assert await world.runtime.handle(Incoming(USER, Text(f"Hallo {marker}"))) == ()
    assert world.matrix.texts("room-@a:x")[-1] == f"[{code}] Hallo {marker}"
    assert await world.runtime.handle(Incoming(person, Text(f"Guten Tag {marker}-back"))) == ()
    assert world.telegram.texts("1001")[-1] == f"💬 Ansprechperson: Guten Tag {marker}-back"
    await world.runtime.store.checkpoint()
    for path in world.db.parent.iterdir():
        assert marker.encode() not in path.read_bytes(), path.name
        assert b"1001" not in path.read_bytes(), path.name


async def test_relay_failure_is_reported_to_the_sender(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    world.matrix.failing = True
    reply = await world.runtime.handle(Incoming(USER, Text("Hallo")))
    assert "nicht zugestellt" in reply[0].text  # type: ignore[union-attr]


async def test_contact_with_several_cases_prefixes_the_code(world: World) -> None:
    person = await contact(world, "@a:x")
    other = Sender("telegram", "2002", "de")
    first = await open_case(world.runtime)
    second = await open_case(world.runtime, other)
    for code in (first, second):
        await world.runtime.handle(Incoming(person, Command("claim", code)))
    ask_code = await world.runtime.handle(Incoming(person, Text("Hallo")))
    assert "Fallcode" in ask_code[0].text  # type: ignore[union-attr]
    assert await world.runtime.handle(Incoming(person, Text(f"{second}: Nur an die zweite"))) == ()
    assert world.telegram.texts("2002")[-1] == "💬 Ansprechperson: Nur an die zweite"
    listing = await world.runtime.handle(Incoming(person, Command("cases")))
    assert first in listing[0].text and second in listing[0].text  # type: ignore[union-attr]


async def test_user_withdraws(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    state_actions = await world.runtime.handle(Incoming(USER, Command("help")))
    asked = await tap(world.runtime, USER, state_actions, "Fall beenden")
    assert "wirklich beenden" in last_ask(asked).text  # asks first
    await tap(world.runtime, USER, asked, "Ja, Fall beenden")
    await deliver(world)
    assert f"Fall {code}: Die Person hat das Gespräch beendet." in world.matrix.texts()
    assert rows(world.db, "SELECT status, user_route FROM cases") == [("closed", None)]
    before = len(world.telegram.sent)
    reply = await world.runtime.handle(Incoming(person, Text("noch da?")))
    # with no case left, the contact person talks to the bot as any user: nothing is relayed
    assert world.telegram.sent[before:] == []
    assert any(isinstance(a, Ask) for a in reply)


async def test_contact_closes(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    reply = await world.runtime.handle(Incoming(person, Command("close", code)))
    assert "abgeschlossen" in reply[0].text  # type: ignore[union-attr]
    await deliver(world)
    assert f"Ihr Fall {code} ist abgeschlossen" in world.telegram.texts("1001")[-1]
    after = await world.runtime.handle(Incoming(USER, Text("Hallo?")))
    assert any(isinstance(a, Say) and "ist beendet" in a.text for a in after)


async def test_delete_withdraws_open_case_and_unlinks_it(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    key = world.runtime.key(USER)
    await world.runtime.handle(Incoming(USER, Command("delete")))
    await deliver(world)
    assert f"Fall {code} wurde von der Person zurückgezogen." in world.matrix.texts()
    assert rows(world.db, "SELECT status, close_reason, user_route FROM cases") == [
        ("closed", "erased", None)
    ]
    assert rows(world.db, "SELECT count(*) FROM cases WHERE user_key=x'" + key.hex() + "'") == [
        (0,)
    ]
    assert await world.runtime.store.load(key) is None


# ---------------------------------------------------------------- abuse and limits


async def test_abuse_blocks_new_cases(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    reply = await world.runtime.handle(Incoming(person, Command("abuse", code)))
    assert "Missbrauch" in reply[0].text  # type: ignore[union-attr]
    actions = await to_consent(world.runtime)
    refused = await tap(world.runtime, USER, actions, "Ja, über diesen Chat weitergeben")
    assert any(isinstance(a, Say) and "nicht möglich" in a.text for a in refused)
    assert rows(world.db, "SELECT count(*) FROM cases") == [(1,)]


async def test_one_open_case_and_a_daily_limit(world: World) -> None:
    await contact(world, "@a:x")
    person = Sender("matrix", "@a:x", route="room-@a:x")
    for _ in range(3):
        code = await open_case(world.runtime)
        await world.runtime.handle(Incoming(person, Command("claim", code)))
        await world.runtime.handle(Incoming(person, Command("close", code)))
    actions = await to_consent(world.runtime)
    refused = await tap(world.runtime, USER, actions, "Ja, über diesen Chat weitergeben")
    assert any(isinstance(a, Say) and "mehrere Anfragen" in a.text for a in refused)
    world.clock.now += 86400
    assert await open_case(world.runtime)


async def test_away_contacts_get_no_notifications(world: World) -> None:
    person = await contact(world, "@a:x")
    await world.runtime.handle(Incoming(person, Command("away")))
    await open_case(world.runtime)
    await deliver(world)
    assert world.matrix.sent == []
    await world.runtime.handle(Incoming(person, Command("available")))
    assert rows(world.db, "SELECT available FROM contacts") == [(1,)]


# ---------------------------------------------------------------- delivery


async def test_outbox_retries_with_backoff(world: World) -> None:
    await contact(world, "@a:x")
    await open_case(world.runtime)
    world.matrix.failing = True
    await deliver(world)
    assert rows(world.db, "SELECT attempts FROM outbox") == [(1,)]
    world.matrix.failing = False
    await deliver(world)
    assert world.matrix.sent == []  # not due yet
    world.clock.now += 2
    await deliver(world)
    assert len(world.matrix.sent) == 1
    assert rows(world.db, "SELECT count(*) FROM outbox") == [(0,)]


async def test_notification_survives_a_crash_and_is_sent_once(
    content: Content, tmp_path: Path
) -> None:
    clock = Clock()
    async with SqliteStore(tmp_path / "c.db") as store:
        before = Runtime(content, store, SECRET, clock=clock)
        code = await before.handoff.invite("A", ["BY"], ["threat"])
        await before.handle(
            Incoming(Sender("matrix", "@a:x", route="r1"), Command("register", code))
        )
        await open_case(before)  # state and outbox row committed; no channel: nothing sent
    async with SqliteStore(tmp_path / "c.db") as store:
        after = Runtime(content, store, SECRET, clock=clock)
        channel = Channel()
        after.register_channel("matrix", channel)
        await after.handoff.deliver_due()
        await after.handoff.deliver_due()
        assert len(channel.sent) == 1
        assert channel.sent[0][2].startswith("beistand-")


async def test_idempotency_keys_never_repeat_though_row_ids_do(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    await deliver(world)  # "new case": its outbox row is deleted, so the next one reuses its id
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    await world.runtime.handle(Incoming(person, Command("close", code)))
    await deliver(world)
    keys = [key for _, _, key in world.matrix.sent + world.telegram.sent]
    assert len(keys) >= 3
    assert len(set(keys)) == len(keys)


async def test_purge_deletes_closed_cases_after_retention(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    await world.runtime.handle(Incoming(person, Command("close", code)))
    world.clock.now += 6 * 86400
    await world.runtime.purge()
    assert rows(world.db, "SELECT count(*) FROM cases") == [(1,)]
    world.clock.now += 2 * 86400
    await world.runtime.purge()
    assert rows(world.db, "SELECT count(*) FROM cases") == [(0,)]
    # the audit trail stays longer and holds no content: event, case code, time, role
    assert rows(world.db, "SELECT event, role FROM audit ORDER BY id") == [
        ("contact.invited", "admin"),
        ("contact.registered", "contact"),
        ("case.opened", "user"),
        ("case.claimed", "contact"),
        ("case.closed.contact", "contact"),
    ]


async def test_remove_contact_returns_case_to_waiting(world: World) -> None:
    person = await contact(world, "@a:x")
    code = await open_case(world.runtime)
    await world.runtime.handle(Incoming(person, Command("claim", code)))
    (listed,) = await world.runtime.handoff.contacts()
    assert await world.runtime.handoff.remove(listed.id)
    assert rows(world.db, "SELECT status, contact_id FROM cases") == [("open", None)]
