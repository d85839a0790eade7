"""Run a cell over sequences: ``run`` (one sequence) and ``run_batch`` (many)."""

from __future__ import annotations

import dataclasses

import numpy as np

from . import memory
from ._kernels import sequence as _sequence_kernels
from ._validate import initial_state, preactivation_range, real_array
from .cell import LSTMCell
from .params import as_cell
from .records import RunRecord
from .semantics import Semantics
from .vector import run_batch_vector, run_vector


@dataclasses.dataclass(frozen=True, eq=False)
class Trajectory(RunRecord):
    """What a run produced, one entry per step along the last axis.

    Attributes
    ----------
    h, c : numpy.ndarray of float64
        Reported visible state (rounded when ``round_feedback``) and memory.
    rounded : numpy.ndarray of int64
        ``round_half_to_zero(h)`` as integers.
    semantics : Semantics
        The semantics the run used.
    h_raw : numpy.ndarray or None
        With ``trace=True``: o_t * tanh(c_t) before any rounding.
    gates : numpy.ndarray or None
        With ``trace=True``: shape (..., T, 4), columns ``GATE_NAMES``
        (f, i, o and the candidate g = tanh(.)).
    preactivations : numpy.ndarray or None
        With ``trace=True``: shape (..., T, 5), columns
        ``PREACTIVATION_NAMES``: the arguments of the four gate nonlinearities
        and c_t (the argument of tanh(c_t)).
    regimes : numpy.ndarray of int8 or None
        With ``trace=True``: -1 saturated low, 0 in the band, +1 saturated
        high, for each pre-activation.
    boundary_hits : numpy.ndarray of bool or None
        With ``trace=True``: where ``|pre-activation| == threshold`` exactly.
    """

    def to_table(self, format="table", *, x=None, digits=3, title=None, extra=None) -> str:
        """A per-step table: text, JSON, CSV, LaTeX or Markdown.

        See ``fastlstm.report.format_trajectory`` (this delegates to it).

        Parameters
        ----------
        format : {"table", "json", "csv", "latex", "markdown"}
        x : array_like, optional
            The inputs, shown as a column (a trajectory does not keep them).
        digits : int
            Significant digits in text, LaTeX and Markdown.
        title, extra
            Caption of the text table; extra top-level JSON entries.

        Examples
        --------
        >>> import fastlstm as fl
        >>> print(fl.run(fl.presets.parity(), [1, 1, 0]).to_table("markdown", x=[1, 1, 0]))
        | t | x | c | h | rounded |
        |--:|--:|--:|--:|--:|
        | 0 | 1 | 1 | 0.762 | 1 |
        | 1 | 1 | -1 | -0.762 | -1 |
        | 2 | 0 | 1 | 0.381 | 0 |
        """
        from .report import format_trajectory

        return format_trajectory(self, x, format, digits=digits, title=title, extra=extra)

    def _repr_latex_(self):
        from .report import format_trajectory

        return "$$" + format_trajectory(self, None, "latex") + "$$"


def _semantics(activation, threshold, inclusive, round_feedback):
    return Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                     round_feedback=round_feedback)


def _flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _trace_arrays(shape):
    """Empty trace outputs for a batch/sequence shape (..., T)."""
    return (np.empty(shape), np.empty(shape + (4,)), np.empty(shape + (5,)),
            np.empty(shape + (5,), np.int8), np.empty(shape + (5,), np.bool_))


