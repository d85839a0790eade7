"""Semantics validation and round_half_to_zero (by hand, from docs/semantics.md)."""

import math

import numpy as np
import pytest

import fastlstm as fl


@pytest.mark.parametrize("v, expected", [
    (0.5, 0.0), (-0.5, -0.0), (0.49, 0.0), (0.51, 1.0), (1.5, 1.0), (-1.5, -1.0),
    (2.5000001, 3.0), (-0.38, -0.0), (0.0, 0.0), (-0.0, -0.0), (7.0, 7.0),
    (0.7616, 1.0), (-0.7616, -1.0), (0.3808, 0.0),
])
def test_round_half_to_zero_by_hand(v, expected):
    r = fl.round_half_to_zero(v)
    assert r == expected
    assert math.copysign(1, r) == math.copysign(1, expected)  # keeps the sign of zero


@pytest.mark.parametrize("v", [2.0 ** 52 + 1, 2.0 ** 53 + 2, 1e300, 2.0 ** 52 - 1.5])
def test_round_half_to_zero_of_integral_floats(v):
    # |v| - 1/2 is not a float64 for 2**52 <= |v| < 2**53: 2**52 + 1 used to round to 2**52.
    expected = v if v >= 2.0 ** 52 else v - 0.5  # 2**52 - 1.5: a half, toward zero
    assert fl.round_half_to_zero(v) == expected and fl.round_half_to_zero(-v) == -expected
    np.testing.assert_array_equal(fl.round_half_to_zero([v, -v]), [expected, -expected])


def test_round_half_to_zero_arrays():
    a = np.array([[0.5, -2.5], [2.6, -0.2]])
    np.testing.assert_array_equal(fl.round_half_to_zero(a), [[0, -2], [3, -0.0]])


@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(activation="Exact"), ValueError, "activation"),
    (dict(threshold=0.0), ValueError, "threshold"),
    (dict(threshold=float("inf")), ValueError, "threshold"),
    (dict(threshold="1"), TypeError, "threshold"),
    (dict(inclusive=None), TypeError, "inclusive"),
])
def test_semantics_rejects(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        fl.Semantics(**kwargs)


def test_table_rows_are_design_rows():
    rows = {name: fl.Semantics(**kw) for name, kw in fl.TABLE_ROWS.items()}
    assert rows["exact"].activation == "exact"
    assert rows["saturated closed, rounded feedback"].round_feedback
    assert not rows["saturated open, raw feedback"].inclusive
