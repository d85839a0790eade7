"""``record="lyapunov"``: the largest Lyapunov exponent of every parameter set.

The drive (a constant or one period of a periodic input, the initial state,
the transient and the measured steps) replaces the prefix plan of the other
records: ``Drive`` has the plan's ``args``, ``nodes`` and ``shape``, so the
same ``chunks.Work`` cuts the table into chunks for every backend (threads,
Dask), and ``chunks.run_chunk`` runs the compiled Lyapunov kernel
(``fastlstm._kernels.lyapunov``, SIMD lanes across cells) on each.  That is
the kernel of ``fastlstm.lyapunov``, so in float64 row n is
``fastlstm.lyapunov(params[n], ...)[0]``, bit for bit; ``dtype="float32"``
runs its float32 variant.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validate import (finite_scalar, lyapunov_steps, periodic_input,
                         preactivation_range_table, tangent_map_range)
from .checks import fits_float32

__all__ = ["Drive", "KEY", "make_drive"]

#: ``Kernel.key`` of the Lyapunov kernel: ("lyapunov", saturated).
KEY = "lyapunov"


@dataclasses.dataclass(frozen=True, eq=False)
class Drive:
    """What every cell of a Lyapunov sweep is run over (the plan of this record)."""

    x: np.ndarray      # (P,) one period of the input, in the kernel's dtype
    h0: float          # in the kernel's dtype too
    c0: float
    transient: int
    steps: int

    def args(self) -> tuple:
        return self.x, self.h0, self.c0, self.transient, self.steps

    @property
    def nodes(self) -> int:
        """Steps per cell: the work ``Work.spans`` sizes chunks by."""
        return self.transient + self.steps

    @property
    def shape(self) -> tuple:
        return (1, self.x.shape[0])


def make_drive(values, x, h0, c0, transient, steps, dtype="float64") -> Drive:
    """The validated drive of a Lyapunov sweep of the table ``values`` (n, 12).

    ``h0`` and ``c0`` are one state, shared by all cells; ``x`` a number or
    one period (P,); ``transient`` >= 0, ``steps`` >= 1 (integers).  With
    ``dtype="float32"`` the table, x, h0 and c0 must lie within float32's
    range, and x, h0, c0 are given to the kernel in float32.
    """
    x = periodic_input(x)
    for value, name in ((h0, "h0"), (c0, "c0")):
        if np.ndim(value) != 0:
            raise ValueError(f"record='lyapunov' starts every cell from one state: {name} must "
                             f"be a number, got shape {np.shape(value)}")
    h0 = finite_scalar(h0, "h0")
    c0 = finite_scalar(c0, "c0")
    transient, steps = lyapunov_steps(transient, steps)
    preactivation_range_table(values, np.array([h0]), x)
    tangent_map_range(values, c0, transient + steps)
    if dtype == "float32":
        for a, name in ((values, "params"), (x, "x"), (np.array([h0]), "h0"),
                        (np.array([c0]), "c0")):
            fits_float32(a, name)
        f32 = np.float32
        return Drive(x.astype(f32), f32(h0), f32(c0), transient, steps)
    return Drive(x, h0, c0, transient, steps)

