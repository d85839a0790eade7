"""Parameter tables for sweeps, and the inputs and targets of the worked example.

A table is an (N, 12) float64 array in ``PARAM_NAMES`` order.  ``grid`` builds
one as a cartesian product and remembers its axes, so sweep results can be
reshaped to the grid and plotted; ``random_params`` draws one at random.
``binary_strings`` and ``parity_target`` give the inputs and the target of
the parity regime map.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import Mapping

import numpy as np

from .._validate import as_real, finite_scalar, integer, real_array
from ..params import PARAM_NAMES, ScalarLSTM, as_cell
from .memory import format_bytes, memory_limit

__all__ = ["ParamTable", "grid", "random_params", "as_table", "table_rows", "binary_strings",
           "parity_target", "MAX_LENGTH"]

#: The longest strings ``binary_strings`` makes (2**30 strings of 30 symbols: 30 GiB).
MAX_LENGTH = 30

#: Rows checked (or built) at a time, so that no temporary grows with the table.
_BLOCK = 2**16


@dataclasses.dataclass(frozen=True, eq=False)
class ParamTable:
    """An (N, 12) parameter table, optionally the flattening of a grid.

    Every table is checked when it is made (ValueError/TypeError naming what
    is wrong): ``values`` must be finite real numbers of shape (N, 12),
    converted to float64 unless they are (a C-contiguous float64 array is
    used in place, and made read-only); ``shape`` must hold N rows and match
    the axes.  ``sweep`` checks the values again (``as_table``).

    Attributes
    ----------
    values : numpy.ndarray
        Shape (N, 12), float64, C-contiguous, finite, read-only; columns in
        ``PARAM_NAMES`` order.
    axes : dict of str to numpy.ndarray
        For a grid: the swept parameters and their values, slowest-varying
        first (row ``n`` of ``values`` is grid point
        ``numpy.unravel_index(n, shape)``).  Empty otherwise.
    shape : tuple of int
        The grid's shape, or ``(N,)``.

    Examples
    --------
    >>> import fastlstm as fl
    >>> t = fl.grid(base=fl.presets.parity(), W_ch=[-100, -50], W_cx=[0, 25, 50])
    >>> len(t), t.shape, t.names
    (6, (2, 3), ('W_ch', 'W_cx'))
    >>> t.cell(5).W_ch, t.cell(5).W_cx
    (-50.0, 50.0)
    >>> t.reshape(range(6))
    array([[0, 1, 2],
           [3, 4, 5]])
    """

    values: np.ndarray
    axes: dict = dataclasses.field(default_factory=dict)
    shape: tuple = ()

    def __post_init__(self):
        values = _checked_values(self.values, "ParamTable values")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "axes", _checked_axes(self.axes))
        object.__setattr__(self, "shape", _checked_shape(self.shape, len(values), self.axes))
        values.setflags(write=False)

    @property
    def names(self) -> tuple:
        """Names of the grid axes (empty for a table that is not a grid)."""
        return tuple(self.axes)

    def __len__(self):
        return self.values.shape[0]

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self.values, dtype=dtype)
        return self.values if dtype is None else self.values.astype(dtype)

    def __repr__(self):
        axes = ", ".join(f"{k}: {len(v)} values in [{v.min():g}, {v.max():g}]"
                         for k, v in self.axes.items())
        return f"ParamTable(N={len(self)}, shape={self.shape}{', ' + axes if axes else ''})"

    def cell(self, n) -> ScalarLSTM:
        """Row ``n`` as a ``ScalarLSTM``."""
        return ScalarLSTM.from_array(self.values[n])

    def column(self, name) -> np.ndarray:
        """The values of parameter ``name``, one per row."""
        if name not in PARAM_NAMES:
            raise ValueError(f"unknown parameter name {name!r}; expected one of {PARAM_NAMES}")
        return self.values[:, PARAM_NAMES.index(name)]

    def reshape(self, a) -> np.ndarray:
        """Reshape per-row results (leading axis N) to the table's shape."""
        a = np.asarray(a)
        if a.ndim == 0 or a.shape[0] != len(self):
            raise ValueError(f"expected an array with a leading axis of length {len(self)}, "
                             f"got shape {a.shape}")
        return a.reshape(self.shape + a.shape[1:])


def _check_finite(values, name):
    """ValueError naming the first non-finite entry of ``values`` (checked in blocks of
    rows, so the check allocates no table-sized temporary)."""
    for start in range(0, values.shape[0], _BLOCK):
        part = values[start:start + _BLOCK]
        if not np.isfinite(part).all():
            row, col = np.argwhere(~np.isfinite(part))[0]
            raise ValueError(f"{name} must be finite, got {part[row, col]} at index "
                             f"({start + int(row)}, {int(col)}) ({PARAM_NAMES[col]})")


