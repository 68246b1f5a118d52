"""Canary suite over Telegram: the real channel (python-telegram-bot) against the Bot API emulator,
with the real runtime, store and shipped flows.

Every user's first name, last name and user name is a marker, and so is every deep-link payload,
typed text, caption, file name, forged button and command argument; a handoff runs with relay
both ways; a forced error inside the handler repeats a marker in its exception message. Afterwards
no marker and no user id is in any file the run wrote (database, ``-wal``, ``-shm``, the DEBUG log,
temporary files), and the user who hit the error saw only the generic apology.
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.content import Content
from bot.engine.actions import Action
from bot.engine.events import Text
from bot.runtime import Runtime
from bot.runtime_api import Incoming
from bot.storage.sqlite import SqliteStore
from bot.transports.telegram import FloodLimiter, TelegramChannel
from testbed.canary import report
from testbed.scripts import Canaries, find_consent, neutral_text
from testbed.telegram_emulator import EmulatedBot, Message, RateLimits, SimUser
from tests.privacy.conftest import DebugLog

pytestmark = pytest.mark.channel

USERS = 10
ROUNDS = 14
FORCE = "ZWANGSFEHLER"
APOLOGY = "Entschuldigung, das hat nicht geklappt"


@pytest.fixture
def telegram_limits() -> RateLimits:
    """This suite is about what is written, not about flood limits."""
    return RateLimits(per_chat_rate=500, per_chat_burst=500, overall_rate=500, overall_burst=500)


class FailingHandler:
    """The runtime, except that a text with the trigger word fails as ``int(text)`` would."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def handle(self, incoming: Incoming) -> tuple[Action, ...]:
        event = incoming.event
        if isinstance(event, Text) and FORCE in event.text:
            int(event.text)  # ValueError: invalid literal for int() with base 10: '<the text>'
        return await self.runtime.handle(incoming)

    def register_channel(self, platform, deliver) -> None:  # type: ignore[no-untyped-def]
        self.runtime.register_channel(platform, deliver)


@dataclass
class Bot:
    emulator: object
    account: EmulatedBot
    channel: TelegramChannel
    runtime: Runtime

    async def idle(self) -> None:
        await self.emulator.wait_until(lambda: not self.account.updates, 15)  # type: ignore[attr-defined]
        await asyncio.wait_for(self.channel.application.update_queue.join(), 15)
        await self.runtime.handoff.deliver_due()


@pytest.fixture
async def bot(
    shipped: Content, telegram_emulator, telegram_bot, start_channel, tmp_path: Path, debug_log
) -> AsyncIterator[Bot]:
    async with SqliteStore(tmp_path / "data" / "beistand.db") as store:
        runtime = Runtime(shipped, store, secrets.token_bytes(32), rate_limit=10_000)
        channel = await start_channel(
            FailingHandler(runtime),
            translations=shipped.catalogs.translator,
            limiter=FloodLimiter(chat_rate=500, chat_burst=500, overall_rate=500),
        )
        yield Bot(telegram_emulator, telegram_bot, channel, runtime)
        await channel.stop()


def person(
    bot: Bot, canary: Canaries, rng: random.Random, contact: bool = False, locale: str | None = None
) -> SimUser:
    """A Telegram user whose names are markers and whose id is a long random number."""
    user_id = rng.randrange(10**12, 2**52)  # Telegram ids have up to 52 bits
    user = SimUser(
        bot.emulator,  # type: ignore[arg-type]
        bot.account,
        user_id,
        canary(),
        locale or rng.choice(("de", "en")),
        canary(),
    )
    user.info["last_name"] = canary()
    user.chat.info["last_name"] = user.info["last_name"]
    user.chat.info["username"] = user.info["username"]
    if not contact:  # a contact person's account id is stored by design (contacts table)
        canary.scanner.add_needle(str(user_id))
    return user


def newest_question(user: SimUser) -> Message | None:
    return next((user.current(m) for m in reversed(user.received) if m.keyboard), None)


def act(user: SimUser, canary: Canaries, rng: random.Random) -> None:
    """One random thing a user does in a round; every piece of free input holds a marker."""
    question = newest_question(user)
    roll = rng.random()
    if question is not None and roll < 0.45:
        user.press(question, rng.choice(question.labels))
    elif roll < 0.6:
        user.send_text(neutral_text(canary, rng)[:4096])
    elif roll < 0.67 and question is not None:
        data = rng.choice((canary(), f"claim:{canary()}"[:64], f"1.{canary()}"[:64]))
        user.press_data(question, data)  # forged buttons
    elif roll < 0.74:
        user.send_text(
            rng.choice((f"/start {canary()}", f"/hilfe {canary()}", f"/sprache {canary()}"))
        )
    elif roll < 0.8:
        rng.choice(
            (
                lambda: user.send_photo(caption=canary()),
                lambda: user.send_document(file_name=f"{canary()}.pdf"),
                user.send_voice,
                user.send_sticker,
            )
        )()
    elif roll < 0.86:
        user.send_text(f"Ich werde bedroht, {canary()}")
    elif roll < 0.9:
        user.send_text(f"/uebernehmen {canary()}")  # a contact command from a non-contact
    elif question is not None:
        user.press(question, question.labels[0])


