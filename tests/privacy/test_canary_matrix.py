"""Canary suite over Matrix: the real transport (matrix-nio with end-to-end encryption) against a
throwaway Synapse, the real runtime and the shipped flows.

User ids (their localparts), display names, room names, texts, HTML bodies, command arguments and
a handoff with relay carry markers. Afterwards the bot's files are scanned: the database with its
``-wal``/``-shm``, the bot's Matrix store directory, the DEBUG log and temporary files. The users'
own devices and the homeserver's data are theirs and not scanned.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.content import Content
from bot.runtime import Runtime
from bot.transports.matrix import MatrixTransport
from testbed.canary import report
from testbed.scripts import Canaries, find_consent, neutral_text
from testbed.synapse import Synapse
from testbed.userclient import UserClient, until
from tests.helpers import working_runtime
from tests.privacy.conftest import DebugLog

pytestmark = pytest.mark.channel
CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{2}")


@dataclass
class World:
    synapse: Synapse
    runtime: Runtime
    bot: MatrixTransport
    bot_id: str
    canary: Canaries
    tmp_path: Path
    users: list[UserClient]
    #: markers used as Matrix localparts, and whether that user's chat is encrypted
    localparts: dict[str, bool] = field(default_factory=dict)

    async def person(self, encrypted: bool, marked: bool = True) -> tuple[UserClient, str]:
        """A user whose localpart and display name are markers, in a direct chat with the bot
        (the room's name is a marker too)."""
        if marked:
            marker = self.canary()
            self.localparts[marker] = encrypted
            localpart = marker.lower()
        else:
            localpart = f"kontakt{secrets.token_hex(3)}"
        account = self.synapse.register(localpart)
        store = self.tmp_path / "users" / f"user-{len(self.users)}"
        user = await UserClient(self.synapse.url, account.user_id, account.password, store).start()
        if not marked:  # contact persons write from a cross-signed device (T12)
            await user.cross_sign()
        self.users.append(user)
        await user.client.set_displayname(self.canary())
        room = await user.create_room([self.bot_id], encrypted=encrypted, name=self.canary())
        await user.turn(room)
        return user, room


@pytest.fixture
async def world(
    shipped: Content, synapse: Synapse, register, make_bot, tmp_path: Path, debug_log: DebugLog
) -> AsyncIterator[World]:
    db = tmp_path / "data" / "beistand.db"
    async with working_runtime(shipped, db, rate_limit=10_000) as runtime:
        account = register("bot")
        bot = await make_bot(account, runtime, store="bot-store")
        world = World(synapse, runtime, bot, account.user_id, Canaries(), tmp_path, [])
        try:
            yield world
        finally:
            for user in world.users:
                await user.stop()


async def drained(runtime: Runtime, within: float = 10.0) -> None:
    """Until the outbox is empty (every notice handed to the homeserver)."""
    for _ in range(int(within / 0.05)):
        if not await runtime.store.outbox_backlog():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox was not delivered")


async def test_matrix_canaries_leave_no_trace(world: World, shipped: Content, private_tmp: Path):
    canary = world.canary
    rng = random.Random(99)
    plain_user, plain_room = await world.person(encrypted=False)
    asker, room = await world.person(encrypted=True)
    for user, where in ((plain_user, plain_room), (asker, room)):
        await user.send(where, f"/start {canary()}")
        await user.turn(where)
        for _ in range(3):
            await user.send(where, neutral_text(canary, rng))
            await user.turn(where)
        marker = canary()
        await user.send(
            where, marker, format="org.matrix.custom.html", formatted_body=f"<b>{marker}</b>"
        )
        await user.turn(where)
        await user.send(where, f"/hilfe {canary()}")
        await user.turn(where)
        await user.send(where, "1")
        await user.turn(where)

    # a handoff with relay both ways, the contact person on Matrix too
    contact, contact_room = await world.person(encrypted=True, marked=False)
    invitation = await world.runtime.handoff.invite("Ansprechperson", ["DE"], ["all"])
    await contact.send(contact_room, f"/registrieren {invitation}")
    await until(contact, contact_room, "registriert")
    root, path = await find_consent(shipped)
    await asker.send(room, f"/start {root}")
    prompt = (await asker.turn(room))[-1]
    for index in path:
        await asker.send(room, str(index + 1))
        prompt = (await asker.turn(room))[-1]
    assert "Kein Name, kein Text, kein Konto" in prompt.body
    await asker.send(room, "1")
    notice = (await until(contact, contact_room, "Neuer Fall"))[-1]
    code = CODE.search(notice.body)
    assert code is not None
    await contact.send(contact_room, f"/uebernehmen {code.group()}")
    await until(asker, room, "übernommen")
    text = f"Er wartet vor dem Rathaus, {canary()}"
    await asker.send(room, text)
    assert (await until(contact, contact_room, text))[-1].encrypted
    answer = f"Ich rufe Sie an, {canary()}"
    await contact.send(contact_room, answer)
    await until(asker, room, answer)
    await asker.send(room, "/loeschen")
    await until(asker, room, "gelöscht")
    await drained(world.runtime)

    await world.bot.stop()
    scanned = [
        world.tmp_path / "data",
        world.tmp_path / "bot-store",
        world.tmp_path / "logs",
        private_tmp,
    ]
    store = world.tmp_path / "bot-store"
    assert any(store.iterdir()), "the bot's Matrix store is scanned"
    hits = canary.scanner.scan(scanned)
    # End-to-end encryption needs the devices of the people in encrypted rooms: their Matrix ids
    # stay in the bot's crypto store (PRIVACY.md). Nothing else of theirs is anywhere.
    kept = [h for h in hits if store in h.path.parents and world.localparts.get(h.needle)]
    others = [h for h in hits if h not in kept]
    assert others == [], report(others)
    encrypted = {marker for marker, e in world.localparts.items() if e}
    assert {h.needle for h in kept} <= encrypted
    print(
        f"matrix canaries: {canary.count} markers; in the crypto store: the ids of "
        f"{len({h.needle for h in kept})} of {len(encrypted)} users of encrypted chats, in "
        f"{sorted({h.path.name.rsplit('.', 1)[-1] for h in kept})}"
    )


async def test_every_notice_reaches_a_matrix_contact(world: World, shipped: Content):
    asker, room = await world.person(encrypted=False)
    # a contact person's device must be cross-signed, so their chat is encrypted (T12)
    contact, contact_room = await world.person(encrypted=True, marked=False)
    invitation = await world.runtime.handoff.invite("Ansprechperson", ["DE"], ["all"])
    await contact.send(contact_room, f"/registrieren {invitation}")
    await until(contact, contact_room, "registriert")
    root, path = await find_consent(shipped)
    await asker.send(room, f"/start {root}")
    await asker.turn(room)
    for index in path:
        await asker.send(room, str(index + 1))
        await asker.turn(room)
    await asker.send(room, "1")
    code = CODE.search((await until(contact, contact_room, "Neuer Fall"))[-1].body)
    assert code is not None
    await contact.send(contact_room, f"/uebernehmen {code.group()}")
    await until(asker, room, "übernommen")
    await asker.send(room, "/loeschen")
    await until(contact, contact_room, "zurückgezogen", within=4)
