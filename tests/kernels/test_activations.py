"""Accuracy of the inlined exp/sigmoid/tanh, measured in ulp against numpy/mpmath."""

import math
from fractions import Fraction

import mpmath
import numba
import numpy as np
import pytest
from mpmath import iv

from fastlstm._kernels import activations as act
from fastlstm._kernels import intervals

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


# --- The proved error bound (fastlstm/_kernels/intervals.py, "The error of the
# compiled sigmoid and tanh"): every number of the derivation, recomputed. ----

U = Fraction(1, 2 ** 53)
R = Fraction(34658, 100000)
#: Roundings on the path of the coefficient of r**j in _exp_reduced's Estrin scheme.
ROUNDINGS = {1: 3, 2: 6, 3: 7, 4: 8, 5: 9, 6: 10, 7: 11, 8: 12, 9: 13, 10: 14, 11: 15, 12: 14}


def _P():
    """The coefficients c_j of P(r) = r + r**2 Q(r), exact."""
    return {1: Fraction(1), **{k + 2: Fraction(q) for k, q in enumerate(act._Q)}}


def _mpf(q):
    return iv.mpf(q.numerator) / q.denominator


def _fit_error_over_r(lo, hi, pieces=64):
    """A proved bound on |expm1(r) - P(r)| / |r| for lo <= |r| <= hi (Fractions), both signs.

    On each piece, centre m and radius w, expm1(m + t) - P(m + t) = sum_j n_j t**j with
    n_j = e**m / j! - P^(j)(m) / j! (n_0 also - 1), exact for j <= 12 and e**m / j!
    beyond: |sum| <= sum_{j <= 12} |n_j| w**j + e**m w**13 / 13! / (1 - w / 14).  In
    mpmath interval arithmetic (outward rounded), at 200 bits.
    """
    c = _P()
    worst = iv.mpf(0)
    saved = iv.prec
    iv.prec = 200
    try:
        for sign in (1, -1):
            for j in range(pieces):
                a = lo + (hi - lo) * Fraction(j, pieces)
                b = lo + (hi - lo) * Fraction(j + 1, pieces)
                m, w = sign * (a + b) / 2, (b - a) / 2
                em, W = iv.exp(_mpf(m)), _mpf(w)
                total = iv.mpf(0)
                for jj in range(13):
                    pj = sum(c[k] * math.comb(k, jj) * m ** (k - jj) for k in c if k >= jj)
                    nj = em / math.factorial(jj) - _mpf(pj) - (1 if jj == 0 else 0)
                    total += abs(nj) * W ** jj
                total += em * W ** 13 / math.factorial(13) / (1 - W / 14)
                worst = max(worst, (total / _mpf(a)).b)
    finally:
        iv.prec = saved
    return worst


def _fit_error_near_zero(rho):
    """|expm1(r) - P(r)| / |r| <= sum_m |1/(m+1)! - c_{m+1}| rho**m for |r| <= rho (the series)."""
    c = _P()
    total = sum(abs(Fraction(1, math.factorial(m + 1)) - c.get(m + 1, 0)) * rho ** m
                for m in range(1, 40))
    return total + 2 * rho ** 40 / math.factorial(41)


