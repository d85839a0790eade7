"""Compiled kernels for a vector LSTM cell (private: the wrappers live in fastlstm/vector.py).

A cell of hidden size n and input size m in PyTorch's layout: ``W_ih`` (4n, m)
on the input, ``W_hh`` (4n, n) on the state, rows stacked by gate i, f, g, o,
and one bias ``b = b_ih + b_hh`` (4n,) added once by the caller.  A step::

    z = W_hh h + (W_ih x + b)                  (4n pre-activations)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), tanh(z_g), sigmoid(z_o)
    c = f * c + i * g
    h = o * tanh(c)                             (rounded when round_feedback)

every activation through ``sequence.squash_sigmoid``/``squash_tanh``, so each
unit follows the saturated/inclusive rules of the scalar step, and rounded
feedback rounds each h_u half toward zero keeping the sign of zero.  Each
pre-activation is accumulated as ``W_hh[k, :] h + (W_ih[k, :] x + b[k])``, left
to right (for n = m = 1, the scalar step's ``W_h h + (W_x x + b)``).

A cell with n = m = 1 *is* a scalar cell, and its runs must give the bits
``fl.run`` gives.  The same expressions are not enough for that: which
product of ``f * c + i * g`` LLVM fuses into a multiply-add depends on the
code around it (measured: the unit loop here and the scalar step pick
different ones under saturated semantics, 1 ulp apart).  So the kernels
hand n = m = 1 to the scalar kernel's own ``sequence.sequence``, and the
identity holds by construction, on every target.

Kernels assume validated input and write into arrays they are given.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from .._config import INLINE_JIT, JIT, PARALLEL_JIT
from .sequence import sequence as scalar_sequence
from .sequence import squash_sigmoid, squash_tanh


@numba.njit(**INLINE_JIT)
def preactivations(W_ih, W_hh, b, x_t, h, z):
    """z[k] = W_hh[k, :] h + (W_ih[k, :] x_t + b[k]), summed left to right."""
    m = W_ih.shape[1]
    n = W_hh.shape[1]
    for k in range(W_ih.shape[0]):
        zx = b[k]
        for j in range(m):
            zx = W_ih[k, j] * x_t[j] + zx
        acc = zx
        for j in range(n):
            acc = W_hh[k, j] * h[j] + acc
        z[k] = acc


@numba.njit(**INLINE_JIT)
def sequence(W_ih, W_hh, b, x, h0, c0, theta, saturated, inclusive, round_feedback,
             h_out, c_out):
    """Run one sequence x (T, m) from (h0, c0), writing h_out, c_out (T, n)."""
    n = W_hh.shape[1]
    h = h0.copy()
    c = c0.copy()
    z = np.empty(W_ih.shape[0])
    for t in range(x.shape[0]):
        preactivations(W_ih, W_hh, b, x[t], h, z)
        for u in range(n):
            f = squash_sigmoid(z[n + u], theta, saturated, inclusive)
            i = squash_sigmoid(z[u], theta, saturated, inclusive)
            o = squash_sigmoid(z[3 * n + u], theta, saturated, inclusive)
            g = squash_tanh(z[2 * n + u], theta, saturated, inclusive)
            c_new = f * c[u] + i * g
            h_raw = o * squash_tanh(c_new, theta, saturated, inclusive)
            if round_feedback:
                h_new = math.copysign(np.ceil(abs(h_raw) - 0.5), h_raw)
            else:
                h_new = h_raw
            c[u] = c_new
            h[u] = h_new
            h_out[t, u] = h_new
            c_out[t, u] = c_new


@numba.njit(**INLINE_JIT)
def scalar_params(W_ih, W_hh, b):
    """The 12 scalar parameters (PARAM_NAMES order) of a cell with n = m = 1."""
    p = np.empty(12)
    for slot, row in ((0, 1), (3, 0), (6, 3), (9, 2)):  # f, i, o, g <- rows i, f, g, o
        p[slot] = W_hh[row, 0]
        p[slot + 1] = W_ih[row, 0]
        p[slot + 2] = b[row]
    return p


@numba.njit(**INLINE_JIT)
def any_sequence(W_ih, W_hh, b, x, h0, c0, theta, saturated, inclusive, round_feedback,
                 h_out, c_out):
    """``sequence``, or for n = m = 1 the scalar kernel's own ``sequence``."""
    if W_ih.shape[1] == 1 and W_hh.shape[1] == 1:
        scalar_sequence(scalar_params(W_ih, W_hh, b), x[:, 0], h0[0], c0[0], theta,
                        saturated, inclusive, round_feedback, h_out[:, 0], c_out[:, 0])
    else:
        sequence(W_ih, W_hh, b, x, h0, c0, theta, saturated, inclusive, round_feedback,
                 h_out, c_out)


@functools.lru_cache(maxsize=None)
def make_vector_kernels(saturated: bool, inclusive: bool, round_feedback: bool):
    """``(run, run_batch)`` for one semantics (the key of ``Semantics.kernel_key``).

    run(W_ih, W_hh, b, x, h0, c0, theta, h_out, c_out):
        x (T, m), h0 and c0 (n,), outputs (T, n).
    run_batch(W_ih, W_hh, b, X, h0, c0, theta, h_out, c_out):
        X (B, T, m), h0 and c0 (B, n), outputs (B, T, n); threads over
        sequences, each computed exactly as ``run`` computes it.

    The kernels close over the three flags and nothing else, so Numba's
    on-disk cache key stays the same from one process to the next.
    """

    @numba.njit(**JIT)
    def run(W_ih, W_hh, b, x, h0, c0, theta, h_out, c_out):
        any_sequence(W_ih, W_hh, b, x, h0, c0, theta, saturated, inclusive, round_feedback,
                     h_out, c_out)

    @numba.njit(**PARALLEL_JIT)
    def run_batch(W_ih, W_hh, b, x, h0, c0, theta, h_out, c_out):
        for s in numba.prange(x.shape[0]):
            any_sequence(W_ih, W_hh, b, x[s], h0[s], c0[s], theta, saturated, inclusive,
                         round_feedback, h_out[s], c_out[s])

    return run, run_batch
