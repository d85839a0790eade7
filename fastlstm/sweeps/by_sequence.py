"""Sweeps of a few cells over many sequences: SIMD lanes across sequences.

The sweep kernel puts cells in its SIMD lanes and threads over blocks of
cells, so a sweep of fewer cells than a block has idle lanes (a short block
repeats its last cell) and one busy thread.  A float64 sweep of at most
``FEW_CELLS`` cells in this process runs each cell through the batch kernel
of ``fastlstm.run_batch`` instead: sequences in SIMD lanes, threads over
blocks of sequences.  Both kernels perform the operations of
``fastlstm._kernels.sequence.step`` in the same order, so the numbers are
the same bits; only the sharing of common prefixes is given up, which costs
less than the idle lanes.
"""

from __future__ import annotations

import numpy as np

from .._kernels.sequence import make_sequence_kernels

__all__ = ["FEW_CELLS", "applies", "run_cells"]

#: Sweeps of at most this many cells run sequence-parallel (float64, threads).
FEW_CELLS = 8
#: Steps of one cell computed per call of the batch kernel (bounds the
#: temporary (rows, T) arrays of h and c to 2 x 8 x 2**22 bytes = 64 MiB).
_STEPS_PER_CALL = 2**22


def applies(n_cells: int, dtype: str, backend: str) -> bool:
    """Whether a sweep of ``n_cells`` runs here, sequence-parallel."""
    return n_cells <= FEW_CELLS and dtype == "float64" and backend == "numba"


def run_cells(values, outputs, X, h0, c0, target, semantics):
    """Fill ``outputs`` cell by cell; yield each finished (start, stop) row span.

    ``values`` (N, 12) is the validated table, ``X`` (B, T), ``h0``, ``c0``
    (B,) and ``target`` (B, T) or None the validated inputs; ``outputs`` are
    those of the sweep kernel (``chunks.kernel_outputs``), filled with the
    values the sweep kernel would write.
    """
    batch = make_sequence_kernels(*semantics.kernel_key())[2]
    h_out, c_out, traj, rnd, correct = outputs
    B, T = X.shape
    rows = max(1, _STEPS_PER_CALL // max(T, 1))
    for n in range(values.shape[0]):
        p = values[n]
        for b0 in range(0, B, rows):
            b1 = min(b0 + rows, B)
            h = np.empty((b1 - b0, T))
            c = np.empty((b1 - b0, T))
            batch(p, X[b0:b1], h0[b0:b1], c0[b0:b1], semantics.threshold, h, c)
            if h_out.shape[0]:
                h_out[n, b0:b1] = h[:, -1]
                c_out[n, b0:b1] = c[:, -1]
            if traj.shape[0]:
                traj[n, b0 * T:b1 * T] = h.ravel()
            if rnd.shape[0] or target is not None:
                rounded = score_rounding(h)
                if rnd.shape[0]:
                    rnd[n, b0 * T:b1 * T] = rounded.ravel()
                if target is not None:  # a NaN h is never right
                    correct[n] += np.count_nonzero((rounded == target[b0:b1]) & ~np.isnan(h))
        yield n, n + 1


def score_rounding(h):
    """round_half_to_zero(h) as int8, for |h| <= 1, the way the sweep kernel scores it."""
    return np.where(h > 0.5, 1, np.where(h < -0.5, -1, 0)).astype(np.int8)
