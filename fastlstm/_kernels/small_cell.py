"""Compiled runs of a vector cell with at most two units: a step's gates in one SIMD register.

For n <= 2 a step of ``vector.sequence`` is short loops (4n rows, n units)
whose trip counts are known only at run time: LLVM vectorises them with
run-time checks and scalar remainders, and the step costs more than JAX's
whole ``lax.scan`` step.  Here the 4n pre-activations of a step live in
``LANES`` = 8 lanes at fixed places, gate q of unit u in lane 2q + u (unit 1
of a one-unit cell is padding with zero weights), so every loop of the step
has a constant trip count: the rows are one AVX-512 register (two AVX2
ones), the four activations one SIMD evaluation, and the update of c and h
reads its gates at constant offsets.

Same bits as ``vector.sequence``: each pre-activation is accumulated in the
same order (``b[k]``, the m input terms, the n state terms, one fma each),
the activations are the same ``sigmoid`` and ``tanh`` (the g lanes take
tanh, the others sigmoid, by a select), and c, h are formed by the same
operations (tests/kernels/test_vector_small.py checks this on random cells).
The padded layout is made by ``pad``; kernels assume validated input.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from .._config import INLINE_JIT, JIT
from .activations import _BIG, _EXP_CLAMP, _EXP_OFFSET, _exp_reduced, _fma, _pow2, tanh
from .lanes import squash_f64 as squash
from .threads import spread_kernel

#: Rows of a padded step: gates i, f, g, o of units 0 and 1, gate q of unit u in lane 2q + u.
LANES = 8
#: The largest hidden size these kernels take.
MAX_UNITS = 2


def pad(W_ihT, W_hhT, b):
    """The transposed weights (m, 4n), (n, 4n) and bias (4n,) in the 8-lane layout.

    Row q n + u (gate q, unit u) goes to lane 2 q + u; the lanes of a missing
    unit are zero, and so is the missing row of W_hhT, which is (2, 8) always.
    """
    n = W_hhT.shape[0]
    lanes = np.array([2 * (k // n) + k % n for k in range(4 * n)])
    out = []
    for w, rows in ((W_ihT, W_ihT.shape[0]), (W_hhT, MAX_UNITS), (b[None], 1)):
        p = np.zeros((rows, LANES))
        p[:w.shape[0], lanes] = w
        out.append(p)
    return out[0], out[1], out[2][0]


@numba.njit(**INLINE_JIT)
def gate(z, candidate):
    """``tanh(z)`` if ``candidate``, else ``sigmoid(z)``, by one exp and one division.

    The operations of ``activations.sigmoid`` and ``activations.tanh`` (s = 1
    or 2 in e**(-s|z|), numerator chosen by a select), so the same bits; in a
    loop over lanes that mixes both, one SIMD evaluation instead of two.
    """
    s = 2.0 if candidate else 1.0
    p, k = _exp_reduced(min(abs(z), _EXP_CLAMP / 2.0 if candidate else _EXP_CLAMP), s)
    big_s = _pow2(k + _EXP_OFFSET)
    den = _fma(big_s, p, _BIG + big_s)
    sigmoid_num = _BIG if z >= 0.0 else _fma(big_s, p, big_s)
    q = (_fma(-big_s, p, _BIG - big_s) if candidate else sigmoid_num) / den
    return math.copysign(q, z) if candidate else q


@numba.njit(**INLINE_JIT)
def unit(i, f, g, o, c, theta, saturated, inclusive, round_feedback):
    """(h, h_raw, c) of one unit from its gates and c: ``vector.step``'s operations."""
    c_new = _fma(f, c, i * g)
    hr = o * squash(c_new, theta, -1.0, tanh(c_new), saturated, inclusive)
    h = math.copysign(np.ceil(abs(hr) - 0.5), hr) if round_feedback else hr
    return h, hr, c_new


