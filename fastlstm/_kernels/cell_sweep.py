"""Compiled sweeps over tables of vector cells: SIMD lanes across cells.

Private; the public wrapper is ``fastlstm.sweep`` given a table of
``LSTMCell`` s of one shape (``fastlstm.sweeps.cells``), and every backend
(threads here, Dask workers) calls the kernels made here on chunks of it.

Layout.  The table is read in place: ``W_ih`` (N, 4n, m), ``W_hh`` (N, 4n,
n), ``b_ih`` and ``b_hh`` (N, 4n), rows stacked by gate i, f, g, o as in
``LSTMCell``.  Cells go in blocks of ``LANES``; a block's weights are copied
into (..., LANES) buffers, so that every innermost loop runs over the
block's cells, contiguous, and LLVM makes it SIMD code (one cell per lane).
A short last block repeats its last cell in the spare lanes, so a cell's
numbers never depend on the chunking.  Threads take spans of blocks
(``threads.spread``); time is never split.

A step is ``vector.step``, operation for operation, written for lanes: each
pre-activation starts from ``b_ih + b_hh`` (``LSTMCell.bias``), adds the m input terms and then
the n state terms, left to right, one explicit fma each; then the same
activations, ``c = fma(f, c, i * g)`` and ``h = o * tanh(c)``.  So a row's
numbers are those of ``fastlstm.run`` on that cell, bit for bit.  A 1-unit,
1-input cell runs, in ``fastlstm.run``, the scalar step, whose memory is
``fma(i, g, f * c)``: the run-time flag ``scalar_order`` takes that form
(the wrapper sets it for such tables, which only come here to be scored by
a ``Readout``; everything else about them goes to the scalar sweep).

``make_cell_sweep_kernel`` walks the prefix plan of ``fastlstm.sweeps.plan``
(inputs and initial states given by row index into ``x_rows``, ``h_rows``,
``c_rows``) and records final states, trajectories, rounded h and scores.
``make_cell_lyapunov_kernel`` measures the largest Lyapunov exponent with
one tangent vector, by the operations of ``tangent.tangent_steps`` with a
one-column frame (``fastlstm.lyapunov(cell, x, k=1)``).

Both kernels are one function each (``_config.INLINE_JIT`` says why): the
block's loading and the step are the Numba-inlined ``load_block`` and
``lane_step``, the scoring and the tangent map are written in their bodies,
and the only calls are the small activations and slopes, which LLVM inlines.
Only ``saturated`` is compiled in; ``inclusive``, ``round_feedback`` and
``scalar_order`` are run-time flags.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from .._config import INLINE_JIT, JIT
from .activations import _fma, sigmoid, tanh
from .lanes import squash_f64 as squash
from .lyapunov import accumulate, exponent
from .tangent import band, sigmoid_slope, tanh_slope
from .threads import spread_kernel

#: Cells per block: one AVX-512 vector of float64, two AVX2 ones.
LANES = 64

_TINY_SQUARE = 2.0**-1000  # as in tangent.orthonormalise
_LIFT = 2.0**600


@numba.njit(**INLINE_JIT)
def cell_bias(b_ih, b_hh):
    """``LSTMCell.bias()``: b_ih + b_hh, a zero term leaving the other as it is (-0.0 too)."""
    if b_hh == 0.0:
        return b_ih
    if b_ih == 0.0:
        return b_hh
    return b_ih + b_hh


@numba.njit(**INLINE_JIT)
def load_block(W_ih, W_hh, b_ih, b_hh, n0, valid, wih, whh, bias):
    """The weights of cells n0 .. n0 + valid - 1 into the lane buffers ``wih`` (m, 4n,
    LANES), ``whh`` (n, 4n, LANES) and ``bias`` (4n, LANES); spare lanes repeat the
    last cell, so a cell's numbers never depend on the chunking."""
    rows, m = W_ih.shape[1], W_ih.shape[2]
    n = W_hh.shape[2]
    for j in range(LANES):
        cell = n0 + min(j, valid - 1)
        for r in range(rows):
            bias[r, j] = cell_bias(b_ih[cell, r], b_hh[cell, r])
            for i in range(m):
                wih[i, r, j] = W_ih[cell, r, i]
            for u in range(n):
                whh[u, r, j] = W_hh[cell, r, u]


