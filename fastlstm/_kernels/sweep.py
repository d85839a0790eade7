"""Compiled sweep kernel: many cells at once, vectorised across cells.

Private; the public wrapper is ``fastlstm.sweep`` and every backend (threads
here, Dask workers in ``fastlstm.sweeps.dask_backend``) calls the kernel returned by
``make_sweep_kernel``.

Layout.  Cells are processed in blocks of ``LANES``.  A block's twelve
parameters are copied into a (12, LANES) buffer (the table itself stays
(N, 12), so no transposed copy of it is ever made), and the innermost loop
runs over the LANES cells of the block, contiguous in memory: LLVM turns it
into SIMD code (one cell per lane; in float64 the activations are those of
``fastlstm.run``, in float32 the ``*_f32`` variants of ``activations``), 512-bit
vectors where the CPU has them (``simd_width``: LLVM's tuning prefers 256 bits on
AVX-512 cores, and the lanes' long independent chains run 1.5x faster in zmm).  Threads take spans
of blocks (``threads.spread``); time is never split.

Every cell, also those of a short last block (whose spare lanes repeat its
last cell), goes through the same vector code, so a cell's numbers do not
depend on how the table is chunked: that is what makes the Dask backend
agree bit for bit.  In float64 the step performs the operations of
``sequence.step`` (``lanes.gates`` then ``lanes.update``, in two loops over the
lanes), so the numbers are also those of ``fastlstm.run``.

Input plan.  The sequences are not walked one by one but as a prefix tree
(built by ``fastlstm.sweeps.plan.make_plan``): node k is "feed ``x_node[k]`` to the state of
its parent", visited in depth-first order.  The parent's state is the
current one (``src == -1``), the initial state (``src == -2``) or one saved
in a slot (``src >= 0``).  Sequences sharing prefixes (all binary strings
of a length, say) share that work; the arithmetic per step is unchanged.
"""

from __future__ import annotations

import functools

import numba
import numpy as np

from .._config import JIT
from .lanes import LANES, gates_f32, gates_f64, lane, update_f32, update_f64
from .simd_width import wide_vectors
from .threads import spread_kernel