def _table_array(params, name):
    """``params`` as an array (not converted) that has the shape of a table, or an error."""
    arr = as_real(params, name)
    if arr.ndim != 2 or arr.shape[1] != len(PARAM_NAMES):
        raise ValueError(f"{name} must have shape (N, {len(PARAM_NAMES)}), columns in "
                         f"PARAM_NAMES order, got shape {arr.shape}")
    return arr


def _checked_values(params, name):
    """``params`` as a finite, C-contiguous (N, 12) float64 array (not copied when it is one)."""
    values = real_array(_table_array(params, name), name, 2, finite=False)
    _check_finite(values, name)
    return values


def _checked_axes(axes):
    if not isinstance(axes, Mapping):
        raise TypeError(f"ParamTable axes must be a mapping of parameter name to values, "
                        f"got {type(axes).__name__}")
    _check_names(axes, "ParamTable axes")
    out = {}
    for name, v in axes.items():
        arr = real_array(v, f"ParamTable axes[{name!r}]", 1)
        arr.setflags(write=False)
        out[name] = arr
    return out


def _checked_shape(shape, n_rows, axes):
    """The table's shape: ``(n_rows,)`` when empty, else whole numbers whose product is
    ``n_rows`` (and, for a grid, the lengths of its axes)."""
    if shape is None or (isinstance(shape, tuple) and not shape):
        shape = (n_rows,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"ParamTable shape must be a tuple of integers, got {shape!r}")
    shape = tuple(integer(n, "every entry of ParamTable shape") for n in shape)
    if int(np.prod(shape, dtype=object)) != n_rows:
        raise ValueError(f"ParamTable shape must hold the {n_rows} rows of values, "
                         f"got shape {shape}")
    if axes and tuple(len(v) for v in axes.values()) != shape:
        raise ValueError(f"ParamTable shape must match the lengths of its axes "
                         f"{tuple(len(v) for v in axes.values())}, got shape {shape}")
    return shape


def _check_names(names, what):
    unknown = [n for n in names if n not in PARAM_NAMES]
    if unknown:
        raise ValueError(f"unknown parameter name(s) {unknown} in {what}; "
                         f"expected names from {PARAM_NAMES}")


def refuse_table(n_rows, max_bytes, what):
    """ValueError, naming ``what`` and the size, when a table of ``n_rows`` rows would
    not fit in ``memory_limit(max_bytes)``."""
    need = n_rows * len(PARAM_NAMES) * 8
    limit = memory_limit(max_bytes)
    if need > limit:
        allowed = ("available (3/4 of the free memory)" if max_bytes is None
                   else "allowed (max_bytes)")
        raise ValueError(f"{what} has {n_rows} parameter sets, {format_bytes(need)} as a float64 "
                         f"table, more than the {format_bytes(limit)} {allowed}; "
                         f"use fewer points, or sweep several smaller tables")


def _axis_length(values, name):
    """The number of values of a grid axis, from ``len`` alone (a ``range`` or a list
    can stand for more values than memory holds: counted before anything is converted)."""
    try:
        return len(values)
    except TypeError:  # no length (a scalar): real_array says what is wrong
        return 1
    except OverflowError:  # a range longer than sys.maxsize
        raise ValueError(f"{name} has more than {sys.maxsize} values; use fewer points") from None


