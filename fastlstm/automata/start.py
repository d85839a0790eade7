"""The validated start of a search over input strings: semantics, cell, alphabet, (h0, c0).

``learn_automaton``, ``prove_by_abstraction`` and ``find_counter`` all begin
the same way: check the semantics, the cell, a scalar alphabet and the start
state at the boundary, refuse inputs whose pre-activations could overflow,
and fetch the compiled kernels of the semantics.  ``checked_start`` does it
once for them.
"""

from __future__ import annotations

import typing

import numpy as np

from .._kernels import sequence as _sequence_kernels
from .._validate import initial_state, preactivation_range, rounds_to_int64
from ..params import as_cell
from ..semantics import Semantics
from .alphabet import check_alphabet

__all__ = ["Start", "checked_start"]


class Start(typing.NamedTuple):
    """What a search needs, checked: see ``checked_start``."""

    sem: Semantics
    cell: object           # ScalarLSTM
    symbols: tuple
    values: np.ndarray     # float64, shape (A,)
    h0: float
    c0: float
    kernels: tuple         # make_sequence_kernels(...) of the semantics

    def step_args(self):
        """``(kernels, p, theta)``, the first arguments of ``cells.expand_states``."""
        return self.kernels, self.cell.to_array(), self.sem.threshold


def checked_start(cell, alphabet, *, activation, threshold, inclusive, round_feedback, h0, c0,
                  caller, needs_round_feedback=False, x_name="alphabet") -> Start:
    """Check every argument of a search (naming it) and fetch its kernels.

    ``caller`` names the public function in messages; with
    ``needs_round_feedback`` a search that needs the fed-back h to be the
    output refuses ``round_feedback=False``.

    Examples
    --------
    >>> start = checked_start((0,) * 12, (0, 1), activation="saturated", threshold=1.0,
    ...                       inclusive=True, round_feedback=True, h0=0.0, c0=0.5, caller="f")
    >>> start.symbols, start.values.tolist(), start.h0, start.c0
    ((0, 1), [0.0, 1.0], 0.0, 0.5)
    >>> checked_start((0,) * 12, (0, 1), activation="exact", threshold=1.0, inclusive=True,
    ...               round_feedback=False, h0=0.0, c0=0.0, caller="f", needs_round_feedback=True)
    Traceback (most recent call last):
    ...
    ValueError: f needs round_feedback=True (the fed-back h must be the output, so that the only infinite part of a state is c)
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    if needs_round_feedback and not sem.round_feedback:
        raise ValueError(f"{caller} needs round_feedback=True (the fed-back h must be the "
                         "output, so that the only infinite part of a state is c)")
    cell = as_cell(cell)
    symbols, values = check_alphabet(alphabet, x_name)
    if values.ndim != 1:
        raise ValueError(f"{caller} takes an alphabet of numbers (a scalar cell), got vectors")
    h_start = initial_state(h0, "h0", 1)
    c_start = initial_state(c0, "c0", 1)
    rounds_to_int64(h_start[0], "h0")
    preactivation_range(cell.to_array(), h_start, values, x_name=x_name)
    kernels = _sequence_kernels.make_sequence_kernels(*sem.kernel_key())
    return Start(sem, cell, symbols, values, float(h_start[0]), float(c_start[0]), kernels)
