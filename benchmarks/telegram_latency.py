"""Reply latency of the Beistand Telegram channel against a bare python-telegram-bot echo bot.

A Bot API emulator (``testbed/telegram_emulator.py``) serves on 127.0.0.1 in this process,
which also plays the users and measures. The two bots run each in its own child process, as in
production, and long-poll the emulator at the same time; their rounds alternate, so that noise on
the machine hits both alike. A round is one simulated user acting once; its latency runs from the
moment the update is queued at the emulator to the moment the bot's first ``sendMessage`` for that
chat arrives there.

Beistand runs as ``beistand run`` would: the real runtime, the shipped flows, an SQLite store in a
temporary directory, default flood limits. It answers with several messages, so rounds are paced
(``--interval``) and spread over many users to stay below Telegram's limits, as real traffic
does; faster rounds measure the flood limiter instead. Two measurements: a typed text (against
the echo bot's echo) and a button tap (the answer to the tap, removing the keyboard and the next
message).

Run: ``.venv/bin/python benchmarks/telegram_latency.py [--rounds N] [--interval S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import prepare_libraries  # noqa: E402
from bot.content import ContentPaths, require_content  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402
from bot.transports.telegram import TelegramChannel, TelegramSettings  # noqa: E402
from testbed.telegram_emulator import (  # noqa: E402
    EmulatedBot,
    SimUser,
    TelegramEmulator,
    fake_token,
)

USERS = 40
GOAL = 1.2
prepare_libraries()  # as `beistand` does at its start (PTB_TIMEDELTA)


@dataclass
class Subject:
    """One bot under measurement, its users (taken in turn) and what a user does in a round."""

    name: str
    bot: EmulatedBot
    users: list[SimUser]
    act: Callable[[SimUser], object]
    latencies: list[float] = field(default_factory=list)
    sent: int = 0

    async def round(self, emulator: TelegramEmulator, number: int) -> None:
        """Act once as the next user and record the latency of the first reply (ms)."""
        user = self.users[number % len(self.users)]
        start = len(self.bot.calls)
        began = time.monotonic()
        self.act(user)
        arrived = await emulator.wait_until(lambda: first_send(self.bot, user.id, start))
        self.latencies.append((arrived - began) * 1000)
        await emulator.wait_until(lambda: not self.bot.updates)
        await asyncio.sleep(0.02)  # let the rest of the reply go out before the other bot's turn
        self.sent += len([c for c in self.bot.calls[start:] if c.method == "sendMessage"])


def first_send(bot: EmulatedBot, chat_id: int, start: int) -> float | None:
    """When the first message for a chat reached the emulator, among calls from ``start`` on."""
    for call in bot.calls[start:]:
        if call.method == "sendMessage" and call.params.get("chat_id") == chat_id:
            return call.at
    return None


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def alternate(
    emulator: TelegramEmulator, subjects: list[Subject], rounds: int, interval: float
) -> None:
    """``rounds`` rounds of each subject, alternating, one every ``interval`` seconds."""
    for number in range(rounds):
        began = time.monotonic()
        for subject in subjects:
            await subject.round(emulator, number)
        await asyncio.sleep(max(0.0, began + interval - time.monotonic()))


# ------------------------------------------------------------- the bots, in child processes

READY = "READY"


async def until_terminated() -> None:
    """Report readiness on stdout, then serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(READY, flush=True)
    await stop.wait()


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