def grid(base=None, *, max_bytes=None, **axes) -> ParamTable:
    """Cartesian product of parameter values, the other parameters from ``base``.

    Parameters
    ----------
    base : ScalarLSTM, mapping or 12 numbers, optional
        Values of the parameters that are not swept (default: all zero).
    max_bytes : int, optional
        Refuse (ValueError) a table larger than this; default 3/4 of the
        available memory.
    **axes : array_like
        ``name=values`` for each swept parameter (1-D, finite, non-empty).
        The first axis varies slowest.

    Returns
    -------
    ParamTable
        ``shape`` is ``(len(values_1), len(values_2), ...)``.

    Examples
    --------
    >>> import fastlstm as fl
    >>> t = fl.grid(base=fl.presets.parity(), W_ch=[-200, -100, 0], W_cx=[0, 100])
    >>> t.shape
    (3, 2)
    >>> t.column("W_ch").tolist(), t.column("W_cx").tolist()
    ([-200.0, -200.0, -100.0, -100.0, 0.0, 0.0], [0.0, 100.0, 0.0, 100.0, 0.0, 100.0])
    >>> fl.grid(W_xx=[1.0])
    Traceback (most recent call last):
    ...
    ValueError: unknown parameter name(s) ['W_xx'] in grid axes; expected names from ...
    """
    base = ScalarLSTM() if base is None else as_cell(base, "base")
    if not axes:
        raise ValueError("grid needs at least one axis, e.g. grid(base, W_ch=np.linspace(-200, 0, 512))")
    _check_names(axes, "grid axes")
    lengths = {name: _axis_length(v, name) for name, v in axes.items()}
    refuse_table(int(np.prod(list(lengths.values()), dtype=object)), max_bytes,
                 "the grid (" + " x ".join(f"{n} values of {name}" for name, n in lengths.items()) + ")")
    values = {}
    for name, v in axes.items():
        arr = real_array(v, name, 1)
        if arr.size == 0:
            raise ValueError(f"{name} must hold at least one value")
        values[name] = arr
    shape = tuple(len(v) for v in values.values())
    n_rows = int(np.prod(shape, dtype=object))
    table = np.empty((n_rows, len(PARAM_NAMES)))
    table[:] = base.to_array()
    for k, (name, v) in enumerate(values.items()):
        table[:, PARAM_NAMES.index(name)] = np.broadcast_to(
            v.reshape((1,) * k + (-1,) + (1,) * (len(shape) - k - 1)), shape).ravel()
    for v in values.values():
        v.setflags(write=False)
    return ParamTable(table, values, shape)


def _bound(value, name):
    """A bound: one number for every parameter or a mapping name -> number."""
    if isinstance(value, Mapping):
        _check_names(value, name)
        return {k: finite_scalar(v, f"{name}[{k!r}]") for k, v in value.items()}
    return finite_scalar(value, name)


def random_params(n, low=-10.0, high=10.0, *, base=None, vary=None, seed=None,
                  max_bytes=None) -> ParamTable:
    """``n`` parameter sets drawn uniformly from ``[low, high)``.

    Parameters
    ----------
    n : int
        Number of parameter sets (>= 0).
    low, high : float or mapping of name to float
        Bounds, shared or per parameter; ``low < high`` for every varied one.
    base : ScalarLSTM, mapping or 12 numbers, optional
        Values of the parameters that are not varied (default: all zero).
    vary : sequence of str, optional
        The parameters to draw (default: all twelve, or the names given in
        ``low``/``high`` when those are mappings).
    seed : int or numpy.random.Generator, optional
        For reproducible tables.
    max_bytes : int, optional
        As in ``grid``.

    Returns
    -------
    ParamTable

    Examples
    --------
    >>> import fastlstm as fl
    >>> t = fl.random_params(1000, low={"W_ch": -200, "W_cx": 0},
    ...                      high={"W_ch": 0, "W_cx": 100}, base=fl.presets.parity(), seed=1)
    >>> t.shape
    (1000,)
    >>> bool((t.column("W_ch") < 0).all()), bool((t.column("b_f") == -100).all())
    (True, True)
    """
    n = integer(n, "n")
    base = ScalarLSTM() if base is None else as_cell(base, "base")
    low, high = _bound(low, "low"), _bound(high, "high")
    if vary is None:
        named = [set(b) for b in (low, high) if isinstance(b, dict)]
        vary = sorted(set.union(*named), key=PARAM_NAMES.index) if named else PARAM_NAMES
    vary = tuple(vary)
    _check_names(vary, "vary")
    refuse_table(n, max_bytes, "the table")
    rng = np.random.default_rng(seed)
    table = np.empty((n, len(PARAM_NAMES)))
    table[:] = base.to_array()
    for name in vary:
        lo = low.get(name, None) if isinstance(low, dict) else low
        hi = high.get(name, None) if isinstance(high, dict) else high
        if lo is None or hi is None:
            raise ValueError(f"{name} is varied but has no bound in "
                             f"{'low' if lo is None else 'high'}")
        if not lo < hi:
            raise ValueError(f"low must be < high for {name}, got [{lo}, {hi})")
        column = PARAM_NAMES.index(name)
        if math.isfinite(hi - lo):
            table[:, column] = rng.uniform(lo, hi, n)
        else:  # the span overflows float64: draw in halves, then double (exact)
            half = lo / 2 + (hi / 2 - lo / 2) * rng.random(n)
            table[:, column] = np.minimum(2 * half, np.nextafter(hi, lo))
    return ParamTable(table)


