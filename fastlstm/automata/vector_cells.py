"""Vector cells (``LSTMCell``) in the automata wing: symbols, steps and outputs.

``extract_automaton`` and ``verify`` explore the (h, c) states of a cell
level by level; this module gives them what differs for a cell of n units
and m inputs:

* **Symbols.**  Numbers when m = 1, vectors of length m (tuples) otherwise;
  a cell with m = 1 also takes 1-tuples.
* **Steps.**  One step from every state on every symbol, taken by
  ``run_batch_vector`` (sequences of length 1 from those states), so every
  state is bit for bit what ``run_vector`` computes; for n = m = 1 that is
  the scalar kernel's own step (``fastlstm._kernels.vector``).
* **Outputs.**  The rounded h vector (an int when n = 1, so a 1-unit cell
  gives the very machine of its ``ScalarLSTM``), or with a readout
  (``fastlstm.Readout``) the readout's label of h.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validate import initial_state, rounds_to_int64
from ..readout import Readout
from ..semantics import round_half_to_zero
from ..vector import preactivation_range_vector, run_batch_vector
from .alphabet import check_alphabet

__all__ = ["VectorStepper", "cell_alphabet", "check_readout", "output_range", "state_outputs"]


def cell_alphabet(alphabet, m):
    """``(symbols, inputs)``: the alphabet and its symbols as float64 rows (A, m).

    Examples
    --------
    >>> cell_alphabet((0, 1), 1)
    ((0, 1), array([[0.],
           [1.]]))
    >>> cell_alphabet([(0, 1), (1, 1)], 3)
    Traceback (most recent call last):
    ...
    ValueError: alphabet must hold vectors of length 3 (the cell's input_size), got length 2
    """
    symbols, values = check_alphabet(alphabet)
    if values.ndim == 1:
        if m != 1:
            raise ValueError(f"alphabet must hold vectors of length {m} (tuples: the cell's "
                             f"input_size), got numbers {symbols}")
        values = values[:, None]
    elif values.shape[1] != m:
        raise ValueError(f"alphabet must hold vectors of length {m} (the cell's input_size), "
                         f"got length {values.shape[1]}")
    return symbols, values


def check_readout(readout, n):
    """``readout`` (None or a readout of n-vectors), else TypeError/ValueError naming it."""
    if readout is None:
        return None
    if not isinstance(readout, Readout):
        raise TypeError(f"readout must be a fastlstm.Readout or None, got {type(readout).__name__}")
    if readout.input_size != n:
        raise ValueError(f"readout reads vectors of length {readout.input_size} but the cell has "
                         f"hidden_size {n}")
    return readout


class VectorStepper:
    """The start state and the steps of one vector cell under one semantics.

    Parameters
    ----------
    cell : LSTMCell
    inputs : numpy.ndarray, shape (A, m)
        The symbols' input vectors (``cell_alphabet``).
    semantics : Semantics
    """

    def __init__(self, cell, inputs, semantics):
        self.cell, self.inputs, self.units = cell, inputs, cell.hidden_size
        self._run = dataclasses.asdict(semantics)

    def start(self, h0, c0, output=False):
        """The start state as two float64 arrays of shape (n,) (a scalar fills every unit).

        With ``output``, h0 must round to int64 (``output_range``).  Refused
        up front when a pre-activation could overflow float64 (as in
        ``run_vector``, with the alphabet as the inputs).
        """
        h, c = initial_state(h0, "h0", self.units), initial_state(c0, "c0", self.units)
        if output:
            output_range(h)
        preactivation_range_vector(self.cell, h, self.inputs, x_name="alphabet")
        return h, c

    def expand(self, h, c):
        """One step from every state (h[j], c[j]) (arrays (N, n)) on every symbol.

        Returns arrays of shape (N * A, n): row ``j * A + a`` is the state
        after reading symbol a from state j.
        """
        N, A = h.shape[0], self.inputs.shape[0]
        X = np.tile(self.inputs, (N, 1))[:, None, :]          # (N * A, 1, m)
        tr = run_batch_vector(self.cell, X, h0=np.repeat(h, A, axis=0),
                              c0=np.repeat(c, A, axis=0), **self._run)
        return tr.h[:, 0, :], tr.c[:, 0, :]


def output_range(h0):
    """Refuse a start state h0 (n,) whose rounding is not an int64 (its output)."""
    for u, value in enumerate(h0.tolist()):
        rounds_to_int64(value, "h0" if h0.size == 1 else f"h0[{u}]")


def state_outputs(h, readout=None):
    """The output of each state of h (N, n): int64 (N,), or (N, n) for the rounded h of n >= 2.

    With a readout, its label of each h; else the rounded h (an int when n = 1).

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([[0.5, -0.7], [1.0, 0.2]])
    >>> state_outputs(h).tolist(), state_outputs(h[:, :1]).tolist()
    ([[0, -1], [1, 0]], [0, 1])
    """
    if readout is not None:
        return readout.label(h)
    rounded = round_half_to_zero(h).astype(np.int64)
    return rounded[:, 0] if h.shape[1] == 1 else rounded
