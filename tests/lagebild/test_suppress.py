"""Suppression: on random counter tables no output reveals a cell below k, directly or by
subtraction (an exact linear programme over everything the output publishes, testbed/disclosure).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ConfigError
from bot.lagebild.audit import protected
from bot.lagebild.suppress import Protected, check_k, group, protect
from testbed.disclosure import exposures

WEEKS = ("2026-W01", "2026-W02", "2026-W03")
TOPICS = ("threat", "hate", "assault")
LANDS = ("BY", "SN")
REGIONS = ("none", "14999")
CHANNELS = ("telegram", "matrix")
OUTCOMES = ("services_shown", "handoff_requested", "handoff_nobody_free")

keys = st.tuples(
    st.sampled_from(WEEKS),
    st.sampled_from(TOPICS),
    st.sampled_from(LANDS),
    st.sampled_from(REGIONS),
    st.sampled_from(CHANNELS),
    st.sampled_from(OUTCOMES),
)
#: small counts often (the interesting case), large ones sometimes
counts = st.one_of(st.integers(1, 4), st.integers(1, 12), st.integers(20, 60))
tables = st.dictionaries(keys, counts, min_size=1, max_size=40)

#: a two-dimensional family: a table with its row, column and grand totals
TWO_D = ((0,), (1,), ())


def test_k_below_three_is_refused() -> None:
    with pytest.raises(ConfigError):
        check_k(2)
    assert check_k(3) == 3


def test_a_lone_small_cell_takes_a_partner_in_its_row_and_column() -> None:
    base = {("a", "x"): 2, ("a", "y"): 9, ("b", "x"): 8, ("b", "y"): 20}
    shown = protect(base, TWO_D, 5)
    cells = shown.table((0, 1))
    assert cells[("a", "x")] is None
    assert sum(v is None for k, v in cells.items() if k[0] == "a") >= 2
    assert sum(v is None for k, v in cells.items() if k[1] == "x") >= 2
    assert not exposures(base, shown)


def test_the_check_finds_a_subtraction() -> None:
    """The audit is not vacuous: primary suppression alone leaks through the totals."""
    base = {("a", "x"): 2, ("a", "y"): 9, ("b", "x"): 8, ("b", "y"): 20}
    naive = protect(base, TWO_D, 5)
    leaky = Protected(
        5,
        {
            dims: {key: (None if v < 5 else v) for key, v in group(base, dims).items()}
            for dims in naive.tables
        },
        1,
        0,
    )
    assert [(e.key, e.value) for e in exposures(base, leaky)] == [(("a", "x"), 2)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.dictionaries(
        st.tuples(st.sampled_from("abcd"), st.sampled_from("wxyz")), counts, min_size=1, max_size=16
    ),
    k=st.integers(3, 7),
)
def test_two_dimensional_tables_with_totals_never_reveal_a_small_cell(
    base: dict[tuple[str, ...], int], k: int
) -> None:
    shown = protected(base, TWO_D, k)
    assert exposures(base, shown) == []


@pytest.mark.fuzz
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=tables, k=st.integers(3, 6))
def test_the_lagebild_family_never_reveals_a_small_cell(
    base: dict[tuple[str, ...], int], k: int
) -> None:
    from bot.lagebild.tables import FAMILY

    shown = protected(base, FAMILY, k)
    assert exposures(base, shown) == []


def test_the_exact_step_closes_what_the_heuristic_leaves() -> None:
    """Linked totals defeat the pairwise heuristic here; the linear programme finds it and the
    published result suppresses more."""
    base = {("a", "w"): 3, ("a", "x"): 1, ("a", "y"): 2, ("b", "w"): 1, ("b", "x"): 1}
    assert exposures(base, protect(base, TWO_D, 3)) != []
    assert exposures(base, protected(base, TWO_D, 3)) == []
