"""Telegram reply latency of Beistand against a bare echo bot and a python-telegram-bot peer.

Three bots run side by side, each in its own child process as in production, long polling the
Bot API emulator (``testbed/telegram_emulator.py``) that serves on 127.0.0.1 in this process:

* ``echo``: a bare python-telegram-bot bot that echoes every text with one button under it and
  answers a tap by answering the query and sending the button's data;
* ``peer``: a python-telegram-bot ``ConversationHandler`` with ``PicklePersistence`` and a
  comparable three-step conversation (a welcome and a question with buttons, a typed answer that
  is checked against the buttons and leads to the next question, a tap that is answered, shown as
  chosen in the question (the keyboard removed, one edit) and leads to the next question);
* ``beistand``: the real channel (:class:`bot.transports.telegram.TelegramChannel`) with the
  real runtime, the shipped content, an SQLite store and the default flood limits, as
  ``beistand run`` builds them.

A round is one fresh user doing three steps with each bot: ``/start``, typing the first answer
of the question it got, tapping the first button of the next question. Rounds alternate between
the bots (the order rotates), so noise on the machine hits all alike. A step's latency runs from
the moment its update is queued at the emulator to the last message the user sees for it (a
``sendMessage`` or an edit; the answer to the tap, which only stops the button's spinner, does
not count). Between steps the benchmark waits until the bot has been quiet for a moment and
counts the Bot API calls the step made (``getUpdates`` not counted). Rounds are paced so that
Beistand stays below Telegram's overall limit of 30 messages per second.

Run: ``PYTHONPATH=$PWD .venv/bin/python benchmarks/telegram_ratio.py [--rounds 300] [--runs 3]``.
Each run starts fresh bots; the figures of every run and the min / median / max over the runs are
printed.
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
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testbed.telegram_emulator import (  # noqa: E402
    EmulatedBot,
    Message,
    SimUser,
    TelegramEmulator,
    fake_token,
)

BOTS = ("echo", "peer", "beistand")
STUB = "stub"  # with --stub: Beistand's channel with a runtime that answers at once
STEPS = ("start", "typed", "tap")
VISIBLE = frozenset({"sendmessage", "editmessagetext", "editmessagereplymarkup"})
QUIET = 0.04  # seconds without a call after which a step counts as finished
ROUND_PERIOD = 0.45  # seconds per round of all bots at least: Beistand under 30 calls/s
READY = "READY"
#: which button the third step taps: Beistand's second question is "in danger right now?", whose
#: first answer ends the conversation at 110; "no" goes on to the next question, like the peers
TAPS = {"beistand": 1}
TARGET_ECHO, TARGET_PEER = 1.15, 1.10


@dataclass
class Figures:
    """One bot's measurements: per step, the latencies (ms) and the API calls made."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    calls: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in STEPS})
    methods: dict[str, dict[str, int]] = field(default_factory=lambda: {s: {} for s in STEPS})


async def quiet(emulator: TelegramEmulator, bot: EmulatedBot, started: int) -> None:
    """Wait until the bot took its update and made no call for :data:`QUIET` seconds."""
    while True:
        await emulator.wait_until(lambda: not bot.updates, 10)
        last = max((c.at for c in bot.calls[started:] if c.method != "getUpdates"), default=0.0)
        idle = time.monotonic() - last
        if idle >= QUIET and not bot.updates:
            return
        await asyncio.sleep(QUIET - idle if idle < QUIET else QUIET)


async def one_step(
    emulator: TelegramEmulator, bot: EmulatedBot, user: SimUser, figures: Figures, name: str, act
) -> None:
    """Do one step, wait for the reply, record latency and calls."""
    started = len(bot.calls)
    seen = len(user.log)
    began = time.monotonic()
    act()
    # every step of every bot ends with a new question (a message with buttons)
    await emulator.wait_until(
        lambda: any(d.kind == "new" and d.message.keyboard for d in user.log[seen:]), 10
    )
    await quiet(emulator, bot, started)
    calls = [c for c in bot.calls[started:] if c.method != "getUpdates"]
    visible = [c.at for c in calls if c.method.lower() in VISIBLE]
    figures.latencies[name].append((max(visible) - began) * 1000)
    figures.calls[name].append(len(calls))
    for call in calls:
        figures.methods[name][call.method] = figures.methods[name].get(call.method, 0) + 1


