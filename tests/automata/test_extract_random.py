"""Random saturated cells: their machines must agree with ``run`` on every string.

Weights are multiples of 25 in [-200, 200] with threshold 1, so every
pre-activation driven by a rounded h is 0 or saturated and most cells are
finite-state; the others must be reported as such (ValueError), never hang.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlstm as fl

from .. import naive

ALL10 = np.array(list(itertools.product((0.0, 1.0), repeat=10)))
MAX_STATES = 2000

weights = st.lists(st.integers(-8, 8).map(lambda k: 25.0 * k), min_size=12, max_size=12)


def bits(a):
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64)


def all_pairs_distinguishable(table, outputs):
    """Plain table-filling: is every pair of states told apart by some input?"""
    n, A = len(outputs), len(table[0])
    apart = {(p, q) for p in range(n) for q in range(p + 1, n) if outputs[p] != outputs[q]}
    changed = True
    while changed:
        changed = False
        for p in range(n):
            for q in range(p + 1, n):
                if (p, q) in apart:
                    continue
                for a in range(A):
                    r, s = sorted((table[p][a], table[q][a]))
                    if r != s and (r, s) in apart:
                        apart.add((p, q))
                        changed = True
                        break
    return len(apart) == n * (n - 1) // 2


def check_cell(cell, semantics):
    """Returns False when the cell is not finite-state within MAX_STATES."""
    cell = fl.ScalarLSTM.from_array(cell)
    try:
        m = fl.extract_automaton(cell, max_states=MAX_STATES, **semantics)
    except ValueError as exc:
        assert f"not finite within max_states={MAX_STATES}" in str(exc)
        return False
    # Every string of length <= 10 is a prefix of one of length 10.
    ref = fl.run_batch(cell, ALL10, **semantics)
    got = m.trajectory(ALL10)
    assert (bits(got.h) == bits(ref.h)).all()
    assert (bits(got.c) == bits(ref.c)).all()
    minimal = m.minimize()
    for row, expected in zip(ALL10, ref.rounded):
        assert (m.run(row) == expected).all()
        assert (minimal.run(row) == expected).all()
    if len(minimal) <= 60:
        assert all_pairs_distinguishable(minimal.transitions.tolist(), minimal.outputs.tolist())
    # The plain oracle agrees within its propagated error bounds, up to the
    # first step where correct engines may take different branches.
    for row in ALL10[::97]:
        oracle = naive.run(cell, row, **semantics)
        eh, ec, fragile = naive.error_bounds(cell, row, **semantics)
        tr = m.trajectory(row)
        for t in range(fragile):
            assert abs(tr.h[t] - oracle["h"][t]) <= eh[t]
            assert abs(tr.c[t] - oracle["c"][t]) <= ec[t]
    return True


@settings(max_examples=40, deadline=None)
@given(cell=weights, inclusive=st.booleans(), round_feedback=st.booleans())
def test_random_saturated_cell_machine_agrees_with_run(cell, inclusive, round_feedback):
    check_cell(cell, dict(activation="saturated", inclusive=inclusive,
                          round_feedback=round_feedback))


def test_seeded_random_cells_are_mostly_finite_and_agree():
    rng = np.random.default_rng(2024)
    finite = 0
    for k in range(30):
        cell = 25.0 * rng.integers(-8, 9, size=12)
        finite += check_cell(cell, dict(activation="saturated", round_feedback=bool(k % 2)))
    assert finite >= 15     # a check that the property test above is not vacuous


@pytest.mark.parametrize("round_feedback", [True, False])
def test_random_exact_cells_agree_where_finite(round_feedback):
    # Exact activations with large weights saturate in float64, so many are
    # finite-state too; the machine must still be bit-identical to run.
    rng = np.random.default_rng(7)
    for _ in range(15):
        check_cell(25.0 * rng.integers(-8, 9, size=12),
                   dict(activation="exact", round_feedback=round_feedback))
