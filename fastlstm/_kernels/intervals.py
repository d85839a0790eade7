"""Float64 interval arithmetic with outward rounding, for certified computations.

An interval is a pair ``(lo, hi)`` of floats with ``lo <= hi``; every
operation returns an interval that contains the exact (real) result for every
pair of real operands in its arguments.  Numba cannot switch the rounding
mode, so each computed endpoint is widened instead:

* ``+ - * /`` are correctly rounded (error <= 1/2 ulp; with the ``arcp``
  option a division is a reciprocal and a product, <= 1.5 ulp): endpoints
  are widened by ``_PAD_ARITH`` = 2**-50 relative (>= 4 ulps), plus 2**-1060
  absolute for results that underflow.
* ``sigmoid`` and ``tanh`` are the package's own kernels (activations.py),
  within 3 ulp of the correctly rounded value (sigmoid 2.5; measured against
  mpmath in tests/kernels/test_activations.py, and re-checked for the interval
  bounds in tests/kernels/test_intervals.py); endpoints are widened by
  ``_PAD_FUNC`` = 2**-48 relative (16 ulps: a margin of 5 over the tested bound).

Both functions are increasing, so the image of ``[lo, hi]`` is
``[f(lo), f(hi)]``, widened.  The widening subtraction itself rounds, by at
most half an ulp, which the margins absorb.  NaN (``0 * inf``) becomes the
whole line, so a result is never falsely narrow.
"""

from __future__ import annotations

import math

import numba

from .._config import INLINE_JIT
from .activations import sigmoid, tanh

_PAD_ARITH = 2.0 ** -50
_PAD_FUNC = 2.0 ** -48
_TINY = 2.0 ** -1060
_INF = math.inf


@numba.njit(**INLINE_JIT)
def down(x, pad):
    """A float <= every real within ``pad * |x|`` (plus _TINY) of ``x``."""
    return x - (abs(x) * pad + _TINY)


@numba.njit(**INLINE_JIT)
def up(x, pad):
    """A float >= every real within ``pad * |x|`` (plus _TINY) of ``x``."""
    return x + (abs(x) * pad + _TINY)


@numba.njit(**INLINE_JIT)
def whole_if_nan(lo, hi):
    """``(lo, hi)``, or the whole line if either is NaN."""
    if lo != lo or hi != hi:
        return -_INF, _INF
    return lo, hi


@numba.njit(**INLINE_JIT)
def add(alo, ahi, blo, bhi):
    return whole_if_nan(down(alo + blo, _PAD_ARITH), up(ahi + bhi, _PAD_ARITH))


@numba.njit(**INLINE_JIT)
def sub(alo, ahi, blo, bhi):
    return whole_if_nan(down(alo - bhi, _PAD_ARITH), up(ahi - blo, _PAD_ARITH))


@numba.njit(**INLINE_JIT)
def mul(alo, ahi, blo, bhi):
    p1 = alo * blo
    p2 = alo * bhi
    p3 = ahi * blo
    p4 = ahi * bhi
    lo = min(min(p1, p2), min(p3, p4))
    hi = max(max(p1, p2), max(p3, p4))
    if p1 != p1 or p2 != p2 or p3 != p3 or p4 != p4:
        return -_INF, _INF
    return down(lo, _PAD_ARITH), up(hi, _PAD_ARITH)


@numba.njit(**INLINE_JIT)
def div(alo, ahi, blo, bhi):
    """``[alo, ahi] / [blo, bhi]``; the whole line when the divisor may be 0."""
    if blo <= 0.0 <= bhi:
        return -_INF, _INF
    q1 = alo / blo
    q2 = alo / bhi
    q3 = ahi / blo
    q4 = ahi / bhi
    if q1 != q1 or q2 != q2 or q3 != q3 or q4 != q4:
        return -_INF, _INF
    lo = min(min(q1, q2), min(q3, q4))
    hi = max(max(q1, q2), max(q3, q4))
    return down(lo, _PAD_ARITH), up(hi, _PAD_ARITH)


@numba.njit(**INLINE_JIT)
def square(alo, ahi):
    """``{a**2 : a in [alo, ahi]}`` (tighter than mul(a, a) when 0 is inside)."""
    if alo <= 0.0 <= ahi:
        return 0.0, up(max(alo * alo, ahi * ahi), _PAD_ARITH)
    lo = min(alo * alo, ahi * ahi)
    hi = max(alo * alo, ahi * ahi)
    return max(0.0, down(lo, _PAD_ARITH)), up(hi, _PAD_ARITH)


@numba.njit(**INLINE_JIT)
def sigmoid_down(z):
    """A float <= sigmoid(z), >= 0."""
    return max(0.0, down(sigmoid(z), _PAD_FUNC))


@numba.njit(**INLINE_JIT)
def sigmoid_up(z):
    """A float >= sigmoid(z), <= 1."""
    return min(1.0, up(sigmoid(z), _PAD_FUNC))


@numba.njit(**INLINE_JIT)
def isigmoid(alo, ahi):
    """sigmoid of an interval, within [0, 1]."""
    return sigmoid_down(alo), sigmoid_up(ahi)


@numba.njit(**INLINE_JIT)
def itanh(alo, ahi):
    """tanh of an interval, within [-1, 1]."""
    return max(-1.0, down(tanh(alo), _PAD_FUNC)), min(1.0, up(tanh(ahi), _PAD_FUNC))


@numba.njit(**INLINE_JIT)
def _abs_range(alo, ahi):
    """``(min |a|, max |a|)`` over ``[alo, ahi]``."""
    if alo <= 0.0 <= ahi:
        return 0.0, max(-alo, ahi)
    if alo > 0.0:
        return alo, ahi
    return -ahi, -alo


@numba.njit(**INLINE_JIT)
def sigmoid_slope(zlo, zhi):
    """``{sigmoid'(z) : z in [zlo, zhi]}``, within [0, 1/4].

    From z, not from the value s of sigmoid (as s (1 - s)): where s is near
    1, 1 - s would carry the absolute widening of s and lose every relative
    digit.  sigmoid' is even and decreasing in |z|, so its range is its
    values at the largest and the smallest |z|; at |z| = a it is q (1 - q)
    with q = sigmoid(-a) in (0, 1/2], where q (1 - q) increases with q: the
    enclosure of q gives the bounds, and 1 - q >= 1/2 keeps its relative
    accuracy.  Each bound has two roundings (1 - q and the product, or one
    with a fused multiply-add), within the 4 ulp of the widening.
    """
    if zlo != zlo or zhi != zhi:
        return 0.0, 0.25
    m, big = _abs_range(zlo, zhi)
    qlo = sigmoid_down(-big)
    qhi = min(0.5, sigmoid_up(-m))
    return max(0.0, down(qlo * (1.0 - qlo), _PAD_ARITH)), min(0.25, up(qhi * (1.0 - qhi), _PAD_ARITH))


@numba.njit(**INLINE_JIT)
def tanh_slope(zlo, zhi):
    """``{tanh'(z) = 1 - tanh(z)**2 = 4 sigmoid'(2 z) : z in [zlo, zhi]}``, within [0, 1].

    From z for the same reason as ``sigmoid_slope``: at |z| = 30, 1 - tanh**2
    is 4e-26, and 1 - t**2 of a widened t would be [0, 1e-15].  (2 z and the
    factor 4 are exact; 2 z may overflow to inf, where the slope is 0.)
    """
    lo, hi = sigmoid_slope(2.0 * zlo, 2.0 * zhi)
    return 4.0 * lo, 4.0 * hi
