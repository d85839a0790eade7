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
(4n values per column, axpys across the frame's columns) and O(n) more
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


@numba.njit(**INLINE_JIT)
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


@numba.njit(**INLINE_JIT)
def push(W_hhT, a, coef, frame, image, wq):
    """image = J frame (both (2n, k): column j of the frame in column j, h part
    in the first n rows).  ``wq`` (4n, k) receives W_hh frame[:n]: rows of k
    values updated by axpys (vectorised across the frame's columns)."""
    n = W_hhT.shape[0]
    rows = W_hhT.shape[1]
    k = frame.shape[1]
    for r in range(rows):
        acc = wq[r]
        for j in range(k):
            acc[j] = 0.0
        for p in range(n):
            w = W_hhT[p, r]
            q = frame[p]
            for j in range(k):
                acc[j] += w * q[j]
    for u in range(n):
        kf, ki, kg, ko, kb, f = coef[0, u], coef[1, u], coef[2, u], coef[3, u], coef[4, u], a[n + u]
        wf, wi, wg, wo = wq[n + u], wq[u], wq[2 * n + u], wq[3 * n + u]
        qc = frame[n + u]
        vh = image[u]
        vc = image[n + u]
        for j in range(k):
            dc = ((kf * wf[j] + ki * wi[j]) + kg * wg[j]) + f * qc[j]
            vc[j] = dc
            vh[j] = ko * wo[j] + kb * dc


# An ordinary call, unlike the other steps of ``tangent_steps``: inlined, the
# kernel ran 25-30% slower at n = 16.  tests/kernels/test_cache_bits.py checks
# that the compiling and the loading process give the same bits.
@numba.njit(**JIT)
def orthonormalise(image, rank, acc_m, acc_e, r):
    """Modified Gram-Schmidt on the columns of ``image`` (2n, k) in place; r_ii
    multiplied into (acc_m, acc_e); ``r`` (k,) is scratch.  Columns from ``rank``
    on are set to 0 (r_ii = 0).

    Column i is normalised, then projected out of every later column j: r_ij
    = sum_p q_i[p] v_j[p] summed over p in order, for all j at once (a pass
    over the rows, vectorised across the columns, no reassociation), then
    v_j -= r_ij q_i.  A column's numbers never depend on the columns after it.
    """
    size, k = image.shape
    for i in range(k):
        if i >= rank:
            for p in range(size):
                image[p, i] = 0.0
        ss = 0.0
        for p in range(size):
            ss += image[p, i] * image[p, i]
        shift = 0
        if 0.0 < ss < _TINY_SQUARE:  # a small column: scaled exactly, no underflow
            ss = 0.0
            for p in range(size):
                image[p, i] *= _LIFT
                ss += image[p, i] * image[p, i]
            shift = 600
        rii = math.sqrt(ss)
        acc_m[i], acc_e[i] = accumulate(acc_m[i], acc_e[i], rii)
        acc_e[i] -= shift
        if rii == 0.0:  # a zero column projects nothing out
            continue
        inv = 1.0 / rii
        for p in range(size):
            image[p, i] *= inv
        rest = k - i - 1
        rj = r[:rest]
        for j in range(rest):
            rj[j] = 0.0
        for p in range(size):
            q = image[p, i]
            row = image[p, i + 1:]
            for j in range(rest):
                rj[j] += q * row[j]
        for p in range(size):
            q = image[p, i]
            row = image[p, i + 1:]
            for j in range(rest):
                row[j] -= q * rj[j]


@numba.njit(**INLINE_JIT)
def advance(W_ihT, W_hhT, b, x_t, h, c, z, a, h_raw, theta, saturated, inclusive,
            round_feedback):
    """``vector.step``, inlined into ``tangent_steps`` (see ``_config.INLINE_JIT``:
    a kernel that calls a compiled function can run another copy of it in the
    process that compiled it than once loaded from the cache)."""
    step(W_ihT, W_hhT, b, x_t, h, c, z, a, h_raw, theta, saturated, inclusive, round_feedback)


@numba.njit(**JIT)
def tangent_steps(W_ihT, W_hhT, b, x, theta, saturated, inclusive, round_feedback, t0, t1,
                  transient, h, c, frame, acc_m, acc_e):
    """Steps t0 .. t1 - 1 (step t reads ``x[t % P]``) from and into (h, c), the frame
    (2n, k) and the accumulators (k,); steps before ``transient`` are not measured.
    Returns nothing; every input array but the weights and x is updated."""
    n = h.shape[0]
    z = np.empty(4 * n)
    a = np.empty(4 * n)
    h_raw = np.empty(n)
    c_prev = np.empty(n)
    coef = np.empty((5, n))
    wq = np.empty((4 * n, frame.shape[1]))
    r = np.empty(frame.shape[1])
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
        orthonormalise(nxt, rank, acc_m, acc_e, r)
        cur, nxt = nxt, cur  # the new frame; the old one is scratch
        swapped = not swapped
    if swapped:  # the frame lies in the scratch array: back into the caller's
        for p in range(frame.shape[0]):
            for j in range(frame.shape[1]):
                frame[p, j] = cur[p, j]


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
    frame = np.ascontiguousarray(start_frame(2 * n, k).T)  # (2n, k): a column per column
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
