"""The runtime's erasure hook (issue 17 item 8) and the T12 refusal, without a homeserver.

A channel registers who it talks to (``partners``) and how it erases one (``erase``); the runtime
calls ``erase`` after ``/loeschen`` and, for partners whose conversation the retention purge
removed, after the purge (it derives their keys itself, so the channel keeps no key map). A
sender whose platform says its device is not verified (``Incoming.verify_device`` answers False)
cannot register as or act as a contact person; users are never asked. The signature check behind
it on Matrix (:func:`bot.transports.matrix.trust.device_cross_signed`) is tested on built keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.content import Content
from bot.engine.actions import Say
from bot.engine.events import Command, Start, Text
from bot.engine.texts import UNVERIFIED_DEVICE
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender, VerifyDevice
from bot.storage.sqlite import SqliteStore
from bot.transports.matrix.crosssign import CrossSigningKeys, SigningKey
from bot.transports.matrix.trust import device_cross_signed
from tests.helpers import FakeClock

SECRET = b"e" * 32
IDLE = Sender("matrix", "@idle:example.org", route="!idle:example.org")
ACTIVE = Sender("matrix", "@active:example.org", route="!active:example.org")
NEW = Sender("matrix", "@new:example.org", route="!new:example.org")
TELEGRAM = Sender("telegram", "4242")


class Channel:
    """A channel's side of the erasure hook, recording what it was asked to erase."""

    def __init__(self, partners: list[Sender], failing: bool = False) -> None:
        self.partners = partners
        self.erased: list[tuple[Sender, str]] = []
        self.failing = failing

    def current(self) -> list[Sender]:
        return list(self.partners)

    async def erase(self, sender: Sender, notice: str) -> None:
        self.erased.append((sender, notice))
        if self.failing:
            raise ConnectionError("homeserver down")


@pytest.fixture
async def runtime(content: Content, tmp_path: Path) -> Any:
    async with SqliteStore(tmp_path / "e.db") as store:
        yield Runtime(content, store, SECRET, clock=FakeClock(), purge_every=None)


def said(actions: tuple[Any, ...]) -> str:
    return "\n".join(a.text for a in actions if isinstance(a, Say))


async def test_loeschen_asks_the_channel_to_erase(runtime: Runtime) -> None:
    channel = Channel([IDLE])
    runtime.register_erasure("matrix", channel.current, channel.erase)
    await runtime.handle(Incoming(TELEGRAM, Start()))
    await runtime.handle(Incoming(TELEGRAM, Command("delete")))
    assert channel.erased == []  # another platform: nothing to do on Matrix
    await runtime.handle(Incoming(IDLE, Start()))
    await runtime.handle(Incoming(IDLE, Command("delete")))
    assert [s for s, _ in channel.erased] == [IDLE]
    assert "gelöscht" in channel.erased[0][1] and "Direktchat" in channel.erased[0][1]


async def test_a_failing_channel_erasure_still_erases_the_store(runtime: Runtime) -> None:
    channel = Channel([IDLE], failing=True)
    runtime.register_erasure("matrix", channel.current, channel.erase)
    await runtime.handle(Incoming(IDLE, Start()))
    replies = await runtime.handle(Incoming(IDLE, Command("delete")))
    assert "gelöscht" in said(replies)
    assert await runtime.store.load(runtime.key(IDLE)) is None
    assert len(channel.erased) == 1


async def test_the_purge_erases_exactly_the_idle_partners(runtime: Runtime) -> None:
    channel = Channel([IDLE, ACTIVE])
    runtime.register_erasure("matrix", channel.current, channel.erase)
    await runtime.handle(Incoming(IDLE, Start()))
    runtime.clock.advance(31 * 86400)  # type: ignore[attr-defined]
    await runtime.handle(Incoming(ACTIVE, Start()))
    assert await runtime.purge() == 1
    assert [s for s, _ in channel.erased] == [IDLE]
    channel.partners.remove(IDLE)  # the channel has left the room
    assert await runtime.purge() == 0
    assert len(channel.erased) == 1


async def test_a_conversation_purged_while_the_channel_was_away_is_erased_later(
    runtime: Runtime,
) -> None:
    await runtime.handle(Incoming(IDLE, Start()))
    runtime.clock.advance(31 * 86400)  # type: ignore[attr-defined]
    assert await runtime.purge() == 1  # `beistand run` purges before the channels start
    channel = Channel([IDLE])
    runtime.register_erasure("matrix", channel.current, channel.erase)
    await runtime.purge()
    assert [s for s, _ in channel.erased] == [IDLE]


async def test_the_purge_never_erases_a_contact_persons_room(runtime: Runtime) -> None:
    contact = Sender("matrix", "@kontakt:example.org", route="!k:example.org")
    channel = Channel([contact])
    runtime.register_erasure("matrix", channel.current, channel.erase)
    invitation = await runtime.handoff.invite("Erika", ["BY"], ["threat"])
    await runtime.handle(Incoming(contact, Start()))  # used the bot as a user first
    await runtime.handle(Incoming(contact, Command("register", invitation)))
    runtime.clock.advance(31 * 86400)  # type: ignore[attr-defined]
    await runtime.purge()
    assert channel.erased == []


