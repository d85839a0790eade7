"""Run a vector cell (``LSTMCell``) over sequences: ``run_vector``, ``run_batch_vector``.

The validating wrappers of ``fastlstm._kernels.vector``.  Every semantics of
docs/semantics.md applies to each unit: saturated activations per
pre-activation, rounded feedback per component of h.  For a cell with
n = m = 1 the numbers are those of ``fl.run`` on ``cell.to_scalar()``, bit
for bit.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np

from . import memory
from ._kernels import sequence as _sequence_kernels
from ._kernels import vector as _vector_kernels
from ._validate import PREACTIVATION_LIMIT, _largest, real_array, state_value
from .cell import LSTMCell
from .records import RunRecord
from .semantics import Semantics

_ANY_NDIM = tuple(range(33))


@dataclasses.dataclass(frozen=True, eq=False)
class VectorTrajectory(RunRecord):
    """What a run of a vector cell produced: ``Trajectory``'s fields, one more axis (units).

    Attributes
    ----------
    h, c : numpy.ndarray of float64, shape (T, n) or (B, T, n)
        Reported visible state (rounded when ``round_feedback``) and memory.
    rounded : numpy.ndarray of int64
        ``round_half_to_zero(h)`` as integers.
    semantics : Semantics
        The semantics the run used.
    h_raw : numpy.ndarray or None
        With ``trace=True``: o_t * tanh(c_t) per unit, before any rounding.
    gates : numpy.ndarray or None
        With ``trace=True``: shape (..., T, n, 4), columns ``GATE_NAMES``
        (f, i, o and the candidate g) of each unit.
    preactivations : numpy.ndarray or None
        With ``trace=True``: shape (..., T, n, 5), columns
        ``PREACTIVATION_NAMES`` (the four gates' arguments and c_t) of each unit.
    regimes : numpy.ndarray of int8 or None
        With ``trace=True``: -1 saturated low, 0 in the band, +1 saturated
        high, for each pre-activation of each unit.
    boundary_hits : numpy.ndarray of bool or None
        With ``trace=True``: where ``|pre-activation| == threshold`` exactly.
    """

    STEP_AXIS = -2
    VALUE_AXES = (-2, -1)  # units and pre-activations


def _check_cell(cell):
    if not isinstance(cell, LSTMCell):
        raise TypeError(f"cell must be an LSTMCell, got {type(cell).__name__}")
    return cell


def _inputs(x, name, m, batch):
    """x as C-contiguous float64 of shape (T, m) (or (B, T, m) when ``batch``)."""
    arr = real_array(x, name, _ANY_NDIM)
    lead = "(B, T" if batch else "(T"
    base = 2 if batch else 1
    arr = _writable(arr)
    if m == 1 and arr.ndim == base:
        return arr.reshape(arr.shape + (1,))
    if arr.ndim != base + 1 or arr.shape[-1] != m:
        wanted = (f"{lead}, {m})" if m > 1
                  else "(B, T) or (B, T, 1)" if batch else "(T,) or (T, 1)")
        raise ValueError(f"{name} must have shape {wanted} for a cell with input_size {m}, "
                         f"got shape {arr.shape}")
    return arr


def _state(value, name, n, batch=None):
    """An initial state as float64 (n,), or (B, n) when ``batch`` is the batch size.

    A scalar fills every unit; an (n,) array is one state (shared by every
    sequence of a batch); a (B, n) array gives one state per sequence.
    """
    if type(value) is float and math.isfinite(value):  # the default 0.0: the common case
        return np.full(n, value) if batch is None else np.full((batch, n), value)
    arr = state_value(value, name, (1, 2))
    if isinstance(arr, float):
        arr = np.full(n, arr)
    else:
        shapes = [(n,)] + ([(batch, n)] if batch is not None else [])
        if arr.shape not in shapes:
            wanted = " or ".join(str(s) for s in shapes)
            raise ValueError(f"{name} must be a scalar or have shape {wanted}, got shape "
                             f"{arr.shape}")
    if batch is not None and arr.ndim == 1:
        arr = np.repeat(arr[None], batch, axis=0)
    return _writable(arr)


def _writable(arr):
    """The kernels are compiled for writable arrays: copy a read-only one
    (rather than compile the kernel a second time for it)."""
    return arr if arr.flags.writeable else arr.copy()


def _screen(n, m):
    """Below this float64 estimate a row's bound is certainly within the limit
    (the estimate has at most n + m + 3 roundings, each 2**-53 relative; the
    margin allows twice that)."""
    return float(PREACTIVATION_LIMIT) * (1 - (n + m + 4) * 2.0 ** -52)


class _CellData:
    """What runs derive from a cell's arrays, made on first use and kept on the cell
    (``_derived``): its arrays are read-only, so nothing here goes stale.

    ``rows``: per row k, sum_j |W_hh[k, j]|, sum_j |W_ih[k, j]| and |b[k]| in float64
    (the overflow screen's terms), ``tops`` their maxima; ``weights(cell)``: the kernels'
    layout of the transposed weights (``_kernels.vector.Weights``); ``scalar(cell)``: the
    12 parameters of the scalar kernels for n = m = 1.
    """

    __slots__ = ("_scalar", "_weights", "rows", "tops")

    def __init__(self, cell):
        with np.errstate(over="ignore"):
            self.rows = (np.abs(cell.W_hh).sum(axis=1), np.abs(cell.W_ih).sum(axis=1),
                         np.abs(cell.bias()))
        self.tops = tuple(float(r.max()) for r in self.rows)
        self._weights = self._scalar = None

    def weights(self, cell):
        if self._weights is None:
            # C-ordered copies, made when a layout is (one compiled kernel serves every m);
            # the closure holds the cell's arrays, not the cell (no reference cycle)
            W_ih, W_hh, b = cell.W_ih, cell.W_hh, cell.bias()
            self._weights = _vector_kernels.Weights(
                lambda: (np.array(W_ih.T, order="C"), np.array(W_hh.T, order="C"), b))
        return self._weights

    def scalar(self, cell):
        if self._scalar is None:
            self._scalar = cell.to_scalar().to_array()
        return self._scalar


def _derived(cell):
    """The cell's ``_CellData``, made on the first run and kept on the (immutable) cell."""
    data = getattr(cell, "_derived", None)
    if data is None:
        data = _CellData(cell)
        object.__setattr__(cell, "_derived", data)
    return data


def preactivation_range_vector(cell, h0, x, *, h_name="h0", x_name="x"):
    """Refuse a vector cell and inputs whose pre-activations could overflow float64.

    Row k of ``z = W_hh h + (W_ih x + b)`` (every h after the first step lies
    in [-1, 1]) is bounded, with every product and partial sum, by

        sum_j |W_hh[k, j]| * max(max|h0|, 1) + sum_j |W_ih[k, j]| * max|x| + |b[k]|

    (b = b_ih + b_hh); this must not exceed 2**1023 for any k.  A float64
    estimate settles every row clearly below the limit; a row near or above
    it is decided exactly in rationals.

    Examples
    --------
    >>> import numpy as np
    >>> from fastlstm.cell import LSTMCell
    >>> cell = LSTMCell(np.full((8, 1), 8e307), np.full((8, 2), 1.0))
    >>> preactivation_range_vector(cell, np.zeros(2), np.array([1.0]))   # 8e307 + 2: fine
    >>> preactivation_range_vector(cell, np.zeros(2), np.array([-2.0]))
    Traceback (most recent call last):
    ...
    ValueError: row 0 (gate i, unit 0) of W_hh h + (W_ih x + b) can overflow float64: sum_j |W_hh[0, j]| * max(|h0|, 1) + sum_j |W_ih[0, j]| * max|x| + |b[0]| = 1.60e+308 exceeds 2**1023 (8.99e+307); use smaller weights, h0 or x
    """
    n, m = cell.hidden_size, cell.input_size
    h_max, x_max = max(1.0, _largest(h0)), _largest(x)
    derived = _derived(cell)
    screen = _screen(n, m)
    # the largest row sums bound every row's estimate (rounding is monotone): one
    # comparison settles most calls; NaN (an infinite row sum times 0) fails it
    top_hh, top_ih, top_b = derived.tops
    if top_hh * h_max + top_ih * x_max + top_b <= screen:
        return
    sum_hh, sum_ih, abs_b = derived.rows
    with np.errstate(over="ignore", invalid="ignore"):
        estimate = sum_hh * h_max + sum_ih * x_max + abs_b
    # ~(<=): a NaN estimate (inf * 0) is decided exactly, not passed
    for k in np.flatnonzero(~(estimate <= screen)).tolist():
        exact_h, exact_x = Fraction(h_max), Fraction(x_max)
        bound = (sum(abs(Fraction(w)) for w in cell.W_hh[k].tolist()) * exact_h
                 + sum(abs(Fraction(w)) for w in cell.W_ih[k].tolist()) * exact_x
                 + abs(Fraction(float(cell.b_ih[k])) + Fraction(float(cell.b_hh[k]))))
        if bound > PREACTIVATION_LIMIT:
            shown = format(Decimal(bound.numerator) / Decimal(bound.denominator), ".2e")
            raise ValueError(
                f"row {k} (gate {'ifgo'[k // n]}, unit {k % n}) of W_hh h + (W_ih x + b) can "
                f"overflow float64: sum_j |W_hh[{k}, j]| * max(|{h_name}|, 1) + sum_j "
                f"|W_ih[{k}, j]| * max|{x_name}| + |b[{k}]| = {shown} exceeds 2**1023 "
                f"(8.99e+307); use smaller weights, {h_name} or {x_name}")


def _launch(cell, x, h0, c0, sem, batch, trace):
    """Validate, allocate and call the kernel: the body of both public runs."""
    cell = _check_cell(cell)
    if not isinstance(trace, (bool, np.bool_)):
        raise TypeError(f"trace must be True or False, got {trace!r}")
    n, m = cell.hidden_size, cell.input_size
    x_name = "X" if batch else "x"
    x = _inputs(x, x_name, m, batch=batch)
    rows = x.shape[0] if batch else None
    h_given = h0
    h0 = _state(h0, "h0", n, batch=rows)
    c0 = _state(c0, "c0", n, batch=rows)
    # a float h0 (validated by _state) is its own max|h0|: no reduction over the filled array
    preactivation_range_vector(cell, h_given if type(h_given) is float else h0, x,
                               x_name=x_name)
    shape = x.shape[:-1] + (n,)
    # h and c in one allocation: freed together, the block is used again by the next run
    # (glibc's malloc below 4 MiB, fastlstm.memory from there on) instead of new pages, which cost
    # a page fault per 4 KB (749 faults, about 1 ms, for 10^5 steps at n = 2)
    h, c = memory.empty((2,) + shape)[0]
    if n == 1 and m == 1:
        return _launch_scalar(cell, x, h0, c0, sem, batch, trace, h, c)
    run, run_traced, run_batch, run_batch_traced = _vector_kernels.make_weights_kernels(
        *sem.kernel_key())
    # the transposed weights, made once per cell: the kernels' inner loops run
    # over the 4n rows, contiguous
    weights = _derived(cell).weights(cell)
    if not trace:
        (run_batch if batch else run)(weights, x, h0, c0, sem.threshold, h, c)
        return VectorTrajectory(h, c, sem)
    extra = (np.empty(shape), np.empty(shape + (4,)), np.empty(shape + (5,)),
             np.empty(shape + (5,), np.int8), np.empty(shape + (5,), np.bool_))
    (run_batch_traced if batch else run_traced)(weights, x, h0, c0, sem.threshold,
                                                sem.inclusive, h, c, *extra)
    return VectorTrajectory(h, c, sem, *extra)


def _launch_scalar(cell, x, h0, c0, sem, batch, trace, h, c):
    """``_launch`` for n = m = 1: the scalar kernels, on views with the unit axis dropped.

    A 1-unit, 1-input cell is a scalar cell: its 12 parameters (the scalar
    order, from the transposed weights and the summed bias, as the vector
    kernels read them) go to the scalar kernels, which give the bits
    ``fl.run`` gives for its ``ScalarLSTM``.  Every array here is C-ordered
    with a last axis of length 1, so dropping it leaves contiguous views the
    kernels write through.
    """
    p = _derived(cell).scalar(cell)
    run, run_traced, run_batch, run_batch_traced = _sequence_kernels.make_sequence_kernels(
        *sem.kernel_key())
    # writable C-ordered copies: the types the scalar kernels were compiled for
    xs = np.array(x[..., 0], order="C")
    h0s, c0s = ((np.array(h0[:, 0], order="C"), np.array(c0[:, 0], order="C")) if batch
                else (float(h0[0]), float(c0[0])))
    if not trace:
        (run_batch if batch else run)(p, xs, h0s, c0s, sem.threshold, h[..., 0], c[..., 0])
        return VectorTrajectory(h, c, sem)
    shape = h.shape
    extra = (np.empty(shape), np.empty(shape + (4,)), np.empty(shape + (5,)),
             np.empty(shape + (5,), np.int8), np.empty(shape + (5,), np.bool_))
    (run_batch_traced if batch else run_traced)(
        p, xs, h0s, c0s, sem.threshold, sem.inclusive, h[..., 0], c[..., 0], extra[0][..., 0],
        *(out[..., 0, :] for out in extra[1:]))
    return VectorTrajectory(h, c, sem, *extra)


@functools.lru_cache(maxsize=64, typed=True)
def _cached_semantics(activation, threshold, inclusive, round_feedback):
    return Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                     round_feedback=round_feedback)


def _semantics(activation, threshold, inclusive, round_feedback):
    """``Semantics(...)``, kept for the arguments of recent runs (it is immutable; a
    bad argument raises as in ``Semantics`` and is never kept)."""
    try:
        return _cached_semantics(activation, threshold, inclusive, round_feedback)
    except TypeError:  # an unhashable argument: Semantics says what is wrong with it
        return Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                         round_feedback=round_feedback)


