"""Float64 interval arithmetic with outward rounding, for certified computations.

An interval is a pair ``(lo, hi)`` of floats with ``lo <= hi``; every
operation returns an interval that contains the exact (real) result for every
pair of real operands in its arguments.  Numba cannot switch the rounding
mode, so each computed endpoint is widened instead:

* ``+ - * /`` are correctly rounded (error <= 1/2 ulp; with the ``arcp``
  option a division is a correctly rounded reciprocal and a product, <= 1 ulp;
  ``contract`` only fuses a product into a sum, one rounding fewer): endpoints
  are widened by ``_PAD_ARITH`` = 2**-50 relative (>= 4 ulps), plus 2**-1022
  absolute for results that underflow (the smallest normal float: a subnormal
  operand costs ~100 cycles on x86, a microcode assist, in every widening).
* ``sigmoid`` and ``tanh`` are the package's own compiled functions
  (activations.py), the very code ``fl.run`` runs; their error is *proved*
  (below) to be at most ``ACTIVATION_ERROR`` = 2**-49 relative, plus 2**-1074
  absolute for a sigmoid that underflows.  An endpoint is widened by
  ``_PAD_FUNC`` = 2**-48 relative and 2**-1022 absolute, which covers that
  error measured from the computed value (2**-49 / (1 - 2**-49)) and the
  rounding of the widening itself.

The true sigmoid and tanh are increasing, so the image of ``[lo, hi]`` is
``[f(lo), f(hi)]``, enclosed by ``[f_c(lo) - pad, f_c(hi) + pad]``: nothing
rests on the compiled functions being monotone (they are not, from one ulp to
the next: ``sigmoid_c(-0.9541171212498785) > sigmoid_c(-0.9541171212498784)``).
NaN (``0 * inf``) becomes the whole line, so a result is never falsely narrow.

The error of the compiled sigmoid and tanh
------------------------------------------
u = 2**-53; every float operation below rounds to nearest (error <= u
relative, or 2**-1075 absolute where it underflows), a fused multiply-add
rounds once, and the division ``num / den`` is either one rounding or, under
``arcp``, two (``num * (1 / den)``).  Both functions call ``_exp_parts(a, s)``
for a = |z| >= 0, s = 1 (sigmoid) or 2 (tanh).

1. *Reduction.*  x = -s a is exact and |x| <= 1000 after the clamp; k is the
   integer nearest x log2(e) as rounded, within 1/2 + 2**-42, so
   r* = x - k ln2 has |r*| <= R = 0.34658.  r = fma(k, -L_lo, fma(k, -L, x))
   (L + L_lo = ln2 within 2**-110, |k| <= 1443) rounds twice:
   |r - r*| <= 2u|r*| + 2**-97, and r = r* = x exactly when k = 0.
2. *Polynomial.*  p = P_c(r) evaluates P(r) = r + r**2 Q(r) by Estrin's
   scheme; the coefficient c_j of r**j passes through at most D_j roundings
   (D = 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 14 for j = 1..12), so
   |P_c(r) - P(r)| <= sum_j D_j u |c_j| rho**j <= 4.2 u rho (rho = |r| <= R;
   a fusion only drops a rounding; where products underflow, every term but
   r is below rho**2 and the loss below 2**-500 rho).  The fit error
   |P(r) - expm1(r)| <= 2**-59 rho is proved on [-R, R] by Taylor models in
   mpmath interval arithmetic (tests/kernels/test_activations.py).  With |expm1'| <= e**R < 1.4143 on
   [r, r*]: |p - expm1(r*)| <= 4.22 u rho for k = 0, and <= 2.45 u for k != 0.
   The result e**x = (1 + p*) 2**k, p* = expm1(r*), 1 + p* >= e**-R > 0.7071.
3. *sigmoid*, e = e**-a: den = fma(S, p, 2**600 + S) (S = 2**(k + 600)) is
   2**600 (1 + e) within 2.23 u relative (|2**k (p - p*)| / (1 + e) plus
   one rounding, and 2**-53 more where 2**600 + S rounds, k < -52).  For
   z >= 0 the numerator 2**600 is exact: error <= 2.23 u + 2 u = 4.3 u.  For
   z < 0, num = fma(S, p, S) is 2**600 e within |p - p*| / 0.7071 + u <=
   4.46 u: error <= 4.46 u + 2.23 u + 2 u <= 8.7 u, and 2**-1075 absolute
   more where the quotient is subnormal (z < -708).  Beyond the clamp
   (|z| > 1000) the result is 0 or 1, within e**-1000 < 2**-1442.
4. *tanh*, e = e**-2a: num = fma(-S, p, 2**600 - S) against 2**600 (1 - e).
   k = 0: num = -2**600 p exactly, and |p*| >= 0.8451 rho, so num is within
   4.22 / 0.8451 u = 5.0 u; k = -1: 1 - e >= 0.2928, within 0.5 * 2.45 u /
   0.2928 + u = 5.2 u; k <= -2: 1 - e >= 0.6464, within 0.95 u + u + 0.78 u
   (the rounding of 2**600 - S, k < -53) = 2.8 u.  With den (2.23 u) and the
   division (2 u): error <= 9.5 u.  copysign is exact.

So |sigmoid_c(z) - sigmoid(z)| <= 8.7 u sigmoid(z) + 2**-1075 and
|tanh_c(x) - tanh(x)| <= 9.5 u |tanh(x)| (second-order terms are below
100 u**2); ``ACTIVATION_ERROR`` = 16 u = 2**-49 leaves a margin of 1.7.
tests/kernels/test_activations.py recomputes every number above (the
rounding counts, the fit error by Taylor models, the ranges) and checks the
bounds against mpmath at points placed on the worst cases (k changing,
e/(1 + e) below a power of two, |x| < R/2 for tanh, subnormal sigmoids).
"""

