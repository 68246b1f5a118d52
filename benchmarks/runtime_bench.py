"""Benchmark: concurrent simulated conversations through the runtime and the SQLite store.

No transport: each simulated user sends events straight to ``Runtime.handle`` (the same call the
Telegram and Matrix transports make), for a database already holding 1,000 and 10,000
conversations. Two runs each:

- saturation: every user sends its next message as soon as the last reply is back (closed loop);
  gives the most messages per second the runtime sustains (latency there is mostly queueing);
- paced: the users together offer a fixed rate (default 2,000 messages/s, open loop); gives the
  latency a message sees at that load, measured from when it was due, so queueing counts.

Prints messages/s, p50 and p99 latency, and peak RSS.

    .venv/bin/python benchmarks/runtime_bench.py [--users 50] [--messages 40] [--rate 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import ContentPaths, load_content  # noqa: E402
from bot.engine.actions import Ask  # noqa: E402
from bot.engine.events import Choose, Command, Start, Text  # noqa: E402
from bot.engine.state import State  # noqa: E402
from bot.runtime import Runtime, pseudonym  # noqa: E402
from bot.runtime_api import Incoming, Sender  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402

SECRET = b"b" * 32


async def prefill(store: SqliteStore, count: int, flow: str, node: str) -> None:
    """Store ``count`` idle conversations, in one transaction."""
    state = State(flow, node, "de", (("land", "BY"),), (), 1, "")
    for i in range(count):
        await store.save(pseudonym(SECRET, "bench-idle", str(i)), state, time.time())


async def user(
    runtime: Runtime,
    number: int,
    messages: int,
    latencies: list[float],
    interval: float = 0.0,
    offset: float = 0.0,
) -> None:
    """One simulated user: start, then mostly button presses, some typing and commands.

    With ``interval`` the user sends on a fixed schedule and latency counts from the due time.
    """
    rng = random.Random(number)
    sender = Sender("bench", f"user-{number}", "de")
    last: Ask | None = None
    begin = time.perf_counter() + offset
    for i in range(messages):
        due = begin + i * interval
        if interval:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        roll = rng.random()
        if i == 0 or last is None:
            event: object = Start()
        elif roll < 0.75:
            event = Choose(last.turn, rng.randrange(len(last.options) - 1))
        elif roll < 0.9:
            event = Text(str(rng.randrange(1, len(last.options))))
        else:
            event = Command(rng.choice(["help", "back", "start"]))
        started = due if interval else time.perf_counter()
        actions = await runtime.handle(Incoming(sender, event))  # type: ignore[arg-type]
        latencies.append(time.perf_counter() - started)
        asks = [a for a in actions if isinstance(a, Ask)]
        last = asks[-1] if asks else last


async def run(
    stored: int, users: int, messages: int, paths: ContentPaths, rate: float
) -> dict[str, float]:
    content, problems = load_content(paths)
    if content is None:
        raise SystemExit("content does not validate:\n" + "\n".join(map(str, problems)))
    entry = content.flows[content.entry]
    with tempfile.TemporaryDirectory() as tmp:
        async with SqliteStore(Path(tmp) / "bench.db") as store:
            await prefill(store, stored, entry.id, entry.start)
            runtime = Runtime(content, store, SECRET, rate_limit=1_000_000, rate_window=1)
            closed: list[float] = []
            started = time.perf_counter()
            await asyncio.gather(*(user(runtime, n, messages, closed) for n in range(users)))
            elapsed = time.perf_counter() - started
            paced: list[float] = []
            interval = users / rate
            paced_start = time.perf_counter()
            await asyncio.gather(
                *(
                    user(runtime, users + n, messages, paced, interval, n * interval / users)
                    for n in range(users)
                )
            )
            paced_elapsed = time.perf_counter() - paced_start
            assert await store.conversation_count() == stored + 2 * users
    closed.sort()
    paced.sort()
    return {
        "stored": stored,
        "messages": len(closed),
        "per_second": len(closed) / elapsed,
        "p50_ms": statistics.median(closed) * 1000,
        "p99_ms": closed[int(len(closed) * 0.99) - 1] * 1000,
        "paced_rate": len(paced) / paced_elapsed,
        "paced_p50_ms": statistics.median(paced) * 1000,
        "paced_p99_ms": paced[int(len(paced) * 0.99) - 1] * 1000,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent simulated users")
    parser.add_argument("--messages", type=int, default=40, help="messages per user")
    parser.add_argument("--stored", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--rate", type=float, default=2000, help="offered msg/s in the paced run")
    parser.add_argument("--flows", type=Path, default=ContentPaths().flows)
    parser.add_argument("--knowledge", type=Path, default=ContentPaths().knowledge)
    args = parser.parse_args()
    paths = ContentPaths(args.flows, args.knowledge, ContentPaths().locales)
    print(f"{args.users} concurrent users x {args.messages} messages, SQLite WAL, no transport")
    print(
        f"{'stored':>7} {'msgs':>6} | {'saturated msg/s':>15} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'paced msg/s':>11} {'p50 ms':>7} {'p99 ms':>7} | {'peak RSS MB':>11}"
    )
    for stored in args.stored:
        r = asyncio.run(run(stored, args.users, args.messages, paths, args.rate))
        print(
            f"{r['stored']:>7} {r['messages']:>6} | {r['per_second']:>15.0f} "
            f"{r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} | {r['paced_rate']:>11.0f} "
            f"{r['paced_p50_ms']:>7.2f} {r['paced_p99_ms']:>7.2f} | {r['rss_mb']:>11.1f}"
        )


if __name__ == "__main__":
    main()
