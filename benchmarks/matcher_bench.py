"""Benchmark: the free-text matcher per call (bot/engine/intent.py), on the shipped flows.

Times, per call, the danger detector (``is_danger``), the topic ranking (``rank_topics``, exact and
with near misses) and a whole ``step`` with typed text, for short first messages (typos, both
languages, ordinary texts) and for the longest text read (SCAN_CHARS characters of mixed words).

Prints the median and p99 in microseconds per call.

    .venv/bin/python benchmarks/matcher_bench.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import ContentPaths, load_content  # noqa: E402
from bot.engine.answers import topics_of  # noqa: E402
from bot.engine.events import Start, Text  # noqa: E402
from bot.engine.intent import SCAN_CHARS, is_danger, rank_topics  # noqa: E402
from bot.engine.step import step  # noqa: E402
from bot.knowledge import BERLIN  # noqa: E402

SHORT = (
    "bin bedrot wordn",
    "er will mich umbrigen",
    "he wants to kill me",
    "Ich habe einen Drohbreif bekommen",
    "Hasskomentar auf Facebok",
    "Die Staatsanwaltschft hat eingestelt",
    "der Typ hat mich angepöbelt",
    "Guten Tag, ich habe eine Frage zur Auskunftssperre",
    "Mein Name ist Erika Mustermann, Tel 0171 1234567",
    "I feel anxious and cannot sleep",
)
LONG = ("Ich schreibe Ihnen wegen einer Sache im Rathaus, die mich beschäftigt. " * 40)[:SCAN_CHARS]


def _time(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    samples: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    content, _ = load_content(ContentPaths(ROOT / "flows", ROOT / "knowledge", ROOT / "locales"))
    topics = topics_of(content)
    now = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    started = step(content, None, Start(), now, "de").state
    words = sum(len(k) for _, k in topics)
    print(f"matcher: {len(topics)} topics, {words} keywords; {args.rounds} rounds per figure")
    print(f"{'call':<34} {'text':<7} {'median µs':>10} {'p99 µs':>10}")
    for label, texts in (("short", SHORT), ("long", (LONG,))):
        cases: dict[str, Callable[[str], object]] = {
            "is_danger": is_danger,
            "rank_topics": lambda t: rank_topics(t, topics),
            "rank_topics(near=True)": lambda t: rank_topics(t, topics, near=True),
            "step(Text) after start": lambda t: step(content, started, Text(t), now),
        }
        for name, fn in cases.items():
            rounds = max(1, args.rounds // len(texts))
            per_text = [_time(lambda t=t, fn=fn: fn(t), rounds) for t in texts]
            median = statistics.median(m for m, _ in per_text)
            p99 = max(p for _, p in per_text)
            print(f"{name:<34} {label:<7} {median:>10.1f} {p99:>10.1f}")


if __name__ == "__main__":
    main()