from __future__ import annotations

import math

import numba

from .._config import JIT

# Ordinary compiled functions, not Numba-level inline="always": nothing here
# runs in a SIMD loop, LLVM still inlines what pays, and Numba's inlining made
# fixed_points.isolate take 27 s to compile instead of 8 s (same bits).
from .activations import sigmoid, tanh

_PAD_ARITH = 2.0 ** -50
#: Proved bound on the relative error of the compiled sigmoid and tanh (module
#: docstring): |f_c(z) - f(z)| <= ACTIVATION_ERROR |f(z)|, plus 2**-1074 for sigmoid.
ACTIVATION_ERROR = 2.0 ** -49
_PAD_FUNC = 2.0 * ACTIVATION_ERROR
_TINY = 2.0 ** -1022
_INF = math.inf


@numba.njit(**JIT)
def down(x, pad):
    """A float <= every real within ``pad * |x|`` (plus _TINY) of ``x``."""
    return x - (abs(x) * pad + _TINY)


@numba.njit(**JIT)
def up(x, pad):
    """A float >= every real within ``pad * |x|`` (plus _TINY) of ``x``."""
    return x + (abs(x) * pad + _TINY)


@numba.njit(**JIT)
def whole_if_nan(lo, hi):
    """``(lo, hi)``, or the whole line if either is NaN."""
    if lo != lo or hi != hi:
        return -_INF, _INF
    return lo, hi


@numba.njit(**JIT)
def add(alo, ahi, blo, bhi):
    return whole_if_nan(down(alo + blo, _PAD_ARITH), up(ahi + bhi, _PAD_ARITH))


@numba.njit(**JIT)
def sub(alo, ahi, blo, bhi):
    return whole_if_nan(down(alo - bhi, _PAD_ARITH), up(ahi - blo, _PAD_ARITH))


@numba.njit(**JIT)
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


@numba.njit(**JIT)
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


@numba.njit(**JIT)
def square(alo, ahi):
    """``{a**2 : a in [alo, ahi]}`` (tighter than mul(a, a) when 0 is inside)."""
    if alo <= 0.0 <= ahi:
        return 0.0, up(max(alo * alo, ahi * ahi), _PAD_ARITH)
    lo = min(alo * alo, ahi * ahi)
    hi = max(alo * alo, ahi * ahi)
    return max(0.0, down(lo, _PAD_ARITH)), up(hi, _PAD_ARITH)


@numba.njit(**JIT)
def sigmoid_down(z):
    """A float <= sigmoid(z), >= 0."""
    return max(0.0, down(sigmoid(z), _PAD_FUNC))


