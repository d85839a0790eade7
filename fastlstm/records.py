"""What a run produced: the fields and views shared by ``Trajectory`` (scalar
cells, fastlstm/run.py) and ``VectorTrajectory`` (vector cells, fastlstm/vector.py)."""

from __future__ import annotations

import dataclasses
import functools
from typing import ClassVar

import numpy as np

from .semantics import Semantics, round_half_to_zero


@dataclasses.dataclass(frozen=True, eq=False)
class RunRecord:
    """h and c of a run, with the trace arrays when it was traced.

    Subclasses say where the steps are: ``STEP_AXIS`` is the axis of time in
    ``h``, and ``VALUE_AXES`` the trailing axes of a trace array that belong to
    one step (the pre-activations, and the units of a vector cell).
    """

    STEP_AXIS: ClassVar[int] = -1
    VALUE_AXES: ClassVar[tuple[int, ...]] = (-1,)

    h: np.ndarray
    c: np.ndarray
    semantics: Semantics
    h_raw: np.ndarray | None = None
    gates: np.ndarray | None = None
    preactivations: np.ndarray | None = None
    regimes: np.ndarray | None = None
    boundary_hits: np.ndarray | None = None

    @functools.cached_property
    def rounded(self) -> np.ndarray:
        return round_half_to_zero(self.h).astype(np.int64)

    @property
    def band_steps(self) -> np.ndarray:
        """Indices of steps where some pre-activation is inside the band or on its edge.

        These are the steps where the saturated approximation says nothing
        (or where the choice of boundary decides): indices t of one sequence,
        or (b, t) rows for a batch; needs ``trace=True``.
        """
        if self.regimes is None:
            raise ValueError("band_steps needs a trajectory computed with trace=True")
        axes = self.VALUE_AXES
        flagged = (self.regimes == 0).any(axis=axes) | self.boundary_hits.any(axis=axes)
        return np.flatnonzero(flagged) if flagged.ndim == 1 else np.argwhere(flagged)

    def __len__(self):
        return self.h.shape[self.STEP_AXIS]
