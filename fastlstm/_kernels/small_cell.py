"""Compiled runs of a vector cell with at most four units: a step's gates in SIMD registers.

For small n a step of ``vector.step`` is short loops (4n rows, n units)
whose trip counts are known only at run time: LLVM vectorises them with
run-time checks and scalar remainders, and the step costs more than JAX's
whole ``lax.scan`` step.  Here the 4n pre-activations of a step live in 4U
lanes at fixed places, U = 2 units per gate for n <= 2 and U = 4 for n = 3, 4
(``pad``): gate q of unit u in lane U q + u, the lanes of missing units
padding with zero weights.  The rows of a step are one AVX-512 register or
two AVX2 ones (U = 2), the four activations one SIMD evaluation (``gate``),
the state is 2U scalars that stay in registers, and the update of c and h
reads its gates at fixed offsets.

Same bits as ``vector.step``: each pre-activation is accumulated in the
same order (``b[k]``, the m input terms, the n state terms, one fma each),
the activations are those of ``sigmoid`` and ``tanh`` (the g lanes take
tanh, the others sigmoid, by a select), and c, h are formed by the same
operations (tests/kernels/test_vector_shapes.py checks this on random cells).
Kernels assume validated input.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from .._config import INLINE_JIT, JIT
from .activations import (_BIG, _EXP_CLAMP, _EXP_OFFSET, _bits_to_float, _exp_reduced, _fma,
                          _float_to_bits, _pow2, tanh)
from .lanes import squash_f64 as squash

#: The sign bit of a float64, as an int64.
_SIGN_BIT = -(2 ** 63)
#: The largest hidden size these kernels take, and their most lanes (4 gates x 4 units).
MAX_UNITS = 4
LANES = 4 * MAX_UNITS


def pad(W_ihT, W_hhT, b):
    """The transposed weights (m, 4n), (n, 4n) and bias (4n,) in the padded layout.

    U = 2 for n <= 2, else 4: row q n + u (gate q, unit u) goes to lane U q + u
    of 4U lanes; the lanes of missing units are zero, and so are the missing
    rows of W_hhT, which has ``MAX_UNITS`` rows always.
    """
    n = W_hhT.shape[0]
    units = 2 if n <= 2 else MAX_UNITS
    lanes = np.array([units * (k // n) + k % n for k in range(4 * n)])
    out = []
    for w, rows in ((W_ihT, W_ihT.shape[0]), (W_hhT, MAX_UNITS), (b[None], 1)):
        p = np.zeros((rows, 4 * units))
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
    # the numerator is one fma(f, p, e) whose f and e are chosen from big_s, which is
    # ready long before p: the selects stay off the critical path.  tanh: fma(-S, p,
    # 1 - S); sigmoid: 1 for z >= 0 (fma(0, p, 1) is 1 exactly), else fma(S, p, S)
    positive = z >= 0.0
    f = -big_s if candidate else (0.0 if positive else big_s)
    e = _BIG - big_s if candidate else (_BIG if positive else big_s)
    q = _fma(f, p, e) / den
    # tanh: copysign(q, z) for q >= 0, as the sign bit of z xor-ed in (chosen early too)
    sign = _float_to_bits(z) & _SIGN_BIT if candidate else 0
    return _bits_to_float(_float_to_bits(q) ^ sign)


@numba.njit(**JIT)
def unit(i, f, g, o, c, theta, saturated, inclusive, round_feedback):
    """(h, c) of one unit from its gates and c: ``vector.step``'s operations.

    An ordinary compiled function, not ``INLINE_JIT``: a step calls it four
    times, and Numba's inlining of four copies cost 1.5 s of the kernel's 3.4 s
    of compile; LLVM inlines it all the same (no call is left in the kernel's
    machine code, on AVX2 or AVX-512), so the kernel stays self-contained.
    """
    c_new = _fma(f, c, i * g)
    hr = o * squash(c_new, theta, -1.0, tanh(c_new), saturated, inclusive)
    h = math.copysign(np.ceil(abs(hr) - 0.5), hr) if round_feedback else hr
    return h, c_new


@numba.njit(**INLINE_JIT)
def input_terms(W_ihT, b, x_t, zx, lanes):
    """zx <- W_ih x_t + b over the lanes: the terms of a step that do not depend on h,
    summed in their own loops, off the step's critical path."""
    for k in range(lanes):
        zx[k] = b[k]
    for j in range(W_ihT.shape[0]):
        xj = x_t[j]
        for k in range(lanes):
            zx[k] = _fma(W_ihT[j, k], xj, zx[k])


