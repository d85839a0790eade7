"""Inlined exp, sigmoid and tanh for the compiled kernels.

Why not ``math.exp``/``math.tanh``?  In a scalar recurrence the step time is
the latency of its dependency chain, and a libm call is an opaque, long
chain that LLVM can neither inline, interleave with the other gates nor
vectorise across independent cells.  These versions are short polynomials
LLVM sees through.  Accuracy (measured in tests/test_activations.py against
numpy): within 2 ulp over the whole float64 range.

* ``exp_``: x = k ln2 + r (Cody-Waite, |r| <= ln2/2), exp(r) by its degree-13
  Taylor polynomial (truncation < 1e-17 relative), evaluated by Estrin's
  scheme to shorten latency, then scaled by 2**k in two exact steps so that
  results in the subnormal range and overflow to inf come out right.
* ``sigmoid``: e = exp(-|z|) never overflows; sigmoid = 1/(1+e) or e/(1+e).
* ``tanh``: |x| < 0.625: x * P(x^2), P a Chebyshev fit (error 1e-17);
  otherwise 1 - 2/(exp(2|x|) + 1), where the result is >= 0.55 and the
  subtraction loses nothing.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._config import INLINE_JIT

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 with 31 significant bits: k * _LN2_HI is exact
_LN2_LO = 1.9082149292705877e-10
_ROUND = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer
_EXP_CLAMP = 1000.0  # beyond this exp is 0 or inf anyway; keeps 2**(k/2) normal


@intrinsic
def _bits_to_float(typingctx, bits):
    """Reinterpret the 64 bits of an int64 as a float64 (no conversion)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@numba.njit(**INLINE_JIT)
def _pow2(k):
    """2.0**k for integer -1022 <= k <= 1023, built from its exponent bits."""
    return _bits_to_float((k + 1023) << 52)


@numba.njit(**INLINE_JIT)
def exp_(x):
    """e**x for finite x, to within 1 ulp."""
    x = min(max(x, -_EXP_CLAMP), _EXP_CLAMP)
    kf = (x * _LOG2E + _ROUND) - _ROUND
    r = (x - kf * _LN2_HI) - kf * _LN2_LO
    # exp(r) = 1 + (r + r**2 * Q(r)), Q holding the Taylor coefficients 1/n!
    # for n = 2..13, evaluated by Estrin's scheme (pairs, then pairs of pairs)
    # for a short dependency chain; adding the 1 last keeps the rounding
    # error of the polynomial small next to it.
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q01 = 0.5 + r * 0.16666666666666666
    q23 = 0.041666666666666664 + r * 0.008333333333333333
    q45 = 0.001388888888888889 + r * 0.0001984126984126984
    q67 = 2.48015873015873e-05 + r * 2.7557319223985893e-06
    q89 = 2.755731922398589e-07 + r * 2.505210838544172e-08
    qab = 2.08767569878681e-09 + r * 1.6059043836821613e-10
    q03 = q01 + r2 * q23
    q47 = q45 + r2 * q67
    q8b = q89 + r2 * qab
    q = q03 + r4 * q47 + r8 * q8b
    p = 1.0 + (r + r2 * q)
    k = numba.int64(kf)
    half = k >> 1
    return p * _pow2(half) * _pow2(k - half)


@numba.njit(**INLINE_JIT)
def sigmoid(z):
    """1 / (1 + e**-z) without overflow for any finite z."""
    e = exp_(-abs(z))
    num = 1.0 if z >= 0.0 else e
    return num / (1.0 + e)


@numba.njit(**INLINE_JIT)
def _tanh_small(x):
    """tanh(x) for 0 <= x <= 0.625: x * P(x**2), P a degree-11 Chebyshev fit."""
    # x + x * w * R(w): the leading x is added last, as in exp_.
    w = x * x
    w2 = w * w
    w4 = w2 * w2
    w8 = w4 * w4
    r01 = -0.33333333333332615 + w * 0.13333333333245254
    r23 = -0.053968253925945696 + w * 0.021869487483410596
    r45 = -0.008863220021256096 + w * 0.003591982521583925
    r67 = -0.0014549293858543903 + w * 0.0005862314316050611
    r89 = -0.00022841018529512851 + w * 7.698563199045423e-05
    r03 = r01 + w2 * r23
    r47 = r45 + w2 * r67
    r8a = r89 + w2 * -1.6001499513001042e-05
    return x + x * (w * (r03 + w4 * r47 + w8 * r8a))


@numba.njit(**INLINE_JIT)
def tanh(x):
    """tanh(x) for finite x, to within 2 ulp."""
    a = abs(x)
    if a < 0.625:
        t = _tanh_small(a)
    else:
        t = 1.0 - 2.0 / (exp_(2.0 * a) + 1.0)
    return math.copysign(t, x)  # odd, and tanh(-0.0) = -0.0