def test_the_error_bound_of_sigmoid_and_tanh_is_derived():
    with mpmath.workprec(200):
        ln2, log2e = mpmath.log(2), 1 / mpmath.log(2)
        # 1. reduction: k within 1/2 + 2**-42 of x log2(e), |x| <= 1000, so |r*| <= R
        k_slack = 1443 * float(U) + 1000 * abs(mpmath.mpf(act._LOG2E) - log2e)
        assert k_slack <= 2.0 ** -42
        assert ln2 * (mpmath.mpf(1) / 2 + mpmath.mpf(2) ** -42) <= _mpf(R).a
        assert abs(ln2 - mpmath.mpf(act._LN2) - mpmath.mpf(act._LN2_LO)) <= mpmath.mpf(2) ** -110
        # the part of |r - r*| not proportional to |r*|: u 1443 L_lo + 1443 * 2**-110
        assert 1443 * (float(U) * act._LN2_LO * 1.01 + 2.0 ** -110) <= 2.0 ** -97
        eR = mpmath.exp(_mpf(R).b)
    # 2. polynomial: rounding (gamma_D = D u / (1 - D u)) and fit
    c = _P()
    alpha = sum(ROUNDINGS[j] * U / (1 - ROUNDINGS[j] * U) * abs(c[j]) * R ** (j - 1)
                for j in c) / U
    assert alpha <= Fraction(42, 10)
    assert _fit_error_near_zero(Fraction(5, 100)) <= Fraction(1, 2 ** 59)
    assert _fit_error_over_r(Fraction(5, 100), R) <= iv.mpf(2) ** -59
    u = float(U)
    dp0 = 4.2 + 2.0 ** -59 / u                   # |p - p*| / (u rho), k = 0
    assert dp0 <= 4.22
    dp = 4.22 * float(R) + float(eR) * (2 * float(R) * (1 + 2 * u) + 2.0 ** -97 / u)
    assert dp <= 2.45                            # |p - p*| / u, k != 0
    e_lo, e_hi = 1 / float(eR), float(eR)        # e**-R and e**R
    assert e_hi < 1.4143 and e_lo > 0.7071
    assert (1 - e_lo) / float(R) >= 0.8451 and 1 - e_hi / 2 >= 0.2928 and 1 - e_hi / 4 >= 0.6464
    # 3. sigmoid: den (k = 0, k <= -1, k < -52), then num and the division
    den = max(dp0 * float(R) / (1 + e_lo) + 1, dp / 2 + 1, 1 + 2.0 ** -53 / u * (1 + dp * u))
    assert den <= 2.23
    assert den + 2 <= 4.3                                            # z >= 0
    num = max(dp0 * float(R), dp) / 0.7071 + 1
    assert num <= 4.46 and num + den + 2 <= 8.7                      # z < 0
    # 4. tanh: num for k = 0, -1, <= -2 (with the rounding of 2**600 - S, k < -53)
    num0 = dp0 / 0.8451
    num1 = 0.5 * dp / 0.2928 + 1
    num2 = 0.25 * dp / 0.6464 + 1 + 2.0 ** -54 / u / 0.6464
    assert num0 <= 5.0 and num1 <= 5.2 and num2 <= 2.8
    assert max(num0, num1, num2) + den + 2 <= 9.5
    # second-order terms below 100 u**2; the margin to the constant the intervals use
    assert (9.5 + 100 * u) * u <= intervals.ACTIVATION_ERROR / 1.6


#: The derived bounds (intervals.py), relative to the true value.
DERIVED = {"sigmoid": 8.7 * 2.0 ** -53, "tanh": 9.5 * 2.0 ** -53}


def _worst_case_points(name):
    """Points where the bound is tightest: where k changes (|r| near R), in the k = 0
    range (tanh's cancellation-free -p/(2 + p)), near z = -3 (sigmoid: e/(1 + e) just
    below a power of two), subnormal sigmoids, tiny arguments, and the clamp."""
    rng = np.random.default_rng(7)
    s = 1.0 if name == "sigmoid" else 0.5       # tanh reduces 2|x|
    turns = np.array([(j + 0.5) * math.log(2) for j in range(64)])
    near = (turns[:, None] + rng.uniform(-1e-6, 1e-6, (64, 20))).ravel() * s
    pts = [near, -near, rng.uniform(-0.36, 0.36, 3000) * s, 10 ** rng.uniform(-300, 0, 500),
           rng.uniform(-40, 40, 2000) * s, [-0.9541171212498785, -0.9541171212498784]]
    if name == "sigmoid":
        pts += [rng.uniform(-3.5, -2.7, 2000), rng.uniform(-745, -700, 500),
                [-1000.0, -999.9, 999.9, 1000.0, 1e300, -1e300]]
    else:
        pts += [[499.9, 500.0, 1e300, 5e-324, -5e-324]]
    return np.concatenate([np.asarray(p, dtype=np.float64) for p in pts])


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_the_error_bound_holds_where_it_is_tightest(name):
    x = _worst_case_points(name)
    got = compiled(name, x)
    tiny = mpmath.mpf(2) ** -1075 if name == "sigmoid" else 0
    with mpmath.workdps(DIGITS):
        for g, xi in zip(got, x):
            exact = REFERENCE[name](mpmath.mpf(float(xi)))
            err = abs(mpmath.mpf(float(g)) - exact)
            assert err <= DERIVED[name] * abs(exact) + tiny, (name, xi)
            assert err <= intervals.ACTIVATION_ERROR * abs(exact) + tiny


def test_the_compiled_sigmoid_is_not_monotone_from_one_ulp_to_the_next():
    # Why the interval routines and prove_by_abstraction must not assume it (issue 20).
    lo, hi = -0.9541171212498785, -0.9541171212498784
    assert np.nextafter(lo, 0.0) == hi
    s = compiled("sigmoid", np.array([lo, hi]))
    assert s[0] > s[1]
