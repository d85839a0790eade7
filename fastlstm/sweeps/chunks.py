"""Chunks of a sweep: what every backend runs, in this process or on a worker.

``sweep`` hands its backend one ``Work``: the ``Kernel`` to run (which
compiled kernel, its scalars, what it records), the parameter table, the
input plan and the outputs for the whole table.  A backend runs the kernel
on the chunks of rows that ``Work.spans`` yields and puts each chunk's rows
into ``Work.outputs``: in place with ``Work.run`` (threads of this process),
or from a worker's result with ``Work.fill`` (Dask workers call
``Kernel.run`` on their chunk).  A cell's numbers do not depend on its
chunk, so every backend and every chunking gives the same bits.

This module imports neither ``sweep`` nor a backend: a Dask worker imports
it, and the compiled kernels, only.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._kernels import lyapunov as _lyapunov_kernels
from .._kernels import sweep as _sweep_kernels
from .plan import Plan

__all__ = ["CHUNK_STEPS", "Kernel", "Work", "kernel_outputs", "run_chunk"]

#: Default work per chunk, in (cell x node) steps: ~0.05-0.2 s on one core,
#: so that a progress bar moves and Ctrl-C is answered quickly.
CHUNK_STEPS = 2**24


def kernel_outputs(N, B, T, record, dtype):
    """The kernel's output arrays for N cells: (h, c, traj, rounded, correct);
    outputs not recorded are empty (0, 0) arrays.  ``record="lyapunov"``:
    the Lyapunov kernel's (lam1, lam2), float64 (N,) each."""
    if record == "lyapunov":
        return np.empty(N), np.empty(N)
    none = np.empty((0, 0), dtype)
    h = np.empty((N, B), dtype) if record == "final" else none
    c = np.empty((N, B), dtype) if record == "final" else none
    traj = np.empty((N, B * T), dtype) if record == "trajectory" else none
    rnd = np.empty((N, B * T), np.int8) if record == "rounded" else np.empty((0, 0), np.int8)
    return h, c, traj, rnd, np.zeros(N, np.int64)


def run_chunk(key, p, scalars, plan, outputs):
    """Run the sweep kernel ``key`` (saturated, float32), or the Lyapunov
    kernel for ``key`` ("lyapunov", saturated, float32), on the cells ``p``, with
    ``scalars`` (threshold, inclusive, round_feedback), writing ``outputs``."""
    if key[0] == "lyapunov":
        kernel = _lyapunov_kernels.make_lyapunov_kernel(*key[1:])
    else:
        kernel = _sweep_kernels.make_sweep_kernel(*key)
    kernel(p, *scalars, *plan.args(), *outputs)


@dataclasses.dataclass(frozen=True)
class Kernel:
    """Which compiled kernel a sweep runs, with what, writing what: small, sent to workers.

    Attributes
    ----------
    key : tuple
        ``(saturated, float32)``: the kernel of ``make_sweep_kernel``;
        ``("lyapunov", saturated, float32)`` that of ``make_lyapunov_kernel``.
    scalars : tuple
        ``(threshold, inclusive, round_feedback)``, the threshold in the
        kernel's dtype.
    record : str or None
        What the outputs hold (see ``sweep``).
    dtype : str
        ``"float64"`` or ``"float32"``.
    """

    key: tuple
    scalars: tuple
    record: str | None
    dtype: str

    @classmethod
    def of(cls, semantics, record, dtype) -> Kernel:
        """The kernel for a ``Semantics``, a record and a dtype name."""
        float32 = dtype == "float32"
        return cls(key=("lyapunov", semantics.saturated, float32) if record == "lyapunov" else
                   (semantics.saturated, float32),
                   scalars=(np.dtype(dtype).type(semantics.threshold), semantics.inclusive,
                            semantics.round_feedback),
                   record=record, dtype=dtype)

    def outputs(self, n, shape) -> tuple:
        """Outputs for ``n`` cells over a plan of ``shape`` (B, T); see ``kernel_outputs``."""
        return kernel_outputs(n, *shape, self.record, self.dtype)

    def run(self, p, plan, outputs=None) -> tuple:
        """Run the cells ``p`` (n, 12) over ``plan`` into ``outputs`` (new ones
        when None); return the outputs."""
        if outputs is None:
            outputs = self.outputs(p.shape[0], plan.shape)
        run_chunk(self.key, p, self.scalars, plan, outputs)
        return outputs


@dataclasses.dataclass(frozen=True, eq=False)
class Work:
    """A whole sweep as a backend sees it; make one with ``Work.create``.

    Attributes
    ----------
    kernel : Kernel
    values : numpy.ndarray
        The (N, 12) parameter table.
    plan : Plan or lyapunov.Drive
        The inputs, shared by every row.
    outputs : tuple of numpy.ndarray
        The kernel's outputs for all N rows, filled chunk by chunk.
    chunk_size : int or None
        Rows per chunk (rounded up to a multiple of the kernel's lanes);
        None: about ``CHUNK_STEPS`` of work per chunk.
    """

    kernel: Kernel
    values: np.ndarray
    plan: Plan
    outputs: tuple
    chunk_size: int | None = None

    @classmethod
    def create(cls, kernel, values, plan, chunk_size=None) -> Work:
        """The work of running ``kernel`` on every row of ``values``, outputs allocated."""
        return cls(kernel, values, plan, kernel.outputs(values.shape[0], plan.shape), chunk_size)

    def __len__(self):
        return self.values.shape[0]

    def spans(self, parts=1, max_bytes=None):
        """Yield the (start, stop) rows of each chunk, a multiple of the lanes apart.

        By default each chunk is about ``CHUNK_STEPS`` of work, and there are
        at least 4 per worker when ``parts`` (workers) > 1, and a chunk of the
        table takes at most about ``max_bytes`` when given.
        """
        n = len(self)
        lanes = _sweep_kernels.LANES
        size = self.chunk_size
        if size is None:
            size = max(CHUNK_STEPS // max(self.plan.nodes, 1), 1)
            if parts > 1:
                size = min(size, math.ceil(n / (4 * parts)))
            if max_bytes is not None:
                size = min(size, max(max_bytes // (8 * self.values.shape[1]), 1))
        step = max(lanes, -(-int(size) // lanes) * lanes)
        for start in range(0, n, step):
            yield start, min(start + step, n)

    def rows(self, start, stop) -> tuple:
        """Views of rows [start, stop) of the outputs (an output not recorded as it is)."""
        return tuple(a[start:stop] if a.shape[0] else a for a in self.outputs)

    def run(self, start, stop):
        """Run rows [start, stop) here, writing their outputs in place."""
        self.kernel.run(self.values[start:stop], self.plan, self.rows(start, stop))

    def fill(self, start, stop, outputs):
        """Copy the ``outputs`` of a chunk run elsewhere into rows [start, stop)."""
        for whole, part in zip(self.outputs, outputs):
            if whole.shape[0]:
                whole[start:stop] = part
