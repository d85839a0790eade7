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

import numpy as np

from ._kernels import vector as _vector_kernels
from ._validate import finite_scalar, real_array
from .cell import LSTMCell
from .semantics import Semantics, round_half_to_zero

_ANY_NDIM = tuple(range(33))


@dataclasses.dataclass(frozen=True, eq=False)
class VectorTrajectory:
    """What a run of a vector cell produced.

    Attributes
    ----------
    h, c : numpy.ndarray of float64, shape (T, n) or (B, T, n)
        Reported visible state (rounded when ``round_feedback``) and memory.
    rounded : numpy.ndarray of int64
        ``round_half_to_zero(h)`` as integers.
    semantics : Semantics
        The semantics the run used.
    """

    h: np.ndarray
    c: np.ndarray
    semantics: Semantics

    @functools.cached_property
    def rounded(self) -> np.ndarray:
        return round_half_to_zero(self.h).astype(np.int64)

    def __len__(self):
        return self.h.shape[-2]


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
    if np.ndim(value) == 0:
        arr = np.full(n, finite_scalar(value, name))
    else:
        arr = real_array(value, name, (1, 2))
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


def _launch(cell, x, h0, c0, sem, batch):
    """Validate, allocate and call the kernel: the body of both public runs."""
    cell = _check_cell(cell)
    n, m = cell.hidden_size, cell.input_size
    x = _inputs(x, "X" if batch else "x", m, batch=batch)
    rows = x.shape[0] if batch else None
    h0 = _state(h0, "h0", n, batch=rows)
    c0 = _state(c0, "c0", n, batch=rows)
    h = np.empty(x.shape[:-1] + (n,))
    c = np.empty(x.shape[:-1] + (n,))
    run, run_batch = _vector_kernels.make_vector_kernels(*sem.kernel_key())
    (run_batch if batch else run)(cell.W_ih, cell.W_hh, cell.bias(), x, h0, c0,
                                  sem.threshold, h, c)
    return VectorTrajectory(h, c, sem)


def run_vector(cell, x, *, activation="exact", threshold=1.0, inclusive=True,
               round_feedback=False, h0=0.0, c0=0.0) -> VectorTrajectory:
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

    Returns
    -------
    VectorTrajectory
        ``.h`` and ``.c`` of shape (T, n), ``.rounded``.

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
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    return _launch(cell, x, h0, c0, sem, batch=False)


def run_batch_vector(cell, X, *, activation="exact", threshold=1.0, inclusive=True,
                     round_feedback=False, h0=0.0, c0=0.0) -> VectorTrajectory:
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
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    return _launch(cell, X, h0, c0, sem, batch=True)
