"""A simulated month through the real runtime, then its Lagebild report.

Drives a few thousand conversations (random walks through the shipped flows on Telegram,
Matrix and the terminal, with a few contact persons who claim some of the cases) through
:class:`bot.runtime.Runtime` over four ISO weeks on a fake clock, with a SQLite store in a
temporary directory; then builds the protected statistics and writes the HTML report.

    PYTHONPATH=$PWD python benchmarks/lagebild_month.py [--conversations 3000] [--out FILE]

Prints how many conversations, statistics rows, cells and suppressed cells there were.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

from bot.content import ContentPaths, require_content, shipped_content
from bot.engine.actions import Action, Ask
from bot.engine.events import Choose, Command, Start
from bot.lagebild.keys import flow_topics
from bot.lagebild.report import labels_of, render_report
from bot.lagebild.tables import BASE, FAMILY, Query, build
from bot.runtime import Runtime
from bot.runtime_api import Incoming, Sender
from bot.storage.sqlite import SqliteStore

#: Monday 2026-11-02 08:00 UTC: ISO weeks 45 to 48 of 2026.
START = 1793606400.0
HANDOFF_WORDS = ("Ansprechperson", "weitergeben", "Weitergabe")
PLATFORMS = (("telegram", 0.6), ("matrix", 0.3), ("console", 0.1))


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _asks(actions: tuple[Action, ...]) -> Ask | None:
    asks = [a for a in actions if isinstance(a, Ask)]
    return asks[-1] if asks else None


async def _conversation(runtime: Runtime, rng: random.Random, n: int) -> None:
    platform = rng.choices([p for p, _ in PLATFORMS], [w for _, w in PLATFORMS])[0]
    sender = Sender(platform, f"user-{n}", rng.choice(("de", "de", "de", "en")))
    actions = await runtime.handle(Incoming(sender, Start()))
    for _ in range(rng.randint(3, 12)):
        ask = _asks(actions)
        if ask is None or not ask.options:
            break
        options = list(ask.options)
        safe = [o for o in options if "110" not in o.label] or options
        wanted = [o for o in safe if any(w in o.label for w in HANDOFF_WORDS)]
        if wanted and rng.random() < 0.35:  # some want a person, not only a list
            pick = rng.choice(wanted)
        else:
            pick = rng.choice(options if rng.random() < 0.03 else safe)
        actions = await runtime.handle(Incoming(sender, Choose(ask.turn, pick.index)))


async def simulate(conversations: int, directory: Path, seed: int) -> tuple[Runtime, list]:  # type: ignore[type-arg]
    rng = random.Random(seed)
    layout = shipped_content()
    content = require_content(ContentPaths(layout.flows, layout.knowledge, layout.locales))
    clock = Clock(START)
    store = SqliteStore(directory / "month.db")
    await store.open()
    runtime = Runtime(content, store, b"s" * 32, clock=clock, rate_limit=10_000, purge_every=None)
    contacts: list[Sender] = []
    for i, lands in enumerate((["BY"], ["SN"], ["NW", "HE"])):
        code = await runtime.handoff.invite(f"Kontakt {i}", lands, ["all"])
        contact = Sender("matrix", f"@contact{i}:example.org", "de", route=f"!room{i}")
        await runtime.handle(Incoming(contact, Command("register", code)))
        contacts.append(contact)
    step = (28 * 86400 - 10 * 3600) / conversations  # Monday 09:00 to Sunday 23:00 (Berlin)
    for n in range(conversations):
        clock.now = START + n * step + rng.uniform(0, step)
        await _conversation(runtime, rng, n)
        if n % 25 == 0:  # now and then the contact persons look at their cases
            await runtime.handoff.escalate_due()
            for contact in contacts:
                for case in await store.contact_cases(
                    (await store.contact_by_account("matrix", contact.user_id)).id  # type: ignore[union-attr]
                ):
                    if case.status == "open" and rng.random() < 0.6:
                        await runtime.handle(Incoming(contact, Command("claim", case.code)))
    clock.now = START + 28 * 86400 - 10 * 3600
    await runtime.handoff.escalate_due()
    rows = await store.counters()
    await store.close()
    return runtime, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("lagebild.html"))
    parser.add_argument("--lang", default="de", choices=("de", "en"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        runtime, rows = asyncio.run(simulate(args.conversations, Path(tmp), args.seed))
        simulated = time.perf_counter() - began
    content = runtime.content
    began = time.perf_counter()
    picture = build(rows, Query(), args.k, flow_topics(content.flows))
    protected_in = time.perf_counter() - began
    began = time.perf_counter()
    page = render_report(picture, labels_of(content, args.lang), lang=args.lang)
    rendered = time.perf_counter() - began
    args.out.write_text(page, encoding="utf-8")
    cells = sum(len(picture.table(d)) for d in FAMILY)
    base = picture.table(BASE)
    print(f"conversations          {args.conversations}")
    print(f"statistics rows        {len(rows)} (sum {sum(r.count for r in rows)})")
    print(f"weeks                  {', '.join(picture.weeks())}")
    print(f"tables / cells         {len(FAMILY)} / {cells}")
    print(
        f"suppressed (all)       {picture.shown.suppressed()} "
        f"(primary {picture.shown.primary}, secondary {picture.shown.secondary})"
    )
    print(f"base cells suppressed  {sum(v is None for v in base.values())} of {len(base)}")
    print(f"simulation             {simulated:.1f} s")
    print(f"protection (k={args.k})      {protected_in:.2f} s")
    print(f"report                 {rendered:.2f} s, {len(page)} bytes -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
