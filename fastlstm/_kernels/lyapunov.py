"""Compiled Lyapunov exponents: the step, its Jacobian, and the tangent map, SIMD across cells.

Private; the public wrappers are ``fastlstm.lyapunov`` (one cell, both
exponents) and ``fastlstm.sweep(..., record="lyapunov")`` (many cells, the
largest).  Both run ``make_lyapunov_kernel``, so a sweep's row is the bits
``fastlstm.lyapunov`` gives for that cell.

The state advances by ``lanes.step_f64`` (the operations of
``fastlstm.run``, so the trajectory is that of ``fastlstm.run``);
``jacobian`` recomputes the gates with the same activations (LLVM merges the
repeated arithmetic) and adds their slopes.  Layout as in ``sweep``: blocks
of ``LANES`` cells, one cell per SIMD lane (512-bit vectors where the CPU has
them, ``simd_width``), threads over blocks.  A float32
variant (``lanes.step_f32``, the ``*_f32`` activations) serves
``fastlstm.sweep(..., dtype="float32")``.

Tangent map with QR (Gram-Schmidt on two vectors).  Each measured step maps
the orthonormal frame (q1, q2) by the step's Jacobian J: r11 = |J q1|,
q1 <- J q1 / r11, and r22 = |J q2 - (q1 . J q2) q1|.  In two dimensions q2 is
always the unit normal of q1, and r11 r22 = |det J| (the frame has
determinant +-1), so only q1 is carried and r22 = |det J| / r11.  The
exponents are the means of log r11 and log r22.  det J is computed in a
form that is 0 exactly where the map is structurally singular (see
``jacobian``), which the cross product of Gram-Schmidt would miss by a
rounding.

Logarithms without a log per step: the product of the r's is kept as a
mantissa in [1, 2) and a binary exponent (int64), both updated by a
multiplication and bit operations that vectorise; one ``log`` at the end.
This is exact but for one rounding per step (the multiplication), no error
of a log polynomial.  A factor r = 0 (J q1 = 0) makes the product 0 for
good: the exponent is -inf.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from .._config import INLINE_JIT, JIT
from .activations import (_bits_to_float, _bits_to_float32, _exp_neg, _float32_to_bits,
                          _float_to_bits, exp_f32, sigmoid,
                          sigmoid_f32, tanh, tanh_f32)
from .lanes import LANES, lane, make_squash, preactivations, step_f32, step_f64
from .simd_width import wide_vectors
from .threads import spread_kernel

#: The tangent vector q1 starts at (cos 1, sin 1) in the (h, c) plane: no
#: axis, so no structural zero of a Jacobian (a column of zeros where the map
#: ignores h) can annihilate it.
Q0 = (math.cos(1.0), math.sin(1.0))

_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000
_TINY = 2.0**-1000  # below it a factor is scaled up by 2**600 first, so no product is subnormal
_LIFT = 2.0**600

#: Cell-steps per compiled call of ``make_lyapunov_kernel`` (a few tenths of a
#: second on one core at most): Ctrl-C is answered between calls.
CALL_STEPS = 2**22


@numba.njit(**INLINE_JIT)
def accumulate(m, e, r):
    """(m, e) <- the product m 2**e times r >= 0, m kept in [1, 2) (or 0 for good)."""
    tiny = r < _TINY
    m = m * (r * _LIFT if tiny else r)
    bits = _float_to_bits(m)
    e = e + ((bits >> 52) - 1023) - (600 if tiny else 0)
    return (_bits_to_float((bits & _MANTISSA) | _ONE_BITS) if m > 0.0 else 0.0), e


_MANTISSA32 = 0x007FFFFF
_ONE_BITS32 = 0x3F800000
_TINY32 = np.float32(2.0**-60)  # below it a factor is scaled up by 2**64 first (float32 subnormals)
_LIFT32 = np.float32(2.0**64)


@numba.njit(**INLINE_JIT)
def accumulate_f32(m, e, r):
    """``accumulate`` in float32: m a float32 in [1, 2) (or 0), e an int32 counted from 0
    in each kernel call (at most 2**22 steps of at most 2**8 each: no overflow), r a
    float32 >= 0.  Every value stays 32 bits wide, so the loop fills its SIMD registers."""
    tiny = r < _TINY32
    m = m * (r * _LIFT32 if tiny else r)
    bits = _float32_to_bits(m)
    e = e + ((bits >> 23) - numba.int32(127)) - numba.int32(64 if tiny else 0)
    return (_bits_to_float32((bits & numba.int32(_MANTISSA32)) | numba.int32(_ONE_BITS32))
            if m > np.float32(0.0) else np.float32(0.0)), e


@numba.njit(**INLINE_JIT)
def exponent(m, e, steps):
    """The mean log of the factors of m 2**e over ``steps`` steps (-inf for 0)."""
    if m == 0.0:
        return -np.inf
    return (e * math.log(2.0) + math.log(m)) / steps


def _make_jacobian(ftype, sigmoid, tanh, exp_neg):
    """``jacobian(w, h, c, c_new, x, theta, saturated, inclusive, round_feedback)``
    of the lane step in precision ``ftype``; ``exp_neg(a, s)`` = e**(-s a).
    Every constant is an ``ftype``, so nothing is promoted."""
    zero, one, two, four, small = ftype(0.0), ftype(1.0), ftype(2.0), ftype(4.0), ftype(0.625)
    squash = make_squash(ftype)

    @numba.njit(**INLINE_JIT)
    def sigmoid_slope(z):
        """sigmoid'(z) = e / (1 + e)**2, e = exp(-|z|): accurate for every z
        (s (1 - s) would be 0 wherever s rounds to 1, for z > 37 in float64)."""
        e = exp_neg(abs(z), one)
        one_e = one + e
        return e / (one_e * one_e)

    @numba.njit(**INLINE_JIT)
    def tanh_slope(z, t):
        """tanh'(z), t = tanh(z): 1 - t**2 for |z| < 0.625, else 4 e / (1 + e)**2
        with e = exp(-2|z|) (1 - t**2 would be 0 wherever t rounds to +-1)."""
        a = abs(z)
        e = exp_neg(a, two)
        one_e = one + e
        return one - t * t if a < small else four * e / (one_e * one_e)

    @numba.njit(**INLINE_JIT)
    def band(z, theta, saturated, inclusive):
        """1 where the activation of z is differentiable and not constant, else 0:
        always under exact activations; inside the band under saturated ones (a
        boundary point belongs to the saturated side when ``inclusive``, and its
        one-sided slope there is that of the side it belongs to)."""
        if not saturated:
            return one
        if inclusive:
            return one if -theta < z < theta else zero
        return one if -theta <= z <= theta else zero

    @numba.njit(**INLINE_JIT)
    def jacobian(w, h, c, c_new, x, theta, saturated, inclusive, round_feedback):
        """d(h_t, c_t) / d(h_{t-1}, c_{t-1}) of ``step`` at (h, c) = (h_{t-1}, c_{t-1}):
        ``(dh_dh, dh_dc, dc_dh, dc_dc, det)``.  ``c_new`` is c_t (from the step).

        With s = tanh(c_t) and its slope ds: dh_dh = do s + o ds dc_dh and
        dh_dc = o ds dc_dc, so det = dh_dh dc_dc - dh_dc dc_dh = do s dc_dc: the
        o ds terms cancel exactly, and computing det this way keeps the exact 0
        of a map that ignores h (do = 0) that ad - bc would miss by a rounding.
        """
        zf, zi, zg, zo = preactivations(w, h, x)  # the step's own (shared by LLVM)
        f = squash(zf, theta, zero, sigmoid(zf), saturated, inclusive)
        i = squash(zi, theta, zero, sigmoid(zi), saturated, inclusive)
        o = squash(zo, theta, zero, sigmoid(zo), saturated, inclusive)
        tg = tanh(zg)
        g = squash(zg, theta, -one, tg, saturated, inclusive)
        tc = tanh(c_new)
        s = squash(c_new, theta, -one, tc, saturated, inclusive)
        # slope of each gate in h: activation slope x recurrent weight (0 where saturated)
        df = band(zf, theta, saturated, inclusive) * sigmoid_slope(zf) * w[0]
        di = band(zi, theta, saturated, inclusive) * sigmoid_slope(zi) * w[3]
        do = band(zo, theta, saturated, inclusive) * sigmoid_slope(zo) * w[6]
        dg = band(zg, theta, saturated, inclusive) * tanh_slope(zg, tg) * w[9]
        ds = band(c_new, theta, saturated, inclusive) * tanh_slope(c_new, tc)
        dc_dh = df * c + (di * g + i * dg)
        dc_dc = f
        if round_feedback:  # rounding is flat between its jumps
            return zero, zero, dc_dh, dc_dc, zero
        return do * s + o * ds * dc_dh, o * ds * dc_dc, dc_dh, dc_dc, do * s * dc_dc

    return jacobian


@numba.njit(**INLINE_JIT)
def _exp_neg_f32(a, s):
    """e**(-s a) in float32 (``exp_f32``), the counterpart of ``_exp_neg``."""
    return exp_f32(-(s * a))


jacobian_f64 = _make_jacobian(np.float64, sigmoid, tanh, _exp_neg)
jacobian_f32 = _make_jacobian(np.float32, sigmoid_f32, tanh_f32, _exp_neg_f32)


@functools.lru_cache(maxsize=None)
def make_lyapunov_kernel(saturated: bool, float32: bool):
    """The Lyapunov kernel for exact or saturated steps, in float64 or float32.

    ``kernel(p, theta, inclusive, round_feedback, x, h0, c0, transient, steps,
    lam1, lam2)`` runs every cell of ``p`` (n, 12, float64) from (h0, c0),
    reading ``x[t % len(x)]`` at step t, for ``transient`` steps and then
    ``steps`` measured steps (>= 1), and writes both exponents, ``lam1`` and
    ``lam2`` (n,) each, float64: lam1 the one of q1 (the largest for a
    generic start), lam2 = mean log|det J| - lam1 (= mean log r22), -inf
    where lam1 is.  ``theta``, ``x``, ``h0``, ``c0`` are in the kernel's
    precision: with ``float32`` the state, the Jacobian and the tangent
    vector are float32 (the ``*_f32`` activations), and so are the mantissas of
    the products of the r's, with int32 exponents counted from 0 in each call
    and added to the int64 totals after it (``accumulate_f32``): every value in
    the loop is 32 bits wide, so a SIMD register holds twice as many cells as in
    float64 (1.85x float64's speed, against 0.9x with float64 products); |J q1|
    below 2**-60 is scaled by 2**64 before it is squared.  Only ``saturated`` and the precision are compiled in
    (``inclusive`` and ``round_feedback`` are run-time selects, as in the
    sweep kernel), and the kernel closes over two bools, the precision's
    type and its zero, never over a compiled function (Numba's on-disk cache
    key pickles them, and a compiled function pickles differently in every
    process).

    The steps run in slices of about ``call_steps`` cell-steps (keyword;
    default ``CALL_STEPS``), one compiled call each, so that Python's signal
    handlers run between them and Ctrl-C stops a long run at once.  Each
    call carries the whole state (h, c, the tangent vector, the mantissas
    and exponents of the products) into the next, so the exponents are the
    same bits for every slicing.

    Threads take spans of blocks of cells (``threads.spread``, serial
    compiled code: the same machine code in the process that compiled it and
    in one that loaded it from the cache).  The callable returned passes
    ``p`` to the kernel as a read-only view,
    whatever the caller's array: one Numba specialization for every caller
    (``fl.lyapunov`` and ``fl.sweep``), so one machine code.  Two compiles
    may fuse the Jacobian's multiply-adds differently, and their rows must
    agree bit for bit.
    """

    ftype = np.float32 if float32 else np.float64
    etype = np.int32 if float32 else np.int64
    zero = ftype(0.0)

    # The blocks' loops are the kernel's own body, not a call: a kernel that
    # calls another compiled function can run that function's separately
    # compiled copy in the process that compiled it and its own copy once
    # loaded from the cache, with other bits (tests/kernels/test_cache_bits.py).
    # So the precision picks the step and Jacobian here (Numba prunes the other
    # branch: ``float32`` is a constant of the closure).
    @numba.njit(**JIT)
    def kernel(first, last, p, theta, inclusive, round_feedback, x, t0, t1, transient, steps,
               state, acc_m, acc_e, lam1, lam2):
        wide_vectors()  # the lanes in zmm where the CPU has them, as in the sweep kernel
        n = p.shape[0]
        period = x.shape[0]
        w = np.empty((12, LANES), ftype)
        h = np.empty(LANES, ftype)
        c = np.empty(LANES, ftype)
        q1h = np.empty(LANES, ftype)
        q1c = np.empty(LANES, ftype)
        # prod r11 = m1 2**e1, prod |det J| = m2 2**e2: in the kernel's precision, the
        # exponents int32 and counted from 0 in each call in float32 (``accumulate_f32``)
        m1 = np.empty(LANES, ftype)
        m2 = np.empty(LANES, ftype)
        e1 = np.empty(LANES, etype)
        e2 = np.empty(LANES, etype)
        for blk in range(first, last):
            n0 = blk * LANES
            valid = min(LANES, n - n0)
            for j in range(LANES):
                row = n0 + min(j, valid - 1)  # spare lanes repeat the last cell
                for k in range(12):
                    w[k, j] = p[row, k]
                h[j], c[j] = state[0, row], state[1, row]
                q1h[j], q1c[j] = state[2, row], state[3, row]
                m1[j], m2[j] = acc_m[0, row], acc_m[1, row]
                if float32:
                    e1[j], e2[j] = 0, 0
                else:
                    e1[j], e2[j] = acc_e[0, row], acc_e[1, row]
            for t in range(t0, min(t1, transient)):
                xt = x[t % period]
                for j in range(LANES):  # the SIMD loop: one cell per lane
                    if float32:
                        h[j], c[j] = step_f32(lane(w, j), h[j], c[j], xt, theta, saturated,
                                              inclusive, round_feedback)
                    else:
                        h[j], c[j] = step_f64(lane(w, j), h[j], c[j], xt, theta, saturated,
                                              inclusive, round_feedback)
            for t in range(max(t0, transient), t1):
                xt = x[t % period]
                for j in range(LANES):  # the SIMD loop: one cell per lane
                    wj = lane(w, j)
                    if float32:
                        hj, cj = step_f32(wj, h[j], c[j], xt, theta, saturated, inclusive,
                                          round_feedback)
                        a, b, cc, d, det = jacobian_f32(wj, h[j], c[j], cj, xt, theta,
                                                        saturated, inclusive, round_feedback)
                    else:
                        hj, cj = step_f64(wj, h[j], c[j], xt, theta, saturated, inclusive,
                                          round_feedback)
                        a, b, cc, d, det = jacobian_f64(wj, h[j], c[j], cj, xt, theta,
                                                        saturated, inclusive, round_feedback)
                    h[j] = hj
                    c[j] = cj
                    uh = a * q1h[j] + b * q1c[j]
                    uc = cc * q1h[j] + d * q1c[j]
                    if float32:
                        # |J q1| below 2**-60 would square to a float32 subnormal or 0:
                        # scaled by 2**64 first (exact), the factor counted in e1
                        tiny = abs(uh) + abs(uc) < _TINY32
                        uh = uh * _LIFT32 if tiny else uh
                        uc = uc * _LIFT32 if tiny else uc
                        e1[j] -= numba.int32(64) if tiny else numba.int32(0)
                    r11 = np.sqrt(uh * uh + uc * uc)
                    if float32:
                        m1[j], e1[j] = accumulate_f32(m1[j], e1[j], r11)
                        m2[j], e2[j] = accumulate_f32(m2[j], e2[j], abs(det))
                    else:
                        m1[j], e1[j] = accumulate(m1[j], e1[j], r11)
                        m2[j], e2[j] = accumulate(m2[j], e2[j], abs(det))
                    q1h[j] = uh / r11 if r11 > zero else q1h[j]
                    q1c[j] = uc / r11 if r11 > zero else q1c[j]
            for j in range(valid):
                row = n0 + j
                state[0, row], state[1, row] = h[j], c[j]
                state[2, row], state[3, row] = q1h[j], q1c[j]
                acc_m[0, row], acc_m[1, row] = m1[j], m2[j]
                if float32:
                    acc_e[0, row] += e1[j]
                    acc_e[1, row] += e2[j]
                else:
                    acc_e[0, row], acc_e[1, row] = e1[j], e2[j]
                if t1 == transient + steps:
                    lam = exponent(np.float64(m1[j]), acc_e[0, row], steps)
                    lam1[row] = lam
                    lam2[row] = (exponent(np.float64(m2[j]), acc_e[1, row], steps) - lam
                                 if lam > -np.inf else -np.inf)


    def run(p, theta, inclusive, round_feedback, x, h0, c0, transient, steps, lam1, lam2, *,
            call_steps=CALL_STEPS):
        n = p.shape[0]
        if n == 0:
            return
        read_only = p.view()
        read_only.flags.writeable = False
        state = np.empty((4, n), ftype)  # h, c, q1h, q1c
        state[0], state[1], state[2], state[3] = h0, c0, ftype(Q0[0]), ftype(Q0[1])
        acc_m = np.ones((2, n))  # m1, m2
        acc_e = np.zeros((2, n), np.int64)  # e1, e2
        total = transient + steps
        span = max(1, call_steps // (-(-n // LANES) * LANES))  # steps per call
        for t0 in range(0, total, span):
            spread_kernel(kernel, -(-n // LANES), read_only, theta, inclusive, round_feedback, x,
                          t0, min(t0 + span, total), transient, steps, state, acc_m, acc_e,
                          lam1, lam2)

    return run
