"""The exact check behind every published table: no small cell can be pinned below k.

:func:`bot.lagebild.suppress.protect` is a fast heuristic; :func:`protected` runs it and then
asks a linear programme (SciPy's HiGHS, imported only here) for the largest value every small
cell can take given everything published (absent cells are 0, listed base cells at least 1).
Where that stays below k, the smallest published cell that contains one of its base cells is
suppressed as well (in the most detailed table first, so that the totals stay), the heuristic
runs again, and so on until every small cell can reach k. This always ends: with every cell
around a small cell suppressed it can take any value. ``beistand stats`` and ``beistand
report`` publish only such a result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from bot.lagebild.suppress import Dims, Key, Protected, group, project, protect


def _hidden_base(protected: Protected, width: int) -> list[Key]:
    return [key for key, v in protected.table(tuple(range(width))).items() if v is None]


def exposed(  # noqa: C901 - collecting the equations and the cells, then solving
    base: Mapping[Key, int], protected: Protected
) -> list[tuple[Dims, Key]]:
    """The small cells (below k, suppressed) whose largest feasible value is below k."""
    import numpy as np
    from scipy.optimize import linprog

    k = protected.k
    width = len(next(iter(base), ()))
    variables = {key: i for i, key in enumerate(_hidden_base(protected, width))}
    if not variables:
        return []
    equations: list[tuple[list[int], float]] = []
    small: list[tuple[Dims, Key, list[int]]] = []
    for dims, table in protected.tables.items():
        members: dict[Key, list[int]] = defaultdict(list)
        fixed: dict[Key, int] = defaultdict(int)
        for key, value in base.items():
            if value > 0:
                cell = project(key, dims)
                if key in variables:
                    members[cell].append(variables[key])
                else:
                    fixed[cell] += value
        truth = group(base, dims)
        for cell, shown in table.items():
            if shown is not None and members.get(cell):
                equations.append((members[cell], float(shown - fixed[cell])))
            elif shown is None and truth[cell] < k:
                small.append((dims, cell, members[cell]))
    if not small or not equations:  # nothing published pins a hidden cell
        return []
    a_eq, b_eq = _matrix(equations, len(variables))
    n = len(variables)
    open_cells = list(range(len(small)))
    while open_cells:  # joint programmes while they certify cells, then one per cell
        reached = _joint(small, open_cells, a_eq, b_eq, n, k)
        still = [p for p in open_cells if p not in reached]
        if len(still) == len(open_cells):
            break
        open_cells = still
    found: list[tuple[Dims, Key]] = []
    for p in open_cells:
        dims, cell, cells = small[p]
        objective = np.zeros(n)
        objective[cells] = -1.0
        result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(1, None), method="highs")
        if result.status == 0 and -result.fun < k - 1e-6:
            found.append((dims, cell))
    return found


def _joint(
    small: list[tuple[Dims, Key, list[int]]],
    chosen: list[int],
    a_eq: Any,
    b_eq: Any,
    n: int,
    k: int,
) -> set[int]:
    """The cells of ``chosen`` that reach k together in one programme: t_p <= the sum of the
    cell's variables, 0 <= t_p <= k, maximise the sum of t."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_array

    if not chosen:
        return set()
    m = len(chosen)
    rows = [r for r, p in enumerate(chosen) for _ in small[p][2]] + list(range(m))
    cols = [i for p in chosen for i in small[p][2]] + [n + r for r in range(m)]
    data = [-1.0] * (len(rows) - m) + [1.0] * m
    a_ub = csr_array((data, (rows, cols)), shape=(m, n + m))
    wide = csr_array((a_eq.data, a_eq.indices, a_eq.indptr), shape=(a_eq.shape[0], n + m))
    objective = np.concatenate([np.zeros(n), -np.ones(m)])
    bounds = [(1, None)] * n + [(0, k)] * m
    result = linprog(
        objective,
        A_ub=a_ub,
        b_ub=np.zeros(m),
        A_eq=wide,
        b_eq=b_eq,
        bounds=bounds,
        method="highs",
    )
    if result.status != 0:
        return set()
    x = result.x[:n]
    return {p for p in chosen if x[small[p][2]].sum() >= k - 1e-6}


def _matrix(equations: list[tuple[list[int], float]], n: int) -> tuple[Any, Any]:
    import numpy as np
    from scipy.sparse import csr_array

    rows = [r for r, (vs, _) in enumerate(equations) for _ in vs]
    cols = [v for vs, _ in equations for v in vs]
    a_eq = csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(equations), n))
    return a_eq, np.array([b for _, b in equations])


def protected(base: Mapping[Key, int], families: Sequence[Dims], k: int) -> Protected:
    """:func:`~bot.lagebild.suppress.protect`, then suppressed further until :func:`exposed`
    finds nothing."""
    forced: dict[Dims, set[Key]] = defaultdict(set)
    result = protect(base, families, k)
    width = len(next(iter(base), ()))
    while bad := exposed(base, result):
        for dims, cell in bad:
            inner = [key for key in base if project(key, dims) == cell]
            options = [
                (-len(d), v, d, c)
                for d, table in result.tables.items()
                for c, v in table.items()
                if v is not None and len(d) < width and any(project(key, d) == c for key in inner)
            ]
            if not options:  # pragma: no cover - nothing pins a cell no coarse cell contains
                raise AssertionError(f"exposed without a published total: {cell}")
            _, _, d, c = min(options)
            forced[d].add(c)
        result = protect(base, families, k, forced)
    return result
