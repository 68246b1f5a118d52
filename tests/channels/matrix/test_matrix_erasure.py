"""Matrix erasure against the real Synapse (issue 17 item 8, security plan T3/T11/T12).

After ``/loeschen`` and after the retention purge the bot says so, leaves **and forgets** the
room, and the canary scanner finds neither the partner's Matrix id (nor its localpart) nor the
room id in the bot's Matrix store directory or in the database with its ``-wal``/``-shm``; while
the conversation is active the same scan finds the partner's id in the crypto store (the
documented residual), which proves the scan looks in the right place. A contact person writing
from a device their account has not cross-signed is refused with a way to verify (T12).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.engine.texts import UNVERIFIED_DEVICE
from bot.runtime_api import Sender
from bot.transports.matrix import MatrixTransport
from testbed.canary import Scanner, files_under, report, sqlite_family
from testbed.synapse import Synapse
from testbed.userclient import UserClient, until
from tests.helpers import FakeClock

pytestmark = pytest.mark.channel

LEFT_NOTICE = "verlasse diesen Raum"


def scanner_for(user: UserClient, room_id: str) -> Scanner:
    scanner = Scanner()
    scanner.add_needle(user.user_id)
    scanner.add_needle(user.user_id[1:].split(":", 1)[0])  # the localpart alone
    scanner.add_needle(room_id)
    return scanner


def bot_files(tmp_path: Path) -> list[Path]:
    return [*files_under(tmp_path / "bot-store"), *sqlite_family(tmp_path / "beistand.db")]


async def talk(user: UserClient, room: str) -> None:
    """The greeting, then one answer: a conversation with stored state."""
    await user.turn(room)
    await user.send(room, "Hallo")
    await user.turn(room)


def forgotten(synapse: Synapse, token: str, room_id: str) -> bool:
    """The bot's account neither is in the room nor still lists it as left (forgotten)."""
    joined = synapse.client_get("/_matrix/client/v3/joined_rooms", token)["joined_rooms"]
    filter_ = '{"room":{"include_leave":true,"timeline":{"limit":1}}}'
    sync = synapse.client_get(f"/_matrix/client/v3/sync?filter={filter_}", token)
    left = sync.get("rooms", {}).get("leave", {})
    return room_id not in joined and room_id not in left


async def assert_erased(
    synapse: Synapse, bot: MatrixTransport, user: UserClient, room: str, tmp_path: Path
) -> set[str]:
    """Waits for the notice and the leave, stops the bot, scans; returns the rooms it kept."""
    await until(user, room, LEFT_NOTICE)
    await user.wait_membership(room, bot.user_id, "leave")
    client: Any = bot._client
    assert client is not None
    token = client.nio.access_token
    for _ in range(100):  # the bot's leave and forget requests may still be under way
        if room not in client.nio.rooms:
            break
        await asyncio.sleep(0.05)
    assert room not in client.nio.rooms
    assert user.user_id not in client.nio.olm.device_store.users
    others = {r for r in client.nio.rooms if r != room}
    await bot.stop()
    assert forgotten(synapse, token, room)
    hits = scanner_for(user, room).scan(bot_files(tmp_path))
    assert hits == [], report(hits)
    return others


@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted", "plain"])
async def test_loeschen_leaves_forgets_and_erases_the_partner(
    encrypted: bool, synapse, register, make_bot, make_user, runtime, tmp_path: Path
):
    account = register("bot")
    bot = await make_bot(account, runtime)
    user = await make_user()
    room = await user.create_room([account.user_id], encrypted=encrypted)
    await talk(user, room)
    if encrypted:  # the residual while active: the partner's device keys in the crypto store
        active = scanner_for(user, room).scan(files_under(tmp_path / "bot-store"))
        assert {h.needle for h in active} >= {user.user_id}, "the scan must see the residual"
    await user.send(room, "/loeschen")
    await until(user, room, "ist gelöscht")
    await assert_erased(synapse, bot, user, room, tmp_path)


async def test_the_retention_purge_erases_an_idle_partner(
    synapse, register, make_bot, make_user, open_runtime, tmp_path: Path
):
    clock = FakeClock()
    async with open_runtime(clock=clock, purge_every=None, retention_days=30) as handler:
        account = register("bot")
        bot = await make_bot(account, handler)
        idle = await make_user("idle")
        idle_room = await idle.create_room([account.user_id], encrypted=True)
        await talk(idle, idle_room)
        clock.advance(31 * 86400)
        active = await make_user("active")  # talks after the jump: not idle, stays
        active_room = await active.create_room([account.user_id], encrypted=True)
        await talk(active, active_room)
        assert await handler.inner.purge() == 1
        kept = await assert_erased(synapse, bot, idle, idle_room, tmp_path)
        assert kept == {active_room}
        assert await active.silence(active_room, 0.2) == []  # the active partner heard nothing


async def test_a_contact_on_an_unverified_device_is_refused(register, make_bot, make_user, runtime):
    account = register("bot")
    await make_bot(account, runtime)
    contact = await make_user("kontakt")
    room = await contact.create_room([account.user_id], encrypted=True)
    await contact.turn(room)
    invitation = await runtime.inner.handoff.invite("Ansprechperson", ["DE"], ["all"])
    await contact.send(room, f"/registrieren {invitation}")
    refusal = await until(contact, room, "nicht verifiziert")
    assert refusal[-1].body == UNVERIFIED_DEVICE
    assert "Settings → Security" in refusal[-1].body
    assert await runtime.inner.handoff.cases.contact_for(Sender("matrix", contact.user_id)) is None

    await contact.cross_sign()  # the user verifies the session: now it works
    await contact.send(room, f"/registrieren {invitation}")
    await until(contact, room, "registriert")