def newest_question(user: SimUser) -> Message:
    """The newest message with buttons, as the user sees it now."""
    return next(user.current(m) for m in reversed(user.received) if user.current(m).keyboard)


async def a_round(
    emulator: TelegramEmulator, bot: EmulatedBot, figures: Figures, tap: int = 0
) -> None:
    """A fresh user: /start, typing the first answer, tapping button ``tap`` of the next one."""
    user = emulator.user(bot)
    await one_step(emulator, bot, user, figures, "start", lambda: user.send_text("/start"))
    first = newest_question(user)
    await one_step(emulator, bot, user, figures, "typed", lambda: user.send_text(first.labels[0]))
    second = newest_question(user)
    await one_step(
        emulator, bot, user, figures, "tap", lambda: user.press(second, second.labels[tap])
    )


# ------------------------------------------------------------- the bots, in child processes


async def until_terminated() -> None:
    """Report readiness on stdout, then serve until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(READY, flush=True)
    await stop.wait()


def _builder(api: str, token: str) -> Any:
    from telegram.ext import ApplicationBuilder

    return ApplicationBuilder().token(token).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")


async def _poll(app: Any) -> None:
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0)
        try:
            await until_terminated()
        finally:
            await app.updater.stop()
            await app.stop()


async def serve_echo(api: str, token: str) -> None:
    """A bare python-telegram-bot echo bot: every text back with one button; a tap answered."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.ext import CallbackQueryHandler, MessageHandler, filters

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Echo", callback_data="echo")]])

    async def echo(update: Any, context: Any) -> None:
        await update.message.reply_text(update.message.text, reply_markup=markup)

    async def tapped(update: Any, context: Any) -> None:
        query = update.callback_query
        await query.answer()
        await query.message.reply_text(query.data, reply_markup=markup)

    app = _builder(api, token).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(tapped))
    await _poll(app)


TOPICS = ("Bedrohung", "Beleidigung im Netz", "Etwas anderes")
PLACES = ("Zu Hause", "Im Amt", "Online")


