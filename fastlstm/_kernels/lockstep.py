"""Many sequences of one vector cell stepped in lockstep, SIMD lanes across sequences.

The automata wing asks a cell of a few units for thousands of short runs
over a small alphabet: a level of a prefix tree (one step from each of
hundreds of states), a few hundred test strings of length 40.  The batch
kernel of ``vector`` runs them one after the other, vectorised over the 4n
rows of one step, and a step of an 8-unit cell is then a chain of short
loops whose latency nothing hides.  Here a block of ``LANES`` sequences is
stepped together: every innermost loop runs over the lanes of the block, so
the loads, the fmas and the activations of all of them go as vector code.

The arithmetic is that of ``vector.step``, operation for operation, so each
lane gives the bits ``run_batch_vector`` gives (tests/kernels/test_lockstep.py):
``z = b``, then the m input terms, then the n state terms, one explicit fma
each, left to right; the gates by ``sigmoid``/``tanh`` of ``activations``
through ``lanes.squash_f64``; ``c = fma(f, c, i * g)``; ``h = o * tanh(c)``,
rounded half to zero when ``round_feedback``.  The input part of z
(``W_ih x + b``) depends on the symbol only, so it is computed once per
symbol, by the same fmas in the same order.

Sequences are rows of symbol indices into an alphabet of input vectors, all
of one length.  The kernel is self-contained (its steps are inlined), so it
gives the same bits compiled or loaded from the cache.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from .._config import JIT
from .activations import _fma, sigmoid, tanh
from .lanes import squash_f64 as squash
from .simd_width import wide_vectors
from .threads import spread_kernel

#: Sequences per block.  Measured on the Tomita networks (n = 8; L* with 200 random
#: tests of length 40): 16 lanes ran slower than the batch kernel of ``vector``, 32
#: lanes ~10% slower than 64, 128 no faster than 64; a block of one prefix-tree level
#: with fewer rows computes its spare lanes anyway (a few microseconds).
LANES = 64
#: Up to this many steps in all (rows times length: a few milliseconds for a cell of
#: a few units) a call runs in the calling thread: threads would cost more than they
#: save, the more so on a busy host.
SERIAL_STEPS = 2 ** 16


@functools.lru_cache(maxsize=None)
def _compiled(saturated: bool):
    """The lockstep kernel for exact or saturated steps (``inclusive`` and
    ``round_feedback`` are run-time arguments, as in ``vector._compiled``)."""

    @numba.njit(**JIT)
    def kernel(first, last, inclusive, round_feedback, W_ihT, W_hhT, b, inputs, words, h0, c0,
               theta, h_out, c_out):
        wide_vectors()   # 512-bit vectors where the CPU has them: 64 lanes are 8 zmm registers
        B, T = words.shape
        A, m = inputs.shape
        n = W_hhT.shape[0]
        rows = 4 * n
        # the input part of z for each symbol: b, then the m input terms (vector.step's order)
        u_in = np.empty((rows, A))
        for s in range(A):
            for k in range(rows):
                acc = b[k]
                for j in range(m):
                    acc = _fma(W_ihT[j, k], inputs[s, j], acc)
                u_in[k, s] = acc
        sym = np.empty(LANES, np.int64)
        h = np.empty((n, LANES))
        c = np.empty((n, LANES))
        z = np.empty((rows, LANES))
        a = np.empty((rows, LANES))
        for blk in range(first, last):
            s0 = blk * LANES
            valid = min(LANES, B - s0)
            for j in range(LANES):   # spare lanes repeat the last sequence
                row = s0 + min(j, valid - 1)
                for u in range(n):
                    h[u, j] = h0[row, u]
                    c[u, j] = c0[row, u]
            for t in range(T):
                for j in range(LANES):
                    sym[j] = words[s0 + min(j, valid - 1), t]
                for k in range(rows):
                    for j in range(LANES):
                        z[k, j] = u_in[k, sym[j]]
                u = 0
                while u + 4 <= n:   # four state terms per pass over z (same fmas, same order)
                    for k in range(rows):
                        w0, w1, w2, w3 = W_hhT[u, k], W_hhT[u + 1, k], W_hhT[u + 2, k], \
                            W_hhT[u + 3, k]
                        for j in range(LANES):
                            acc = _fma(w0, h[u, j], z[k, j])
                            acc = _fma(w1, h[u + 1, j], acc)
                            acc = _fma(w2, h[u + 2, j], acc)
                            z[k, j] = _fma(w3, h[u + 3, j], acc)
                    u += 4
                while u < n:
                    for k in range(rows):
                        w = W_hhT[u, k]
                        for j in range(LANES):
                            z[k, j] = _fma(w, h[u, j], z[k, j])
                    u += 1
                for k3 in range(3 * n):  # rows i, f, o: one loop, one inlined sigmoid
                    k = k3 if k3 < 2 * n else k3 + n
                    for j in range(LANES):
                        a[k, j] = squash(z[k, j], theta, 0.0, sigmoid(z[k, j]), saturated,
                                         inclusive)
                for k in range(2 * n, 3 * n):  # g
                    for j in range(LANES):
                        a[k, j] = squash(z[k, j], theta, -1.0, tanh(z[k, j]), saturated,
                                         inclusive)
                for u in range(n):
                    for j in range(LANES):
                        c_new = _fma(a[n + u, j], c[u, j], a[u, j] * a[2 * n + u, j])
                        hr = a[3 * n + u, j] * squash(c_new, theta, -1.0, tanh(c_new),
                                                      saturated, inclusive)
                        c[u, j] = c_new
                        h[u, j] = math.copysign(np.ceil(abs(hr) - 0.5), hr) if round_feedback \
                            else hr
                for j in range(valid):
                    for u in range(n):
                        h_out[s0 + j, t, u] = h[u, j]
                        c_out[s0 + j, t, u] = c[u, j]

    return kernel


def run_lockstep(saturated, inclusive, round_feedback, W_ihT, W_hhT, b, inputs, words, h0, c0,
                 theta, h_out, c_out):
    """Run the rows of ``words`` (B, T) from (h0[s], c0[s]) (B, n), writing h_out, c_out
    (B, T, n).

    ``W_ihT`` (m, 4n), ``W_hhT`` (n, 4n), ``b`` (4n,): the cell as ``vector``'s
    kernels take it; ``inputs`` (A, m): the symbols' input vectors; ``words``
    int64 indices into them.  All C-ordered float64 (one compiled layout),
    validated by the caller.  Small batches run in this thread, larger ones
    on threads, a span of blocks each.
    """
    kernel = _compiled(bool(saturated))
    blocks = (words.shape[0] + LANES - 1) // LANES
    args = (bool(inclusive), bool(round_feedback), W_ihT, W_hhT, b, inputs, words, h0, c0,
            float(theta), h_out, c_out)
    if words.size <= SERIAL_STEPS:
        kernel(0, blocks, *args)
    else:
        spread_kernel(kernel, blocks, *args)
