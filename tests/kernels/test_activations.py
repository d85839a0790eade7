"""Accuracy of the inlined exp/sigmoid/tanh, measured in ulp against numpy/mpmath."""

import mpmath
import numba
import numpy as np
import pytest

from fastlstm._kernels import activations as act

#: Digits of the mpmath references (set where they are computed: other tests may
#: change mpmath's global precision).
DIGITS = 40


@numba.njit
def _apply(kind, x, out):
    for k in range(x.size):
        if kind == 0:
            out[k] = act.exp_(x[k])
        elif kind == 1:
            out[k] = act.sigmoid(x[k])
        else:
            out[k] = act.tanh(x[k])


def compiled(name, x):
    out = np.empty_like(x)
    _apply(("exp", "sigmoid", "tanh").index(name), x, out)
    return out


REFERENCE = {  # correctly rounded references
    "exp": mpmath.exp,
    "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
    "tanh": mpmath.tanh,
}


def ulp_error(got, x, ref):
    """|got - ref(x)| in units of the spacing of float64 at ref(x)."""
    worst = 0.0
    with mpmath.workdps(DIGITS):
        for g, xi in zip(got, x):
            r = ref(mpmath.mpf(float(xi)))
            spacing = float(np.spacing(abs(float(r)))) if r != 0 else 5e-324
            worst = max(worst, float(abs(mpmath.mpf(float(g)) - r)) / spacing)
    return worst


def samples(lo, hi, n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(lo, hi, n), rng.uniform(-1, 1, n // 3),
                           rng.standard_normal(n // 3) * 1e-4])


@pytest.mark.parametrize("name, lo, hi, bound", [
    ("exp", -745.0, 709.7, 2.0),       # subnormal results and the largest finite ones
    ("sigmoid", -740.0, 740.0, 2.5),
    ("sigmoid", -40.0, 40.0, 2.5),
    ("sigmoid", -3.5, -2.7, 2.5),      # where e/(1+e) is just below a power of two: worst case
    ("tanh", -25.0, 25.0, 3.0),
    ("tanh", -0.7, 0.7, 3.0),          # worst case: -p/(2 + p) carries the rounding of p
])
def test_ulp_error_against_correctly_rounded(name, lo, hi, bound):
    x = samples(lo, hi)
    assert ulp_error(compiled(name, x), x, REFERENCE[name]) <= bound


@pytest.mark.parametrize("name, numpy_ref", [
    ("exp", np.exp),
    ("tanh", np.tanh),
])
def test_close_to_numpy_on_a_million_points(name, numpy_ref):
    # numpy's own error is <= 1 ulp, so ours is within 3 ulp of numpy's.
    x = np.random.default_rng(1).uniform(-30, 30, 10**6)
    got, ref = compiled(name, x), numpy_ref(x)
    assert (np.abs(got - ref) <= 3 * np.spacing(np.abs(ref))).all()


def test_special_values():
    x = np.array([-1e308, -1000.0, -746.0, 0.0, -0.0, 710.0, 1e308])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(compiled("exp", x), np.exp(x))
    np.testing.assert_array_equal(compiled("sigmoid", x), [0, 0, 0, 0.5, 0.5, 1, 1])
    t = compiled("tanh", x)
    np.testing.assert_array_equal(t, [-1, -1, -1, 0, 0, 1, 1])
    assert np.signbit(t[4])  # tanh(-0.0) = -0.0
    tiny = np.array([1e-300, -5e-324])
    np.testing.assert_array_equal(compiled("tanh", tiny), tiny)
    np.testing.assert_array_equal(compiled("sigmoid", np.array([-745.0])), [5e-324])


@numba.njit
def _exp_neg_and_exp(a, s, neg, plain):
    for k in range(a.size):
        neg[k] = act._exp_neg(a[k], s)
        plain[k] = act.exp_(-s * a[k])  # -s * a is exact: s is a power of two


@pytest.mark.parametrize("s", [1.0, 2.0])
def test_exp_neg_gives_the_bits_of_exp(s):
    # _exp_neg builds 2**k by adding to exponent bits where exp_ uses two fma
    # scalings; its docstring derives that both round once, identically.
    rng = np.random.default_rng(1)
    a = np.concatenate([rng.uniform(0, 1, 20000), rng.uniform(0, 40, 20000),
                        rng.uniform(700 / s, 760 / s, 20000),  # subnormal results, and 0
                        10 ** rng.uniform(-300, 3.1, 20000), [0.0, 5e-324, 1e308]])
    neg, plain = np.empty_like(a), np.empty_like(a)
    _exp_neg_and_exp(a, s, neg, plain)
    assert (neg > 0).any() and (neg < 2.2250738585072014e-308).any() and (neg == 0).any()
    np.testing.assert_array_equal(neg.view(np.int64), plain.view(np.int64))
    _exp_neg_and_exp(np.array([np.nan]), s, neg[:1], plain[:1])
    assert np.isnan(neg[0]) and np.isnan(plain[0])  # a NaN is not turned into a number