def run_vector(cell, x, *, activation="exact", threshold=1.0, inclusive=True,
               round_feedback=False, h0=0.0, c0=0.0, trace=False) -> VectorTrajectory:
    """Run a vector cell over one input sequence.

    Parameters
    ----------
    cell : LSTMCell
        Hidden size n, input size m.
    x : array_like, shape (T, m), or (T,) when m = 1
        Finite real inputs, one row per step.
    activation, threshold, inclusive, round_feedback
        The semantics (see ``fastlstm.Semantics``), applied to each unit.
    h0, c0 : float or array_like of shape (n,)
        Initial state h_{-1}, c_{-1}; a scalar fills every unit.
    trace : bool
        Also record, per unit, gates, pre-activations, regimes and exact
        boundary hits; h and c are the same bits either way.

    Returns
    -------
    VectorTrajectory
        ``.h`` and ``.c`` of shape (T, n), ``.rounded``; with ``trace``
        also ``.h_raw`` (T, n), ``.gates`` (T, n, 4), ``.preactivations``,
        ``.regimes``, ``.boundary_hits`` (T, n, 5) and ``.band_steps``.

    Raises
    ------
    ValueError
        For a bad value, naming the argument; also, up front, when a
        pre-activation could overflow float64 (``preactivation_range_vector``).
    TypeError
        For an argument of the wrong type.

    Examples
    --------
    The parity cell of the worked example as a 1-unit vector cell gives the
    key; two independent copies of it (n = m = 2, block-diagonal weights),
    each reading its own column of x, answer both of the exercise's inputs.

    >>> import numpy as np
    >>> import fastlstm as fl
    >>> from fastlstm.cell import LSTMCell
    >>> from fastlstm.vector import run_vector
    >>> cell = LSTMCell.from_scalar(fl.presets.parity())
    >>> run_vector(cell, [1, 1, 0, 1, 1]).rounded[:, 0].tolist()
    [1, -1, 0, 1, -1]
    >>> run_vector(cell, [1, 1, 0, 1, 1], activation="saturated").h[:, 0].tolist()
    [1.0, -1.0, 0.5, 0.0, 1.0]
    >>> eye = np.eye(2)
    >>> two = LSTMCell(np.kron(cell.W_ih, eye), np.kron(cell.W_hh, eye),
    ...                np.repeat(cell.b_ih, 2))
    >>> x = np.array([[0, 0, 1, 1, 1, 0], [1, 1, 0, 1, 1, 1]]).T      # (T, m) = (6, 2)
    >>> run_vector(two, x).rounded.T.tolist()
    [[0, 0, 1, -1, 1, 0], [1, -1, 0, 1, -1, 1]]

    A trace shows, per unit, why the saturated rule breaks at t = 3 of the
    second input (unit 1): its candidate pre-activation (column g) is 0, in
    the band, and so is its c.

    >>> sat = run_vector(two, x, activation="saturated", trace=True)
    >>> sat.preactivations.shape
    (6, 2, 5)
    >>> sat.preactivations[3, 1].tolist(), sat.regimes[3, 1].tolist()
    ([-100.0, 200.0, 100.0, 0.0, 0.0], [-1, 1, 1, 0, 0])
    """
    sem = _semantics(activation, threshold, inclusive, round_feedback)
    return _launch(cell, x, h0, c0, sem, batch=False, trace=trace)