@numba.njit(**INLINE_JIT)
def step(W_ihT, W_hhT, b, x_t, h0, h1, c0, c1, zx, a, theta, saturated, inclusive,
         round_feedback, two):
    """One step on the padded layout: the new (h0, h1, c0, c1); a (8,) gets the
    gates, zx (8,) is scratch.  ``two``: whether unit 1 exists (W_hhT is (2, 8)
    either way, its row 1 zero for one unit).

    The state is four scalars, not arrays, so it stays in registers; the input
    terms, which do not depend on it, are summed first in their own loop, off
    the step's critical path; the (at most two) state terms are added in the
    loop of the activations, so on the path h -> z -> gates -> c -> h only the
    gates go through memory (one SIMD store, four scalar loads per unit).
    """
    lanes = b.shape[0]  # LANES, read at run time: LLVM unrolls a constant trip count
    # before it vectorises, and the unrolled activations stay scalar
    for k in range(lanes):
        zx[k] = b[k]
    for j in range(W_ihT.shape[0]):
        xj = x_t[j]
        for k in range(lanes):
            zx[k] = _fma(W_ihT[j, k], xj, zx[k])
    for k in range(lanes):
        zk = _fma(W_hhT[0, k], h0, zx[k])
        zk = _fma(W_hhT[1, k], h1, zk) if two else zk
        candidate = (k >> 1) == 2  # lanes 4 and 5: g
        a[k] = squash(zk, theta, -1.0 if candidate else 0.0, gate(zk, candidate), saturated,
                      inclusive)
    h0, hr0, c0 = unit(a[0], a[2], a[4], a[6], c0, theta, saturated, inclusive, round_feedback)
    h1, hr1, c1 = unit(a[1], a[3], a[5], a[7], c1, theta, saturated, inclusive, round_feedback)
    return h0, h1, c0, c1


@numba.njit(**INLINE_JIT)
def sequence(W_ihT, W_hhT, b, x, h0, c0, theta, saturated, inclusive, round_feedback,
             h_out, c_out):
    """Run one sequence x (T, m) from (h0, c0) (n,), writing h_out, c_out (T, n)."""
    two = h0.shape[0] == 2
    g0, c_0 = h0[0], c0[0]
    g1, c_1 = (h0[1], c0[1]) if two else (0.0, 0.0)
    zx = np.empty(LANES)
    a = np.empty(LANES)
    for t in range(x.shape[0]):
        g0, g1, c_0, c_1 = step(W_ihT, W_hhT, b, x[t], g0, g1, c_0, c_1, zx, a, theta,
                                saturated, inclusive, round_feedback, two)
        h_out[t, 0] = g0
        c_out[t, 0] = c_0
        if two:
            h_out[t, 1] = g1
            c_out[t, 1] = c_1


@functools.lru_cache(maxsize=None)
def _compiled(saturated: bool):
    """``run`` and ``run_batch`` for saturated or exact steps (as ``vector._compiled``):
    one compiled kernel, a single sequence being a batch of one."""

    @numba.njit(**JIT)
    def batch(first, last, inclusive, round_feedback, W_ihT, W_hhT, b, x, h0, c0, theta, h_out,
              c_out):

        for s in range(first, last):
            sequence(W_ihT, W_hhT, b, x[s], h0[s], c0[s], theta, saturated, inclusive,
                     round_feedback, h_out[s], c_out[s])

    def run(inclusive, round_feedback, W_ihT, W_hhT, b, x, h0, c0, theta, h_out, c_out):
        batch(0, 1, inclusive, round_feedback, *pad(W_ihT, W_hhT, b), x[None], h0[None],
              c0[None], theta, h_out[None], c_out[None])

    def run_batch(inclusive, round_feedback, W_ihT, W_hhT, b, x, *args):
        spread_kernel(batch, x.shape[0], inclusive, round_feedback, *pad(W_ihT, W_hhT, b), x,
                      *args)

    run.kernel = run_batch.kernel = batch
    return run, run_batch