class Device:
    """A platform's device check that answers ``verified`` and counts how often it was asked."""

    def __init__(self, verified: bool) -> None:
        self.verified = verified
        self.asked = 0

    async def __call__(self) -> bool:
        self.asked += 1
        return self.verified


ERIKA = Sender("matrix", "@erika:example.org", route="!e:example.org")


def sent(event: Any, device: VerifyDevice) -> Incoming:
    return Incoming(ERIKA, event, None, device)


async def test_an_unverified_device_cannot_register(runtime: Runtime) -> None:
    invitation = await runtime.handoff.invite("Erika", ["BY"], ["threat"])
    replies = await runtime.handle(sent(Command("register", invitation), Device(False)))
    assert said(replies) == UNVERIFIED_DEVICE
    assert "Dieses Gerät ist nicht verifiziert" in UNVERIFIED_DEVICE
    assert "This device is not verified" in UNVERIFIED_DEVICE
    assert await runtime.handoff.cases.contact_for(ERIKA) is None
    replies = await runtime.handle(sent(Command("register", invitation), Device(True)))
    assert "registriert" in said(replies)


async def test_a_contact_on_an_unverified_device_is_refused(runtime: Runtime) -> None:
    invitation = await runtime.handoff.invite("Erika", ["BY"], ["threat"])
    await runtime.handle(sent(Command("register", invitation), Device(True)))
    other_device = Device(False)
    for event in (Command("cases"), Command("claim", "ABCD-EF"), Text("Hallo"), Start()):
        assert said(await runtime.handle(sent(event, other_device))) == UNVERIFIED_DEVICE
    assert other_device.asked == 4
    answer = await runtime.handle(sent(Command("cases"), Device(True)))
    assert said(answer) != UNVERIFIED_DEVICE


async def test_users_are_never_asked_for_their_device(runtime: Runtime) -> None:
    device = Device(False)  # most users' devices are not cross-signed: it must not matter
    for event in (Start(), Text("Hallo"), Command("help"), Command("delete")):
        assert said(await runtime.handle(sent(event, device))) != UNVERIFIED_DEVICE
    assert device.asked == 0  # no homeserver query on the users' path


async def test_platforms_without_device_trust_are_not_affected(runtime: Runtime) -> None:
    invitation = await runtime.handoff.invite("Erika", ["BY"], ["threat"])
    replies = await runtime.handle(Incoming(TELEGRAM, Command("register", invitation)))
    assert "registriert" in said(replies)  # no device check: Telegram has no such notion


# ---------------------------------------------------------------- the Matrix signature check

USER = "@erika:example.org"


def key_set(sign_device: bool = True, sign_ssk: bool = True) -> tuple[dict[str, Any], str]:
    """A ``/keys/query`` reply for one user with one device, and that device's Curve25519 key."""
    keys = CrossSigningKeys.generate(USER)
    device_key = SigningKey.generate()
    curve = "Q3VydmUyNTUxOWtleW9mdGhlZGV2aWNlMDAwMDAwMA"
    device: dict[str, Any] = {
        "user_id": USER,
        "device_id": "DEV",
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": {"ed25519:DEV": device_key.public, "curve25519:DEV": curve},
    }
    signatures = {"ed25519:DEV": device_key.sign(device)}
    if sign_device:
        signatures[keys.self_signing.key_id] = keys.self_signing.sign(device)
    device["signatures"] = {USER: signatures}
    ssk = keys.key_object("self_signing")
    if not sign_ssk:
        ssk.pop("signatures")
    reply = {
        "device_keys": {USER: {"DEV": device}},
        "master_keys": {USER: keys.key_object("master")},
        "self_signing_keys": {USER: ssk},
    }
    return reply, curve


def test_a_cross_signed_device_is_verified() -> None:
    reply, curve = key_set()
    assert device_cross_signed(reply, USER, curve)


def test_devices_not_vouched_for_are_not_verified() -> None:
    reply, curve = key_set(sign_device=False)
    assert not device_cross_signed(reply, USER, curve)
    reply, curve = key_set(sign_ssk=False)
    assert not device_cross_signed(reply, USER, curve)
    reply, curve = key_set()
    assert not device_cross_signed(reply, USER, "another device's key")
    assert not device_cross_signed(reply, "@mallory:example.org", curve)
    reply["device_keys"][USER]["DEV"]["keys"]["ed25519:DEV"] = SigningKey.generate().public
    assert not device_cross_signed(reply, USER, curve)  # the device's own signature fails
    reply, curve = key_set()
    del reply["master_keys"]
    assert not device_cross_signed(reply, USER, curve)
