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
def isigmoid(alo, ahi):
    """sigmoid of an interval, within [0, 1]."""
    return max(0.0, down(sigmoid(alo), _PAD_FUNC)), min(1.0, up(sigmoid(ahi), _PAD_FUNC))


@numba.njit(**INLINE_JIT)
def itanh(alo, ahi):
    """tanh of an interval, within [-1, 1]."""
    return max(-1.0, down(tanh(alo), _PAD_FUNC)), min(1.0, up(tanh(ahi), _PAD_FUNC))


@numba.njit(**INLINE_JIT)
def sigmoid_slope(slo, shi):
    """``{s (1 - s) : s in [slo, shi]}`` for ``0 <= slo <= shi <= 1`` (peak 1/4 at s = 1/2)."""
    a = slo * (1.0 - slo)
    b = shi * (1.0 - shi)
    hi = 0.25 if slo <= 0.5 <= shi else max(a, b)
    return max(0.0, down(min(a, b), _PAD_ARITH)), up(hi, _PAD_ARITH)


@numba.njit(**INLINE_JIT)
def one_minus_square(alo, ahi):
    """``{1 - a**2 : a in [alo, ahi]}`` (the slope of tanh from its value)."""
    qlo, qhi = square(alo, ahi)
    return down(1.0 - qhi, _PAD_ARITH), up(1.0 - qlo, _PAD_ARITH)
