"""The pieces of the Telegram transport on their own: settings, events, pacing, ordering."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from datetime import timedelta

import pytest
from telegram import Chat, Message, Update, User
from telegram.error import RetryAfter

from bot.config import Settings
from bot.engine.events import Command, Start, Text
from bot.engine.typed import parse_typed
from bot.errors import ConfigError
from bot.transports.telegram import (
    FloodLimiter,
    PerChatProcessor,
    ScreenedUpdates,
    TelegramSettings,
    build_application,
    chunks,
    protect_logs,
)
from testbed.telegram_emulator import fake_token

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
    pieces = chunks(text, 4096)
    assert "".join(pieces) == text
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in pieces)
    assert all(p.endswith("\n") for p in pieces)
    one_line = "😀" * 5000  # 10000 UTF-16 units, no line end
    pieces = chunks(one_line, 4096)
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
    assert parse_typed(text) == event


# ------------------------------------------------------------------------------- flood limits


async def test_default_limits_match_telegram():
    async def burst(limiter: FloodLimiter, chats: list[int]) -> None:
        for chat in chats:  # a burst goes out at once
            await asyncio.wait_for(limiter.gate.acquire(chat), 0.05)

    limiter = FloodLimiter()
    await burst(limiter, [123] * 5)
    now = time.monotonic()
    assert limiter._pace_for(123, now).wait(now) == pytest.approx(1.0, abs=0.05)  # then 1/s
    many = FloodLimiter()
    await burst(many, list(range(1, 21)))
    now = time.monotonic()
    assert many.gate.overall.wait(now) == pytest.approx(1 / 30, abs=0.01)  # 30 a second in total
    group = FloodLimiter()
    await burst(group, [-100] * 10)
    now = time.monotonic()
    assert group._pace_for(-100, now).wait(now) == pytest.approx(3.0, abs=0.05)  # 20 a minute


def test_the_processor_counts_what_the_limiter_orders_by():
    settings = TelegramSettings(token=fake_token(), api_url="http://127.0.0.1:9")
    limiter = FloodLimiter()
    app = build_application(settings, limiter)
    processor = app.update_processor
    assert isinstance(processor, PerChatProcessor)
    assert processor.activity is limiter.activity


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
    assert len(processor.queue) == 0  # nothing kept once idle


async def test_updates_waiting_for_their_chat_hold_no_slot_and_a_flood_is_cut():
    processor = PerChatProcessor(max_concurrent_updates=2, per_chat=4)
    release = asyncio.Event()
    ran: list[str] = []

    async def blocked(name: str) -> None:
        ran.append(name)
        await release.wait()

    async def quick(name: str) -> None:
        ran.append(name)

    tasks = [asyncio.create_task(processor.process_update(_update(1, 7), blocked("a1")))]
    tasks += [
        asyncio.create_task(processor.process_update(_update(n, 7), quick(f"a{n}")))
        for n in range(2, 7)
    ]
    await asyncio.sleep(0.01)
    # chat 7 has one update running and three waiting; the two beyond four were dropped unrun
    await asyncio.wait_for(processor.process_update(_update(9, 8), quick("b")), 0.5)
    assert ran == ["a1", "b"]
    release.set()
    await asyncio.gather(*tasks)
    assert ran == ["a1", "b", "a2", "a3", "a4"]
    assert processor.activity.score(7) == pytest.approx(6, abs=0.01)
    assert len(processor.queue) == 0


def _raw(update_id: int, chat_id: int, kind: str = "private", tap: bool = False) -> dict:
    message = {"message_id": update_id, "chat": {"id": chat_id, "type": kind}, "text": "x"}
    if tap:
        return {"update_id": update_id, "callback_query": {"id": "q", "message": message}}
    return {"update_id": update_id, "message": message}


async def test_a_flood_is_cut_before_its_updates_are_parsed():
    processor = PerChatProcessor(per_chat=4)
    flood = [_raw(n, 7, tap=n % 2 == 0) for n in range(1, 7)]
    others = [_raw(10, 8), _raw(11, -100, "group"), {"update_id": 12}, "odd"]
    batch = flood + others + [_raw(13, 7)]
    kept = processor.screen(batch)
    assert kept == flood[:4] + others + [batch[-1]]  # the last stays: polling confirms by it
    assert processor.screen(batch[4:6], keep_last=False) == batch[4:6]  # nothing in hand yet
    assert processor.activity.score(7) == pytest.approx(2, abs=0.01)  # the dropped were counted
    release = asyncio.Event()
    turns = [processor.queue.submit(7, release.wait) for _ in range(4)]  # four in hand
    held = [asyncio.create_task(turn) for turn in turns if turn is not None]
    assert processor.screen([_raw(20, 7)], keep_last=False) == []
    release.set()
    await asyncio.gather(*held)


def test_polling_screens_what_it_fetched_before_parsing():
    request = ScreenedUpdates(lambda raw: raw[:1])
    payload = json.dumps({"ok": True, "result": [_raw(1, 7), _raw(2, 7)]}).encode()
    assert request.parse_json_payload(payload) == {"ok": True, "result": [_raw(1, 7)]}
    app = build_application(TelegramSettings(token=fake_token()), FloodLimiter())
    assert isinstance(app.bot._request[0], ScreenedUpdates)  # the getUpdates connection


def test_both_connections_share_one_verifying_tls_context():
    """One CA bundle load per process instead of one per connection; still verified."""
    app = build_application(TelegramSettings(token=fake_token()), FloodLimiter())
    contexts = [request._client_kwargs["verify"] for request in app.bot._request]
    assert len(contexts) == 2 and contexts[0] is contexts[1]
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname
    assert contexts[0].cert_store_stats()["x509_ca"] > 0  # the CA bundle is loaded


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
