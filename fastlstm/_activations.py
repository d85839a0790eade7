"""Inlined exp, sigmoid and tanh for the compiled kernels.

Why not ``math.exp``/``math.tanh``?  In a scalar recurrence the step time is
the latency of its dependency chain, and a libm call is an opaque, long
chain that LLVM can neither inline, interleave with the other gates nor
vectorise across independent cells.  These versions are short polynomials
LLVM sees through.  Accuracy (measured in tests/test_activations.py against
mpmath): exp and tanh within 2 ulp over the whole float64 range, sigmoid
within 2.5 ulp (measured max 2.26, near z = -3, where e/(1+e) lies just below
a power of two and the rounding of 1 + e shows; correcting for it costs
about 1.3 ns a step and was left out).

* ``exp_``: table-driven.  x = (128 m + j) ln2/128 + r, |r| <= ln2/256;
  exp(x) = 2**m * T_j * (1 + p), T_j = 2**(j/128) from a 128-entry table
  (with its rounding error folded into p), p = expm1(r) by a degree-5 Taylor
  polynomial (truncation < 1e-18 relative) in Estrin form.  The short
  polynomial is what makes it fast: the dependency chain is about half that
  of a plain degree-13 polynomial on |r| <= ln2/2.  The result is scaled by
  2**m in two exact steps so that subnormal results and overflow to inf come
  out right.  Measured: within 1.05 ulp.
* ``_exp_neg``: exp(-a), a >= 0, for sigmoid and tanh: the result is <= 1, so
  the scaling by 2**m is applied to T_j while the polynomial is evaluated,
  off the critical path.
* ``sigmoid``: e = exp(-|z|) never overflows; sigmoid = 1/(1+e) or e/(1+e).
* ``tanh``: |x| < 0.625: x * P(x^2), P a Chebyshev fit (error 1e-17);
  otherwise 1 - 2e/(1 + e), e = exp(-2|x|) <= 0.287, where the result is
  >= 0.55 and the subtraction loses nothing; for |x| > 19.1, e < 2.6e-17 and
  the result rounds to exactly 1.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._config import INLINE_JIT

_ROUND = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer
_ROUND_BITS = 0x4338000000000000  # the bits of _ROUND
_EXP_CLAMP = 1000.0  # beyond this exp is 0 or inf anyway; keeps 2**(m/2) normal

# exp(x) = 2**m * 2**(j/N) * exp(r): x = k ln2/N + r with k = N m + j, |r| <= ln2/(2N).
_TN = 128
_INV_L = _TN / 0.6931471805599453
_L_FULL = 0.6931471805599453 / _TN  # ln2/N rounded; one fma gives x - kf * it exactly
_L_FULL_LO = 2.3190468138462996e-17 / _TN  # ln2/N - _L_FULL


def _exp2_table(n):
    """2**(j/n) rounded to float64, and the relative rounding error of each."""
    import decimal

    ctx = decimal.Context(prec=50)
    ln2 = ctx.ln(decimal.Decimal(2))
    hi, tail = [], []
    for j in range(n):
        exact = ctx.exp(ctx.divide(ctx.multiply(ln2, j), n))
        h = float(exact)
        hi.append(h)
        tail.append(float(ctx.divide(ctx.subtract(exact, decimal.Decimal(h)), decimal.Decimal(h))))
    return np.array(hi), np.array(tail)


# Numba freezes module-level arrays into the compiled code as constants.  The
# pairs (T_j, tail_j) are interleaved so that both come from one cache line:
# in the vectorised sweep kernels each is a gather, and two gathers from one
# array cost less than from two (measured: sweep 20% slower than without the
# table, against 40% with two arrays).
_T_PAIRS = np.stack(_exp2_table(_TN), axis=1).ravel()


@intrinsic
def _bits_to_float(typingctx, bits):
    """Reinterpret the 64 bits of an int64 as a float64 (no conversion)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def _float_to_bits(typingctx, x):
    """Reinterpret the 64 bits of a float64 as an int64 (no conversion)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with a single rounding (llvm.fma: the FMA instruction)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        dbl = ir.DoubleType()
        fn = builder.module.declare_intrinsic(
            "llvm.fma", [dbl], ir.FunctionType(dbl, [dbl, dbl, dbl]))
        return builder.call(fn, args)

    return sig, codegen


@numba.njit(**INLINE_JIT)
def _pow2(k):
    """2.0**k for integer -1022 <= k <= 1023, built from its exponent bits."""
    return _bits_to_float((k + 1023) << 52)


@numba.njit(**INLINE_JIT)
def _exp_parts(a, s):
    """(T, p, m) with exp(x) = T (1 + p) 2**m, for |x| <= _EXP_CLAMP.

    T = 2**(j/128) from the table, p = expm1(r + tail_j) by its degree-5
    Taylor polynomial (truncation < 1e-18 relative for |r| <= ln2/256), where
    tail_j, the relative rounding error of T, makes T (1 + p) exact to ~1e-19.
    r = x - kf ln2/128 in two parts: one fma with ln2/128 rounded (exact but
    for the rounding of r), and the small rest kf * _L_FULL_LO, which is added
    with the tail to the linear term only (the higher terms use r without it:
    an error of about r * kf * 1.8e-19, a fraction of an ulp even at
    |x| = 700).  The polynomial is evaluated by Estrin's scheme; the
    corrections are added in parallel with r**2, so they cost no latency.
    ``_fma`` makes the reduction exact on every target (LLVM's ``contract``
    only allows fusing, and an unfused kf * ln2/128 loses hundreds of ulp at
    large |x|).
    """
    x = a * s  # exact: s is 1, -1 or -2
    z = a * (s * _INV_L) + _ROUND
    kf = z - _ROUND
    k = _float_to_bits(z) - _ROUND_BITS  # = kf as an integer, without a conversion
    r = _fma(kf, -_L_FULL, x)  # exact but for one rounding of r
    j = numba.uint64(k & (_TN - 1))
    rt = r + (_T_PAIRS[2 * j + 1] - kf * _L_FULL_LO)
    r2 = r * r
    c2 = 0.5 + r * 0.16666666666666666
    c4 = 0.041666666666666664 + r * 0.008333333333333333
    p = rt + r2 * (c2 + r2 * c4)
    return _T_PAIRS[2 * j], p, k >> 7


@numba.njit(**INLINE_JIT)
def exp_(x):
    """e**x for finite x, to within 1.1 ulp (measured max 1.05, at |x| ~ 700)."""
    x = min(max(x, -_EXP_CLAMP), _EXP_CLAMP)
    t, p, m = _exp_parts(x, 1.0)
    half = m >> 1
    # two exact steps of scaling, so that subnormal results and overflow to
    # inf come out right
    return (t + t * p) * _pow2(half) * _pow2(m - half)


@numba.njit(**INLINE_JIT)
def _exp_neg(a, s):
    """e**-a for a >= 0 (the case of sigmoid and tanh), to within 1 ulp.

    The result is <= 1, so the scaling 2**m can be applied to the table entry
    (exactly, or with one rounding into the subnormals) while the polynomial
    is evaluated, instead of after it.
    """
    t, p, m = _exp_parts(min(a, _EXP_CLAMP / s), -s)
    half = m >> 1
    ts = t * _pow2(half) * _pow2(m - half)
    return ts + ts * p


@numba.njit(**INLINE_JIT)
def sigmoid(z):
    """1 / (1 + e**-z) without overflow for any finite z."""
    e = _exp_neg(abs(z), 1.0)
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
        e = _exp_neg(a, 2.0)
        t = 1.0 - (e + e) / (1.0 + e)
    return math.copysign(t, x)  # odd, and tanh(-0.0) = -0.0


# --- float32 variants for the sweep kernels ----------------------------------
#
# The sweep kernels vectorise across independent cells (SIMD lanes = cells);
# in float64 they call ``sigmoid``/``tanh`` above, so a sweep gives the numbers
# ``run`` gives.  The ``*_f32`` functions below are the float32 counterparts:
# shorter polynomials and no table (a table lookup is a gather in SIMD code),
# all constants float32 so that nothing is promoted to float64; within a few
# float32 ulp (tests/test_sweep_kernels.py).


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
    return num / (_ONE32 + e)


@numba.njit(**INLINE_JIT)
def tanh_f32(x):
    """float32 tanh, vectorisable, to within a few float32 ulp."""
    a = abs(x)
    if a < _TANH_SMALL32:
        w = a * a
        w2 = w * w
        t = a + a * (w * ((_T0 + w * _T1) + w2 * ((_T2 + w * _T3) + w2 * _T4)))
    else:
        t = _ONE32 - _TWO32 / (exp_f32(_TWO32 * a) + _ONE32)
    return np.copysign(t, x)
