"""Flood: many senders hammering the bot beside ordinary users (security.md, test 8).

Attackers each send ``rate`` messages per second on a fixed schedule (open loop: a slow answer does
not slow them down) for ``seconds``; ordinary users hold normal conversations at the same time,
waiting for each reply and reading it for 1 to 3 s before the next message. Everything goes through
the real runtime over a real SQLite file, as the transports call it.

Measured: the ordinary users' reply latency (p50, p95, max) and lost messages (no reply, or held
by the flood limit), what each attacker got through the limit (in total and in any 10-second
window), and how much the process grew (RSS, and Python allocations with ``--tracemalloc``).

With ``--telegram`` the same flood goes through the whole Telegram channel instead: ``beistand
run`` in its own process, polling a Bot API emulator on 127.0.0.1 that keeps Telegram's flood
limits (30 messages/s in total, about 1/s per chat). Attackers send ``/hilfe`` (one help text per
message let through, so the help texts they get count what passed the limit); ordinary users tap
through the flows, and a reply's latency runs from the update to the first message back. The
bot's memory is its process's RSS.

    .venv/bin/python benchmarks/flood.py                     # the full plan: 5 minutes
    .venv/bin/python benchmarks/flood.py --seconds 30        # a quicker look
    .venv/bin/python benchmarks/flood.py --telegram          # the full plan through Telegram
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.content import Content, ContentPaths, require_content  # noqa: E402
from bot.engine.actions import Action, Ask, Say  # noqa: E402
from bot.engine.events import Choose, Command, Event, Start, Text  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.runtime_api import Incoming, Sender  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402

SLOW_DOWN = "Bitte etwas langsamer"


def rss_bytes(pid: int | str = "self") -> int:
    """The resident set size of a process (this one by default) now (Linux), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0  # pragma: no cover - not Linux


@dataclass
class FloodReport:
    """What a flood run measured."""

    seconds: float
    attackers: int
    attacker_rate: float
    users: int
    offered: int = 0
    attacker_allowed: dict[str, int] = field(default_factory=dict)
    attacker_window_max: int | None = 0  # None: not observable (through a channel)
    #: seconds from the start to the last admitted flood message (events offered before the end
    #: may be handled after it on a slow machine, and the bucket refills meanwhile); 0: unknown
    span: float = 0.0
    limit: int = 10
    window: float = 10.0
    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    ordinary_sent: int = 0
    rss_before: int = 0
    rss_after: int = 0
    traced_growth: int | None = None
    errors: int = 0

    @property
    def p95(self) -> float:
        """95th percentile of the ordinary users' reply latency, in seconds."""
        return statistics.quantiles(self.latencies, n=20)[18] if len(self.latencies) > 1 else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0

    @property
    def growth_mb(self) -> float:
        return (self.rss_after - self.rss_before) / 2**20

    def allowed_bound(self) -> float:
        """Most a token bucket of ``limit`` per ``window`` may let through in ``seconds``."""
        return self.limit + max(self.seconds, self.span) * self.limit / self.window + 1

    def lines(self) -> list[str]:
        allowed = sorted(self.attacker_allowed.values())
        rate = self.offered / self.seconds if self.seconds else 0
        return [
            f"flood: {self.attackers} senders x {self.attacker_rate:g} msg/s for "
            f"{self.seconds:.0f} s ({self.offered} messages, {rate:.0f}/s offered), "
            f"beside {self.users} ordinary users",
            f"ordinary users: {self.ordinary_sent} messages, {self.lost} lost, "
            f"reply p50 {self.p50 * 1000:.1f} ms, p95 {self.p95 * 1000:.1f} ms, "
            f"max {max(self.latencies, default=0) * 1000:.1f} ms",
            f"each flooding sender got through: min {allowed[0] if allowed else 0}, max "
            f"{allowed[-1] if allowed else 0} in {self.seconds:.0f} s (bucket allows at most "
            f"{self.allowed_bound():.0f})"
            + (
                f"; at most {self.attacker_window_max} in any {self.window:g}-second window"
                if self.attacker_window_max is not None
                else ""
            ),
            f"memory: RSS {self.rss_before / 2**20:.1f} MB -> {self.rss_after / 2**20:.1f} MB "
            f"(+{self.growth_mb:.1f} MB)"
            + (
                f", Python allocations +{self.traced_growth / 2**20:.1f} MB"
                if self.traced_growth is not None
                else ""
            ),
            f"errors: {self.errors}",
        ]


def _window_max(stamps: list[float], window: float) -> int:
    best, start = 0, 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _attack_event(rng: random.Random, number: int) -> Event:
    roll = rng.random()
    if roll < 0.5:
        return Text("x" * rng.choice((1, 100, 4096)) + str(number))
    if roll < 0.7:
        return Choose(rng.randint(0, 10**6), rng.randint(0, 9))
    if roll < 0.85:
        return Start(rng.choice((None, "bedrohung", "junk")))
    return Command(rng.choice(("help", "emergency", "restart", "back", "claim")), "x")


