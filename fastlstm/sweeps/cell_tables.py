"""Tables of vector cells for sweeps: ``CellTable``, ``cell_grid``, ``random_cells``.

The counterpart of ``tables`` (``ParamTable``, ``grid``, ``random_params``)
for ``LSTMCell`` s: N cells of one shape (hidden size n, input size m),
their arrays stacked along a first axis of length N.  ``cell_grid`` builds
one from a trained cell as a cartesian product over a few named weights
or scalings, and remembers its axes (so results reshape to the grid);
``random_cells`` draws seeded perturbations of a cell.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

import numpy as np

from .._validate import finite_scalar, integer, real_array
from ..cell import LSTMCell
from .memory import format_bytes, memory_limit

__all__ = ["CellTable", "cell_grid", "random_cells", "as_cell_table", "is_cell_table",
           "WEIGHTS"]

#: The arrays of a cell, as ``LSTMCell`` names them.
WEIGHTS = ("W_ih", "W_hh", "b_ih", "b_hh")

#: A grid axis: ``"W_hh*"`` scales a whole array, ``"W_hh[3, 1]"`` sets one entry.
_AXIS = re.compile(r"^\s*(W_ih|W_hh|b_ih|b_hh)\s*(?:(\*)|\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\])\s*$")


def _stacked(value, name, ndim):
    """A C-contiguous float64 array of ``ndim`` dims with N >= 1 rows, finite."""
    arr = real_array(value, name, ndim)
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one cell, got shape {arr.shape}")
    return arr


@dataclasses.dataclass(frozen=True, eq=False)
class CellTable:
    """N ``LSTMCell`` s of one shape, their arrays stacked: the table of a vector sweep.

    Parameters
    ----------
    W_ih : array_like, shape (N, 4n, m)
        Weights on x of every cell, rows i, f, g, o (as ``LSTMCell.W_ih``).
    W_hh : array_like, shape (N, 4n, n)
    b_ih, b_hh : array_like of shape (N, 4n), optional
        None means zero.
    axes : dict of str to array, optional
        For a grid (``cell_grid``): the axes, slowest-varying first.
    shape : tuple of int, optional
        The grid's shape (default ``(N,)``).

    Every array must be finite and real; each is converted to float64 (not
    copied when it is a C-contiguous float64 array already) and made
    read-only.  ``b_ih + b_hh`` must be finite too.

    Examples
    --------
    >>> import numpy as np
    >>> import fastlstm as fl
    >>> t = fl.CellTable(np.ones((3, 8, 1)), np.zeros((3, 8, 2)))
    >>> len(t), t.hidden_size, t.input_size
    (3, 2, 1)
    >>> t.cell(0)
    LSTMCell(hidden_size=2, input_size=1, max|W_ih|=1, max|W_hh|=0, max|b|=0)
    >>> fl.CellTable(np.ones((3, 8, 1)), np.zeros((3, 8, 3)))
    Traceback (most recent call last):
    ...
    ValueError: W_hh must have shape (3, 8, 2) for 3 cells of hidden size 2, got shape (3, 8, 3)
    """

    W_ih: np.ndarray
    W_hh: np.ndarray
    b_ih: np.ndarray | None = None
    b_hh: np.ndarray | None = None
    axes: dict = dataclasses.field(default_factory=dict)
    shape: tuple = ()

    def __post_init__(self):
        W_ih = _stacked(self.W_ih, "W_ih", 3)
        N, rows, m = W_ih.shape
        if rows == 0 or rows % 4 or m == 0:
            raise ValueError(f"W_ih must have shape (N, 4n, m) with n, m >= 1, got shape "
                             f"{W_ih.shape}")
        n = rows // 4
        arrays = {"W_ih": W_ih}
        for name, value, shape, what in (
                ("W_hh", self.W_hh, (N, rows, n), f"hidden size {n}"),
                ("b_ih", self.b_ih, (N, rows), f"hidden size {n}"),
                ("b_hh", self.b_hh, (N, rows), f"hidden size {n}")):
            arr = np.zeros(shape) if value is None else _stacked(value, name, len(shape))
            if arr.shape != shape:
                raise ValueError(f"{name} must have shape {shape} for {N} cells of {what}, "
                                 f"got shape {arr.shape}")
            arrays[name] = arr
        with np.errstate(over="ignore"):
            bad = ~np.isfinite(arrays["b_ih"] + arrays["b_hh"])
        if bad.any():
            k, r = np.argwhere(bad)[0].tolist()
            raise ValueError(f"b_ih + b_hh overflows float64 at cell {k}, row {r}; a step "
                             f"adds the two")
        for name, arr in arrays.items():
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        axes = {}
        for name, values in dict(self.axes).items():
            axes[name] = real_array(values, f"CellTable axes[{name!r}]", 1)
            axes[name].setflags(write=False)
        object.__setattr__(self, "axes", axes)
        shape = tuple(integer(k, "every entry of CellTable shape") for k in self.shape or (N,))
        if int(np.prod(shape, dtype=object)) != N or (
                axes and tuple(len(v) for v in axes.values()) != shape):
            raise ValueError(f"CellTable shape must hold the {N} cells (and match the lengths "
                             f"of its axes), got shape {shape}")
        object.__setattr__(self, "shape", shape)

    @classmethod
    def from_cells(cls, cells) -> CellTable:
        """The table of a sequence of ``LSTMCell`` s of one shape (their arrays stacked).

        Examples
        --------
        >>> import fastlstm as fl
        >>> from fastlstm.cell import LSTMCell
        >>> one = LSTMCell.from_scalar(fl.presets.parity())
        >>> len(fl.CellTable.from_cells([one, one]))
        2
        >>> fl.CellTable.from_cells([one, LSTMCell([[1.0]] * 8, [[0.0] * 2] * 8)])
        Traceback (most recent call last):
        ...
        ValueError: cells[1] has hidden_size 2 and input_size 1; cells[0] has 1 and 1: a table holds cells of one shape
        """
        cells = list(cells)
        if not cells:
            raise ValueError("cells must hold at least one LSTMCell")
        for k, cell in enumerate(cells):
            if not isinstance(cell, LSTMCell):
                raise TypeError(f"cells[{k}] must be an LSTMCell, got {type(cell).__name__}")
            if (cell.hidden_size, cell.input_size) != (cells[0].hidden_size,
                                                       cells[0].input_size):
                raise ValueError(f"cells[{k}] has hidden_size {cell.hidden_size} and "
                                 f"input_size {cell.input_size}; cells[0] has "
                                 f"{cells[0].hidden_size} and {cells[0].input_size}: a table "
                                 f"holds cells of one shape")
        return cls(*(np.stack([getattr(c, name) for c in cells]) for name in WEIGHTS))

    @property
    def hidden_size(self) -> int:
        """n, the units of every cell."""
        return self.W_hh.shape[2]

    @property
    def input_size(self) -> int:
        """m, the inputs of every cell."""
        return self.W_ih.shape[2]

    @property
    def names(self) -> tuple:
        """Names of the grid axes (empty for a table that is not a grid)."""
        return tuple(self.axes)

    @property
    def nbytes(self) -> int:
        """Bytes of the four arrays."""
        return sum(getattr(self, name).nbytes for name in WEIGHTS)

    def __len__(self):
        return self.W_ih.shape[0]

    def __repr__(self):
        axes = ", ".join(f"{k}: {len(v)} values in [{v.min():g}, {v.max():g}]"
                         for k, v in self.axes.items())
        return (f"CellTable(N={len(self)}, hidden_size={self.hidden_size}, "
                f"input_size={self.input_size}, shape={self.shape}{', ' + axes if axes else ''})")

    def cell(self, k) -> LSTMCell:
        """Cell ``k`` as an ``LSTMCell``."""
        return LSTMCell(*(getattr(self, name)[k] for name in WEIGHTS))

    def reshape(self, a) -> np.ndarray:
        """Reshape per-cell results (leading axis N) to the table's shape."""
        a = np.asarray(a)
        if a.ndim == 0 or a.shape[0] != len(self):
            raise ValueError(f"expected an array with a leading axis of length {len(self)}, "
                             f"got shape {a.shape}")
        return a.reshape(self.shape + a.shape[1:])


