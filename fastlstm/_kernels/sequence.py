"""Compiled sequence kernels (private: the public wrappers live in run.py).

One step function serves every semantics: ``step`` takes the options
(saturated or exact, inclusive boundary, rounded feedback) as arguments.
``saturated`` is compiled in (``_compiled`` builds thin kernels that pass it
as a constant, so LLVM removes the saturation of an exact step); the other
two are run-time arguments, which ``make_sequence_kernels`` binds.  Each
kernel is compiled once, on first use, and cached on disk.

A long single run replays the transitions it has already computed where its
states repeat (``sequence_replayed``, with the cache of ``transitions``): the
same bits, several times faster for a cell that lands on a few exact states.

Kernels assume validated input and write into arrays they are given.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from .._config import INLINE_JIT, JIT
from . import transitions
from .activations import _fma, sigmoid, tanh
from .lanes import preactivations
from .lanes import step_f64 as lane_step
from .threads import spread_kernel


@numba.njit(**INLINE_JIT)
def regime(z, theta, inclusive):
    """-1 saturated low, 0 inside the band, +1 saturated high."""
    if inclusive:
        return 1 if z >= theta else (-1 if z <= -theta else 0)
    return 1 if z > theta else (-1 if z < -theta else 0)


@numba.njit(**INLINE_JIT)
def squash_sigmoid(z, theta, saturated, inclusive):
    """sigmoid(z), or its saturated value outside the band."""
    if saturated:
        r = regime(z, theta, inclusive)
        if r != 0:
            return 1.0 if r > 0 else 0.0
    return sigmoid(z)


@numba.njit(**INLINE_JIT)
def squash_tanh(z, theta, saturated, inclusive):
    """tanh(z), or its saturated value outside the band."""
    if saturated:
        r = regime(z, theta, inclusive)
        if r != 0:
            return 1.0 if r > 0 else -1.0
    return tanh(z)


@numba.njit(**INLINE_JIT)
def step(w, h, c, x, theta, saturated, inclusive, round_feedback):
    """One step: ``(h, c, h_raw, f, i, o, g, zf, zi, zo, zg)``.

    ``w`` holds the 12 parameters as a tuple in PARAM_NAMES order.
    ``saturated`` is a compile-time constant in every caller (see
    ``_compiled``), so LLVM removes the branches an exact step does not use;
    values a caller ignores are removed after inlining.
    """
    # The input terms (W_kx x + b_k) do not depend on the state, so they are
    # off the recurrence's critical path; the gates are independent of each
    # other and overlap in the pipeline.  The multiply-adds are explicit
    # (``lanes.preactivations``, ``_fma``), so every kernel rounds them alike.
    # o comes last: it is needed only after tanh(c), and a gate written
    # later is scheduled later, leaving f, i and g the divider first.
    zf, zi, zg, zo = preactivations(w, h, x)
    f = squash_sigmoid(zf, theta, saturated, inclusive)
    i = squash_sigmoid(zi, theta, saturated, inclusive)
    g = squash_tanh(zg, theta, saturated, inclusive)
    c_new = _fma(i, g, f * c)  # f * c is ready before i * g could be
    o = squash_sigmoid(zo, theta, saturated, inclusive)
    h_raw = o * squash_tanh(c_new, theta, saturated, inclusive)
    if round_feedback:
        h_new = math.copysign(np.ceil(abs(h_raw) - 0.5), h_raw)
    else:
        h_new = h_raw
    return h_new, c_new, h_raw, f, i, o, g, zf, zi, zo, zg


@numba.njit(**INLINE_JIT)
def unpack(p):
    """The 12 parameters as a tuple, so they live in registers in the loop."""
    return (p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11])


@numba.njit(**INLINE_JIT)
def sequence(p, x, h0, c0, theta, saturated, inclusive, round_feedback, h_out, c_out):
    """Run one sequence, writing h and c."""
    w = unpack(p)
    h = h0
    c = c0
    for t in range(x.shape[0]):
        h, c = step(w, h, c, x[t], theta, saturated, inclusive, round_feedback)[:2]
        h_out[t] = h
        c_out[t] = c


#: Steps per window of ``sequence_replayed``: the unit in which it judges the cache.
WINDOW = 4096
#: Windows run without the cache after one where it missed on most steps.
PLAIN_WINDOWS = 15


@numba.njit(**INLINE_JIT)
def sequence_replayed(p, x, h0, c0, theta, saturated, inclusive, round_feedback, h_out, c_out):
    """``sequence``, replaying remembered transitions where the states repeat.

    The same bits as ``sequence`` (``transitions`` explains why).  The run
    goes window by window: a window that uses the cache remembers every
    transition it computes, and when fewer than half of its steps were
    replayed, the next ``PLAIN_WINDOWS`` windows step without it before the
    cache is tried again.  So a run whose states never repeat (a generic cell
    on real-valued inputs) pays the cache's bookkeeping on one window in 16,
    and one that settles into a few states after a transient still finds them.
    Returns how many steps were replayed.
    """
    w = unpack(p)
    # windows left to run without the cache: a run of one window is not
    # worth a cache, and its (empty) cache is never probed
    plain = 1 if x.shape[0] <= WINDOW else 0
    keys, values = transitions.new_cache(transitions.SLOTS if plain == 0 else 0)
    h = h0
    c = c0
    replayed_total = 0
    for start in range(0, x.shape[0], WINDOW):
        end = min(start + WINDOW, x.shape[0])
        cached = plain == 0
        replayed = 0
        t = start
        while t < end:
            if cached:
                # replay while the transitions are known: a small inner loop, so
                # that h and c stay in registers however many the step needs
                while t < end:
                    hb, cb, xb = transitions.key(h, c, x[t])
                    s = transitions.find(keys, transitions.slot(hb, cb, xb), hb, cb, xb)
                    if s < 0:
                        break
                    h = values[s, 0]
                    c = values[s, 1]
                    h_out[t] = h
                    c_out[t] = c
                    replayed += 1
                    t += 1
                if t == end:
                    break
            # one copy of the step for both kinds of window: half the compile time
            h_new, c_new = step(w, h, c, x[t], theta, saturated, inclusive, round_feedback)[:2]
            if cached:
                hb, cb, xb = transitions.key(h, c, x[t])
                transitions.insert(keys, values, transitions.slot(hb, cb, xb), hb, cb, xb,
                                   h_new, c_new)
            h = h_new
            c = c_new
            h_out[t] = h
            c_out[t] = c
            t += 1
        replayed_total += replayed
        if not cached:
            plain -= 1
        elif 2 * replayed < end - start:
            plain = PLAIN_WINDOWS
    return replayed_total


@numba.njit(**INLINE_JIT)
def sequence_traced(p, x, h0, c0, theta, saturated, inclusive, round_feedback, closed,
                    h_out, c_out, h_raw, gates, pre, regimes, hits):
    """Run one sequence, writing every intermediate value.

    ``closed`` is the boundary used for the reported regimes; it is a run-time
    value because regimes depend on it even where the arithmetic does not.
    """
    w = unpack(p)
    h = h0
    c = c0
    for t in range(x.shape[0]):
        h, c, h_raw[t], gates[t, 0], gates[t, 1], gates[t, 2], gates[t, 3], \
            pre[t, 0], pre[t, 1], pre[t, 2], pre[t, 3] = step(
                w, h, c, x[t], theta, saturated, inclusive, round_feedback)
        pre[t, 4] = c
        h_out[t] = h
        c_out[t] = c
        for k in range(5):
            regimes[t, k] = regime(pre[t, k], theta, closed)
            hits[t, k] = abs(pre[t, k]) == theta


#: Sequences advanced together by the batch kernel, one per SIMD lane (four
#: AVX2 or two AVX-512 vectors of float64: independent chains that hide latency).
BATCH_LANES = 16
#: Steps per tile: inputs and outputs of a block are staged through
#: (TILE, BATCH_LANES) buffers (3 x 16 KiB), so the lanes read and write
#: contiguous memory while x and the outputs stay (B, T).
TILE = 128


@numba.njit(**INLINE_JIT)
def batch_block(w, x, h0, c0, theta, b0, saturated, inclusive, round_feedback, h_out, c_out):
    """Run the sequences ``b0 .. b0 + BATCH_LANES`` in lockstep, one per SIMD lane.

    A short last block repeats its last sequence in the spare lanes (their
    results are not written).  ``lane_step`` does the arithmetic of ``step``
    operation for operation, so every row equals a run of that sequence alone.
    """
    valid = min(BATCH_LANES, x.shape[0] - b0)
    h = np.empty(BATCH_LANES)
    c = np.empty(BATCH_LANES)
    xs = np.empty((TILE, BATCH_LANES))
    hs = np.empty((TILE, BATCH_LANES))
    cs = np.empty((TILE, BATCH_LANES))
    for j in range(BATCH_LANES):
        row = b0 + min(j, valid - 1)
        h[j] = h0[row]
        c[j] = c0[row]
    for t0 in range(0, x.shape[1], TILE):
        n = min(TILE, x.shape[1] - t0)
        for j in range(BATCH_LANES):
            row = b0 + min(j, valid - 1)
            for t in range(n):
                xs[t, j] = x[row, t0 + t]
        for t in range(n):
            for j in range(BATCH_LANES):  # the SIMD loop: one sequence per lane
                h[j], c[j] = lane_step(w, h[j], c[j], xs[t, j], theta,
                                       saturated, inclusive, round_feedback)
                hs[t, j] = h[j]
                cs[t, j] = c[j]
        for j in range(valid):
            for t in range(n):
                h_out[b0 + j, t0 + t] = hs[t, j]
                c_out[b0 + j, t0 + t] = cs[t, j]


@functools.lru_cache(maxsize=None)
def _compiled(saturated: bool):
    """The four kernels for ``saturated`` steps or exact ones; the other two
    flags are their first (run-time) arguments.

    Only ``saturated`` changes which arithmetic a step does; ``inclusive``
    (which comparisons) and ``round_feedback`` (one select on h) cost a
    predictable branch or a select, so compiling them in would buy nothing
    but three more compiles of every kernel.  The kernels close over one bool
    and nothing else: plain bools keep Numba's on-disk cache key the same
    from one process to the next (a closure over another compiled function
    would not).
    """

    @numba.njit(**JIT)
    def run(inclusive, round_feedback, p, x, h0, c0, theta, h_out, c_out):
        sequence_replayed(p, x, h0, c0, theta, saturated, inclusive, round_feedback,
                          h_out, c_out)

    @numba.njit(**JIT)
    def batch(first, last, inclusive, round_feedback, p, x, h0, c0, theta, h_out, c_out):
        w = unpack(p)
        for blk in range(first, last):
            batch_block(w, x, h0, c0, theta, blk * BATCH_LANES, saturated, inclusive,
                        round_feedback, h_out, c_out)

    @numba.njit(**JIT)
    def batch_traced(first, last, inclusive, round_feedback, p, x, h0, c0, theta, closed,
                     h_out, c_out, h_raw, gates, pre, regimes, hits):
        for b in range(first, last):
            sequence_traced(p, x[b], h0[b], c0[b], theta, saturated, inclusive, round_feedback,
                            closed, h_out[b], c_out[b], h_raw[b], gates[b], pre[b],
                            regimes[b], hits[b])

    def run_traced(inclusive, round_feedback, p, x, h0, c0, theta, closed, *outputs):
        # a batch of one: the machine code of run_batch_traced, compiled once
        batch_traced(0, 1, inclusive, round_feedback, p, x[None], np.full(1, h0),
                     np.full(1, c0), theta, closed, *(out[None] for out in outputs))

    def run_batch(inclusive, round_feedback, p, x, *args):
        spread_kernel(batch, (x.shape[0] + BATCH_LANES - 1) // BATCH_LANES, inclusive,
                      round_feedback, p, x, *args)

    def run_batch_traced(inclusive, round_feedback, p, x, *args):
        spread_kernel(batch_traced, x.shape[0], inclusive, round_feedback, p, x, *args)

    return run, run_traced, run_batch, run_batch_traced


def make_sequence_kernels(saturated: bool, inclusive: bool, round_feedback: bool):
    """``(run, run_traced, run_batch, run_batch_traced)`` for one semantics.

    run(p, x, h0, c0, theta, h_out, c_out)
    run_traced(p, x, h0, c0, theta, closed, h_out, c_out, h_raw, gates, pre, regimes, hits)
    run_batch*: the same with x, h0, c0 and every output carrying a leading
    batch axis; threads over blocks of sequences, and ``run_batch`` puts the
    sequences of a block in SIMD lanes (``batch_block``).

    Each is a kernel of ``_compiled(saturated)`` with ``inclusive`` and
    ``round_feedback`` bound as its first arguments.
    """
    return bind_flags(_compiled(bool(saturated)), inclusive, round_feedback)


def bind_flags(kernels, inclusive: bool, round_feedback: bool) -> tuple:
    """``kernels`` with their two run-time flags bound as first arguments."""
    return tuple(functools.partial(kernel, bool(inclusive), bool(round_feedback))
                 for kernel in kernels)
