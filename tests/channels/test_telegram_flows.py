"""The shipped flows over Telegram: the real runtime, store and content behind the real channel.

Every conversation test in ``tests/conversations`` is replayed by a simulated Telegram user:
starts and commands are typed, answers are tapped (``tap``) or typed as numbers (``choose``), and
what the engine promised (texts, answers offered, service cards, stale buttons) must arrive in the
chat. Node names are not visible on Telegram and are not checked here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.content import Content, ContentPaths, require_content
from bot.convtest import DEFAULT_NOW
from bot.engine import intent
from bot.engine.commands import NAMES
from bot.i18n import Translator
from bot.knowledge import BERLIN
from bot.runtime import Runtime
from bot.storage.sqlite import SqliteStore
from bot.transports.telegram import FloodLimiter, TelegramChannel, stale_button
from testbed.telegram_emulator import (
    CallbackAnswer,
    EmulatedBot,
    Message,
    RateLimits,
    SimUser,
    TelegramEmulator,
)
from tests.helpers import FakeClock

pytestmark = pytest.mark.channel

ROOT = Path(__file__).resolve().parents[2]
CONVERSATIONS = ROOT / "tests" / "conversations"
SECRET = b"telegram-e2e-secret-0123456789abcdef"
#: Flow tests are about conversations, not about flood limits (those: test_telegram_channel).
FAST = RateLimits(per_chat_rate=1000, per_chat_burst=1000, overall_rate=1000, overall_burst=1000)


@pytest.fixture(scope="module")
def shipped() -> Content:
    """The flows, knowledge and catalogs in the repository."""
    return require_content(ContentPaths())


@pytest.fixture
def telegram_limits() -> RateLimits:
    return FAST


@dataclass
class Bot:
    """The channel with the real runtime, and a way to wait until it has done everything."""

    emulator: TelegramEmulator
    account: EmulatedBot
    channel: TelegramChannel
    runtime: Runtime
    store: SqliteStore

    async def idle(self, within: float = 10.0) -> None:
        """Every update fetched, confirmed and fully handled (replies sent)."""
        await self.emulator.wait_until(lambda: not self.account.updates, within)
        await asyncio.wait_for(self.channel.application.update_queue.join(), within)


@pytest.fixture
async def make_bot(
    telegram_emulator, telegram_bot, start_channel, shipped, tmp_path
) -> AsyncIterator[Any]:
    stores: list[SqliteStore] = []

    async def make(now: datetime = DEFAULT_NOW) -> Bot:
        store = SqliteStore(tmp_path / "beistand.db")
        await store.open()
        stores.append(store)
        runtime = Runtime(
            shipped, store, SECRET, clock=FakeClock(now.timestamp()), rate_limit=10_000
        )
        channel = await start_channel(
            runtime,
            translations=shipped.catalogs.translator,
            limiter=FloodLimiter(chat_rate=1000, chat_burst=1000, overall_rate=1000),
        )
        return Bot(telegram_emulator, telegram_bot, channel, runtime, store)

    yield make
    for store in stores:
        await store.close()


# ------------------------------------------------------------------------ replaying a step


@dataclass
class Reply:
    """What one user step brought: new messages and answers to button taps."""

    messages: list[Message] = field(default_factory=list)
    answers: list[CallbackAnswer] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts = [m.text for m in self.messages]
        parts += [label for m in self.messages for label in m.labels]
        parts += [a.text or "" for a in self.answers]
        return "\n".join(parts)

    @property
    def labels(self) -> list[str]:
        return [label for m in self.messages for label in m.labels]


def _last_with(user: SimUser, label: str) -> Message:
    wanted = intent.normalize(label)
    for message in reversed(user.received):
        for offered in user.current(message).labels:
            if intent.normalize(offered) == wanted:
                return message
    raise AssertionError(f"no button {label!r} in the chat")


async def act(bot: Bot, user: SimUser, locale: str, kind: str, value: Any) -> Reply:
    """Perform one conversation-test step as the Telegram user; returns what came back."""
    seen, answered = len(user.received), len(user.answers)
    tapped: Message | None = None
    match kind:
        case "start":
            user.send_text(f"/start {value}" if value else "/start")
        case "command":
            name = next(n for n, canon in NAMES[locale].items() if canon == value)
            user.send_text(f"/{name}")
        case "send":
            user.send_text(str(value))
        case "choose":
            user.send_text(str(value))  # typing the number of an answer
        case "media":
            user.send_photo()
        case "tap":
            tapped = _last_with(user, str(value))
            label = next(
                offered
                for offered in tapped.labels
                if intent.normalize(offered) == intent.normalize(str(value))
            )
            user.press(tapped, label)
        case _:
            raise AssertionError(f"unknown step {kind}")
    await bot.idle()
    reply = Reply(user.received[seen:], user.answers[answered:])
    if tapped is not None and not any(a.text for a in reply.answers):
        assert user.current(tapped).keyboard == (), "an accepted tap must remove its keyboard"
    return reply


def _fragments(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def check(reply: Reply, expect: dict[str, Any], names: dict[str, str]) -> list[str]:
    """The expectations of a step that can be seen in a Telegram chat."""
    failures = []
    text = reply.text.casefold()
    for fragment in _fragments(expect.get("says")):
        if fragment.casefold() not in text:
            failures.append(f"missing text {fragment!r}")
    for fragment in _fragments(expect.get("not_says")):
        if fragment.casefold() in text:
            failures.append(f"unwanted text {fragment!r}")
    for label in _fragments(expect.get("options")):
        if label not in reply.labels:
            failures.append(f"missing answer {label!r} in {reply.labels}")
    for service in _fragments(expect.get("services")):
        bold = [b for m in reply.messages for b in m.styled("bold")]
        if names[service] not in bold:
            failures.append(f"missing service card {names[service]!r}")
    if expect.get("stale") and not any(a.text for a in reply.answers):
        failures.append("expected a 'no longer valid' answer to the tap")
    return failures


def _cases() -> list[Any]:
    cases = []
    for path in sorted(CONVERSATIONS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for conversation in data["conversations"]:
            cases.append(
                pytest.param(
                    data.get("locale", "de"),
                    data.get("now"),
                    conversation,
                    id=f"{path.stem}: {conversation['name']}",
                )
            )
    return cases


def _service_names(content: Content, locale: str) -> dict[str, str]:
    t = content.catalogs.translator(locale)
    return {
        sid: t.content_text(f"service/{sid}", svc.name)
        for sid, svc in content.knowledge.services.items()
    }


@pytest.mark.parametrize(("locale", "now", "conversation"), _cases())
async def test_conversation_over_telegram(
    locale, now, conversation, make_bot, telegram_emulator, telegram_bot, shipped
):
    when = DEFAULT_NOW
    if now:
        when = datetime.fromisoformat(str(now))
        when = when if when.tzinfo else when.replace(tzinfo=BERLIN)
    bot = await make_bot(when)
    user = telegram_emulator.user(telegram_bot, language_code=locale)
    names = _service_names(shipped, locale)

    for number, step in enumerate(conversation["steps"], 1):
        kind = next(k for k in step if k != "expect")
        reply = await act(bot, user, locale, kind, step[kind])
        failures = check(reply, step.get("expect") or {}, names)
        assert not failures, f"step {number} ({kind}: {step[kind]}): {failures}"
    assert telegram_bot.flood_errors == []


# ------------------------------------------------------------------- channel-level checks


async def _first_question(bot: Bot, user: SimUser) -> Message:
    user.send_text("/start")
    await bot.idle()
    return next(m for m in reversed(user.received) if m.keyboard)


async def test_typing_the_number_does_what_the_button_does(
    make_bot, telegram_emulator, telegram_bot
):
    bot = await make_bot()
    tapper = telegram_emulator.user(telegram_bot)
    typist = telegram_emulator.user(telegram_bot)

    first = await _first_question(bot, tapper)
    await _first_question(bot, typist)
    before_tap, before_type = len(tapper.received), len(typist.received)
    tapper.press(first, first.labels[0])
    typist.send_text("1")
    await bot.idle()

    tapped = [(m.text, m.labels) for m in tapper.received[before_tap:]]
    typed = [(m.text, m.labels) for m in typist.received[before_type:]]
    assert tapped
    assert typed == tapped


async def test_two_users_at_once_get_the_same_as_alone(make_bot, telegram_emulator, telegram_bot):
    bot = await make_bot()

    async def transcript(user: SimUser, choice: int) -> list:
        question = await _first_question(bot, user)
        user.press(question, question.labels[choice])
        await bot.idle()
        return [(m.text, m.labels) for m in user.received]

    alone_first = await transcript(telegram_emulator.user(telegram_bot), 0)
    alone_second = await transcript(telegram_emulator.user(telegram_bot), 1)
    anna = telegram_emulator.user(telegram_bot, first_name="Anna")
    ben = telegram_emulator.user(telegram_bot, first_name="Ben")
    anna.send_text("/start")
    ben.send_text("/start")
    await bot.idle()
    anna_question = next(m for m in reversed(anna.received) if m.keyboard)
    ben_question = next(m for m in reversed(ben.received) if m.keyboard)
    anna.press(anna_question, anna_question.labels[0])
    ben.press(ben_question, ben_question.labels[1])
    await bot.idle()

    assert alone_first != alone_second
    assert [(m.text, m.labels) for m in anna.received] == alone_first
    assert [(m.text, m.labels) for m in ben.received] == alone_second
    assert await bot.store.conversation_count() == 4


async def test_forged_and_stale_buttons_change_nothing(
    make_bot, telegram_emulator, telegram_bot, shipped
):
    bot = await make_bot()
    user = telegram_emulator.user(telegram_bot)
    old = await _first_question(bot, user)
    user.send_text(f"/{next(n for n, c in NAMES['de'].items() if c == 'restart')}")
    await bot.idle()
    current = next(m for m in reversed(user.received) if m.keyboard)
    count = len(user.received)

    forged = user.press_data(current, json.dumps({"admin": True}))
    await bot.idle()
    stale = user.press(old, old.labels[0])
    await bot.idle()

    german = stale_button(Translator("de"))
    assert (await user.answer_to(forged)).text == german  # refused by the channel
    assert (await user.answer_to(stale)).text == german  # refused by the engine
    assert len(user.received) == count
    assert user.current(old).keyboard == old.keyboard
    assert user.current(current).keyboard == current.keyboard
    assert user.current(current).labels == current.labels
    # the conversation goes on from where it was
    user.press(current, current.labels[0])
    await bot.idle()
    assert len(user.received) > count


async def test_deep_link_opens_the_named_flow(make_bot, telegram_emulator, telegram_bot, shipped):
    bot = await make_bot()
    user = telegram_emulator.user(telegram_bot)
    flow = shipped.flows["bedrohung"]
    first = flow.nodes[flow.start]

    user.send_text("/start bedrohung")
    await bot.idle()

    question = next(m for m in reversed(user.received) if m.keyboard)
    assert first.texts[0] in question.text
    assert [o.label for o in first.options] == list(question.labels[: len(first.options)])


async def test_a_group_join_writes_nothing_and_says_nothing(
    make_bot, telegram_emulator, telegram_bot
):
    bot = await make_bot()
    user = telegram_emulator.user(telegram_bot)

    group = user.add_bot_to_group()
    group.send_text("/start@beistand_test_bot")
    await telegram_emulator.wait_until(lambda: not group.bot_is_member, 5)
    await bot.idle()

    assert group.received == []
    assert telegram_bot.calls_of("sendMessage") == []
    assert await bot.store.conversation_count() == 0


async def test_delete_command_erases_the_conversation(make_bot, telegram_emulator, telegram_bot):
    bot = await make_bot()
    user = telegram_emulator.user(telegram_bot)
    await _first_question(bot, user)
    assert await bot.store.conversation_count() == 1

    user.send_text("/loeschen")
    await bot.idle()

    assert await bot.store.conversation_count() == 0
    assert "/start" in user.received[-1].text