@numba.njit(**JIT)
def sigmoid_up(z):
    """A float >= sigmoid(z), <= 1."""
    return min(1.0, up(sigmoid(z), _PAD_FUNC))


@numba.njit(**JIT)
def isigmoid(alo, ahi):
    """sigmoid of an interval, within [0, 1]."""
    return sigmoid_down(alo), sigmoid_up(ahi)


@numba.njit(**JIT)
def itanh(alo, ahi):
    """tanh of an interval, within [-1, 1]."""
    return max(-1.0, down(tanh(alo), _PAD_FUNC)), min(1.0, up(tanh(ahi), _PAD_FUNC))


@numba.njit(**JIT)
def _tail(z):
    """Bounds of q = sigmoid(-|z|), within [0, 1/2]: one compiled sigmoid."""
    q = sigmoid(-abs(z))
    return max(0.0, down(q, _PAD_FUNC)), min(0.5, up(q, _PAD_FUNC))


@numba.njit(**JIT)
def sigmoid_parts(zlo, zhi):
    """Enclosures of sigmoid(z), sigmoid(-z) and sigmoid'(z) over ``[zlo, zhi]``.

    ``(vlo, vhi, clo, chi, slo, shi)`` from two compiled sigmoids, of q =
    sigmoid(-|z|) in (0, 1/2] at each end: sigmoid(z) is q where z < 0 and
    1 - q where z >= 0, sigmoid(-z) the other, so whichever is small keeps
    its relative accuracy (1 - q >= 1/2 loses none; 1 - f near 0 is not
    1 - (f near 1)).  sigmoid' = q (1 - q) is even and decreasing in |z|,
    with q (1 - q) increasing in q <= 1/2: its range is its values at the
    largest and the smallest |z| (1/4 where 0 is inside), from z, not from
    the value (s (1 - s) of a widened s near 1 would lose every digit).  Each
    1 - q and product rounds once or twice, within ``_PAD_ARITH``.
    """
    if zlo != zlo or zhi != zhi:
        return 0.0, 1.0, 0.0, 1.0, 0.0, 0.25
    alo, ahi = _tail(zlo)
    if zhi == zlo:  # a point (the search's midpoints and ends): one sigmoid
        blo, bhi = alo, ahi
    else:
        blo, bhi = _tail(zhi)
    if zlo >= 0.0:
        vlo, chi = down(1.0 - ahi, _PAD_ARITH), ahi
    else:
        vlo, chi = alo, up(1.0 - alo, _PAD_ARITH)
    if zhi >= 0.0:
        vhi, clo = up(1.0 - blo, _PAD_ARITH), blo
    else:
        vhi, clo = bhi, down(1.0 - bhi, _PAD_ARITH)
    if zlo < 0.0 < zhi:  # 0 inside: the peak 1/4; the largest |z| at an end
        q_m, q_big = 0.5, (alo if -zlo >= zhi else blo)
    elif zlo >= 0.0:
        q_m, q_big = ahi, blo
    else:
        q_m, q_big = bhi, alo
    slo = max(0.0, down(q_big * (1.0 - q_big), _PAD_ARITH))
    shi = min(0.25, up(q_m * (1.0 - q_m), _PAD_ARITH))
    return max(0.0, vlo), min(1.0, vhi), max(0.0, clo), min(1.0, chi), slo, shi


@numba.njit(**JIT)
def sigmoid_slope(zlo, zhi):
    """``{sigmoid'(z) : z in [zlo, zhi]}``, within [0, 1/4] (see ``sigmoid_parts``)."""
    parts = sigmoid_parts(zlo, zhi)
    return parts[4], parts[5]


@numba.njit(**JIT)
def tanh_slope(zlo, zhi):
    """``{tanh'(z) = 1 - tanh(z)**2 = 4 sigmoid'(2 z) : z in [zlo, zhi]}``, within [0, 1].

    From z for the same reason as ``sigmoid_slope``: at |z| = 30, 1 - tanh**2
    is 4e-26, and 1 - t**2 of a widened t would be [0, 1e-15].  (2 z and the
    factor 4 are exact; 2 z may overflow to inf, where the slope is 0.)
    """
    lo, hi = sigmoid_slope(2.0 * zlo, 2.0 * zhi)
    return 4.0 * lo, 4.0 * hi
