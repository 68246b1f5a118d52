"""The attacker's view of a protected family of tables, as an exact linear programme.

Given everything an output publishes (every unsuppressed cell of every table, absent cells
being 0 and listed base cells at least 1), the largest value each small cell (primary, below
k) can take is found by SciPy's HiGHS solver. An output is safe when that largest value is at
least k for every small cell: no reader can tell a suppressed cell from one of k or more, or
compute it by subtraction. Used by ``tests/lagebild/test_suppress.py`` and
``benchmarks/lagebild_suppression.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.lagebild.suppress import Dims, Key, Protected, project


@dataclass(frozen=True, slots=True)
class Exposure:
    """A small cell a reader can pin below k: its table, key, value and largest feasible value."""

    dims: Dims
    key: Key
    value: int
    largest: float


def exposures(base: Mapping[Key, int], protected: Protected) -> list[Exposure]:  # noqa: C901
    """Every small cell of ``protected`` whose feasible range stays below k (empty: safe).

    Also reports a published value below k (largest = the value itself)."""
    from scipy.optimize import linprog  # the tests' and benchmarks' dependency only

    k = protected.k
    width = len(next(iter(base), ()))
    everything = tuple(range(width))
    hidden = [key for key, v in protected.table(everything).items() if v is None]
    index = {key: i for i, key in enumerate(hidden)}
    found: list[Exposure] = []
    rows: list[list[float]] = []
    rhs: list[float] = []
    small: list[tuple[Dims, Key, int, list[int]]] = []
    for dims, table in protected.tables.items():
        inside: dict[Key, list[int]] = {}
        known: dict[Key, int] = {}
        for key, value in base.items():
            if value <= 0:
                continue
            cell = project(key, dims)
            if key in index:
                inside.setdefault(cell, []).append(index[key])
            else:
                known[cell] = known.get(cell, 0) + value
        for cell, shown in table.items():
            if shown is not None:
                if shown < k:
                    found.append(Exposure(dims, cell, shown, float(shown)))
                members = inside.get(cell, [])
                if members:
                    row = [0.0] * len(hidden)
                    for i in members:
                        row[i] = 1.0
                    rows.append(row)
                    rhs.append(float(shown - known.get(cell, 0)))
            else:
                true = sum(v for key, v in base.items() if v > 0 and project(key, dims) == cell)
                if true < k:
                    small.append((dims, cell, true, inside.get(cell, [])))
    if not hidden:
        return found
    bounds = [(1.0, None)] * len(hidden)
    for dims, cell, true, members in small:
        objective = [0.0] * len(hidden)
        for i in members:
            objective[i] = -1.0  # maximise the cell's sum
        result = linprog(
            objective,
            A_eq=rows or None,
            b_eq=rhs or None,
            bounds=bounds,
            method="highs",
        )
        if result.status == 3:  # unbounded: nothing pins it
            continue
        if result.status != 0:
            raise AssertionError(f"linear programme failed: {result.message}")
        largest = -float(result.fun)
        if largest < k - 1e-6:
            found.append(Exposure(dims, cell, true, largest))
    return found
