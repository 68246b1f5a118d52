"""Benchmark: simulated conversations through the runtime and the SQLite store, returning users.

No transport: each simulated user sends events straight to ``Runtime.handle`` (the same call the
Telegram and Matrix transports make), against a database already holding ``--stored``
conversations (default 100,000). A share of the messages (``--returning``, default 0.3) comes from
*returning users*: stored conversations that no cache holds (each is used once and was written
before the store was reopened), so the store has to read them. Every message carries a platform
event id, as Telegram's updates do, so the redelivery check and its record are measured too.

Three figures per run:

- saturated: ``--users`` concurrent users each send their next message as soon as the last reply
  is back (closed loop); the most messages per second the runtime sustains, and the CPU time of
  the whole process (event loop and SQLite threads) per message;
- paced, for each ``--rates`` (default 1,000 and 2,000 msg/s): the users together offer that rate
  (open loop); p50/p99 latency measured from when a message was due, so queueing counts.

``--repeat N`` runs everything N times and prints min / median / max of each figure.

    PYTHONPATH=. .venv/bin/python benchmarks/runtime_bench.py [--stored 100000] [--repeat 3]
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
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import Content, ContentPaths, load_content  # noqa: E402
from bot.engine.actions import Ask  # noqa: E402
from bot.engine.events import Choose, Command, Event, Start, Text  # noqa: E402
from bot.engine.state import State  # noqa: E402
from bot.engine.step import step  # noqa: E402
from bot.runtime import Runtime, pseudonym  # noqa: E402
from bot.runtime_api import Incoming, Sender  # noqa: E402
from bot.storage.sqlite import SqliteStore  # noqa: E402

SECRET = b"b" * 32
PLATFORM = "bench"


def stored_sender(number: int) -> Sender:
    """The sender behind stored conversation ``number``."""
    return Sender(PLATFORM, f"stored-{number}", "de")


async def prefill(path: Path, count: int, state: State) -> None:
    """Store ``count`` idle conversations (group-committed in chunks), then close the store so
    that the next one starts with an empty cache."""
    async with SqliteStore(path, cache_size=1) as store:
        now = time.time()
        for start in range(0, count, 2000):
            numbers = range(start, min(count, start + 2000))
            keys = [pseudonym(SECRET, PLATFORM, stored_sender(n).user_id) for n in numbers]
            await asyncio.gather(*(store.save(k, state, now) for k in keys))


class Mix:
    """Hands out the messages: the next stored conversation for a returning user, or None for
    the user's own live conversation."""

    def __init__(self, order: Iterator[int], share: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.share = share
        self.order = order  # shared by the runs: each stored conversation returns once
        self.returning = 0

    def next_stored(self) -> int | None:
        if self.rng.random() >= self.share:
            return None
        self.returning += 1
        return next(self.order)


#: The consent answer that opens a case (``--no-cases`` never picks it).
CONSENT = "Ja, über diesen Chat weitergeben"
NO_CASES = False


def next_event(rng: random.Random, last: Ask | None) -> Event:
    """A live user's next event: mostly button presses, some typing and commands."""
    roll = rng.random()
    if last is None:
        return Start()
    if roll < 0.75:
        index = rng.randrange(max(1, len(last.options) - 1))
        if NO_CASES and last.options[index].label == CONSENT:
            index = (index + 1) % max(1, len(last.options) - 1)
        return Choose(last.turn, index)
    if roll < 0.9:
        return Text(str(rng.randrange(1, max(2, len(last.options)))))
    return Command(rng.choice(["help", "back", "start"]))


async def user(
    runtime: Runtime,
    number: int,
    messages: int,
    mix: Mix,
    first: Choose,
    latencies: list[float],
    interval: float = 0.0,
    offset: float = 0.0,
) -> None:
    """One simulated user; with ``interval`` on a fixed schedule (latency from the due time)."""
    rng = random.Random(number)
    sender = Sender(PLATFORM, f"user-{number}", "de")
    last: Ask | None = None
    begin = time.perf_counter() + offset
    for i in range(messages):
        due = begin + i * interval
        if interval:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        stored = mix.next_stored()
        if stored is None:
            who, event = sender, next_event(rng, last)
        else:  # a returning user answers the question their stored conversation left open
            who, event = stored_sender(stored), first
        started = due if interval else time.perf_counter()
        incoming = Incoming(who, event, event_id=f"{number}-{i}")  # type: ignore[arg-type]
        actions = await runtime.handle(incoming)
        latencies.append(time.perf_counter() - started)
        if stored is None:
            asks = [a for a in actions if isinstance(a, Ask)]
            last = asks[-1] if asks else last


def pct(values: list[float], share: float) -> float:
    return sorted(values)[max(0, int(len(values) * share) - 1)] * 1000


async def run_once(
    content: Content,
    db: Path,
    args: argparse.Namespace,
    first: Choose,
    seed: int,
    order: Iterator[int],
) -> dict[str, float]:
    """One saturated run and one paced run per rate, on a reopened store."""
    mix = Mix(order, args.returning, seed)
    results: dict[str, float] = {}
    async with SqliteStore(db) as store:
        runtime = Runtime(content, store, SECRET, rate_limit=1_000_000, rate_window=1)
        checkpoints = 0
        shred = store.checkpoint

        async def counted() -> None:  # erasures and closed cases: an fsync'd TRUNCATE each
            nonlocal checkpoints
            checkpoints += 1
            await shred()

        store.checkpoint = counted  # type: ignore[method-assign]
        routes = getattr(store, "_routes", None)  # the routes file (bot/storage/sqlite_routes.py)
        route_shreds = 0
        if routes is not None:
            drop = routes.drop

            async def dropped(owners: Iterable[str]) -> None:  # a TRUNCATE of the routes file
                nonlocal route_shreds
                owners = list(owners)
                route_shreds += bool(owners)
                await drop(owners)

            routes.drop = dropped
        closed: list[float] = []
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(
            *(
                user(runtime, seed * 10_000 + n, args.messages, mix, first, closed)
                for n in range(args.users)
            )
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        results["saturated msg/s"] = len(closed) / wall
        results["CPU us/msg"] = cpu / len(closed) * 1e6
        results["saturated p99 ms"] = pct(closed, 0.99)
        for k, rate in enumerate(args.rates):
            paced: list[float] = []
            interval = args.users / rate
            count = max(1, int(rate * args.seconds / args.users))
            await asyncio.gather(
                *(
                    user(
                        runtime,
                        seed * 10_000 + (k + 1) * 1000 + n,
                        count,
                        mix,
                        first,
                        paced,
                        interval,
                        n * interval / args.users,
                    )
                    for n in range(args.users)
                )
            )
            results[f"{rate:.0f}/s p50 ms"] = statistics.median(paced) * 1000
            results[f"{rate:.0f}/s p99 ms"] = pct(paced, 0.99)
        total = len(closed) + sum(
            max(1, int(r * args.seconds / args.users)) * args.users for r in args.rates
        )
        results["returning share"] = mix.returning / total
        results["shreds per 1000 msgs"] = checkpoints * 1000 / total
        results["route shreds /1000"] = route_shreds * 1000 / total
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="concurrent simulated users")
    parser.add_argument("--messages", type=int, default=100, help="messages per user, saturated")
    parser.add_argument("--stored", type=int, default=100_000, help="stored conversations")
    parser.add_argument("--returning", type=float, default=0.3, help="share of returning users")
    parser.add_argument("--rates", type=float, nargs="*", default=[1000, 2000], help="paced msg/s")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of a paced run")
    parser.add_argument("--repeat", type=int, default=3, help="runs (min / median / max)")
    parser.add_argument(
        "--no-cases", action="store_true", help="users never agree to pass a case on"
    )
    parser.add_argument("--flows", type=Path, default=ContentPaths().flows)
    parser.add_argument("--knowledge", type=Path, default=ContentPaths().knowledge)
    args = parser.parse_args()
    global NO_CASES
    NO_CASES = args.no_cases
    needed = (
        args.repeat
        * (args.users * args.messages + sum(r * args.seconds for r in args.rates))
        * args.returning
        * 1.3
    )
    if needed > args.stored:
        raise SystemExit(f"--stored must be at least {needed:.0f} for this many returning users")
    paths = ContentPaths(args.flows, args.knowledge, ContentPaths().locales)
    content, problems = load_content(paths)
    if content is None:
        raise SystemExit("content does not validate:\n" + "\n".join(map(str, problems)))
    entry = content.flows[content.entry]
    # the stored conversations wait at the entry question; returning users answer it
    stored_state = step(content, None, Start(), datetime.now(UTC), "de").state
    assert stored_state is not None
    first = Choose(stored_state.turn, 0)
    print(
        f"{args.users} concurrent users, {args.stored:,} stored conversations, "
        f"{args.returning:.0%} of messages from returning users (not cached), SQLite WAL, "
        f"no transport; entry flow {entry.id!r}"
    )
    runs: list[dict[str, float]] = []
    order = iter(random.Random(7).sample(range(args.stored), args.stored))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        started = time.perf_counter()
        asyncio.run(prefill(db, args.stored, stored_state))
        print(f"prefilled in {time.perf_counter() - started:.1f} s")
        for n in range(args.repeat):
            result = asyncio.run(run_once(content, db, args, first, n + 1, order))
            runs.append(result)
            print(f"run {n + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in result.items()))
    print(f"\n{'figure':<20} {'min':>9} {'median':>9} {'max':>9}")
    for name in runs[0]:
        values = [r[name] for r in runs]
        print(
            f"{name:<20} {min(values):>9.2f} {statistics.median(values):>9.2f} {max(values):>9.2f}"
        )
    print(f"peak RSS MB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


if __name__ == "__main__":
    main()
