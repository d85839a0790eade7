"""Compiled tangent map of a vector cell: the Lyapunov spectrum by QR of the 2n x 2n Jacobian.

Private; the public wrapper is ``fastlstm.lyapunov`` (an ``LSTMCell`` with
n > 1 or m > 1; the 1-unit, 1-input cell goes to the scalar kernel,
``lyapunov``).  The cell comes in the layout of ``vector`` (``W_ihT`` (m, 4n),
``W_hhT`` (n, 4n), one bias ``b`` (4n,)), as arrays passed in, never closed
over: one compiled kernel serves every cell, and a batch of cells can later
loop over it.

A step is ``vector.step`` itself (so the trajectory is ``fastlstm.run``'s,
bit for bit).  Its Jacobian d(h', c') / d(h, c) is never formed: with the
gates' slopes folded into per-unit coefficients,

    dc'/dh = diag(kf) W_f + diag(ki) W_i + diag(kg) W_g,   dc'/dc = diag(f)
    dh'/dh = diag(ko) W_o + diag(kb) dc'/dh,               dh'/dc = diag(kb) diag(f)

(kf = sigmoid'(z_f) c, ki = sigmoid'(z_i) g, kg = tanh'(z_g) i,
ko = sigmoid'(z_o) tanh(c'), kb = o tanh'(c'), W_* the gates' rows of W_hh),
a frame column q = (q_h, q_c) maps to J q from the one product W_hh q_h
(4n values, axpys over the contiguous rows of ``W_hhT``) and O(n) more
work.  With ``round_feedback`` the fed-back h is flat (rounding is flat
between its jumps): dh'/d(h, c) = 0, so J has rank <= n and the columns
from n on are 0 (their exponents -inf), as the scalar kernel's second.

The k-column frame is re-orthonormalised at every measured step by modified
Gram-Schmidt (column i normalised, then projected out of the columns after
it), so column i never depends on the columns after it: the first k
exponents of a run with more columns are the same bits.  The r_ii are
multiplied up as a mantissa and a binary exponent (``lyapunov.accumulate``,
one rounding per step, one log at the end); a column whose squared norm is
below 2**-1000 is scaled by 2**600 first, so a small stretch is not lost to
underflow.  A column that maps exactly to 0 makes its exponent -inf, and
every exponent after it (the volume they span is 0 for good).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .._config import INLINE_JIT, JIT
from .activations import _exp_neg, tanh
from .lanes import squash_f64 as squash
from .lyapunov import accumulate, exponent
from .vector import step

_TINY_SQUARE = 2.0**-1000  # below it a column is scaled by 2**600 before its norm
_LIFT = 2.0**600

#: Multiply-adds per compiled call (about a tenth of a second): Ctrl-C is answered between calls.
CALL_WORK = 2**27


def start_frame(size, k):
    """The first k columns of the start frame, a fixed orthonormal size x size matrix,
    as rows (k, size) (row i is column i).

    The Householder reflection I - 2 v v^T / |v|^2, v = e_0 - u, with u the unit
    vector along (cos 1, cos 2, ..., cos size): no entry is 0 (cos of an integer
    never is), so no structural zero of a Jacobian can annihilate a column.  The
    first k columns are the same bits for every k.
    """
    w = np.array([math.cos(p + 1.0) for p in range(size)])
    u = w / math.sqrt(math.fsum(w * w))
    v = -u
    v[0] += 1.0
    frame = np.eye(size)[:k] - (2.0 / math.fsum(v * v)) * np.outer(v[:k], v)
    return np.ascontiguousarray(frame)


@numba.njit(**JIT)
def sigmoid_slope(z):
    """sigmoid'(z) = e / (1 + e)**2, e = exp(-|z|): accurate for every z
    (s (1 - s) would be 0 wherever s rounds to 1, for z > 37)."""
    e = _exp_neg(abs(z), 1.0)
    return e / ((1.0 + e) * (1.0 + e))


@numba.njit(**JIT)
def tanh_slope(z, t):
    """tanh'(z), t = tanh(z): 1 - t**2 for |z| < 0.625, else 4 e / (1 + e)**2 with
    e = exp(-2|z|) (1 - t**2 would be 0 wherever t rounds to +-1)."""
    a = abs(z)
    e = _exp_neg(a, 2.0)
    return 1.0 - t * t if a < 0.625 else 4.0 * e / ((1.0 + e) * (1.0 + e))


@numba.njit(**JIT)
def band(z, theta, saturated, inclusive):
    """1 where the activation of z has its slope, 0 where it is saturated (a boundary
    point takes the slope of the side ``inclusive`` puts it on)."""
    if not saturated:
        return 1.0
    if inclusive:
        return 1.0 if -theta < z < theta else 0.0
    return 1.0 if -theta <= z <= theta else 0.0


@numba.njit(**JIT)
def dot(a, b):
    """a . b in eight partial sums (SIMD without reassociating: the order is fixed)."""
    size = a.shape[0]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    p = 0
    while p + 8 <= size:
        s0 += a[p] * b[p]
        s1 += a[p + 1] * b[p + 1]
        s2 += a[p + 2] * b[p + 2]
        s3 += a[p + 3] * b[p + 3]
        s4 += a[p + 4] * b[p + 4]
        s5 += a[p + 5] * b[p + 5]
        s6 += a[p + 6] * b[p + 6]
        s7 += a[p + 7] * b[p + 7]
        p += 8
    while p < size:
        s0 += a[p] * b[p]
        p += 1
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@numba.njit(**JIT)
def coefficients(z, a, c_prev, c, theta, saturated, inclusive, round_feedback, coef):
    """The Jacobian's per-unit coefficients of the step just taken, rows of ``coef``
    (5, n): kf, ki, kg, ko, kb (module docstring); z, a are the step's
    pre-activations and gates (rows i, f, g, o), c_prev and c the memory before
    and after."""
    n = c.shape[0]
    for u in range(n):
        zi, zf, zg, zo = z[u], z[n + u], z[2 * n + u], z[3 * n + u]
        tg = tanh(zg)
        tc = tanh(c[u])
        s = squash(c[u], theta, -1.0, tc, saturated, inclusive)
        coef[0, u] = band(zf, theta, saturated, inclusive) * sigmoid_slope(zf) * c_prev[u]
        coef[1, u] = band(zi, theta, saturated, inclusive) * sigmoid_slope(zi) * a[2 * n + u]
        coef[2, u] = band(zg, theta, saturated, inclusive) * tanh_slope(zg, tg) * a[u]
        coef[3, u] = band(zo, theta, saturated, inclusive) * sigmoid_slope(zo) * s
        coef[4, u] = a[3 * n + u] * band(c[u], theta, saturated, inclusive) * tanh_slope(c[u], tc)
        if round_feedback:  # the fed-back h is flat: its row of J is 0
            coef[3, u] = 0.0
            coef[4, u] = 0.0


@numba.njit(**JIT)
def push(W_hhT, a, coef, frame, image, wq):
    """image[j] = J frame[j] for every column j (rows (k, 2n): h part, then c part)."""
    n = W_hhT.shape[0]
    rows = W_hhT.shape[1]
    for j in range(frame.shape[0]):
        q = frame[j]
        for r in range(rows):
            wq[r] = 0.0
        for p in range(n):  # wq = W_hh q_h, axpys over the contiguous rows of W_hhT
            qp = q[p]
            for r in range(rows):
                wq[r] += W_hhT[p, r] * qp
        v = image[j]
        for u in range(n):
            dc = (coef[0, u] * wq[n + u] + coef[1, u] * wq[u]) + coef[2, u] * wq[2 * n + u]
            dc = dc + a[n + u] * q[n + u]
            v[n + u] = dc
            v[u] = coef[3, u] * wq[3 * n + u] + coef[4, u] * dc


@numba.njit(**JIT)
def orthonormalise(image, rank, acc_m, acc_e):
    """Modified Gram-Schmidt on the rows of ``image`` in place; r_ii multiplied into
    (acc_m, acc_e).  Rows from ``rank`` on are set to 0 (r = 0)."""
    k = image.shape[0]
    for i in range(k):
        v = image[i]
        if i >= rank:
            for p in range(v.shape[0]):
                v[p] = 0.0
        ss = dot(v, v)
        shift = 0
        if 0.0 < ss < _TINY_SQUARE:  # a small column: scaled exactly, no underflow
            for p in range(v.shape[0]):
                v[p] *= _LIFT
            ss = dot(v, v)
            shift = 600
        r = math.sqrt(ss)
        acc_m[i], acc_e[i] = accumulate(acc_m[i], acc_e[i], r)
        acc_e[i] -= shift
        if r > 0.0:
            inv = 1.0 / r
            for p in range(v.shape[0]):
                v[p] *= inv
            for j in range(i + 1, k):
                w = image[j]
                rij = dot(v, w)
                for p in range(w.shape[0]):
                    w[p] -= rij * v[p]


@numba.njit(**JIT)
def advance(W_ihT, W_hhT, b, x_t, h, c, z, a, h_raw, theta, saturated, inclusive,
            round_feedback):
    """``vector.step``, compiled once on its own (inlined into the loop below, its
    Numba-level inlining would cost seconds more of compile)."""
    step(W_ihT, W_hhT, b, x_t, h, c, z, a, h_raw, theta, saturated, inclusive, round_feedback)


@numba.njit(**JIT)
def tangent_steps(W_ihT, W_hhT, b, x, theta, saturated, inclusive, round_feedback, t0, t1,
                  transient, h, c, frame, acc_m, acc_e):
    """Steps t0 .. t1 - 1 (step t reads ``x[t % P]``) from and into (h, c), the frame
    (k, 2n) and the accumulators (k,); steps before ``transient`` are not measured.
    Returns nothing; every input array but the weights and x is updated."""
    n = h.shape[0]
    z = np.empty(4 * n)
    a = np.empty(4 * n)
    h_raw = np.empty(n)
    c_prev = np.empty(n)
    coef = np.empty((5, n))
    wq = np.empty(4 * n)
    cur, nxt = frame, np.empty_like(frame)
    swapped = False
    rank = n if round_feedback else 2 * n
    period = x.shape[0]
    for t in range(t0, t1):
        for u in range(n):
            c_prev[u] = c[u]
        advance(W_ihT, W_hhT, b, x[t % period], h, c, z, a, h_raw, theta, saturated,
                inclusive, round_feedback)
        if t < transient:
            continue
        coefficients(z, a, c_prev, c, theta, saturated, inclusive, round_feedback, coef)
        push(W_hhT, a, coef, cur, nxt, wq)
        orthonormalise(nxt, rank, acc_m, acc_e)
        cur, nxt = nxt, cur  # the new frame; the old one is scratch
        swapped = not swapped
    if swapped:  # the frame lies in the scratch array: back into the caller's
        for j in range(frame.shape[0]):
            for p in range(frame.shape[1]):
                frame[j, p] = cur[j, p]


@numba.njit(**JIT)
def exponents(acc_m, acc_e, steps, out):
    """The exponents of the accumulated products; -inf from the first -inf on."""
    dead = False
    for i in range(acc_m.shape[0]):
        out[i] = -np.inf if dead else exponent(acc_m[i], acc_e[i], steps)
        dead = out[i] == -np.inf


def tangent_spectrum(W_ihT, W_hhT, b, x, theta, saturated, inclusive, round_feedback, h0, c0,
                     transient, steps, k, *, call_work=CALL_WORK):
    """The first k exponents (k,) of the cell, and the final state (h, c).

    x (P, m), h0 and c0 (n,) float64 (copied); the frame starts at
    ``start_frame(2n, k)``.  The run goes in slices of about ``call_work``
    multiply-adds, one compiled call each, so Ctrl-C stops it at once; the
    state carried between calls is the whole state, so the bits do not
    depend on the slicing.
    """
    n = W_hhT.shape[0]
    h, c = np.array(h0, dtype=np.float64), np.array(c0, dtype=np.float64)
    frame = start_frame(2 * n, k)
    acc_m, acc_e = np.ones(k), np.zeros(k, np.int64)
    total = transient + steps
    span = max(1, call_work // (4 * n * k * (n + k) + 16 * n))  # steps per call
    flags = (bool(saturated), bool(inclusive), bool(round_feedback))
    for t0 in range(0, total, span):
        tangent_steps(W_ihT, W_hhT, b, x, float(theta), *flags, t0, min(t0 + span, total),
                      transient, h, c, frame, acc_m, acc_e)
    out = np.empty(k)
    exponents(acc_m, acc_e, steps, out)
    return out, h, c