def run(cell, x, *, activation="exact", threshold=1.0, inclusive=True,
        round_feedback=False, h0=0.0, c0=0.0, trace=False) -> Trajectory:
    """Run ``cell`` over one input sequence.

    Parameters
    ----------
    cell : ScalarLSTM, mapping or 12 numbers, or LSTMCell
        The cell (see ``PARAM_NAMES`` for the order of 12 numbers).  A vector
        cell (``LSTMCell``) is run by ``fastlstm.vector.run_vector``: x of
        shape (T,) or (T, m), h0/c0 a number or (n,), and a
        ``VectorTrajectory`` whose arrays have a units axis after T.
    x : array_like, shape (T,)
        Finite real inputs.
    activation, threshold, inclusive, round_feedback
        The semantics; see ``Semantics``.
    h0, c0 : float
        Initial state h_{-1}, c_{-1}.
    trace : bool
        Also record gates, pre-activations, regimes and exact boundary hits.

    Returns
    -------
    Trajectory

    Raises
    ------
    ValueError
        For a bad value, naming the argument; also, up front, when a
        pre-activation ``W_h * h + (W_x * x + b)`` could overflow float64:
        when ``|W_h| * max(|h0|, 1) + |W_x| * max|x| + |b|`` exceeds 2**1023
        for some gate (docs/guarantees.md).  Below that bound every step is
        finite.
    TypeError
        For an argument of the wrong type (a string parameter, a bool
        ``h0``, a string ``x``).

    Notes
    -----
    A step is a pure function of the bits of (h, c, x).  A run longer than
    4096 steps remembers the transitions it computes and replays one when
    its state and input repeat exactly: the same bits as computing it, at a
    fraction of the cost.  Saturating cells, which implement automata, land
    on a few exact float64 states (the parity cell on random bits visits 5)
    and run 4-6x faster; a run whose states never repeat stops using the
    cache after 4096 steps and tries it again every 65536.  ``trace=True``
    computes every step.

    Examples
    --------
    The worked example: exact semantics, then the literal saturated rule,
    which disagrees at t=3 (its candidate pre-activation is exactly 0, inside
    the band).

    >>> import fastlstm as fl
    >>> cell = fl.presets.parity()
    >>> tr = fl.run(cell, [1, 1, 0, 1, 1])
    >>> tr.h.round(3)
    array([ 0.762, -0.762,  0.381,  0.762, -0.762])
    >>> tr.rounded
    array([ 1, -1,  0,  1, -1])
    >>> sat = fl.run(cell, [1, 1, 0, 1, 1], activation="saturated", trace=True)
    >>> sat.h
    array([ 1. , -1. ,  0.5,  0. ,  1. ])
    >>> float(sat.preactivations[3, 3]), int(sat.regimes[3, 3])
    (0.0, 0)

    Inputs whose arithmetic would overflow are refused, not run:

    >>> fl.run(fl.ScalarLSTM(W_fh=1e308, W_fx=1e308, b_f=5), [-1e308], h0=1e308)
    Traceback (most recent call last):
    ...
    ValueError: W_fh * h + (W_fx * x + b_f) can overflow float64: ...
    """
    if isinstance(cell, LSTMCell):  # a vector cell: h and c of shape (T, n)
        return run_vector(cell, x, activation=activation, threshold=threshold,
                          inclusive=inclusive, round_feedback=round_feedback, h0=h0, c0=c0,
                          trace=trace)
    sem = _semantics(activation, threshold, inclusive, round_feedback)
    cell = as_cell(cell)
    x = real_array(x, "x", 1)
    h0 = initial_state(h0, "h0", 1)[0]
    c0 = initial_state(c0, "c0", 1)[0]
    trace = _flag(trace, "trace")
    preactivation_range(cell.to_array(), h0, x)
    return _launch(sem, cell, x, h0, c0, trace, batch=False)


def run_batch(cell, X, *, activation="exact", threshold=1.0, inclusive=True,
              round_feedback=False, h0=0.0, c0=0.0, trace=False) -> Trajectory:
    """Run ``cell`` over many sequences of equal length, in parallel.

    Parameters
    ----------
    cell : ScalarLSTM, mapping or 12 numbers
    X : array_like, shape (B, T)
        One sequence per row.
    activation, threshold, inclusive, round_feedback, trace
        As in ``run``.
    h0, c0 : float or array_like of shape (B,)
        Initial states, shared or one per sequence.

    Returns
    -------
    Trajectory
        Every array has a leading axis of length B; row b equals
        ``run(cell, X[b], ...)``.

    Raises
    ------
    ValueError, TypeError
        As in ``run``; the overflow bound uses the largest ``|h0|`` and
        ``|X|`` of the batch.

    Examples
    --------
    >>> import fastlstm as fl
    >>> tr = fl.run_batch(fl.presets.parity(), [[0, 0, 1, 1, 1, 0], [1, 1, 0, 1, 1, 1]])
    >>> tr.rounded
    array([[ 0,  0,  1, -1,  1,  0],
           [ 1, -1,  0,  1, -1,  1]])
    """
    if isinstance(cell, LSTMCell):  # a vector cell: h and c of shape (B, T, n)
        return run_batch_vector(cell, X, activation=activation, threshold=threshold,
                                inclusive=inclusive, round_feedback=round_feedback, h0=h0,
                                c0=c0, trace=trace)
    sem = _semantics(activation, threshold, inclusive, round_feedback)
    cell = as_cell(cell)
    X = real_array(X, "X", 2)
    h0 = initial_state(h0, "h0", X.shape[0])
    c0 = initial_state(c0, "c0", X.shape[0])
    trace = _flag(trace, "trace")
    preactivation_range(cell.to_array(), h0, X, x_name="X")
    return _launch(sem, cell, X, h0, c0, trace, batch=True)


def _launch(sem, cell, x, h0, c0, trace, batch):
    """Allocate the outputs and call the kernel for validated arguments."""
    run_plain, run_traced, batch_plain, batch_traced = _sequence_kernels.make_sequence_kernels(
        *sem.kernel_key())
    p = cell.to_array()
    (h, _), (c, _) = memory.empty(x.shape), memory.empty(x.shape)  # x: C-contiguous float64
    if not trace:
        (batch_plain if batch else run_plain)(p, x, h0, c0, sem.threshold, h, c)
        return Trajectory(h, c, sem)
    extra = _trace_arrays(x.shape)
    (batch_traced if batch else run_traced)(p, x, h0, c0, sem.threshold, sem.inclusive,
                                            h, c, *extra)
    return Trajectory(h, c, sem, *extra)
