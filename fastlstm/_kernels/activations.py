"""Exp, sigmoid and tanh for the compiled kernels, small enough for LLVM to inline.

Why not ``math.exp``/``math.tanh``?  In a scalar recurrence the step time is
the latency of its dependency chain, and a libm call is an opaque, long
chain that LLVM can neither inline, interleave with the other gates nor
vectorise across independent cells.  These versions are short polynomials
LLVM sees through, and they use no lookup table: a table lookup is a
*gather* in SIMD code, and LLVM's cost model for AVX2 CPUs (Intel up to
Skylake, AMD Zen 3) declines to vectorise a loop with gathers, which left
the float64 sweep kernel scalar there.  Every kernel (``run``, ``run_batch``,
``sweep``) calls these same functions, so all give the same bits.

Accuracy (measured in tests/kernels/test_activations.py against mpmath,
correctly rounded): exp within 1.1 ulp (tested bound 2), sigmoid within
2.4 ulp (tested bound 2.5; worst near z = -3, where e/(1+e) lies just below
a power of two), tanh within 2.7 ulp (tested bound 3; worst for |x| < 0.35,
where tanh = -p/(2 + p) carries the rounding of p = expm1(-2|x|)).

* ``exp_``: x = k ln2 + r, |r| <= ln2/2, exp(x) = 2**k (1 + p), p = expm1(r)
  by r + r**2 Q(r), Q a degree-10 Chebyshev fit (error < 2e-19 relative),
  evaluated by Estrin's scheme (three levels of squaring: p is ready four
  multiply-adds after r).  The scaling by 2**k is done in two exact steps so
  that subnormal results and overflow to inf come out right.
* ``_exp_parts``: e**(-s a), a >= 0, as (p, S) with e**(-s a) = (1 + p) S 2**-600,
  S = 2**(k + 600) an exact, normal power of two.  Kept apart, the two parts
  let sigmoid and tanh form 1 + e and 1 - e with a single rounding each:
  fma(S, p, 2**600 + S) = 2**600 (1 + e), where 2**600 + S is exact for the
  k that matter (k >= -52; below, e < 2**-52 and the rounding is harmless).
* ``sigmoid``: 2**600 / fma(S, p, 2**600 + S) for z >= 0, otherwise
  fma(S, p, S) / fma(S, p, 2**600 + S): e = e**-|z| never overflows, and both
  operands are normal, so the one division also rounds a subnormal result
  once.
* ``tanh``: with e = e**(-2|x|), tanh |x| = (1 - e) / (1 + e) =
  fma(-S, p, 2**600 - S) / fma(S, p, 2**600 + S), one formula for every x:
  the subtraction 1 - e happens inside the fma, exactly, so there is no
  cancellation near 0 (there S = 2**600 and the numerator is -p exactly).
  No branch: the scalar kernels never mispredict, and the SIMD kernels
  compute one formula instead of two and a select.

History: a 128-entry table exp (degree-5 polynomial) made one sequence ~20%
faster on a scalar recurrence, but its gathers cost float64 sweeps a third
of their speed on AVX-512 and all of their vectorisation on AVX2.  Earlier,
sigmoid and tanh rounded e first and then formed 1 + e and 1 - 2e/(1 + e),
with a separate polynomial for tanh near 0 (tanh within 1.2 ulp): 8-11
cycles more per activation on a step's dependency chain (measured on Zen 3),
a tanh branch that mispredicts on generic cells, and both tanh methods
computed in SIMD code (docs/bench.md has the measured gain).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .._config import JIT

_ROUND = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer
_ROUND_BITS = 0x4338000000000000  # the bits of _ROUND
_EXP_CLAMP = 1000.0  # beyond this exp is 0 or inf anyway; keeps 2**(m/2) normal
_EXP_OFFSET = 600  # _exp_parts' exponent offset: 2**(k + 600) is normal for k >= -1443
_POW2_M_OFFSET = 2.0 ** -_EXP_OFFSET
_BIG = 2.0 ** _EXP_OFFSET  # 1 in _exp_parts' scale: 2**600 (1 + e) = fma(S, p, _BIG + S)
_LOG2E = 1.4426950408889634
_LN2 = 0.6931471805599453  # ln 2 rounded; one fma gives x - k * it exactly
_LN2_LO = 2.3190468138462996e-17  # ln 2 - _LN2
# expm1(r) = r + r**2 * Q(r) on |r| <= ln2/2: Q a degree-10 Chebyshev fit of
# (e**r - 1 - r) / r**2 (error < 2e-19 relative to e**r), by mpmath.chebyfit.
_Q = (0.5, 0.1666666666666667, 0.04166666666666667, 0.008333333333326141,
      0.0013888888888883752, 0.00019841269874800493, 2.4801587325533363e-05,
      2.7557255425746435e-06, 2.7557273661348637e-07, 2.510520637395701e-08,
      2.0914679376583935e-09)


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
    """a * b + c with a single rounding (llvm.fma: the FMA instruction).

    All three of one float type, float64 or float32 (no silent promotion).
    """
    if not (isinstance(a, types.Float) and a == b == c):
        return None
    sig = a(a, b, c)

    def codegen(context, builder, signature, args):
        ty = context.get_value_type(signature.return_type)
        fn = builder.module.declare_intrinsic("llvm.fma", [ty], ir.FunctionType(ty, [ty] * 3))
        return builder.call(fn, args)

    return sig, codegen


@numba.njit(**JIT)
def _pow2(k):
    """2.0**k for integer -1022 <= k <= 1023, built from its exponent bits."""
    return _bits_to_float((k + 1023) << 52)


@numba.njit(**JIT)
def _exp_reduced(a, s):
    """(p, k) with e**x = (1 + p) 2**k for x = -s a, |x| <= _EXP_CLAMP, s a power of two.

    x = k ln2 + r, |r| <= ln2/2, r by two fmas: one with ln2 rounded (exact
    but for the rounding of r), one with the rest _LN2_LO (k _LN2_LO reaches
    3e-14, too much to leave out of r**2 Q(r)).  p = expm1(r) = r + r**2 Q(r),
    Q as in the module docstring.  ``_fma`` makes the reduction exact on
    every target (LLVM's ``contract`` only allows fusing).  Taking x as
    -s a puts the multiplication by -s beside the first fma instead of before
    it (same bits: s is a power of two), one multiply off the critical path.
    """
    x = a * -s
    z = a * (-s * _LOG2E) + _ROUND
    kf = z - _ROUND
    k = _float_to_bits(z) - _ROUND_BITS  # = kf as an integer, without a conversion
    r = _fma(kf, -_LN2_LO, _fma(kf, -_LN2, x))
    r2 = r * r
    r4 = r2 * r2
    # expm1(r) = r + r**2 Q(r) as r (1 + r Q0') + r**4 (...) + r**8 (...):
    # three levels of squaring, so p is ready four multiply-adds after r.
    low = r + r2 * (_Q[0] + r * _Q[1])
    mid = (_Q[2] + r * _Q[3]) + r2 * (_Q[4] + r * _Q[5])
    high = ((_Q[6] + r * _Q[7]) + r2 * (_Q[8] + r * _Q[9])) + r4 * _Q[10]
    return (low + r4 * mid) + (r4 * r4) * high, k


@numba.njit(**JIT)
def exp_(x):
    """e**x for finite x, to within 1.1 ulp."""
    p, k = _exp_reduced(min(max(x, -_EXP_CLAMP), _EXP_CLAMP), -1.0)
    half = k >> 1
    # two scalings, the first exact, so that subnormal results and overflow
    # to inf come out right
    scale = _pow2(half)
    return _fma(scale, p, scale) * _pow2(k - half)


@numba.njit(**JIT)
def _exp_parts(a, s):
    """(p, S) with e**(-s a) = (1 + p) S 2**-600, S = 2**(k + 600), for a >= 0, s > 0.

    S is a normal power of two (k >= -1443 after the clamp), so every product
    by S is exact and fma(S, p, S) rounds 1 + p exactly once.  A NaN gives a
    NaN p.
    """
    p, k = _exp_reduced(min(a, _EXP_CLAMP / s), s)
    return p, _pow2(k + _EXP_OFFSET)


@numba.njit(**JIT)
def _exp_neg(a, s):
    """e**(-s a) for a >= 0, s > 0, with the bits of ``exp_``.

    (1 + p) S rounded once (exact scaling by the normal S) and then scaled by
    2**-600, the only other rounding, also where the result is subnormal:
    what ``exp_``'s two scalings do.  No arithmetic shift of 64-bit integers,
    which AVX2 lacks.
    """
    p, big_s = _exp_parts(a, s)
    return _fma(big_s, p, big_s) * _POW2_M_OFFSET


@numba.njit(**JIT)
def sigmoid(z):
    """1 / (1 + e**-z) without overflow for any finite z, to within 2.5 ulp."""
    p, big_s = _exp_parts(abs(z), 1.0)
    num = _BIG if z >= 0.0 else _fma(big_s, p, big_s)
    return num / _fma(big_s, p, _BIG + big_s)


@numba.njit(**JIT)
def tanh(x):
    """tanh(x) for finite x, to within 3 ulp; tanh(-0.0) = -0.0."""
    p, big_s = _exp_parts(abs(x), 2.0)
    t = _fma(-big_s, p, _BIG - big_s) / _fma(big_s, p, _BIG + big_s)
    return math.copysign(t, x)


# --- float32 variants for the sweep kernels ----------------------------------
#
# The sweep kernels vectorise across independent cells (SIMD lanes = cells);
# in float64 they call ``sigmoid``/``tanh`` above, so a sweep gives the numbers
# ``run`` gives.  The ``*_f32`` functions below are the float32 counterparts:
# shorter polynomials, all constants float32 so that nothing is promoted to float64; within a few
# float32 ulp where the result is normal, and 0 where it is below float32's
# normal range: they never make a subnormal, which x86 computes ~100x slower
# (measured over every float32 of their ranges: exp 1.07 ulp, sigmoid 2.40,
# tanh 1.96; tests/kernels/test_sweep_kernels.py).  They share
# ``_exp_reduced_f32`` and form 1 +- e by fmas, as the float64 ones do.


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


@intrinsic
def _float32_to_bits(typingctx, x):
    """Reinterpret the 32 bits of a float32 as an int32 (no conversion)."""
    if x != types.float32:
        return None
    sig = types.int32(x)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return sig, codegen


_F32 = np.float32
_ONE32 = _F32(1.0)
_TWO32 = _F32(2.0)
_ZERO32 = _F32(0.0)
_LOG2E32 = _F32(1.4426950408889634)
_LN2_HI32 = _F32(0.693145751953125)  # 16 significant bits: k * _LN2_HI32 is exact
_LN2_LO32 = _F32(1.4286067653302226e-06)
_ROUND32 = _F32(12582912.0)  # 1.5 * 2**23: adding it rounds to an integer
_ROUND32_BITS = 0x4B400000  # the bits of _ROUND32
_EXP_CLAMP32 = _F32(110.0)  # beyond this float32 exp is inf anyway
# The least float32 x whose e**x is normal (>= 2**-126): the float32 just above
# -126 ln 2.  Below it exp_f32 flushes to 0 (see exp_f32).
_EXP_NORMAL32 = _F32(-87.33654)
_TANH_CLAMP32 = _F32(20.0)  # tanh is 1 in float32 beyond ~9.01
# exp(r) = 1 + r + r**2 * Q(r), Q the Taylor coefficients 1/n! for n = 2..7
# (truncation < 6e-9 relative for |r| <= ln2/2).
_E2, _E3, _E4, _E5, _E6, _E7 = (_F32(0.5), _F32(1 / 6), _F32(1 / 24), _F32(1 / 120),
                                _F32(1 / 720), _F32(1 / 5040))


@numba.njit(**JIT)
def _pow2_f32(k):
    """2.0**k as float32 for integer -126 <= k <= 127."""
    return _bits_to_float32((k + 127) << 23)


@numba.njit(**JIT)
def _exp_reduced_f32(x):
    """(p, k) with e**x = (1 + p) 2**k for float32 x, |x| <= 110.

    x = k ln2 + r, |r| <= ln2/2 (ln2 in two parts, the first exact times k),
    p = expm1(r) = r + r**2 Q(r), Q as above.  k is read from the bits of
    the rounded x log2(e) + 1.5 * 2**23, not converted from kf: 2**k is then
    two integer operations (LLVM folds the offsets), one fewer than with a
    conversion, on a step's five exps.
    """
    z = x * _LOG2E32 + _ROUND32
    kf = z - _ROUND32
    r = (x - kf * _LN2_HI32) - kf * _LN2_LO32
    r2 = r * r
    q = (_E2 + r * _E3) + r2 * ((_E4 + r * _E5) + r2 * (_E6 + r * _E7))
    return r + r2 * q, _float32_to_bits(z) - numba.int32(_ROUND32_BITS)


@numba.njit(**JIT)
def exp_f32(x):
    """e**x for float32 x, in float32: within 1 ulp where e**x is normal, 0 below.

    Results below float32's normal range (x < -87.33654, e**x < 2**-126) are
    flushed to 0, and no operation on the way makes a subnormal: on x86 an
    operation with a subnormal operand or result (or one that underflows to
    0) takes a microcode assist, ~100 cycles (measured: 7.4 ns per value at
    x near -100 against 0.5 ns near -1), which made float32 sweeps of
    saturating cells (gates at z = +-100) 3-5x slower than float64.  The
    argument is clamped to the normal range, the result selected.
    """
    flush = x < _EXP_NORMAL32  # False for a NaN, which stays NaN
    p, k = _exp_reduced_f32(min(max(x, _EXP_NORMAL32), _EXP_CLAMP32))
    half = k >> 1
    return _ZERO32 if flush else (_ONE32 + p) * _pow2_f32(half) * _pow2_f32(k - half)


@numba.njit(**JIT)
def sigmoid_f32(z):
    """float32 sigmoid, vectorisable: within 3 ulp where the result is normal, 0 below.

    With e**-|z| = (1 + p) S, S = 2**k (normal: |z| is clamped to the
    normal range of e**-|z|), 1 + e = fma(S, p, 1 + S) and e = fma(S, p, S)
    round once each, as in the float64 ``sigmoid`` (1 + S is exact for
    k >= -23; below, e < 2**-23 and its rounding is harmless).  Beyond the clamp
    (z < -87.33654) the result, below 2**-126, is 0 (see ``exp_f32``); from
    z = 17.33 on it rounds to 1.
    """
    a = abs(z)
    p, k = _exp_reduced_f32(-min(a, -_EXP_NORMAL32))
    big_s = _pow2_f32(k)
    num = _ONE32 if z >= _ZERO32 else (_ZERO32 if a > -_EXP_NORMAL32 else _fma(big_s, p, big_s))
    return num / _fma(big_s, p, _ONE32 + big_s)


@numba.njit(**JIT)
def tanh_f32(x):
    """float32 tanh, vectorisable, to within 2 float32 ulp; tanh(-0.0) = -0.0.

    With e = e**(-2|x|) = (1 + p) S, tanh |x| = (1 - e) / (1 + e) =
    fma(-S, p, 1 - S) / fma(S, p, 1 + S), as the float64 ``tanh``: 1 - e
    is formed inside the fma (near 0, S = 1 and it is -p exactly: no
    cancellation).  |x| is clamped at 20, where tanh is 1 in float32, so S
    stays normal.
    """
    p, k = _exp_reduced_f32(min(abs(x), _TANH_CLAMP32) * -_TWO32)
    big_s = _pow2_f32(k)
    t = _fma(-big_s, p, _ONE32 - big_s) / _fma(big_s, p, _ONE32 + big_s)
    return np.copysign(t, x)
