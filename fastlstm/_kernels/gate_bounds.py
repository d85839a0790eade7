"""Enclosures of sigmoid and tanh, their complements and slopes, over arrays of intervals (private).

The interval arithmetic of boxes of states (fastlstm/dynamics/krawczyk.py) is
NumPy, vectorised over boxes; only the activations need compiled code, so that
their enclosures rest on the proved error bound of fastlstm's own sigmoid and
tanh (intervals.py).  One small loop, one specialisation.

Kernels assume clean input and write into arrays they are given.
"""

from __future__ import annotations

import numba

from .._config import JIT
from .intervals import itanh, sigmoid_parts, tanh_slope


@numba.njit(**JIT)
def activation_bounds(zlo, zhi, is_tanh, out):
    """Row k of ``out`` (shape (K, 6)) encloses the activation over ``[zlo[k], zhi[k]]``.

    Sigmoid: ``(value lo, hi, 1 - value lo, hi, slope lo, hi)`` (``sigmoid_parts``:
    the complement ``sigmoid(-z)`` without cancellation).  tanh: ``(value lo, hi,
    0, 0, slope lo, hi)``.  An end that is NaN gives the widest enclosure.
    """
    for k in range(zlo.shape[0]):
        lo = zlo[k]
        hi = zhi[k]
        if is_tanh:
            if lo != lo or hi != hi:
                out[k, 0], out[k, 1], out[k, 4], out[k, 5] = -1.0, 1.0, 0.0, 1.0
            else:
                out[k, 0], out[k, 1] = itanh(lo, hi)
                out[k, 4], out[k, 5] = tanh_slope(lo, hi)
            out[k, 2] = 0.0
            out[k, 3] = 0.0
        else:
            parts = sigmoid_parts(lo, hi)
            for j in range(6):
                out[k, j] = parts[j]