def is_cell_table(params) -> bool:
    """Whether ``params`` stands for vector cells: a ``CellTable``, an ``LSTMCell`` or a
    non-empty list or tuple of them."""
    if isinstance(params, (CellTable, LSTMCell)):
        return True
    return (isinstance(params, (list, tuple)) and len(params) > 0
            and isinstance(params[0], LSTMCell))


def as_cell_table(params, name="params") -> CellTable:
    """``params`` (``is_cell_table``) as a ``CellTable`` whose arrays are checked again."""
    if isinstance(params, LSTMCell):
        return CellTable.from_cells([params])
    if isinstance(params, (list, tuple)):
        try:
            return CellTable.from_cells(params)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{name}: {exc}") from None
    for weight in WEIGHTS:  # whatever was done to the object since, the kernels get clean arrays
        arr = getattr(params, weight)
        if not (isinstance(arr, np.ndarray) and arr.dtype == np.float64
                and arr.flags.c_contiguous and np.isfinite(arr).all()):
            raise ValueError(f"{name}: the CellTable's {weight} must be a finite, C-contiguous "
                             f"float64 array")
    return params


def _refuse(n_cells, per_cell, max_bytes, what):
    need, limit = n_cells * per_cell, memory_limit(max_bytes)
    if need > limit:
        raise ValueError(f"{what} has {n_cells} cells, {format_bytes(need)} as a table, more "
                         f"than the {format_bytes(limit)} allowed (max_bytes; default 3/4 of "
                         f"the available memory); use fewer points")


