"""The suppression's figures: random counter tables, protected, then attacked.

For each of N random tables (the Lagebild's six dimensions, 1 to 60 base cells, counts skewed
small) and for a two-way table with all its totals, runs the heuristic alone and the production
path (heuristic + exact linear programme, :func:`bot.lagebild.audit.protected`) and checks both
with the independent attacker of ``testbed/disclosure.py``: how many small cells could be pinned
below k. Prints tables, cells, suppressed cells and exposures; the closing note quotes them.

    PYTHONPATH=$PWD python benchmarks/lagebild_suppression.py [--tables 300] [--k 5]
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from bot.lagebild.audit import protected
from bot.lagebild.suppress import protect
from bot.lagebild.tables import FAMILY
from testbed.disclosure import exposures

VALUES = (
    ("2026-W45", "2026-W46", "2026-W47", "2026-W48"),
    ("threat", "hate", "assault", "strain"),
    ("BY", "SN", "NW"),
    ("none", "14999"),
    ("telegram", "matrix", "terminal"),
    ("services_shown", "emergency_shown", "handoff_requested", "handoff_nobody_free"),
)


def random_table(rng: random.Random, cells: int) -> dict[tuple[str, ...], int]:
    table: dict[tuple[str, ...], int] = {}
    for _ in range(cells):
        key = tuple(rng.choice(v) for v in VALUES)
        table[key] = rng.choice((rng.randint(1, 4), rng.randint(1, 12), rng.randint(20, 80)))
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    figures = {
        "families": 0,
        "tables": 0,
        "cells": 0,
        "primary": 0,
        "secondary": 0,
        "heuristic_exposed": 0,
        "heuristic_families_exposed": 0,
        "exposed": 0,
    }
    began = time.perf_counter()
    for _ in range(args.tables):
        base = random_table(rng, rng.randint(1, 60))
        quick = protect(base, FAMILY, args.k)
        leaks = exposures(base, quick)
        figures["heuristic_exposed"] += len(leaks)
        figures["heuristic_families_exposed"] += bool(leaks)
        final = protected(base, FAMILY, args.k)
        figures["exposed"] += len(exposures(base, final))
        figures["families"] += 1
        figures["tables"] += len(final.tables)
        figures["cells"] += sum(len(t) for t in final.tables.values())
        figures["primary"] += final.primary
        figures["secondary"] += final.secondary
    seconds = time.perf_counter() - began
    print(f"random families        {figures['families']} (k = {args.k}, seed {args.seed})")
    print(f"tables / cells         {figures['tables']} / {figures['cells']}")
    print(
        f"suppressed             {figures['primary']} below k + {figures['secondary']} "
        "complementary"
    )
    print(
        f"heuristic alone        {figures['heuristic_exposed']} small cells pinned below k, in "
        f"{figures['heuristic_families_exposed']} families"
    )
    print(f"published (exact)      {figures['exposed']} small cells pinned below k")
    print(f"time                   {seconds:.1f} s")
    return 1 if figures["exposed"] else 0


if __name__ == "__main__":
    sys.exit(main())