@functools.lru_cache(maxsize=None)
def make_sweep_kernel(saturated: bool, float32: bool):
    """The sweep kernel for exact or saturated steps in one precision.

    ``kernel(p, theta, inclusive, round_feedback, x_node, src, dst, init_h,
    init_c, n_slots, counts, fin_ptr, fin_seq, occ_ptr, occ_flat, h_out,
    c_out, traj_out, round_out, correct)`` runs the cells ``p`` (n, 12),
    float64, over the plan (see the module docstring) and writes, for cell n:

    * ``h_out[n, b]``, ``c_out[n, b]``: final state of sequence b, for every
      b listed for a node in ``fin_seq[fin_ptr[k]:fin_ptr[k+1]]``;
    * ``traj_out[n, f]`` (h) and ``round_out[n, f]`` (its rounding, int8) for
      the flat step indices f = b*T + t listed in ``occ_flat``, when those
      arrays have n rows (pass (0, 0) arrays to skip them);
    * ``correct[n]``: the sum over nodes of ``counts[k, r + 1]``, r the
      rounded h in {-1, 0, 1} (counts: how many of the node's steps have
      target -1, 0, +1).

    ``theta``, the plan's values and the h/c/traj outputs are float32 when
    ``float32``, else float64.  Only ``saturated`` (which removes or adds
    whole operations) and the precision are compiled in; ``inclusive`` and
    ``round_feedback`` cost a select per use at run time, and save the
    compilation of (up to 3x) more variants.  The kernel closes over two
    bools, the precision's type and a constant of it, never over a compiled
    function, so that Numba's on-disk cache key is the same in every process
    (Dask workers included).

    The callable returned runs the serial compiled kernel on spans of blocks
    of cells, on threads (``threads.spread``).
    """

    ftype = np.float32 if float32 else np.float64
    half = ftype(0.5)

    # The blocks' loop is the kernel's own body, not a call (see
    # ``lyapunov.make_lyapunov_kernel``: a call can run another copy of the
    # callee in the process that compiled it); the precision picks the step
    # here, Numba pruning the other branch.
    @numba.njit(**JIT)
    def kernel(first, last, p, theta, inclusive, round_feedback, x_node, src, dst, init_h,
               init_c, n_slots, counts, fin_ptr, fin_seq, occ_ptr, occ_flat, h_out, c_out,
               traj_out, round_out, correct):
        wide_vectors()  # the lanes in zmm where the CPU has them (1.5x on AVX-512)
        n = p.shape[0]
        for blk in range(first, last):
            n0 = blk * LANES
            valid = min(LANES, n - n0)
            w = np.empty((12, LANES), ftype)
            for j in range(LANES):
                row = n0 + min(j, valid - 1)  # spare lanes repeat the last cell
                for k in range(12):
                    w[k, j] = p[row, k]
            h = np.empty(LANES, ftype)
            c = np.empty(LANES, ftype)
            saved_h = np.empty((n_slots, LANES), ftype)
            saved_c = np.empty((n_slots, LANES), ftype)
            hits = np.zeros(LANES, np.int32)
            gf = np.empty(LANES, ftype)  # the gates of the lanes, between the two loops
            gi = np.empty(LANES, ftype)
            gg = np.empty(LANES, ftype)
            go = np.empty(LANES, ftype)
            want_traj = traj_out.shape[0] == n
            want_round = round_out.shape[0] == n
            for k in range(x_node.shape[0]):
                s = src[k]
                if s == -2:
                    for j in range(LANES):
                        h[j] = init_h[k]
                        c[j] = init_c[k]
                elif s >= 0:
                    for j in range(LANES):
                        h[j] = saved_h[s, j]
                        c[j] = saved_c[s, j]
                xk = x_node[k]
                low, mid, high = counts[k, 0], counts[k, 1], counts[k, 2]
                # The SIMD loops, one cell per lane: the gates, then c and h.  Two loops
                # rather than ``step`` in one: fewer live registers each (fewer spills with
                # AVX2's 16), ~15% faster on AVX2 and AVX-512; the same operations.
                for j in range(LANES):
                    if float32:
                        gf[j], gi[j], gg[j], go[j] = gates_f32(lane(w, j), h[j], xk, theta,
                                                               saturated, inclusive)
                    else:
                        gf[j], gi[j], gg[j], go[j] = gates_f64(lane(w, j), h[j], xk, theta,
                                                               saturated, inclusive)
                for j in range(LANES):
                    if float32:
                        hj, cj = update_f32(gf[j], gi[j], gg[j], go[j], c[j], theta, saturated,
                                            inclusive, round_feedback)
                    else:
                        hj, cj = update_f64(gf[j], gi[j], gg[j], go[j], c[j], theta, saturated,
                                            inclusive, round_feedback)
                    h[j] = hj
                    c[j] = cj
                # Scored nodes only: in the loop above the scoring cost an unscored sweep 10%
                # (AVX2, one core: 29.9 -> 26.2 cycles a cell-step without it).
                if low != 0 or mid != 0 or high != 0:
                    for j in range(LANES):
                        # |h| <= 1: its rounding is +1 above 1/2, -1 below -1/2, else 0;
                        # a NaN h (the last test fails) is never scored as right
                        hj = h[j]
                        hits[j] += high if hj > half else (low if hj < -half else
                                                           (mid if hj >= -half else 0))
                d = dst[k]
                if d >= 0:
                    for j in range(LANES):
                        saved_h[d, j] = h[j]
                        saved_c[d, j] = c[j]
                for q in range(fin_ptr[k], fin_ptr[k + 1]):
                    b = fin_seq[q]
                    for j in range(valid):
                        h_out[n0 + j, b] = h[j]
                        c_out[n0 + j, b] = c[j]
                if want_traj or want_round:
                    for q in range(occ_ptr[k], occ_ptr[k + 1]):
                        f = occ_flat[q]
                        for j in range(valid):
                            if want_traj:
                                traj_out[n0 + j, f] = h[j]
                            if want_round:
                                # round_half_to_zero of |h| <= 1, in the kernel's precision
                                round_out[n0 + j, f] = np.int8(np.copysign(
                                    np.ceil(abs(h[j]) - half), h[j]))
            for j in range(valid):
                correct[n0 + j] = hits[j]

    def run(p, *args):
        spread_kernel(kernel, (p.shape[0] + LANES - 1) // LANES, p, *args)

    return run