def _base(base):
    if not isinstance(base, LSTMCell):
        raise TypeError(f"base must be an LSTMCell, got {type(base).__name__}")
    return base


def _axis(key, base):
    """``(weight, index)`` of a grid axis (index None: a scaling), or ValueError."""
    match = _AXIS.match(key) if isinstance(key, str) else None
    if match is None:
        raise ValueError(f"unknown grid axis {key!r}; expected 'W_hh*' (scale a whole array) "
                         f"or 'W_hh[row, col]' / 'b_ih[row]' (one entry), of {WEIGHTS}")
    weight, star, row, col = match.groups()
    if star:
        return weight, None
    shape = getattr(base, weight).shape
    index = tuple(int(i) for i in (row, col) if i is not None)
    if len(index) != len(shape) or any(i >= s for i, s in zip(index, shape)):
        raise ValueError(f"grid axis {key!r}: {weight} has shape {shape}, so an entry is "
                         f"{weight}[{', '.join(f'0..{s - 1}' for s in shape)}]")
    return weight, index


def cell_grid(base, axes, *, max_bytes=None) -> CellTable:
    """Cartesian product over a few weights of a cell, the rest from ``base``.

    Parameters
    ----------
    base : LSTMCell
        The cell every point starts from (a trained network, say).
    axes : mapping of str to array_like
        One axis per key, its values 1-D, finite and non-empty; the first
        axis varies slowest.  ``"W_hh*"`` (any of ``W_ih``, ``W_hh``,
        ``b_ih``, ``b_hh``) multiplies the whole array by each value;
        ``"W_hh[r, j]"`` or ``"b_ih[r]"`` sets that one entry to each value.
        Scalings apply first, then entries are set.
    max_bytes : int, optional
        Refuse (ValueError) a table larger than this; default 3/4 of the
        available memory.

    Returns
    -------
    CellTable
        ``shape`` is ``(len(values_1), len(values_2), ...)``; ``axes`` keeps
        the keys (normalised, e.g. ``"W_hh*"``, ``"W_hh[0, 1]"``).

    Examples
    --------
    >>> import numpy as np
    >>> import fastlstm as fl
    >>> from fastlstm.cell import LSTMCell
    >>> cell = LSTMCell(np.ones((8, 1)), np.full((8, 2), 0.5))
    >>> t = fl.cell_grid(cell, {"W_hh*": [0.0, 1.0, 2.0], "b_ih[4]": [-1.0, 1.0]})
    >>> t.shape, t.names
    ((3, 2), ('W_hh*', 'b_ih[4]'))
    >>> t.cell(5).W_hh[0].tolist(), float(t.cell(5).b_ih[4]), float(t.cell(0).b_ih[4])
    ([1.0, 1.0], 1.0, -1.0)
    >>> fl.cell_grid(cell, {"W_hh[8, 0]": [1.0]})
    Traceback (most recent call last):
    ...
    ValueError: grid axis 'W_hh[8, 0]': W_hh has shape (8, 2), so an entry is W_hh[0..7, 0..1]
    """
    base = _base(base)
    if not isinstance(axes, Mapping) or not axes:
        raise ValueError("axes must be a non-empty mapping, e.g. {'W_hh*': [0.5, 1.0, 2.0]}")
    parsed, values, seen = [], {}, {}
    for key, v in axes.items():
        weight, index = _axis(key, base)
        label = f"{weight}*" if index is None else f"{weight}[{', '.join(map(str, index))}]"
        if label in seen:
            raise ValueError(f"grid axes {seen[label]!r} and {key!r} are the same axis")
        seen[label] = key
        arr = real_array(v, f"axes[{key!r}]", 1)
        if arr.size == 0:
            raise ValueError(f"axes[{key!r}] must hold at least one value")
        parsed.append((weight, index))
        values[label] = arr
    shape = tuple(len(v) for v in values.values())
    N = int(np.prod(shape, dtype=object))
    _refuse(N, sum(getattr(base, w).nbytes for w in WEIGHTS), max_bytes,
            "the grid (" + " x ".join(f"{len(v)} values of {k}" for k, v in values.items()) + ")")
    arrays = {w: np.repeat(getattr(base, w)[None], N, axis=0) for w in WEIGHTS}
    grids = [g.ravel() for g in np.meshgrid(*values.values(), indexing="ij")]
    order = sorted(range(len(parsed)), key=lambda a: parsed[a][1] is not None)  # scalings first
    with np.errstate(over="ignore"):
        for a in order:
            weight, index = parsed[a]
            if index is None:
                arrays[weight] *= grids[a].reshape((N,) + (1,) * (arrays[weight].ndim - 1))
            else:
                arrays[weight][(slice(None),) + index] = grids[a]
    for weight, arr in arrays.items():
        if not np.isfinite(arr).all():
            raise ValueError(f"a scaling overflows {weight} to inf; use smaller values")
    return CellTable(*(arrays[w] for w in WEIGHTS), axes=values, shape=shape)