def _table_values(table, name):
    """The values of the ParamTable ``table``, as its constructor left them, or ValueError."""
    values = table.values
    if not (isinstance(values, np.ndarray) and values.dtype == np.float64
            and values.ndim == 2 and values.shape[1] == len(PARAM_NAMES)
            and values.flags.c_contiguous):
        dtype = f" of dtype {values.dtype}" if isinstance(values, np.ndarray) else ""
        raise ValueError(f"{name}: the ParamTable's values must be a C-contiguous "
                         f"(N, {len(PARAM_NAMES)}) float64 array, got "
                         f"{type(values).__name__}{dtype} of shape {np.shape(values)}")
    return values


def table_rows(params, name="params"):
    """``(N, bytes)``: the rows of the table ``params`` stands for, and the bytes
    ``as_table`` allocates to convert it (0 when it is used in place), from its
    shape and dtype alone, so that a caller can refuse before anything is converted."""
    if isinstance(params, ParamTable):
        return _table_values(params, name).shape[0], 0
    if isinstance(params, (ScalarLSTM, Mapping)):
        return 1, 8 * len(PARAM_NAMES)
    arr = _table_array(params, name)
    in_place = arr.dtype == np.float64 and arr.flags.c_contiguous
    return arr.shape[0], 0 if in_place else arr.shape[0] * len(PARAM_NAMES) * 8


def as_table(params, name="params"):
    """``params`` as ``(values, table)``: a finite, C-contiguous (N, 12) float64
    array and the ParamTable it came from (None for a plain array or a single cell).

    Every table is checked, a ``ParamTable`` too (its values are checked again:
    cheap next to a sweep, and whatever was done to the object since, the kernels
    only ever see a finite (N, 12) float64 table).
    """
    if isinstance(params, ParamTable):
        values = _table_values(params, name)
        _check_finite(values, name)
        return values, params
    if isinstance(params, (ScalarLSTM, Mapping)):
        return as_cell(params, name).to_array()[None, :], None
    return _checked_values(params, name), None


def binary_strings(length, *, max_bytes=None) -> np.ndarray:
    """All ``2**length`` binary strings of ``length`` symbols, one per row.

    Row ``i`` holds the binary digits of ``i``, most significant first.

    Parameters
    ----------
    length : int
        From 1 to ``MAX_LENGTH`` (30).
    max_bytes : int, optional
        Refuse (ValueError) strings that would take more than this
        (``2**length * length`` bytes); default 3/4 of the available memory.
        Nothing else of that size is allocated.

    Examples
    --------
    >>> binary_strings(2)
    array([[0, 0],
           [0, 1],
           [1, 0],
           [1, 1]], dtype=int8)
    """
    length = integer(length, "length", 1, MAX_LENGTH)
    need, limit = 2**length * length, memory_limit(max_bytes)
    if need > limit:
        raise ValueError(f"length={length} gives 2**{length} strings of {length} symbols, "
                         f"{format_bytes(need)} as int8, more than the {format_bytes(limit)} "
                         f"allowed (max_bytes; default 3/4 of the available memory); "
                         f"use a shorter length")
    out = np.empty((2**length, length), np.int8)
    # Block by block: the digits of the row numbers, unpacked from their big-endian bytes.
    for start in range(0, 2**length, _BLOCK):
        rows = np.arange(start, min(start + _BLOCK, 2**length), dtype=">u4")
        out[start:start + rows.size] = np.unpackbits(
            rows.view(np.uint8).reshape(-1, 4), axis=1)[:, 32 - length:]
    return out


def parity_target(X) -> np.ndarray:
    """What the parity cell should output: the parity of the current run of ones.

    +1 where the run of consecutive ones ending at step t has odd length,
    -1 where it has even length > 0, 0 where x_t = 0.

    Parameters
    ----------
    X : array_like of 0/1, shape (T,) or (B, T)

    Returns
    -------
    numpy.ndarray of int8, same shape as X

    Examples
    --------
    >>> parity_target([0, 0, 1, 1, 1, 0]).tolist()
    [0, 0, 1, -1, 1, 0]
    >>> parity_target([[1, 1, 0, 1, 1]]).tolist()
    [[1, -1, 0, 1, -1]]
    """
    X = np.asarray(X)
    if X.ndim not in (1, 2) or X.dtype.kind not in "biuf" or not np.isin(X, (0, 1)).all():
        raise ValueError("X must be an array of 0/1 of shape (T,) or (B, T)")
    ones = X.astype(bool)
    out = np.zeros(X.shape, np.int8)
    parity = np.zeros(X.shape[:-1], np.int8)  # +1 odd run, -1 even run, 0 no run
    for t in range(X.shape[-1]):
        parity = np.where(ones[..., t], np.where(parity == 1, -1, 1), 0).astype(np.int8)
        out[..., t] = parity
    return out
