"""The pieces of the Telegram transport on their own: settings, events, pacing, ordering."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

import pytest
from telegram import Chat, Message, Update, User
from telegram.error import RetryAfter

from bot.config import Settings
from bot.engine.events import Command, Start, Text
from bot.errors import ConfigError
from bot.transports.telegram import (
    FloodLimiter,
    PerChatProcessor,
    TelegramSettings,
    _chunks,
    _Pace,
    _text_event,
    protect_logs,
)
from tests.channels.conftest import fake_token

TOKEN = fake_token()
SECRET = "A" * 32


# ---------------------------------------------------------------------------------- settings


def telegram_settings(env: dict[str, str]) -> TelegramSettings | None:
    return TelegramSettings.from_settings(Settings.from_env(env))


def test_settings_from_the_environment():
    assert telegram_settings({}) is None
    settings = telegram_settings(
        {
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_API_URL": "http://127.0.0.1:8081/",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_WEBHOOK_PORT": "9000",
        }
    )
    assert settings is not None
    assert settings.api_url == "http://127.0.0.1:8081"
    assert settings.webhook
    assert settings.webhook_path == "/tg"
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 9000)
    assert TOKEN not in repr(settings)
    assert SECRET not in repr(settings)
    polling = telegram_settings({"TELEGRAM_TOKEN": TOKEN})
    assert polling is not None
    assert (polling.api_url, polling.webhook) == (None, False)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TELEGRAM_TOKEN": "not-a-token"}, "does not look like a bot token"),
        ({"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_URL": "https://x/h"}, "SECRET is required"),
        (
            {
                "TELEGRAM_TOKEN": TOKEN,
                "TELEGRAM_WEBHOOK_URL": "https://x/h",
                "TELEGRAM_WEBHOOK_SECRET": "kurz",
            },
            "16 to 256",
        ),
        (
            {
                "TELEGRAM_TOKEN": TOKEN,
                "TELEGRAM_WEBHOOK_URL": "ftp://x/h",
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
            },
            r"http\(s\) URL",
        ),
    ],
)
def test_unusable_settings_are_refused_without_echoing_the_token(env, message):
    with pytest.raises(ConfigError, match=message) as caught:
        telegram_settings(env)
    assert TOKEN not in str(caught.value)


def test_long_texts_are_cut_at_line_ends_within_the_limit():
    text = "".join(f"Zeile {i} 😀\n" for i in range(1000))
    pieces = _chunks(text, 4096)
    assert "".join(pieces) == text
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in pieces)
    assert all(p.endswith("\n") for p in pieces)
    one_line = "😀" * 5000  # 10000 UTF-16 units, no line end
    pieces = _chunks(one_line, 4096)
    assert "".join(pieces) == one_line
    assert [len(p.encode("utf-16-le")) // 2 for p in pieces] == [4096, 4096, 1808]


# ------------------------------------------------------------------------------------ events


@pytest.mark.parametrize(
    ("text", "event"),
    [
        ("/start", Start(None)),
        ("/start bedrohung", Start("bedrohung")),
        ("/start@beistand_bot menu", Start("menu")),
        ("/start ../../etc", Start(None)),
        ("/start " + "a" * 65, Start(None)),
        ("/notfall", Command("emergency")),
        ("/sprache en", Command("language", "en")),
        ("/gibtsnicht", Text("/gibtsnicht")),
        ("Hilfe!", Text("Hilfe!")),
    ],
)
def test_texts_become_events(text, event):
    assert _text_event(text) == event


# ------------------------------------------------------------------------------- flood limits


def test_pace_allows_a_burst_then_one_per_interval():
    pace = _Pace(rate=1.0, burst=5)
    waits = [pace.reserve(100.0) for _ in range(7)]
    assert waits == [0, 0, 0, 0, 0, 1.0, 2.0]
    assert pace.reserve(110.0) == 0  # the budget refilled meanwhile


def test_default_limits_match_telegram():
    limiter = FloodLimiter()
    waits = [limiter._reserve(123) for _ in range(7)]
    assert waits[:5] == [0] * 5
    assert waits[5] == pytest.approx(1.0, abs=0.05)  # about one message a second per chat
    many = FloodLimiter()
    overall = [many._reserve(chat) for chat in range(1, 41)]
    assert overall[:20] == [0] * 20
    assert overall[-1] == pytest.approx(20 / 30, abs=0.05)  # 30 a second in total
    group = FloodLimiter()
    assert [group._reserve(-100) for _ in range(11)][-1] == pytest.approx(3.0, abs=0.05)


@pytest.fixture
def _timedelta_durations(monkeypatch):
    """What the channel sets up: python-telegram-bot's durations as timedelta (no warning)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.mark.usefixtures("_timedelta_durations")
async def test_a_retry_after_pauses_the_chat_and_repeats_the_call():
    limiter = FloodLimiter(max_retries=2)
    attempts: list[float] = []

    async def call() -> bool:
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RetryAfter(timedelta(seconds=0.2))
        return True

    result = await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert result is True
    assert len(attempts) == 2
    assert attempts[1] - attempts[0] >= 0.2


@pytest.mark.usefixtures("_timedelta_durations")
async def test_retries_are_bounded():
    limiter = FloodLimiter(max_retries=1)

    async def call() -> bool:
        raise RetryAfter(timedelta(seconds=0.01))

    with pytest.raises(RetryAfter):
        await limiter.process_request(call, (), {}, "answerCallbackQuery", {}, None)


# ------------------------------------------------------------------------------------ order


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "private")
    user = User(chat_id, "X", False)
    message = Message(update_id, None, chat, from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_updates_of_one_chat_run_in_order_and_chats_in_parallel():
    processor = PerChatProcessor()
    log: list[str] = []

    async def work(name: str, delay: float) -> None:
        log.append(f"{name}+")
        await asyncio.sleep(delay)
        log.append(f"{name}-")

    await asyncio.gather(
        processor.process_update(_update(1, 7), work("a1", 0.05)),
        processor.process_update(_update(2, 7), work("a2", 0.0)),
        processor.process_update(_update(3, 8), work("b1", 0.0)),
    )
    assert log.index("a1-") < log.index("a2+")  # same chat: one after another
    assert log.index("b1-") < log.index("a1-")  # another chat did not wait
    assert processor._locks._locks == {}  # nothing kept once idle


# --------------------------------------------------------------------------------- logging


def test_protect_logs_redacts_tokens_on_every_handler_and_quiets_http(caplog):
    token = fake_token()
    late = logging.getLogger("beistand.test.late")
    protect_logs(token)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").debug("GET https://api.telegram.org/bot%s/getMe", token)
    late.warning("url %s", f"/bot{token}/getUpdates")
    late.warning("bare %s", token.split(":")[1])
    try:
        raise ValueError(f"boom {token}")
    except ValueError:
        late.exception("failed")

    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert token not in text
    assert token.split(":")[1] not in text
    assert "[redacted]" in text
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
    assert logging.getLogger("telegram").getEffectiveLevel() >= logging.INFO
    assert "GET https" not in text