def random_cells(n, base, size, *, vary=None, relative=False, seed=None,
                 max_bytes=None) -> CellTable:
    """``n`` random perturbations of a cell: each weight plus ``size`` times a standard normal.

    Parameters
    ----------
    n : int
        Number of cells (>= 1).
    base : LSTMCell
        The cell perturbed.
    size : float >= 0
        The standard deviation of the noise added to every entry (or, with
        ``relative``, of the factor ``1 + size * normal`` each entry is
        multiplied by, so zero weights stay zero).
    vary : sequence of str, optional
        The arrays perturbed (default all of ``W_ih``, ``W_hh``, ``b_ih``,
        ``b_hh``); the others are the base's.
    relative : bool
    seed : int or numpy.random.Generator, optional
        For reproducible tables.
    max_bytes : int, optional
        As in ``cell_grid``.

    Returns
    -------
    CellTable

    Examples
    --------
    >>> import numpy as np
    >>> import fastlstm as fl
    >>> from fastlstm.cell import LSTMCell
    >>> cell = LSTMCell(np.ones((8, 1)), np.full((8, 2), 0.5))
    >>> t = fl.random_cells(1000, cell, 0.01, vary=["W_hh"], seed=0)
    >>> len(t), bool((t.W_ih == 1.0).all()), round(float(t.W_hh.std()), 3)
    (1000, True, 0.01)
    """
    n = integer(n, "n", 1)
    base = _base(base)
    size = finite_scalar(size, "size")
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    if not isinstance(relative, (bool, np.bool_)):
        raise TypeError(f"relative must be True or False, got {relative!r}")
    vary = WEIGHTS if vary is None else vary
    if isinstance(vary, str) or not isinstance(vary, Sequence) or \
            any(w not in WEIGHTS for w in vary):
        raise ValueError(f"vary must be a sequence of names from {WEIGHTS}, got {vary!r}")
    _refuse(n, sum(getattr(base, w).nbytes for w in WEIGHTS), max_bytes, "the table")
    rng = np.random.default_rng(seed)
    arrays = {}
    for weight in WEIGHTS:  # drawn in this order, whatever the order of vary
        arr = np.repeat(getattr(base, weight)[None], n, axis=0)
        if weight in vary:
            noise = size * rng.standard_normal(arr.shape)
            arr = arr * (1.0 + noise) if relative else arr + noise
        arrays[weight] = arr
    return CellTable(*(arrays[w] for w in WEIGHTS))