@numba.njit(**INLINE_JIT)
def lane_step(wih, whh, bias, xk, h, c, z, a, sc, theta, saturated, inclusive, round_feedback,
              scalar_order):
    """One step of every lane, in place: the pre-activations ``z`` = W_hh h + (W_ih x +
    b), the gates ``a`` (rows i, f, g, o), the memory ``c``, the squashed tanh of it
    ``sc`` and ``h``."""
    rows, m = wih.shape[1], wih.shape[0]
    n = h.shape[0]
    for r in range(rows):
        for j in range(LANES):
            z[r, j] = bias[r, j]
    for i in range(m):
        xi = xk[i]
        for r in range(rows):
            for j in range(LANES):
                z[r, j] = _fma(wih[i, r, j], xi, z[r, j])
    for u in range(n):
        for r in range(rows):
            for j in range(LANES):
                z[r, j] = _fma(whh[u, r, j], h[u, j], z[r, j])
    for s3 in range(3 * n):  # rows i, f, o: one loop, one inlined sigmoid
        r = s3 if s3 < 2 * n else s3 + n
        for j in range(LANES):
            a[r, j] = squash(z[r, j], theta, 0.0, sigmoid(z[r, j]), saturated, inclusive)
    for r in range(2 * n, 3 * n):  # g
        for j in range(LANES):
            a[r, j] = squash(z[r, j], theta, -1.0, tanh(z[r, j]), saturated, inclusive)
    for u in range(n):
        for j in range(LANES):
            gi, gf, gg, cu = a[u, j], a[n + u, j], a[2 * n + u, j], c[u, j]
            # fma(f, c, i * g), or the scalar step's fma(i, g, f * c): selects, not a
            # branch (one loop, not two)
            c_new = _fma(gi if scalar_order else gf, gg if scalar_order else cu,
                         (gf if scalar_order else gi) * (cu if scalar_order else gg))
            sc[u, j] = squash(c_new, theta, -1.0, tanh(c_new), saturated, inclusive)
            hr = a[3 * n + u, j] * sc[u, j]
            c[u, j] = c_new
            h[u, j] = math.copysign(np.ceil(abs(hr) - 0.5), hr) if round_feedback else hr