def _answer(actions: tuple[Action, ...], rng: random.Random) -> Event:
    asks = [a for a in actions if isinstance(a, Ask)]
    if not asks:
        return Command("start")
    ask = asks[-1]
    choices = len(ask.options) - 1  # not the emergency answer every time
    return Choose(ask.turn, rng.randrange(max(choices, 1)))


class _Flood:
    """One run: the runtime with a counting flood limit, attackers and ordinary users."""

    def __init__(self, runtime: Runtime, report: FloodReport, rng: random.Random) -> None:
        self.runtime = runtime
        self.report = report
        self.rng = rng
        self.allowed_at: dict[bytes, list[float]] = defaultdict(list)
        self.pending: set[asyncio.Task[None]] = set()
        self.started = self.deadline = 0.0
        allow = runtime.limiter.allow

        def counting(key: bytes) -> tuple[bool, bool]:
            result = allow(key)
            if result[0]:
                self.allowed_at[key].append(time.monotonic())
            return result

        runtime.limiter.allow = counting  # type: ignore[method-assign]

    async def hit(self, sender: Sender, event: Event) -> None:
        try:
            await self.runtime.handle(Incoming(sender, event))
        except Exception:  # counted; a flood must not crash the runtime
            self.report.errors += 1

    async def attacker(self, sender: Sender, rate: float) -> None:
        number = 0
        offset = self.rng.random() / rate
        while (due := self.started + offset + number / rate) < self.deadline:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            task = asyncio.create_task(self.hit(sender, _attack_event(self.rng, number)))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
            self.report.offered += 1
            number += 1

    async def person(self, sender: Sender) -> None:
        event: Event = Start()
        await asyncio.sleep(self.rng.random())
        while time.monotonic() < self.deadline:
            sent = time.monotonic()
            try:
                actions = await self.runtime.handle(Incoming(sender, event))
            except Exception:
                self.report.errors += 1
                actions = ()
            self.report.latencies.append(time.monotonic() - sent)
            self.report.ordinary_sent += 1
            said = " ".join(a.text for a in actions if isinstance(a, Say))
            if not actions or SLOW_DOWN in said:
                self.report.lost += 1
            event = _answer(actions, self.rng)
            await asyncio.sleep(self.rng.uniform(1.0, 3.0))  # reading the reply

    async def run(self, flooders: list[Sender], people: list[Sender], rate: float) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + self.report.seconds
        await asyncio.gather(
            *(self.attacker(s, rate) for s in flooders), *(self.person(p) for p in people)
        )
        if self.pending:
            await asyncio.gather(*self.pending)
        keys = {self.runtime.key(s): s.user_id for s in flooders}
        admitted = [t for k in keys for t in self.allowed_at.get(k, [])]
        self.report.span = max(admitted, default=self.started) - self.started
        self.report.attacker_allowed = {keys[k]: len(self.allowed_at.get(k, [])) for k in keys}
        self.report.attacker_window_max = max(
            (_window_max(self.allowed_at.get(k, []), self.report.window) for k in keys),
            default=0,
        )


async def run_flood(
    content: Content,
    directory: Path,
    *,
    seconds: float,
    attackers: int = 50,
    rate: float = 20.0,
    users: int = 10,
    trace: bool = False,
    seed: int = 1,
) -> FloodReport:
    """Run one flood and return what was measured."""
    report = FloodReport(seconds, attackers, rate, users)
    async with SqliteStore(directory / "flood.db") as store:
        runtime = Runtime(content, store, secrets.token_bytes(32))
        report.limit = runtime.limiter.limit
        report.window = runtime.limiter.limit / runtime.limiter.rate
        flood = _Flood(runtime, report, random.Random(seed))
        flooders = [Sender("telegram", f"66{n:010d}", "de") for n in range(attackers)]
        people = [Sender("telegram", f"55{n:010d}", "de") for n in range(users)]
        await runtime.handle(Incoming(Sender("telegram", "warmup", "de"), Start()))  # warm caches
        if trace:
            tracemalloc.start()
        traced_before = tracemalloc.get_traced_memory()[0] if trace else 0
        report.rss_before = rss_bytes()
        await flood.run(flooders, people, rate)
        report.rss_after = rss_bytes()
        if trace:
            report.traced_growth = tracemalloc.get_traced_memory()[0] - traced_before
            tracemalloc.stop()
    return report


# ---------------------------------------------------------------------- through Telegram

HELP = "Sie können jederzeit diese Befehle senden"
REPLY_WITHIN = 30.0  # an ordinary user's message without a reply by then counts as lost