def run_batch_vector(cell, X, *, activation="exact", threshold=1.0, inclusive=True,
                     round_feedback=False, h0=0.0, c0=0.0, trace=False) -> VectorTrajectory:
    """Run a vector cell over many sequences of equal length, in parallel.

    Parameters
    ----------
    cell : LSTMCell
    X : array_like, shape (B, T, m), or (B, T) when m = 1
        One sequence per row.
    activation, threshold, inclusive, round_feedback
        As in ``run_vector``.
    h0, c0 : float, array_like of shape (n,) or (B, n)
        Initial states: shared by every sequence, or one per sequence.
    trace : bool
        As in ``run_vector``; every trace array gets the leading axis B.

    Returns
    -------
    VectorTrajectory
        ``.h`` and ``.c`` of shape (B, T, n); row b equals
        ``run_vector(cell, X[b], ...)`` bit for bit.

    Examples
    --------
    >>> import fastlstm as fl
    >>> from fastlstm.cell import LSTMCell
    >>> from fastlstm.vector import run_batch_vector
    >>> cell = LSTMCell.from_scalar(fl.presets.parity())
    >>> tr = run_batch_vector(cell, [[0, 0, 1, 1, 1, 0], [1, 1, 0, 1, 1, 1]])
    >>> tr.h.shape
    (2, 6, 1)
    >>> tr.rounded[..., 0].tolist()
    [[0, 0, 1, -1, 1, 0], [1, -1, 0, 1, -1, 1]]
    """
    sem = _semantics(activation, threshold, inclusive, round_feedback)
    return _launch(cell, X, h0, c0, sem, batch=True, trace=trace)