async def serve_echo(api: str, token: str) -> None:
    """A bare python-telegram-bot echo bot, long polling like the Beistand channel."""
    app: Application[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        try:
            await until_terminated()
        finally:
            await app.updater.stop()
            await app.stop()


async def serve_beistand(api: str, token: str) -> None:
    """The Beistand channel with the real runtime, content and store."""
    content = require_content(ContentPaths())
    with tempfile.TemporaryDirectory() as work:
        async with SqliteStore(Path(work) / "bench.db") as store:
            runtime = Runtime(content, store, b"benchmark-secret-0123456789abcdef")
            settings = TelegramSettings(token=token, api_url=api)
            async with TelegramChannel(settings, runtime, content.catalogs.translator):
                await until_terminated()


@asynccontextmanager
async def child(role: str, api: str, token: str) -> AsyncIterator[None]:
    """Run a bot in a child process (the token in its environment, not on its command line)."""
    env = {**os.environ, "BENCH_API": api, "BENCH_TOKEN": token}
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", role, stdout=asyncio.subprocess.PIPE, env=env
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(60):
            while (line := await process.stdout.readline()) and line.decode().strip() != READY:
                pass
        if process.returncode is not None:
            raise RuntimeError(f"the {role} bot did not start")
        yield
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()


def type_text(user: SimUser) -> None:
    """A round: the user types a short text."""
    user.send_text("hallo")


def tap_last_answer(user: SimUser) -> None:
    """A round: the user taps the last answer of the newest question."""
    question = next(m for m in reversed(user.received) if m.keyboard)
    user.press(question, question.labels[-1])


# --------------------------------------------------------------------------------- reporting


def report(subject: Subject, warmup: int) -> float:
    """Print the figures of one subject; returns the median (ms)."""
    values = subject.latencies[warmup:]
    median, p95 = statistics.median(values), percentile(values, 0.95)
    per_round = subject.sent / max(1, len(subject.latencies))
    print(
        f"{subject.name:<24} n={len(values):<4} median {median:6.1f} ms   p95 {p95:6.1f} ms"
        f"   ({per_round:.1f} messages per round)"
    )
    return median


async def main(rounds: int, interval: float, warmup: int) -> int:
    """Measure, print the figures; the exit status is 0 if the typed-text ratio meets the goal."""
    logging.basicConfig(level=logging.WARNING)
    total = rounds + warmup
    echo_token, beistand_token = fake_token(), fake_token()
    async with TelegramEmulator() as emulator:
        echo = emulator.add_bot(echo_token, "echo_bot", "Echo")
        beistand = emulator.add_bot(beistand_token)
        async with (
            child("echo", emulator.base_url, echo_token),
            child("beistand", emulator.base_url, beistand_token),
        ):
            users = [emulator.user(beistand) for _ in range(USERS)]
            for user in users:  # every user stands at the first question before measuring
                user.send_text("/start")
                await emulator.wait_until(lambda u=user: any(m.keyboard for m in u.received), 30)
            echoes = [emulator.user(echo) for _ in range(USERS)]
            echo_typed = Subject("echo bot, typed text", echo, echoes, type_text)
            typed = Subject("Beistand, typed text", beistand, users, type_text)
            await alternate(emulator, [echo_typed, typed], total, interval)
            echo_tap = Subject("echo bot, typed text", echo, echoes, type_text)
            tapped = Subject("Beistand, button tap", beistand, users, tap_last_answer)
            await alternate(emulator, [echo_tap, tapped], total, interval)

    print(f"Telegram reply latency through the emulator ({rounds} rounds each, {warmup} warm-up)")
    base = report(echo_typed, warmup)
    ratio_typed = report(typed, warmup) / base
    base = report(echo_tap, warmup)
    ratio_tap = report(tapped, warmup) / base
    print(f"ratio typed text / echo: {ratio_typed:.2f}   button tap / echo: {ratio_tap:.2f}")
    print(f"goal: typed text under {GOAL}: {'met' if ratio_typed < GOAL else 'NOT met'}")
    return 0 if ratio_typed < GOAL else 1


def serve(role: str) -> None:
    """The child process: run one bot until terminated."""
    logging.basicConfig(level=logging.WARNING)
    api, token = os.environ["BENCH_API"], os.environ["BENCH_TOKEN"]
    asyncio.run(serve_echo(api, token) if role == "echo" else serve_beistand(api, token))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="measured rounds per bot")
    parser.add_argument("--warmup", type=int, default=20, help="rounds not counted")
    parser.add_argument(
        "--interval", type=float, default=0.2, help="seconds from one pair of rounds to the next"
    )
    parser.add_argument("--serve", choices=("echo", "beistand"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
    else:
        raise SystemExit(asyncio.run(main(args.rounds, args.interval, args.warmup)))