async def serve_peer(api: str, token: str, work: str) -> None:
    """A python-telegram-bot ConversationHandler with PicklePersistence, three steps."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.constants import ParseMode
    from telegram.ext import (
        CallbackQueryHandler,
        CommandHandler,
        ConversationHandler,
        MessageHandler,
        PicklePersistence,
        filters,
    )

    topic, place, done = range(3)

    def buttons(labels: tuple[str, ...], prefix: str) -> InlineKeyboardMarkup:
        rows = [
            [InlineKeyboardButton(t, callback_data=f"{prefix}{i}")] for i, t in enumerate(labels)
        ]
        return InlineKeyboardMarkup(rows)

    async def start(update: Any, context: Any) -> int:
        context.user_data.clear()
        await update.message.reply_text(
            "Willkommen. Ich helfe Ihnen, die richtige Stelle zu finden.\n\nWorum geht es?",
            reply_markup=buttons(TOPICS, "t"),
        )
        return topic

    async def typed_topic(update: Any, context: Any) -> int:
        text = update.message.text.strip()
        if text not in TOPICS:
            await update.message.reply_text("Bitte wählen Sie eine Antwort.")
            return topic
        context.user_data["topic"] = TOPICS.index(text)
        await update.message.reply_text(
            f"Gewählt: {text}\n\nWo ist es passiert?", reply_markup=buttons(PLACES, "p")
        )
        return place

    async def tapped_place(update: Any, context: Any) -> int:
        query = update.callback_query
        await query.answer()
        chosen = PLACES[int(query.data[1:])]
        context.user_data["place"] = chosen
        await query.edit_message_text(
            f"{query.message.text}\n\n<b>→ {chosen}</b>", parse_mode=ParseMode.HTML
        )
        await query.message.reply_text(
            "Danke. Möchten Sie Hilfe in Ihrer Nähe sehen?",
            reply_markup=buttons(("Ja", "Nein"), "d"),
        )
        return done

    persistence = PicklePersistence(filepath=str(Path(work) / "peer.pickle"))
    app = _builder(api, token).persistence(persistence).build()
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={
                topic: [MessageHandler(filters.TEXT & ~filters.COMMAND, typed_topic)],
                place: [CallbackQueryHandler(tapped_place, pattern=r"^p\d$")],
                done: [],
            },
            fallbacks=[CommandHandler("start", start)],
            name="peer",
            persistent=True,
            per_message=False,
        )
    )
    await _poll(app)


async def serve_beistand(api: str, token: str, work: str) -> None:
    """The Beistand channel with the real runtime, content and store."""
    from bot.config import prepare_libraries
    from bot.content import ContentPaths, require_content
    from bot.runtime import Runtime
    from bot.storage.sqlite import SqliteStore
    from bot.transports.telegram import TelegramChannel, TelegramSettings

    prepare_libraries()
    content = require_content(ContentPaths())
    async with SqliteStore(Path(work) / "bench.db") as store:
        runtime = Runtime(content, store, b"benchmark-secret-0123456789abcdef")
        settings = TelegramSettings(token=token, api_url=api)
        async with TelegramChannel(settings, runtime, content.catalogs.translator):
            await until_terminated()


class InstantHandler:
    """A stand-in for the runtime that answers at once (``--stub``: the channel's own cost)."""

    def register_channel(self, platform: str, deliver: Any) -> None:
        del platform, deliver

    async def handle(self, incoming: Any) -> tuple[Any, ...]:
        from bot.engine.actions import Ask, Option, Say
        from bot.engine.events import Choose, Start

        options = tuple(Option(i, label) for i, label in enumerate(TOPICS))
        if isinstance(incoming.event, Start):
            return (Say("Willkommen."), Ask("Worum geht es?", options, 1))
        if isinstance(incoming.event, Choose):
            return (Ask("Wie hat Sie die Drohung erreicht?", options, 3),)
        return (Ask("Sind Sie gerade in Gefahr?", options, 2),)


async def serve_stub(api: str, token: str) -> None:
    """The Beistand channel with :class:`InstantHandler` instead of the runtime."""
    from bot.config import prepare_libraries
    from bot.transports.telegram import TelegramChannel, TelegramSettings

    prepare_libraries()
    settings = TelegramSettings(token=token, api_url=api)
    async with TelegramChannel(settings, InstantHandler()):  # type: ignore[arg-type]
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


def serve(role: str) -> None:
    """The child process: run one bot until terminated."""
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    api, token = os.environ["BENCH_API"], os.environ["BENCH_TOKEN"]
    with tempfile.TemporaryDirectory() as work:
        main = {
            "echo": lambda: serve_echo(api, token),
            "peer": lambda: serve_peer(api, token, work),
            "stub": lambda: serve_stub(api, token),
        }
        coroutine = main.get(role, lambda: serve_beistand(api, token, work))()
        profile = os.environ.get("BENCH_PROFILE")
        if profile and role in ("beistand", STUB):  # where the time goes: a cProfile dump
            import cProfile

            cProfile.runctx("asyncio.run(coroutine)", globals(), {"coroutine": coroutine}, profile)
        else:
            asyncio.run(coroutine)


# --------------------------------------------------------------------------------- a run


async def run(rounds: int, warmup: int, names: tuple[str, ...]) -> dict[str, Figures]:
    """One run: fresh bots, ``warmup`` + ``rounds`` rounds each, interleaved."""
    figures = {name: Figures() for name in names}
    async with TelegramEmulator() as emulator, AsyncExitStack() as stack:
        bots: dict[str, EmulatedBot] = {}
        for name in names:
            token = fake_token()
            bots[name] = emulator.add_bot(token, f"{name}_bot", name)
            await stack.enter_async_context(child(name, emulator.base_url, token))
        for number in range(warmup + rounds):
            began = time.monotonic()
            order = names[number % len(names) :] + names[: number % len(names)]
            for name in order:
                target = figures[name] if number >= warmup else Figures()
                await a_round(emulator, bots[name], target, TAPS.get(name, 0))
            await asyncio.sleep(max(0.0, began + ROUND_PERIOD - time.monotonic()))
    return figures


def medians(figures: Figures) -> dict[str, float]:
    """Median latency per step and over all steps (ms)."""
    out = {step: statistics.median(figures.latencies[step]) for step in STEPS}
    out["all"] = statistics.median([v for step in STEPS for v in figures.latencies[step]])
    return out


def print_run(number: int, figures: dict[str, Figures]) -> dict[str, float]:
    """The figures of one run; returns the ratios."""
    table = {name: medians(figures[name]) for name in figures}
    print(f"run {number}: median latency per step (ms); Bot API calls per step")
    print(
        f"  {'bot':<9}" + "".join(f"{s:>9}" for s in (*STEPS, "all")) + "   calls start/typed/tap"
    )
    for name in figures:
        calls = "/".join(f"{statistics.mean(figures[name].calls[s]):.1f}" for s in STEPS)
        print(
            f"  {name:<9}"
            + "".join(f"{table[name][s]:9.2f}" for s in (*STEPS, "all"))
            + f"   {calls}"
        )
    ratios: dict[str, float] = {}
    for subject, base in (("beistand", "echo"), ("beistand", "peer"), (STUB, "echo")):
        if subject not in table:
            continue
        name = base if subject == "beistand" else f"{subject}:{base}"
        for s in (*STEPS, "all"):
            ratios[f"{name}:{s}"] = table[subject][s] / table[base][s]
        print(
            f"  {subject} / {base:<5}"
            + "".join(f"{ratios[f'{name}:{s}']:9.2f}" for s in (*STEPS, "all"))
        )
    for s in STEPS:
        methods = ", ".join(
            f"{m} {n / len(figures['beistand'].calls[s]):.1f}"
            for m, n in sorted(figures["beistand"].methods[s].items())
        )
        print(f"  beistand calls, {s}: {methods}")
    return ratios


async def main(rounds: int, warmup: int, runs: int, stub: bool) -> int:
    """Measure ``runs`` times; print every run and min / median / max of the ratios."""
    logging.basicConfig(level=logging.WARNING)
    names = (*BOTS, STUB) if stub else BOTS
    collected: list[dict[str, float]] = []
    for number in range(1, runs + 1):
        collected.append(print_run(number, await run(rounds, warmup, names)))
    print(f"over {runs} runs of {rounds} rounds (min / median / max):")
    for key in collected[0]:
        values = sorted(r[key] for r in collected)
        low, mid, high = values[0], statistics.median(values), values[-1]
        label = f"stub / {key[5:]}" if key.startswith(f"{STUB}:") else f"beistand / {key}"
        print(f"  {label:<26} {low:.2f} / {mid:.2f} / {high:.2f}")
    echo = statistics.median(r["echo:all"] for r in collected)
    peer = statistics.median(r["peer:all"] for r in collected)
    met = echo <= TARGET_ECHO and peer <= TARGET_PEER
    print(
        f"targets: all steps / echo <= {TARGET_ECHO} ({echo:.2f}), / peer <= {TARGET_PEER} "
        f"({peer:.2f}): {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300, help="measured rounds per bot")
    parser.add_argument("--warmup", type=int, default=10, help="rounds not counted")
    parser.add_argument("--runs", type=int, default=3, help="runs, each with fresh bots")
    parser.add_argument("--stub", action="store_true", help="also the channel with no runtime")
    parser.add_argument("--serve", choices=(*BOTS, STUB), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
    else:
        raise SystemExit(asyncio.run(main(args.rounds, args.warmup, args.runs, args.stub)))
