"""A handoff with both people on Telegram: the user consents, the contact person is notified in
their own chat, claims the case with the button, and the two talk through the bot without seeing
each other's account. Fixture content (``tests/fixtures/basic``), the real runtime and store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.content import load_content
from bot.runtime import Runtime
from bot.storage.sqlite import SqliteStore
from bot.transports.telegram import FloodLimiter, TelegramChannel
from testbed.telegram_emulator import (
    EmulatedBot,
    Message,
    RateLimits,
    SimUser,
    TelegramEmulator,
)
from tests.conftest import basic_paths

pytestmark = pytest.mark.channel

SECRET = b"telegram-handoff-secret-0123456789"


@pytest.fixture
def telegram_limits() -> RateLimits:
    """The handoff is about routing, not flood limits: generous limits keep the test quick."""
    return RateLimits(per_chat_rate=100, per_chat_burst=100, overall_rate=100, overall_burst=100)


@dataclass
class World:
    emulator: TelegramEmulator
    account: EmulatedBot
    channel: TelegramChannel
    runtime: Runtime

    async def idle(self) -> None:
        """Every update handled and every due notification delivered."""
        await self.emulator.wait_until(lambda: not self.account.updates, 10)
        await asyncio.wait_for(self.channel.application.update_queue.join(), 10)
        await self.runtime.handoff.escalate_due()
        await self.runtime.handoff.deliver_due()


@pytest.fixture
async def world(telegram_emulator, telegram_bot, start_channel, tmp_path) -> AsyncIterator[World]:
    content, problems = load_content(basic_paths())
    assert content is not None, problems
    async with SqliteStore(tmp_path / "handoff.db") as store:
        runtime = Runtime(content, store, SECRET, rate_limit=1000)
        channel = await start_channel(
            runtime,
            translations=content.catalogs.translator,
            limiter=FloodLimiter(chat_rate=100, chat_burst=100, overall_rate=100),
        )
        yield World(telegram_emulator, telegram_bot, channel, runtime)
        await channel.stop()


def newest_question(user: SimUser) -> Message:
    return next(m for m in reversed(user.received) if m.keyboard)


async def tap(world: World, user: SimUser, label: str) -> list[Message]:
    seen = len(user.received)
    question = next(m for m in reversed(user.received) if label in user.current(m).labels)
    user.press(question, label)
    await world.idle()
    return user.received[seen:]


async def say(world: World, user: SimUser, text: str) -> list[Message]:
    seen = len(user.received)
    user.send_text(text)
    await world.idle()
    return user.received[seen:]


async def test_handoff_between_two_telegram_users(world: World, telegram_emulator, telegram_bot):
    erika = telegram_emulator.user(telegram_bot, first_name="Erika", username="erika_kontakt")
    max_ = telegram_emulator.user(telegram_bot, first_name="Max", username="max_buerger")
    invitation = await world.runtime.handoff.invite("Erika Beispiel", ["BY"], ["threat"])
    registered = await say(world, erika, f"/registrieren {invitation}")
    assert "registriert" in registered[-1].text

    await say(world, max_, "/start demo")
    await tap(world, max_, "Online")
    if "Bayern" in newest_question(max_).labels:
        await tap(world, max_, "Bayern")
    await tap(world, max_, "Online-Hinweis")
    consent = newest_question(max_)
    assert "Kein Name, kein Text, kein Konto" in consent.text
    opened = await tap(world, max_, "Ja, über diesen Chat weitergeben")
    assert opened

    notice = newest_question(erika)
    assert "Neuer Fall" in notice.text
    assert notice.labels == ("Übernehmen",)
    await tap(world, erika, "Übernehmen")
    assert erika.current(notice).keyboard == ()
    assert any("übernommen" in m.text for m in max_.received[-2:])

    await say(world, max_, "Guten Tag, ich brauche Rat.")
    assert any("Guten Tag, ich brauche Rat." in m.text for m in erika.received[-2:])
    await say(world, erika, "Guten Tag, hier ist Ihre Ansprechperson.")
    assert any("hier ist Ihre Ansprechperson" in m.text for m in max_.received[-2:])

    everything_erika_saw = "\n".join(m.text for m in erika.received)
    everything_max_saw = "\n".join(m.text for m in max_.received)
    for secret in ("Max", "max_buerger", str(max_.id)):
        assert secret not in everything_erika_saw
    for secret in ("Erika", "erika_kontakt", str(erika.id)):
        assert secret not in everything_max_saw
    assert telegram_bot.flood_errors == []