async def walk_to_consent(bot: Bot, user: SimUser, path: tuple[int, ...], root: str | None) -> None:
    user.send_text(f"/start {root}" if root else "/start")
    await bot.idle()
    for index in path:
        question = newest_question(user)
        assert question is not None
        user.press(question, question.labels[index])
        await bot.idle()


async def test_telegram_canaries_leave_no_trace(
    bot: Bot, shipped: Content, tmp_path: Path, debug_log: DebugLog, private_tmp: Path
):
    canary = Canaries()
    rng = random.Random(4711)
    users = [person(bot, canary, rng) for _ in range(USERS)]
    for user in users:
        user.send_text(f"/start {canary()}")  # a deep-link payload that is a marker
    await bot.idle()
    for _ in range(ROUNDS):
        for user in users:
            act(user, canary, rng)
        await bot.idle()

    # a handler error whose exception message holds a marker
    failing = person(bot, canary, rng, locale="de")
    failing.send_text(f"{FORCE} {canary()}")
    await bot.idle()
    assert APOLOGY in failing.received[-1].text

    # a handoff with relay both ways
    contact = person(bot, canary, rng, contact=True, locale="de")
    invitation = await bot.runtime.handoff.invite("Ansprechperson", ["DE"], ["all"])
    contact.send_text(f"/registrieren {invitation}")
    await bot.idle()
    assert "registriert" in contact.received[-1].text
    root, path = await find_consent(shipped)
    asker = person(bot, canary, rng, locale="de")
    await walk_to_consent(bot, asker, path, root)
    consent = newest_question(asker)
    assert consent is not None
    asker.press(consent, consent.labels[0])
    await bot.idle()
    notice = newest_question(contact)
    assert notice is not None
    assert "Neuer Fall" in notice.text
    contact.press(notice, notice.labels[0])  # Übernehmen
    await bot.idle()
    relayed = [f"Er wartet vor dem Rathaus, {canary()}", f"<b>{canary()}</b> & _*["]
    for text in relayed:
        asker.send_text(text)
        await bot.idle()
        assert text in contact.received[-1].text
    answer = f"Ich rufe Sie gleich an, {canary()}"
    contact.send_text(answer)
    await bot.idle()
    assert answer in asker.received[-1].text
    asker.send_text("/loeschen")
    await bot.idle()
    assert "zurückgezogen" in contact.received[-1].text
    # what each side saw of the other: nothing
    seen_by_contact = "\n".join(m.text for m in contact.received)
    for private in (asker.info["first_name"], asker.info["username"], str(asker.id)):
        assert private not in seen_by_contact

    assert bot.account.flood_errors == []
    await bot.channel.stop()
    log = debug_log.text()
    assert "telegram.update_failed" in log
    assert "error=ValueError" in log
    hits = canary.scanner.scan([tmp_path])
    assert hits == [], report(hits)
    print(f"telegram canaries: {canary.count} markers, {len(canary.scanner.needles)} user ids")


async def test_a_message_of_the_maximum_length_is_relayed_whole(bot: Bot, shipped: Content):
    """The relay adds the case code, so Telegram's longest message arrives in two parts."""
    canary = Canaries()
    rng = random.Random(5)
    contact = person(bot, canary, rng, contact=True, locale="de")
    invitation = await bot.runtime.handoff.invite("Ansprechperson", ["DE"], ["all"])
    contact.send_text(f"/registrieren {invitation}")
    await bot.idle()
    root, path = await find_consent(shipped)
    asker = person(bot, canary, rng, locale="de")
    await walk_to_consent(bot, asker, path, root)
    consent = newest_question(asker)
    assert consent is not None
    asker.press(consent, consent.labels[0])
    await bot.idle()
    notice = newest_question(contact)
    assert notice is not None
    contact.press(notice, notice.labels[0])
    await bot.idle()
    before = len(contact.received)
    longest = "Ä" * 4096
    asker.send_text(longest)
    await bot.idle()
    parts = [m.text for m in contact.received[before:]]
    assert len(parts) == 2
    assert longest in "".join(parts)