# --- Variants for kernels vectorised across independent cells (sweeps) -----
#
# Inside a loop over cells LLVM vectorises these (SIMD lanes = cells) when
# nothing in the loop body can raise: Numba's ``a / b`` checks for a zero
# divisor and raises ZeroDivisionError, and that exit keeps the loop scalar.
# ``_div`` emits the same IEEE division (the fast-math flags are added to it
# like to any other) without the check; the divisors below are >= 1 anyway.
# Branches become selects.
#
# ``sigmoid_lanes``/``tanh_lanes`` perform exactly the operations of
# ``sigmoid``/``tanh`` above, so a sweep gives the numbers ``run`` gives.
# The ``*_f32`` functions are float32 counterparts (shorter polynomials, all
# constants float32 so nothing is promoted to float64), to within a few
# float32 ulp.


@intrinsic
def _div(typingctx, a, b):
    """a / b for two floats of one type, without Numba's zero-divisor check."""
    if not (isinstance(a, types.Float) and a == b):
        return None

    def codegen(context, builder, signature, args):
        return builder.fdiv(args[0], args[1])

    return a(a, b), codegen


@numba.njit(**INLINE_JIT)
def sigmoid_lanes(z):
    """``sigmoid`` without the zero-divisor check, so that loops vectorise."""
    e = exp_(-abs(z))
    num = 1.0 if z >= 0.0 else e
    return _div(num, 1.0 + e)


@numba.njit(**INLINE_JIT)
def tanh_lanes(x):
    """``tanh`` without the zero-divisor check, so that loops vectorise."""
    a = abs(x)
    if a < 0.625:
        t = _tanh_small(a)
    else:
        t = 1.0 - _div(2.0, exp_(2.0 * a) + 1.0)
    return math.copysign(t, x)


@intrinsic
def _bits_to_float32(typingctx, bits):
    """Reinterpret the low 32 bits of an integer as a float32 (no conversion)."""
    if not isinstance(bits, types.Integer):
        return None
    sig = types.float32(bits)

    def codegen(context, builder, signature, args):
        word = args[0]
        if bits.bitwidth > 32:
            word = builder.trunc(word, ir.IntType(32))
        elif bits.bitwidth < 32:
            word = builder.sext(word, ir.IntType(32))
        return builder.bitcast(word, ir.FloatType())

    return sig, codegen


_F32 = np.float32
_ONE32 = _F32(1.0)
_TWO32 = _F32(2.0)
_ZERO32 = _F32(0.0)
_LOG2E32 = _F32(1.4426950408889634)
_LN2_HI32 = _F32(0.693145751953125)  # 16 significant bits: k * _LN2_HI32 is exact
_LN2_LO32 = _F32(1.4286067653302226e-06)
_ROUND32 = _F32(12582912.0)  # 1.5 * 2**23
_EXP_CLAMP32 = _F32(110.0)  # beyond this float32 exp is 0 or inf anyway
_TANH_SMALL32 = _F32(0.625)
# exp(r) = 1 + r + r**2 * Q(r), Q the Taylor coefficients 1/n! for n = 2..7
# (truncation < 6e-9 relative for |r| <= ln2/2).
_E2, _E3, _E4, _E5, _E6, _E7 = (_F32(0.5), _F32(1 / 6), _F32(1 / 24), _F32(1 / 120),
                                _F32(1 / 720), _F32(1 / 5040))
# tanh(x) = x + x * w * R(w), w = x**2 <= 0.625**2: least-squares fit,
# error < 5e-9 relative.
_T0, _T1, _T2, _T3, _T4 = (_F32(-0.33333282880456505), _F32(0.1333146453144094),
                           _F32(-0.053741397832810525), _F32(0.020644128048902404),
                           _F32(-0.005710217833807781))


@numba.njit(**INLINE_JIT)
def _pow2_f32(k):
    """2.0**k as float32 for integer -126 <= k <= 127."""
    return _bits_to_float32((k + 127) << 23)


@numba.njit(**INLINE_JIT)
def exp_f32(x):
    """e**x for finite float32 x, in float32, to within 1 ulp."""
    x = min(max(x, -_EXP_CLAMP32), _EXP_CLAMP32)
    kf = (x * _LOG2E32 + _ROUND32) - _ROUND32
    r = (x - kf * _LN2_HI32) - kf * _LN2_LO32
    r2 = r * r
    q = (_E2 + r * _E3) + r2 * ((_E4 + r * _E5) + r2 * (_E6 + r * _E7))
    p = _ONE32 + (r + r2 * q)
    k = numba.int32(kf)
    half = k >> 1
    return p * _pow2_f32(half) * _pow2_f32(k - half)


@numba.njit(**INLINE_JIT)
def sigmoid_f32(z):
    """float32 sigmoid, vectorisable, to within a few float32 ulp."""
    e = exp_f32(-abs(z))
    num = _ONE32 if z >= _ZERO32 else e
    return _div(num, _ONE32 + e)


@numba.njit(**INLINE_JIT)
def tanh_f32(x):
    """float32 tanh, vectorisable, to within a few float32 ulp."""
    a = abs(x)
    if a < _TANH_SMALL32:
        w = a * a
        w2 = w * w
        t = a + a * (w * ((_T0 + w * _T1) + w2 * ((_T2 + w * _T3) + w2 * _T4)))
    else:
        t = _ONE32 - _div(_TWO32, exp_f32(_TWO32 * a) + _ONE32)
    return np.copysign(t, x)
