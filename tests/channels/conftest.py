"""Fixtures for the Telegram channel tests: the Bot API emulator, a fake handler, a channel."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.engine.actions import Action, Ask, Option, Say, Stale
from bot.engine.events import Choose, Command, Event, Start, Text, Unsupported
from bot.runtime_api import Incoming, Sender
from bot.transports.telegram import FloodLimiter, TelegramChannel, TelegramSettings, Translations
from testbed.telegram_emulator import EmulatedBot, RateLimits, TelegramEmulator, fake_token

STALE = "Diese Schaltfläche ist nicht mehr gültig."
QUESTION = "Worum geht es?"
LABELS = ("Bedrohung", "Etwas anderes")


@dataclass
class _Conversation:
    turn: int = 0


@dataclass
class ScriptedHandler:
    """A stand-in for the runtime: a two-button question, asked again after every answer.

    ``script`` may answer an event instead (return None to fall back to the default);
    ``fail`` makes the next ``handle`` raise.
    """

    events: list[tuple[Sender, Event]] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    script: Callable[[Sender, Event], tuple[Action, ...] | None] | None = None
    fail: bool = False
    flooding: set[str] = field(default_factory=set)  # user ids the flood limit would refuse
    _conversations: dict[str, _Conversation] = field(default_factory=dict)

    channels: dict[str, Any] = field(default_factory=dict)

    def register_channel(self, platform: str, deliver: Any) -> None:
        self.channels[platform] = deliver

    async def handle(self, incoming: Incoming) -> tuple[Action, ...]:
        """Like the runtime: a redelivered event id is dropped (its id is remembered only for
        senders the flood limit lets through)."""
        sender, event = incoming.sender, incoming.event
        if incoming.event_id is not None and sender.user_id not in self.flooding:
            key = f"{sender.platform}:{incoming.event_id}"
            fresh = key not in self.seen
            self.seen.append(key)
            if not fresh:
                return ()
        self.events.append((sender, event))
        if self.fail:
            self.fail = False
            raise RuntimeError("handler failed")
        if self.script is not None:
            scripted = self.script(sender, event)
            if scripted is not None:
                return scripted
        conversation = self._conversations.setdefault(sender.user_id, _Conversation())
        return self._answer(conversation, event)

    def _ask(self, conversation: _Conversation) -> Ask:
        conversation.turn += 1
        options = tuple(Option(i, label) for i, label in enumerate(LABELS))
        return Ask(QUESTION, options, conversation.turn)

    def _answer(self, conversation: _Conversation, event: Event) -> tuple[Action, ...]:
        match event:
            case Start(payload=payload):
                return (Say(f"Willkommen ({payload or 'menu'})"), self._ask(conversation))
            case Choose(turn=turn, index=index):
                if turn != conversation.turn or not 0 <= index < len(LABELS):
                    return (Stale(STALE),)
                return (Say(f"Gewählt: {LABELS[index]}"), self._ask(conversation))
            case Text(text=text):
                return (Say(f"Text mit {len(text)} Zeichen"),)
            case Command(name=name):
                return (Say(f"Befehl {name}"),)
            case Unsupported(kind=kind):
                return (Say(f"Das kann ich nicht öffnen ({kind})."),)
        raise AssertionError(event)

    def of(self, user_id: int) -> list[Event]:
        """The events one user caused, in order."""
        return [event for sender, event in self.events if sender.user_id == str(user_id)]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The channel protects logging process-wide; undo that after each test."""
    factory = logging.getLogRecordFactory()
    names = ("", "httpx", "httpcore", "telegram", "telegram.ext")
    levels = {name: logging.getLogger(name).level for name in names}
    handlers = list(logging.getLogger().handlers)
    yield
    logging.setLogRecordFactory(factory)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    for handler in logging.getLogger().handlers:
        if handler not in handlers:
            logging.getLogger().removeHandler(handler)


@pytest.fixture
def telegram_limits() -> RateLimits:
    """The emulator's flood limits (Telegram-like by default); override in a test module."""
    return RateLimits()


@pytest.fixture
async def telegram_emulator(telegram_limits: RateLimits) -> AsyncIterator[TelegramEmulator]:
    """A Bot API emulator on 127.0.0.1, stopped after the test."""
    async with TelegramEmulator(telegram_limits) as emulator:
        yield emulator


@pytest.fixture
def telegram_token() -> str:
    """A fresh fake bot token."""
    return fake_token()


@pytest.fixture
def telegram_bot(telegram_emulator: TelegramEmulator, telegram_token: str) -> EmulatedBot:
    """The bot account on the emulator."""
    return telegram_emulator.add_bot(telegram_token)


@pytest.fixture
def scripted_handler() -> ScriptedHandler:
    """A fake runtime."""
    return ScriptedHandler()


StartChannel = Callable[..., Awaitable[TelegramChannel]]


@pytest.fixture
async def start_channel(
    telegram_emulator: TelegramEmulator, telegram_token: str
) -> AsyncIterator[StartChannel]:
    """Start a real TelegramChannel against the emulator; every one is stopped after the test."""
    channels: list[TelegramChannel] = []

    async def start(
        handler: Any,
        translations: Translations | None = None,
        limiter: FloodLimiter | None = None,
        **overrides: Any,
    ) -> TelegramChannel:
        settings = TelegramSettings(
            token=telegram_token, api_url=telegram_emulator.base_url, **overrides
        )
        channel = TelegramChannel(settings, handler, translations, limiter)
        await channel.start()
        channels.append(channel)
        return channel

    yield start
    for channel in reversed(channels):
        await channel.stop()
