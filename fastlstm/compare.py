"""Run one sequence under several semantics side by side: ``compare``.

The default rows are those of the semantics table (docs/semantics.md).  A
``Comparison`` knows where the rounded outputs disagree and, per run, the
steps where a pre-activation is inside the unsaturated band or exactly on
its boundary; ``fastlstm.report`` formats it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from ._validate import real_array
from .params import as_cell
from .report import format_comparison, step_flags
from .run import run
from .semantics import TABLE_ROWS

__all__ = ["Comparison", "compare"]


@dataclasses.dataclass(frozen=True, eq=False)
class Comparison:
    """One input sequence run under several semantics (see ``compare``).

    Attributes
    ----------
    x : numpy.ndarray
        The inputs.
    runs : dict
        ``{name: Trajectory}`` (traced), in the order of ``TABLE_ROWS``.
    """

    x: np.ndarray
    runs: dict

    @property
    def reference(self) -> str:
        """The first run's name: the one the others are compared against."""
        return next(iter(self.runs))

    @property
    def disagreements(self) -> np.ndarray:
        """Steps where the rounded outputs of the runs are not all equal.

        Examples
        --------
        >>> import fastlstm as fl
        >>> compare(fl.presets.parity(), [1, 1, 0, 1, 1]).disagreements.tolist()
        [3, 4]
        """
        r = np.stack([tr.rounded for tr in self.runs.values()])
        return np.flatnonzero((r != r[0]).any(axis=0))

    def differs(self, name) -> np.ndarray:
        """Steps where run ``name`` rounds differently from the reference run."""
        return np.flatnonzero(self.runs[name].rounded != self.runs[self.reference].rounded)

    @property
    def flags(self) -> dict:
        """``{name: step_flags(run)}``: band and boundary pre-activations per run."""
        return {name: step_flags(tr) for name, tr in self.runs.items()}

    def to_table(self, format="table", *, digits=3, extra=None) -> str:
        """The runs side by side; see ``format_comparison``."""
        return format_comparison(self, format, digits=digits, extra=extra)

    def _repr_latex_(self):
        return "$$" + format_comparison(self, "latex") + "$$"

    def __str__(self):
        return format_comparison(self, "table")


def compare(cell, x, *, rows=None, threshold=1.0, h0=0.0, c0=0.0) -> Comparison:
    """Run one sequence under every row of the semantics table (docs/semantics.md).

    Parameters
    ----------
    cell : ScalarLSTM, mapping or 12 numbers
    x : array_like, shape (T,)
    rows : dict, optional
        ``{name: semantics keywords}``; default ``TABLE_ROWS``.  Keywords
        from ``ROW_KEYWORDS``; a row's ``threshold`` overrides ``threshold``.
    threshold : float
        The saturation threshold of every saturated row.
    h0, c0 : float
        Initial state.

    Returns
    -------
    Comparison

    Examples
    --------
    The worked example: the literal saturated rule answers 0 1 at t=3, 4.

    >>> import fastlstm as fl
    >>> cmp = compare(fl.presets.parity(), [1, 1, 0, 1, 1])
    >>> {name: tr.rounded.tolist() for name, tr in cmp.runs.items()}
    {'exact': [1, -1, 0, 1, -1],
     'saturated closed, raw feedback': [1, -1, 0, 0, 1],
     'saturated closed, rounded feedback': [1, -1, 0, 1, -1],
     'saturated open, raw feedback': [1, -1, 0, 1, -1]}
    """
    cell = as_cell(cell)
    rows = _check_rows(TABLE_ROWS if rows is None else rows)
    x = real_array(x, "x", 1)
    shared = dict(threshold=threshold, h0=h0, c0=c0, trace=True)
    runs = {name: run(cell, x, **{**shared, **kw}) for name, kw in rows.items()}
    return Comparison(x, runs)


#: The keywords a row of ``compare`` may set (``threshold`` overrides the shared one).
ROW_KEYWORDS = ("activation", "threshold", "inclusive", "round_feedback")


def _check_rows(rows):
    if not isinstance(rows, Mapping):
        raise TypeError(f"rows must be a mapping {{name: semantics keywords}}, "
                        f"got {type(rows).__name__}")
    if not rows:
        raise ValueError("rows must name at least one semantics")
    for name, kw in rows.items():
        if not isinstance(kw, Mapping):
            raise TypeError(f"rows[{name!r}] must be a mapping of semantics keywords, "
                            f"got {type(kw).__name__}")
        unknown = sorted(map(str, set(kw) - set(ROW_KEYWORDS)))
        if unknown:
            raise ValueError(f"rows[{name!r}] has unknown keyword(s) {unknown}; "
                             f"expected names from {ROW_KEYWORDS}")
    return rows
