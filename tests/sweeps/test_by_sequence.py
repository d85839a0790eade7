"""Sweeps of a few cells run sequence-parallel (sweeps.by_sequence): the same
numbers, bit for bit, as the cell-parallel sweep kernel gives the same cells."""

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.sweeps import by_sequence

ALL_SEMANTICS = [dict(activation=a, inclusive=inc, round_feedback=rf)
                 for a in ("exact", "saturated") for inc in (True, False) for rf in (False, True)]


@pytest.mark.parametrize("sem", ALL_SEMANTICS)
def test_few_cells_equal_the_same_cells_in_the_sweep_kernel(sem):
    rng = np.random.default_rng(12)
    few = fl.random_params(3, -5, 5, seed=3)
    # The same 3 cells among 70 rows take the cell-parallel kernel.
    many = np.concatenate([few.values, fl.random_params(67, -5, 5, seed=4).values])
    assert by_sequence.applies(3, "float64", "numba")
    assert not by_sequence.applies(70, "float64", "numba")
    X = rng.integers(0, 2, (40, 9)).astype(float)
    X[5] = X[4]  # shared prefixes, which only the kernel path shares
    target = rng.integers(-1, 2, X.shape)
    kw = dict(sem, threshold=0.75, h0=rng.uniform(-1, 1, 40), c0=0.5, target=target)
    for record in ("final", "trajectory", "rounded"):
        a = fl.sweep(few, X, record=record, **kw)
        b = fl.sweep(many, X, record=record, **kw)
        for name in ("h", "c", "rounded"):
            got, want = getattr(a, name), getattr(b, name)
            assert (got is None) == (want is None)
            if got is not None:
                assert got.tobytes() == want[:3].tobytes(), (record, name)
        np.testing.assert_array_equal(a.accuracy, b.accuracy[:3])


def test_score_rounding_matches_round_half_to_zero():
    h = np.array([-1.0, -0.5000001, -0.5, -0.0, 0.0, 0.5, 0.50001, 1.0])
    np.testing.assert_array_equal(by_sequence.score_rounding(h),
                                  fl.round_half_to_zero(h).astype(np.int8))
