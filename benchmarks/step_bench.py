"""Benchmark: the pure engine's ``step()`` alone, on the shipped content (no runtime, no store).

A fixed mix of steps is recorded first, the way users go through the bot: ``/start``, then for
every topic of the main menu a walk through its flow by button taps (a seeded random choice among
the offered answers, the emergency answer left out), every third answer typed (its label, or its
number) instead of tapped, a ``/zurueck`` now and then, and per walk one language switch
(``/sprache`` and a tap in the menu, or ``/sprache en``) so both languages are stepped through.
The recorded (state, event) pairs are then replayed through ``step()`` in a loop, for
``--seconds`` per run, ``--runs`` times.

Prints the mix, then step() calls/s and µs per call as min / median / max of the runs. With
``--count`` it also prints, from a cProfile run over the mix, how often the functions the engine
used to recompute per step are called per step.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/step_bench.py [--seconds 2] [--runs 3] [--count]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content import ContentPaths, load_content  # noqa: E402
from bot.engine.actions import Ask, CloseCase, OpenCase  # noqa: E402
from bot.engine.events import Choose, Command, Event, Start, Text  # noqa: E402
from bot.engine.state import CaseContext, State  # noqa: E402
from bot.engine.step import step  # noqa: E402
from bot.flow.model import Content  # noqa: E402
from bot.knowledge import BERLIN  # noqa: E402

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)  # a Monday morning: services are open
#: Answers per walk at most (a walk also ends at a question with only the way back to the menu).
WALK_STEPS = 12
Sample = tuple[State | None, Event, CaseContext]


class Recorder:
    """Steps one simulated user through the engine, keeping each step's inputs."""

    def __init__(self, content: Content, seed: int) -> None:
        self.content = content
        self.rng = random.Random(seed)
        self.state: State | None = None
        self.ask: Ask | None = None
        self.case = CaseContext(new_code="K7Q2M9")
        self.samples: list[Sample] = []
        self.kinds: Counter[str] = Counter()

    def send(self, event: Event, kind: str) -> None:
        self.samples.append((self.state, event, self.case))
        self.kinds[kind] += 1
        result = step(self.content, self.state, event, NOW, "de", self.case)
        self.state = result.state
        asks = [a for a in result.actions if isinstance(a, Ask)]
        self.ask = asks[-1] if asks else self.ask
        for action in result.actions:  # the runtime's view of the case, as it would load it
            if isinstance(action, OpenCase):
                self.case = CaseContext(code=action.code, claimed=True)
            elif isinstance(action, CloseCase):
                self.case = CaseContext(new_code="K7Q2M9")

    def answer(self, number: int, index: int) -> None:
        """Answer ``index`` of the open question: tapped, or every third time typed."""
        assert self.ask is not None
        if number % 3 != 2:
            self.send(Choose(self.ask.turn, index), "tap")
        elif number % 2:
            self.send(Text(self.ask.options[index].label), "typed label")
        else:
            self.send(Text(str(index + 1)), "typed number")

    def walk(self, topic: int, walk_number: int) -> None:
        """/start, the topic's menu answer, then answers until the flow rests at its end."""
        self.send(Start(), "/start")
        self.answer(0, topic)
        for number in range(1, WALK_STEPS):
            assert self.ask is not None
            offered = len(self.ask.options) - 1  # the emergency answer is last: not taken
            if number == 4:
                self.send(Command("back"), "/zurueck")
                continue
            if number == 6:
                self.switch_language(walk_number)
                continue
            if offered <= 1 and number > 6:
                break
            self.answer(number, self.rng.randrange(max(offered, 1)))

    def switch_language(self, walk_number: int) -> None:
        """To the other language: through the menu, or named directly."""
        other = "en" if self.state is None or self.state.locale == "de" else "de"
        if walk_number % 2:
            self.send(Command("language", other), "/sprache xx")
            return
        self.send(Command("language"), "/sprache")
        assert self.ask is not None
        self.send(Choose(self.ask.turn, self.content.catalogs.locales.index(other)), "tap")


def record(content: Content) -> tuple[list[Sample], Counter[str]]:
    """The mix: one user per menu topic, each walking its flow twice (different seeds)."""
    entry = content.flows[content.entry]
    menu = entry.nodes[entry.start]
    topics = len(getattr(menu, "options", ()))
    samples: list[Sample] = []
    kinds: Counter[str] = Counter()
    for seed in range(2):
        for topic in range(topics):
            user = Recorder(content, seed * 100 + topic)
            user.walk(topic, seed * topics + topic)
            samples.extend(user.samples)
            kinds.update(user.kinds)
    return samples, kinds


def replay(content: Content, samples: list[Sample], seconds: float) -> tuple[int, float]:
    """Step through the mix again and again for about ``seconds``: (calls, elapsed)."""
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for state, event, case in samples:
            step(content, state, event, NOW, "de", case)
        calls += len(samples)
        now = time.perf_counter()
        if now >= deadline:
            return calls, now - started


#: The functions issue 18 counted per step (qualified names as cProfile reports them).
COUNTED = ("replace", "ctx_text", "current_labels", "visible", "content_text", "step")


def count_calls(content: Content, samples: list[Sample]) -> None:
    """Calls per step of the functions the engine used to recompute, from one profiled pass."""
    profile = cProfile.Profile()
    profile.enable()
    for state, event, case in samples:
        step(content, state, event, NOW, "de", case)
    profile.disable()
    stats = pstats.Stats(profile)
    totals: Counter[str] = Counter()
    for (_file, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        if name in COUNTED:
            totals[name] += row[1]  # total calls, recursion included
    steps = totals["step"] or 1
    print("calls per step (cProfile, one pass over the mix):")
    for name in COUNTED[:-1]:
        print(f"  {name:<16} {totals[name] / steps:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", action="store_true", help="also count calls per step")
    args = parser.parse_args()
    content, problems = load_content(
        ContentPaths(ROOT / "flows", ROOT / "knowledge", ROOT / "locales")
    )
    if content is None:
        sys.exit("content has errors: " + "; ".join(p.message for p in problems[:3]))
    samples, kinds = record(content)
    mix = ", ".join(f"{kind} {n}" for kind, n in kinds.most_common())
    print(f"step() mix: {len(samples)} steps ({mix})")
    replay(content, samples, 0.3)  # warm up caches
    rates: list[float] = []
    for _ in range(args.runs):
        calls, elapsed = replay(content, samples, args.seconds)
        rates.append(calls / elapsed)
    low, mid, high = min(rates), statistics.median(rates), max(rates)
    print(f"step() calls/s  min {low:8,.0f}  median {mid:8,.0f}  max {high:8,.0f}")
    print(f"µs per call     min {1e6 / high:8.1f}  median {1e6 / mid:8.1f}  max {1e6 / low:8.1f}")
    if args.count:
        count_calls(content, samples)


if __name__ == "__main__":
    main()