@numba.njit(**INLINE_JIT)
def step(W_ihT, W_hhT, b, x_t, n, h, c, zx, a, theta, saturated, inclusive, round_feedback):
    """One step on the padded layout: the new state (h, c), each a tuple of
    ``MAX_UNITS`` floats (those of units >= n are padding); a (16,) gets the
    gates, zx (16,) is scratch.

    The state is scalars, not arrays, so it stays in registers; the input
    terms, which do not depend on it, are summed first in their own loop, off
    the step's critical path; the state terms are added in the loop of the
    activations, so on the path h -> z -> gates -> c -> h only the gates go
    through memory (one SIMD store, four scalar loads per unit).
    """
    lanes = b.shape[0]  # 4U, read at run time: LLVM unrolls a constant trip count
    # before it vectorises, and the unrolled activations stay scalar
    units = lanes >> 2
    shift = 1 if units == 2 else 2
    h0, h1, h2, h3 = h
    c0, c1, c2, c3 = c
    input_terms(W_ihT, b, x_t, zx, lanes)
    for k in range(lanes):
        zk = _fma(W_hhT[0, k], h0, zx[k])
        zk = _fma(W_hhT[1, k], h1, zk) if n > 1 else zk
        zk = _fma(W_hhT[2, k], h2, zk) if n > 2 else zk
        zk = _fma(W_hhT[3, k], h3, zk) if n > 3 else zk
        candidate = (k >> shift) == 2  # gate g
        a[k] = squash(zk, theta, -1.0 if candidate else 0.0, gate(zk, candidate), saturated,
                      inclusive)
    i, f, g, o = 0, units, 2 * units, 3 * units
    h0, c0 = unit(a[i], a[f], a[g], a[o], c0, theta, saturated, inclusive, round_feedback)
    h1, c1 = unit(a[i + 1], a[f + 1], a[g + 1], a[o + 1], c1, theta, saturated, inclusive,
                  round_feedback)
    if n > 2:  # the same branch at every step: predicted
        h2, c2 = unit(a[i + 2], a[f + 2], a[g + 2], a[o + 2], c2, theta, saturated, inclusive,
                      round_feedback)
        h3, c3 = unit(a[i + 3], a[f + 3], a[g + 3], a[o + 3], c3, theta, saturated, inclusive,
                      round_feedback)
    return (h0, h1, h2, h3), (c0, c1, c2, c3)


@numba.njit(**INLINE_JIT)
def step_two(W_ihT, W_hhT, b, x_t, h0, h1, c0, c1, zx, a, theta, saturated, inclusive,
             round_feedback):
    """``step`` for n = 2 (U = 2, 8 lanes): the new (h0, h1, c0, c1).

    The same operations; with only the four scalars of two units live across
    steps, h stays in registers (``step``'s eight state values spilled h to
    the stack: a store and a reload on the step's critical path), and with
    n = 2 known, no test of n is left in the loop.  (n = 1 takes ``step``:
    there the second state term must be skipped, not added as 0 * 0, which
    would turn a pre-activation of -0.0 into +0.0.)
    """
    lanes = b.shape[0]  # 8, read at run time (see ``step``)
    input_terms(W_ihT, b, x_t, zx, lanes)
    for k in range(lanes):
        zk = _fma(W_hhT[1, k], h1, _fma(W_hhT[0, k], h0, zx[k]))
        candidate = (k >> 1) == 2  # gate g
        a[k] = squash(zk, theta, -1.0 if candidate else 0.0, gate(zk, candidate), saturated,
                      inclusive)
    h0, c0 = unit(a[0], a[2], a[4], a[6], c0, theta, saturated, inclusive, round_feedback)
    h1, c1 = unit(a[1], a[3], a[5], a[7], c1, theta, saturated, inclusive, round_feedback)
    return h0, h1, c0, c1


@numba.njit(**INLINE_JIT)
def sequence(W_ihT, W_hhT, b, x, h0, c0, theta, saturated, inclusive, round_feedback,
             h_out, c_out):
    """Run one sequence x (T, m) from (h0, c0) (n,), writing h_out, c_out (T, n)."""
    n = h0.shape[0]
    if n == 2:  # the same branch for every step of the run
        g0, g1, d0, d1 = h0[0], h0[1], c0[0], c0[1]
        zx = np.empty(LANES)
        a = np.empty(LANES)
        for t in range(x.shape[0]):
            g0, g1, d0, d1 = step_two(W_ihT, W_hhT, b, x[t], g0, g1, d0, d1, zx, a, theta,
                                      saturated, inclusive, round_feedback)
            h_out[t, 0] = g0
            c_out[t, 0] = d0
            h_out[t, 1] = g1
            c_out[t, 1] = d1
        return
    h = (h0[0], h0[1] if n > 1 else 0.0, h0[2] if n > 2 else 0.0, h0[3] if n > 3 else 0.0)
    c = (c0[0], c0[1] if n > 1 else 0.0, c0[2] if n > 2 else 0.0, c0[3] if n > 3 else 0.0)
    zx = np.empty(LANES)
    a = np.empty(LANES)
    for t in range(x.shape[0]):
        h, c = step(W_ihT, W_hhT, b, x[t], n, h, c, zx, a, theta, saturated, inclusive,
                    round_feedback)
        for u in range(n):
            h_out[t, u] = h[u]
            c_out[t, u] = c[u]


@functools.lru_cache(maxsize=None)
def _batch(saturated: bool):
    """The compiled run over a span of a batch, for saturated or exact steps, reading
    ``pad``'s layout (``vector._compiled`` calls it; a single sequence is a batch of one)."""

    @numba.njit(**JIT)
    def batch(first, last, inclusive, round_feedback, W_ihT, W_hhT, b, x, h0, c0, theta, h_out,
              c_out):
        # 256-bit vectors on purpose (no ``simd_width.wide_vectors``): a zmm division's
        # longer latency, on the step's critical path, made the n = 2 step 66 ns, not 51
        for s in range(first, last):
            sequence(W_ihT, W_hhT, b, x[s], h0[s], c0[s], theta, saturated, inclusive,
                     round_feedback, h_out[s], c_out[s])

    return batch