@functools.lru_cache(maxsize=None)
def make_cell_sweep_kernel(saturated: bool):
    """The sweep kernel for exact or saturated steps.

    ``run(W_ih, W_hh, b_ih, b_hh, theta, inclusive, round_feedback,
    scalar_order, x_rows, h_rows, c_rows, R_W, R_b, mode, cut, x_node, src, dst,
    init_h, init_c, n_slots, counts, fin_ptr, fin_seq, occ_ptr, occ_flat,
    h_out, c_out, traj_out, round_out, correct)`` runs the cells over the
    plan (``fastlstm._kernels.sweep`` describes its nodes); a node's input
    is ``x_rows[int(x_node[k])]`` (m,), an initial state ``h_rows[s]``,
    ``c_rows[s]`` (n,) with ``s = int(init_h[k])``.  For cell r it writes:

    * ``h_out[r, b]``, ``c_out[r, b]`` (n,): the final state of sequence b;
    * ``traj_out[r, f]`` (h) and ``round_out[r, f]`` (its rounding, int8)
      for the flat steps f = b*T + t of ``occ_flat``, when those arrays have
      N rows (pass (0, 0, 0) arrays to skip them);
    * ``correct[r]``: the sum over nodes of ``counts[k, l]``, l the index of
      the label of h among the plan's labels.  The label is read from
      ``y = R_b + R_W h`` (accumulated from R_b, unit by unit, one fma
      each): ``mode`` 0, one output y against ``cut`` (labels -1, 0, 1: -1
      below -cut, 1 above cut; R_W = (1, 0, ...), R_b = 0 and cut = 1/2 is
      round_half_to_zero of unit 0, cut = 0 the sign of a readout); 1, the
      first index of the largest y (labels in output order); -1, nothing is
      scored.  A NaN label is never right.
    """

    @numba.njit(**JIT)
    def kernel(first, last, W_ih, W_hh, b_ih, b_hh, theta, inclusive, round_feedback,
               scalar_order, x_rows, h_rows, c_rows, R_W, R_b, mode, cut, x_node, src, dst, init_h,
               init_c, n_slots, counts, fin_ptr, fin_seq, occ_ptr, occ_flat, h_out, c_out,
               traj_out, round_out, correct):
        N, rows, m = W_ih.shape
        n = W_hh.shape[2]
        outs = R_W.shape[0]
        want_traj = traj_out.shape[0] == N
        want_round = round_out.shape[0] == N
        wih = np.empty((m, rows, LANES))
        whh = np.empty((n, rows, LANES))
        bias = np.empty((rows, LANES))
        h = np.empty((n, LANES))
        c = np.empty((n, LANES))
        z = np.empty((rows, LANES))
        a = np.empty((rows, LANES))
        sc = np.empty((n, LANES))
        y = np.empty((outs, LANES))
        saved_h = np.empty((n_slots, n, LANES))
        saved_c = np.empty((n_slots, n, LANES))
        hits = np.zeros(LANES, np.int64)
        label = np.empty(LANES, np.int64)
        for blk in range(first, last):
            n0 = blk * LANES
            valid = min(LANES, N - n0)
            load_block(W_ih, W_hh, b_ih, b_hh, n0, valid, wih, whh, bias)
            for j in range(LANES):
                hits[j] = 0
            for k in range(x_node.shape[0]):
                s = src[k]
                if s == -2:
                    row = int(init_h[k])
                    for u in range(n):
                        for j in range(LANES):
                            h[u, j] = h_rows[row, u]
                            c[u, j] = c_rows[row, u]
                elif s >= 0:
                    for u in range(n):
                        for j in range(LANES):
                            h[u, j] = saved_h[s, u, j]
                            c[u, j] = saved_c[s, u, j]
                lane_step(wih, whh, bias, x_rows[int(x_node[k])], h, c, z, a, sc, theta,
                          saturated, inclusive, round_feedback, scalar_order)
                if mode >= 0:
                    # the label's index among the plan's labels (-1: none, for a NaN)
                    for o in range(outs):
                        for j in range(LANES):
                            y[o, j] = R_b[o]
                        for u in range(n):
                            w = R_W[o, u]
                            for j in range(LANES):
                                y[o, j] = _fma(w, h[u, j], y[o, j])
                    if mode == 0:  # one output against the cut: labels -1, 0, 1
                        for j in range(LANES):
                            v = y[0, j]
                            label[j] = 2 if v > cut else (0 if v < -cut else
                                                          (1 if v >= -cut else -1))
                    else:
                        for j in range(LANES):
                            best = 0
                            for o in range(outs):
                                if y[o, j] != y[o, j]:  # NaN
                                    best = -1
                                    break
                                if y[o, j] > y[best, j]:
                                    best = o
                            label[j] = best
                    for j in range(LANES):
                        if label[j] >= 0:
                            hits[j] += counts[k, label[j]]
                d = dst[k]
                if d >= 0:
                    for u in range(n):
                        for j in range(LANES):
                            saved_h[d, u, j] = h[u, j]
                            saved_c[d, u, j] = c[u, j]
                for q in range(fin_ptr[k], fin_ptr[k + 1]):
                    b = fin_seq[q]
                    for j in range(valid):
                        for u in range(n):
                            h_out[n0 + j, b, u] = h[u, j]
                            c_out[n0 + j, b, u] = c[u, j]
                if want_traj or want_round:
                    for q in range(occ_ptr[k], occ_ptr[k + 1]):
                        f = occ_flat[q]
                        for j in range(valid):
                            if want_traj:
                                out = traj_out[n0 + j, f]
                                for u in range(n):
                                    out[u] = h[u, j]
                            if want_round:
                                rnd = round_out[n0 + j, f]
                                for u in range(n):
                                    v = h[u, j]
                                    rnd[u] = np.int8(math.copysign(np.ceil(abs(v) - 0.5), v))
            for j in range(valid):
                correct[n0 + j] = hits[j]

    def run(W_ih, *args):
        spread_kernel(kernel, (W_ih.shape[0] + LANES - 1) // LANES, W_ih, *args)

    run.kernel = kernel
    return run


@functools.lru_cache(maxsize=None)
def make_cell_lyapunov_kernel(saturated: bool):
    """The largest Lyapunov exponent of every cell, for exact or saturated steps.

    ``run(W_ih, W_hh, b_ih, b_hh, theta, inclusive, round_feedback, x, h0, c0,
    q0, transient, steps, lam)``: every cell starts from (h0, c0) (n,) each,
    step t reads ``x[t % P]`` (x (P, m)); the tangent vector starts at ``q0``
    (2n,) and is mapped by the step's Jacobian and renormalised at each of
    the ``steps`` steps after the ``transient``; ``lam[r]`` is the mean log
    of its stretching (-inf once it maps to 0).  The arithmetic is that of
    ``tangent.tangent_steps`` with one column (``coefficients``, ``push``,
    ``orthonormalise``), written for lanes.
    """

    @numba.njit(**JIT)
    def kernel(first, last, W_ih, W_hh, b_ih, b_hh, theta, inclusive, round_feedback, x, h0,
               c0, q0, transient, steps, lam):
        N, rows, m = W_ih.shape
        n = W_hh.shape[2]
        size = 2 * n
        period = x.shape[0]
        wih = np.empty((m, rows, LANES))
        whh = np.empty((n, rows, LANES))
        bias = np.empty((rows, LANES))
        h = np.empty((n, LANES))
        c = np.empty((n, LANES))
        c_prev = np.empty((n, LANES))
        z = np.empty((rows, LANES))
        a = np.empty((rows, LANES))
        coef = np.empty((5, n, LANES))
        sc = np.empty((n, LANES))
        slope = np.empty((rows, LANES))
        arg = np.empty((2 * n, LANES))
        val = np.empty((2 * n, LANES))
        tslope = np.empty((2 * n, LANES))
        wq = np.empty((rows, LANES))
        q = np.empty((size, LANES))
        v = np.empty((size, LANES))
        ss = np.empty(LANES)
        acc_m = np.empty(LANES)
        acc_e = np.empty(LANES, np.int64)
        for blk in range(first, last):
            n0 = blk * LANES
            valid = min(LANES, N - n0)
            load_block(W_ih, W_hh, b_ih, b_hh, n0, valid, wih, whh, bias)
            for j in range(LANES):
                for u in range(n):
                    h[u, j] = h0[u]
                    c[u, j] = c0[u]
                for p in range(size):
                    q[p, j] = q0[p]
                acc_m[j] = 1.0
                acc_e[j] = 0
            for t in range(transient + steps):
                xk = x[t % period]
                for u in range(n):
                    for j in range(LANES):
                        c_prev[u, j] = c[u, j]
                lane_step(wih, whh, bias, xk, h, c, z, a, sc, theta, saturated, inclusive,
                          round_feedback, False)
                if t < transient:
                    continue
                # The Jacobian's coefficients (tangent.coefficients), each slope masked by
                # its band first: the same products, (band * slope) * factor.  The slopes
                # have one call site per loop, which LLVM inlines and vectorises.  The
                # step's squashed tanh stands in for tanh itself: equal inside the band,
                # and outside it band() = 0 cancels the (finite, >= 0) slope.
                for s3 in range(3 * n):  # rows i, f, o
                    r = s3 if s3 < 2 * n else s3 + n
                    for j in range(LANES):
                        slope[r, j] = band(z[r, j], theta, saturated, inclusive) \
                            * sigmoid_slope(z[r, j])
                for u in range(n):  # the tanh arguments, g's and c's, side by side
                    for j in range(LANES):
                        arg[u, j], arg[n + u, j] = z[2 * n + u, j], c[u, j]
                        val[u, j], val[n + u, j] = a[2 * n + u, j], sc[u, j]
                for k in range(2 * n):
                    for j in range(LANES):
                        tslope[k, j] = band(arg[k, j], theta, saturated, inclusive) \
                            * tanh_slope(arg[k, j], val[k, j])
                for u in range(n):
                    for j in range(LANES):
                        coef[0, u, j] = slope[n + u, j] * c_prev[u, j]
                        coef[1, u, j] = slope[u, j] * a[2 * n + u, j]
                        coef[2, u, j] = tslope[u, j] * a[u, j]
                        coef[3, u, j] = slope[3 * n + u, j] * sc[u, j]
                        coef[4, u, j] = a[3 * n + u, j] * tslope[n + u, j]
                        if round_feedback:
                            coef[3, u, j] = 0.0
                            coef[4, u, j] = 0.0
                # v = J q (tangent.push): W_hh q_h first, p ascending
                for r in range(rows):
                    for j in range(LANES):
                        wq[r, j] = 0.0
                for p in range(n):
                    for r in range(rows):
                        for j in range(LANES):
                            wq[r, j] += whh[p, r, j] * q[p, j]
                for u in range(n):
                    for j in range(LANES):
                        dc = ((coef[0, u, j] * wq[n + u, j] + coef[1, u, j] * wq[u, j])
                              + coef[2, u, j] * wq[2 * n + u, j]) + a[n + u, j] * q[n + u, j]
                        v[n + u, j] = dc
                        v[u, j] = coef[3, u, j] * wq[3 * n + u, j] + coef[4, u, j] * dc
                # renormalise (tangent.orthonormalise, one column)
                for j in range(LANES):
                    ss[j] = 0.0
                for p in range(size):
                    for j in range(LANES):
                        ss[j] += v[p, j] * v[p, j]
                for j in range(LANES):
                    shift = 0
                    if 0.0 < ss[j] < _TINY_SQUARE:  # a small vector: scaled exactly first
                        s2 = 0.0
                        for p in range(size):
                            v[p, j] *= _LIFT
                            s2 += v[p, j] * v[p, j]
                        ss[j] = s2
                        shift = 600
                    rii = math.sqrt(ss[j])
                    acc_m[j], acc_e[j] = accumulate(acc_m[j], acc_e[j], rii)
                    acc_e[j] -= shift
                    inv = 1.0 / rii if rii != 0.0 else 0.0
                    for p in range(size):
                        q[p, j] = v[p, j] * inv
            for j in range(valid):
                lam[n0 + j] = exponent(acc_m[j], acc_e[j], steps)

    def run(W_ih, *args):
        spread_kernel(kernel, (W_ih.shape[0] + LANES - 1) // LANES, W_ih, *args)

    run.kernel = kernel
    return run