async def _bot_process(emulator: Any, token: str, directory: Path) -> asyncio.subprocess.Process:
    """``beistand run`` against the emulator, with its own database; started and polling."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BEISTAND_", "MATRIX_"))},
        "BEISTAND_DATA_DIR": str(directory),
        "BEISTAND_SECRET": secrets.token_urlsafe(32),
        "TELEGRAM_TOKEN": token,
        "TELEGRAM_API_URL": emulator.base_url,
    }
    beistand = Path(sys.executable).with_name("beistand")
    with (directory / "bot.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            beistand, "run", env=env, cwd=directory, stdout=log, stderr=log
        )
    return process


def _more(user: Any, seen: int) -> bool:
    return len(user.received) > seen


class _TelegramFlood:
    """Attackers and ordinary users as emulator users; the bot in its own process."""

    def __init__(self, emulator: Any, report: FloodReport, rng: random.Random) -> None:
        self.emulator = emulator
        self.report = report
        self.rng = rng
        self.started = self.deadline = 0.0

    async def attacker(self, user: Any, rate: float) -> None:
        number = 0
        offset = self.rng.random() / rate
        while (due := self.started + offset + number / rate) < self.deadline:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            user.send_text("/hilfe")
            self.report.offered += 1
            number += 1

    async def person(self, user: Any) -> None:
        await asyncio.sleep(self.rng.random())
        keyboard = None
        while time.monotonic() < self.deadline:
            seen = len(user.received)
            sent = time.monotonic()
            if keyboard is None:
                user.send_text("/start")
            else:
                labels = [label for label in keyboard.labels if not label.startswith("🆘")]
                user.press(keyboard, self.rng.choice(labels or keyboard.labels))
            self.report.ordinary_sent += 1
            try:
                await self.emulator.wait_until(partial(_more, user, seen), REPLY_WITHIN)
            except TimeoutError:
                self.report.lost += 1
                keyboard = None
                continue
            self.report.latencies.append(time.monotonic() - sent)
            await asyncio.sleep(self.rng.uniform(1.0, 3.0))  # reading the reply
            reply = user.received[seen:]
            if any(SLOW_DOWN in message.text for message in reply):
                self.report.lost += 1
            keyboard = next((m for m in reversed(reply) if m.keyboard), None)


async def run_telegram_flood(
    directory: Path,
    *,
    seconds: float,
    attackers: int = 50,
    rate: float = 20.0,
    users: int = 10,
    seed: int = 1,
) -> FloodReport:
    """Run one flood through the Telegram channel and return what was measured."""
    from testbed.telegram_emulator import RateLimits, TelegramEmulator, fake_token

    report = FloodReport(seconds, attackers, rate, users, attacker_window_max=None)
    defaults = Settings.from_env({})
    report.limit, report.window = defaults.rate_limit, defaults.rate_window
    token = fake_token()
    async with TelegramEmulator(RateLimits()) as emulator:
        account = emulator.add_bot(token)
        process = await _bot_process(emulator, token, directory)
        try:
            await emulator.wait_until(lambda: account.calls_of("getUpdates"), 60.0)
            warmup = emulator.user(account)
            warmup.send_text("/start")
            await emulator.wait_until(lambda: len(warmup.received) >= 1, 30.0)  # one message
            flood = _TelegramFlood(emulator, report, random.Random(seed))
            flooders = [emulator.user(account, f"A{n}") for n in range(attackers)]
            people = [emulator.user(account, f"P{n}") for n in range(users)]
            report.rss_before = rss_bytes(process.pid)
            flood.started = time.monotonic()
            flood.deadline = flood.started + seconds
            await asyncio.gather(
                *(flood.attacker(user, rate) for user in flooders),
                *(flood.person(user) for user in people),
            )
            report.rss_after = rss_bytes(process.pid)
            report.attacker_allowed = {
                str(user.id): sum(HELP in m.text for m in user.received) for user in flooders
            }
        finally:
            if process.returncode is None:
                process.terminate()
            report.errors += int(await process.wait() not in (0, -signal.SIGTERM))
    log = (directory / "bot.log").read_text("utf-8", "replace")
    report.errors += log.count("ERROR") + log.count("Traceback")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--attackers", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="messages/s per attacker")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--tracemalloc", action="store_true", help="also trace allocations")
    parser.add_argument("--telegram", action="store_true", help="through the Telegram channel")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        if args.telegram:
            report = asyncio.run(
                run_telegram_flood(
                    Path(directory),
                    seconds=args.seconds,
                    attackers=args.attackers,
                    rate=args.rate,
                    users=args.users,
                )
            )
        else:
            report = asyncio.run(
                run_flood(
                    require_content(ContentPaths()),
                    Path(directory),
                    seconds=args.seconds,
                    attackers=args.attackers,
                    rate=args.rate,
                    users=args.users,
                    trace=args.tracemalloc,
                )
            )
    for line in report.lines():
        print(line)
    ok = (
        report.p95 < 2.0
        and report.lost == 0
        and report.errors == 0
        and max(report.attacker_allowed.values(), default=0) <= report.allowed_bound()
        and report.growth_mb < 50
    )
    if args.json:
        figures = {
            **dataclasses.asdict(report),
            "p95": report.p95,
            "growth_mb": report.growth_mb,
            "allowed_bound": report.allowed_bound(),
        }
        args.json.write_text(json.dumps(figures), encoding="utf-8")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
