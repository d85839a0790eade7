"""Compiled kernels for a vector LSTM cell (private: the wrappers live in fastlstm/vector.py).

A cell of hidden size n and input size m in PyTorch's layout, rows stacked by
gate i, f, g, o, given to the kernels *transposed*: ``W_ihT`` (m, 4n) and
``W_hhT`` (n, 4n), so that row k of the original is column k here and the
inner loops run over k on contiguous memory (SIMD over the 4n rows); one bias
``b = b_ih + b_hh`` (4n,).  A step::

    z = W_hh h + (W_ih x + b)                  (4n pre-activations)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), tanh(z_g), sigmoid(z_o)
    c = f * c + i * g
    h = o * tanh(c)                             (rounded when round_feedback)

Each pre-activation is accumulated as ``b[k]``, then the m input terms, then
the n state terms, left to right, each by one fused multiply-add; ``c`` is
``fma(f, c, i * g)``.  Every fma is explicit (``activations._fma``), not left
to LLVM's ``contract``: which product of ``f * c + i * g`` LLVM fuses depends
on the code around it, and the traced, plain and batch kernels must give the
same bits.  The activations are the scalar kernels' (``sigmoid``, ``tanh``
of ``activations``), in the select form of ``lanes``, so the loops over rows
and units vectorise.

A cell with n = m = 1 *is* a scalar cell, and its runs must give the bits
``fl.run`` gives: ``fastlstm.vector`` hands it to the scalar kernels
(``sequence``), so the identity holds by construction, and these kernels
need not carry a scalar path of their own (half their compile time).

Kernels assume validated input and write into arrays they are given.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from .._config import INLINE_JIT, JIT
from .activations import _fma, sigmoid, tanh
from . import small_cell, unit_tiles
from .lanes import squash_f64 as squash
from .sequence import bind_flags, regime
from .threads import spread_kernel


@numba.njit(**INLINE_JIT)
def preactivations(W_ihT, W_hhT, b, x_t, h, z):
    """z[k] = W_hh[k, :] h + (W_ih[k, :] x_t + b[k]), accumulated left to right.

    Four state terms per pass over z (same order of fmas, a quarter of the
    loads and stores of z).
    """
    rows = b.shape[0]
    m = W_ihT.shape[0]
    n = W_hhT.shape[0]
    for k in range(rows):
        z[k] = b[k]
    for j in range(m):
        xj = x_t[j]
        for k in range(rows):
            z[k] = _fma(W_ihT[j, k], xj, z[k])
    j = 0
    while j + 4 <= n:
        h0, h1, h2, h3 = h[j], h[j + 1], h[j + 2], h[j + 3]
        for k in range(rows):
            acc = _fma(W_hhT[j, k], h0, z[k])
            acc = _fma(W_hhT[j + 1, k], h1, acc)
            acc = _fma(W_hhT[j + 2, k], h2, acc)
            z[k] = _fma(W_hhT[j + 3, k], h3, acc)
        j += 4
    while j < n:
        hj = h[j]
        for k in range(rows):
            z[k] = _fma(W_hhT[j, k], hj, z[k])
        j += 1


@numba.njit(**INLINE_JIT)
def step(W_ihT, W_hhT, b, x_t, h, c, z, a, h_raw, theta, saturated, inclusive,
         round_feedback):
    """One step in place: h, c updated; z the pre-activations, a the gate
    values (rows i, f, g, o), h_raw the unrounded h."""
    n = h.shape[0]
    preactivations(W_ihT, W_hhT, b, x_t, h, z)
    for k in range(2 * n):  # i, f
        a[k] = squash(z[k], theta, 0.0, sigmoid(z[k]), saturated, inclusive)
    for k in range(2 * n, 3 * n):  # g
        a[k] = squash(z[k], theta, -1.0, tanh(z[k]), saturated, inclusive)
    for k in range(3 * n, 4 * n):  # o
        a[k] = squash(z[k], theta, 0.0, sigmoid(z[k]), saturated, inclusive)
    for u in range(n):
        c_new = _fma(a[n + u], c[u], a[u] * a[2 * n + u])
        hr = a[3 * n + u] * squash(c_new, theta, -1.0, tanh(c_new), saturated, inclusive)
        h_raw[u] = hr
        c[u] = c_new
        if round_feedback:
            h[u] = math.copysign(np.ceil(abs(hr) - 0.5), hr)
        else:
            h[u] = hr


@numba.njit(**INLINE_JIT)
def sequence_traced(W_ihT, W_hhT, b, x, h0, c0, theta, saturated, inclusive, round_feedback,
                    closed, h_out, c_out, h_raw, gates, pre, regimes, hits):
    """Run one sequence x (T, m) from (h0, c0), writing h_out, c_out (T, n) and per
    unit h_raw (T, n), gates (T, n, 4) in GATE_NAMES order f, i, o, g,
    pre-activations (T, n, 5) in PREACTIVATION_NAMES order f, i, o, g, c, their
    regimes under the boundary ``closed`` and their exact boundary hits (as
    ``sequence.sequence_traced``)."""
    n = h0.shape[0]
    h = h0.copy()
    c = c0.copy()
    z = np.empty(4 * n)
    a = np.empty(4 * n)
    for t in range(x.shape[0]):
        step(W_ihT, W_hhT, b, x[t], h, c, z, a, h_raw[t], theta, saturated, inclusive,
             round_feedback)
        for u in range(n):
            h_out[t, u] = h[u]
            c_out[t, u] = c[u]
            for col, row in enumerate((n + u, u, 3 * n + u, 2 * n + u)):  # f, i, o, g
                gates[t, u, col] = a[row]
                pre[t, u, col] = z[row]
            pre[t, u, 4] = c[u]
            for col in range(5):
                regimes[t, u, col] = regime(pre[t, u, col], theta, closed)
                hits[t, u, col] = abs(pre[t, u, col]) == theta


#: From this hidden size on, a plain run on an AVX-512 CPU steps in tiles of 16 units
#: in 512-bit vectors (``unit_tiles``, ``simd_width``); below it, tiles of 8 units in
#: 256-bit ones (docs/bench.md, "Roofline: vector cells": 8-unit ymm tiles lose to
#: the wide kernel from n = 12 on).
WIDE_FROM = 8
#: Alignment of the weights the kernels read: a SIMD load that straddles two
#: cache lines costs two (NumPy aligns large arrays to 16 bytes only; at n = 64,
#: weights at offset 48 made the 256-bit matrix-vector product 1.6x slower).
_ALIGN = 64


@functools.lru_cache(maxsize=None)
def _wide_vectors_exist() -> bool:
    """Whether Numba compiles for a CPU with 512-bit vectors (AVX-512F): Numba's own
    choice of features (``NUMBA_CPU_FEATURES``, else the host's).  Elsewhere the wide
    kernel would be the generic one compiled a second time."""
    from llvmlite import binding
    from numba.core import config

    features = config.CPU_FEATURES
    if features is None:
        features = binding.get_host_cpu_features().flatten()
    return "+avx512f" in features.split(",")


def _aligned(a):
    """``a`` itself if its data start on a 64-byte boundary, else an aligned copy."""
    if a.ctypes.data % _ALIGN == 0:
        return a
    buf = np.empty(a.size + _ALIGN // a.itemsize, a.dtype)
    skip = (-buf.ctypes.data % _ALIGN) // a.itemsize
    out = buf[skip:skip + a.size].reshape(a.shape)
    out[...] = a
    return out


class Weights:
    """A cell's transposed weights in the layouts the kernels read, made once.

    ``sources()`` gives ``(W_ihT, W_hhT, b)``, C-ordered float64 arrays (read,
    never written).  ``plain``: what the plain kernel reads (``small_cell.pad``'s
    layout for n <= 4, else ``unit_tiles.panels``' tiles of 16 units where
    ``wide``, of 8 elsewhere, aligned), made at once; ``traced``: ``(W_ihT,
    W_hhT, b)`` on 64-byte boundaries (``_aligned``), read by the traced kernel,
    made on the first traced run (plain runs need no copy of the transposed
    weights besides the panels); ``wide``: whether the plain kernel is the
    512-bit one.  ``fastlstm.vector`` keeps one on each cell, so a run costs no
    copy of the weights.
    """

    __slots__ = ("_sources", "_traced", "plain", "units", "wide")

    def __init__(self, sources):
        W_ihT, W_hhT, b = sources()
        self._sources, self._traced = sources, None
        self.units = W_hhT.shape[0]
        self.wide = self.units >= WIDE_FROM and _wide_vectors_exist()
        if self.units <= small_cell.MAX_UNITS:
            self.plain = small_cell.pad(W_ihT, W_hhT, b)
        else:
            tile = unit_tiles.UNITS_ZMM if self.wide else unit_tiles.UNITS_YMM
            self.plain = tuple(_aligned(w) for w in unit_tiles.panels(W_ihT, W_hhT, b, tile))

    @property
    def traced(self):
        if self._traced is None:  # two threads may both make it: the same arrays' values
            self._traced = tuple(_aligned(w) for w in self._sources())
        return self._traced


@functools.lru_cache(maxsize=None)
def _traced_batch(saturated: bool):
    """The compiled traced run over a span of a batch, for saturated or exact steps
    (the generic kernel: the passes over all 4n rows above, every n).  ``inclusive``
    and ``round_feedback`` are its first (run-time) arguments (as in
    ``sequence._compiled``: compiling them in would only multiply compiles).  It
    closes over a bool, so Numba's on-disk cache key stays the same from one
    process to the next."""

    @numba.njit(**JIT)
    def batch_traced(first, last, inclusive, round_feedback, W_ihT, W_hhT, b, x, h0, c0, theta,
                     closed, h_out, c_out, h_raw, gates, pre, regimes, hits):
        for s in range(first, last):
            sequence_traced(W_ihT, W_hhT, b, x[s], h0[s], c0[s], theta, saturated,
                            inclusive, round_feedback, closed, h_out[s], c_out[s],
                            h_raw[s], gates[s], pre[s], regimes[s], hits[s])

    return batch_traced


@functools.lru_cache(maxsize=None)
def _compiled(saturated: bool):
    """The four runs for saturated or exact steps, each choosing its kernel by n at run time.

    Three shapes of plain kernel, each compiled on first use (so a first call
    compiles one): ``small_cell`` for n <= 4 (a step's gates in one or two
    SIMD registers), ``unit_tiles`` in tiles of 8 units for 4 < n < ``WIDE_FROM``
    (and every n > 4 without AVX-512), and in tiles of 16 units in 512-bit
    vectors from ``WIDE_FROM`` on.  All give the same bits (the same operations
    in the same order; SIMD width changes no result), and so does the traced
    kernel, the generic one, for every n.  A single sequence is a batch of one: ``run``
    is the machine code of ``run_batch``
    (and ``run_traced`` that of ``run_batch_traced``).
    """
    small_batch = small_cell._batch(saturated)

    def run(inclusive, round_feedback, weights, x, h0, c0, theta, h_out, c_out):
        """One sequence with ``Weights`` (not arrays): a batch of one."""
        batch = (small_batch if weights.units <= small_cell.MAX_UNITS
                 else unit_tiles.batch_kernel(saturated, weights.wide))
        batch(0, 1, inclusive, round_feedback, *weights.plain, x[None], h0[None], c0[None],
              theta, h_out[None], c_out[None])

    def run_traced(inclusive, round_feedback, weights, x, h0, c0, theta, closed, *outputs):
        _traced_batch(saturated)(0, 1, inclusive, round_feedback, *weights.traced, x[None],
                                 h0[None], c0[None], theta, closed,
                                 *(out[None] for out in outputs))

    def run_batch(inclusive, round_feedback, weights, x, *args):
        batch = (small_batch if weights.units <= small_cell.MAX_UNITS
                 else unit_tiles.batch_kernel(saturated, weights.wide))
        spread_kernel(batch, x.shape[0], inclusive, round_feedback, *weights.plain, x, *args)

    def run_batch_traced(inclusive, round_feedback, weights, x, *args):
        spread_kernel(_traced_batch(saturated), x.shape[0], inclusive, round_feedback,
                      *weights.traced, x, *args)

    return run, run_traced, run_batch, run_batch_traced


@functools.lru_cache(maxsize=None)
def make_weights_kernels(saturated: bool, inclusive: bool, round_feedback: bool):
    """``(run, run_traced, run_batch, run_batch_traced)`` for one semantics, reading
    a ``Weights`` in place of ``W_ihT, W_hhT, b`` (see ``make_vector_kernels``)."""
    return bind_flags(_compiled(bool(saturated)), inclusive, round_feedback)


def make_vector_kernels(saturated: bool, inclusive: bool, round_feedback: bool):
    """``(run, run_traced, run_batch, run_batch_traced)`` for one semantics.

    run(W_ihT, W_hhT, b, x, h0, c0, theta, h_out, c_out):
        x (T, m), h0 and c0 (n,), outputs (T, n).
    run_traced(W_ihT, W_hhT, b, x, h0, c0, theta, closed, h_out, c_out,
               h_raw, gates, pre, regimes, hits):
        also the trace (see ``sequence_traced``).
    run_batch*: the same with x, h0, c0 and every output carrying a leading
        batch axis; threads over sequences, each computed by the very function
        ``run`` uses.

    Each is a kernel of ``_compiled(saturated)`` with the two other flags
    bound; the weights are laid out (``Weights``) at every call.
    """
    def laying_out(kernel):
        return lambda W_ihT, W_hhT, b, *args: kernel(Weights(lambda: (W_ihT, W_hhT, b)), *args)

    return tuple(laying_out(k) for k in make_weights_kernels(saturated, inclusive,
                                                             round_feedback))
