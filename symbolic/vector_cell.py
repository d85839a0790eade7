"""A vector LSTM cell (hidden size n, input size m) held exactly, in PyTorch's layout.

The four arrays are those of ``torch.nn.LSTMCell`` (and of ``fastlstm.LSTMCell``):
``W_ih`` (4n, m) on the input x, ``W_hh`` (4n, n) on the state h, biases
``b_ih`` and ``b_hh`` (4n,), rows stacked by gate i, f, g, o.  Every entry is
taken exactly (a float at its binary value, see :mod:`symbolic.params`), so the
reference starts from the very cell float64 code runs; the two biases stay
separate, since float64 code rounds their sum and the reference must not.

Examples
--------
>>> cell = vector_cell([[1], [2], [3], [4]], [[0.5], [0], [0], [-1]], b_hh=[0, 0, 0, 0.1])
>>> cell.hidden_size, cell.input_size
(1, 1)
>>> cell.row("o", 0), cell.W_hh[cell.row("o", 0)], cell.bias(cell.row("o", 0))
(3, (-1,), 3602879701896397/36028797018963968)
>>> vector_cell([[1], [2], [3]], [[0]])
Traceback (most recent call last):
...
ValueError: W_ih must have 4n rows (n >= 1, rows i, f, g, o), got 3
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sympy import Integer

from .params import _is_sequence, exact_number

#: Gate blocks of the 4n rows, in PyTorch's order.
TORCH_GATES = ("i", "f", "g", "o")
#: The gates in the order every per-unit result lists them (as the scalar cell).
UNIT_GATES = ("f", "i", "o", "g")
_ARRAYS = ("W_ih", "W_hh", "b_ih", "b_hh")


@dataclass(frozen=True)
class VectorCell:
    """An exact vector cell: tuples of SymPy Rationals, PyTorch's layout.

    Attributes
    ----------
    W_ih : tuple of 4n tuples of m Rationals
    W_hh : tuple of 4n tuples of n Rationals
    b_ih, b_hh : tuple of 4n Rationals
    """

    W_ih: tuple
    W_hh: tuple
    b_ih: tuple
    b_hh: tuple

    @property
    def hidden_size(self):
        """n, the number of units."""
        return len(self.W_hh[0])

    @property
    def input_size(self):
        """m, the length of each input x_t."""
        return len(self.W_ih[0])

    def row(self, gate, unit):
        """The row of ``gate`` (``"i"``, ``"f"``, ``"g"`` or ``"o"``) for ``unit``."""
        return TORCH_GATES.index(gate) * self.hidden_size + unit

    def bias(self, row):
        """``b_ih[row] + b_hh[row]``, exactly."""
        return self.b_ih[row] + self.b_hh[row]

    def numbers(self):
        """Every entry as ``(name, value)``, for size checks and messages."""
        for name in ("W_ih", "W_hh"):
            for k, values in enumerate(getattr(self, name)):
                yield from ((f"{name}[{k}, {j}]", v) for j, v in enumerate(values))
        for name in ("b_ih", "b_hh"):
            yield from ((f"{name}[{k}]", v) for k, v in enumerate(getattr(self, name)))


def vector_cell(W_ih, W_hh, b_ih=None, b_hh=None):
    """Validate four arrays in PyTorch's layout and take them exactly.

    Parameters
    ----------
    W_ih : array_like, shape (4n, m)
    W_hh : array_like, shape (4n, n)
    b_ih, b_hh : array_like of shape (4n,), optional
        None means zero.

    Returns
    -------
    VectorCell

    Raises
    ------
    TypeError, ValueError
        Naming the array and what was expected (shape, finite real numbers).
    """
    W_ih = _matrix(W_ih, "W_ih")
    if len(W_ih) % 4:
        raise ValueError(f"W_ih must have 4n rows (n >= 1, rows i, f, g, o), got {len(W_ih)}")
    n = len(W_ih) // 4
    W_hh = _matrix(W_hh, "W_hh")
    if len(W_hh) != 4 * n or len(W_hh[0]) != n:
        raise ValueError(f"W_hh must have shape ({4 * n}, {n}) for hidden size {n}, "
                         f"got shape ({len(W_hh)}, {len(W_hh[0])})")
    biases = [(Integer(0),) * (4 * n) if b is None else _vector(b, name, 4 * n)
              for name, b in (("b_ih", b_ih), ("b_hh", b_hh))]
    return VectorCell(W_ih, W_hh, *biases)


def as_vector_cell(cell):
    """A :class:`VectorCell` from one, from a mapping with keys ``W_ih``, ``W_hh``
    (and optionally ``b_ih``, ``b_hh``), or from an object with those attributes
    (such as ``fastlstm.LSTMCell``)."""
    if isinstance(cell, VectorCell):
        return cell
    if isinstance(cell, Mapping):
        unknown = [str(key) for key in cell if key not in _ARRAYS]
        if unknown or "W_ih" not in cell or "W_hh" not in cell:
            raise ValueError("cell as a mapping must have keys W_ih, W_hh and optionally "
                             f"b_ih, b_hh; got {', '.join(map(str, cell))}")
        return vector_cell(**cell)
    if hasattr(cell, "W_ih") and hasattr(cell, "W_hh"):
        return vector_cell(*(getattr(cell, name, None) for name in _ARRAYS))
    raise TypeError("cell must be a VectorCell, a mapping or an object with W_ih, W_hh, b_ih, "
                    f"b_hh (PyTorch's layout), got {type(cell).__name__}")


def _rows(value, name):
    if isinstance(value, (str, bytes)) or not _is_sequence(value):
        raise TypeError(f"{name} must be an array of numbers, got {type(value).__name__}")
    return list(value)


def _matrix(value, name):
    rows = _rows(value, name)
    if not rows or any(isinstance(r, (str, bytes)) or not _is_sequence(r) for r in rows):
        raise ValueError(f"{name} must be a 2-D array with at least one row")
    width = len(rows[0])
    if width == 0 or any(len(r) != width for r in rows):
        raise ValueError(f"{name} must be a 2-D array with rows of one nonzero length")
    return tuple(tuple(exact_number(v, f"{name}[{k}, {j}]") for j, v in enumerate(r))
                 for k, r in enumerate(rows))


def _vector(value, name, length):
    items = _rows(value, name)
    if len(items) != length:
        raise ValueError(f"{name} must have shape ({length},), got {len(items)} entries")
    return tuple(exact_number(v, f"{name}[{k}]") for k, v in enumerate(items))


def exact_vector(value, name, length):
    """A number (filling every entry) or a sequence of ``length`` numbers, exactly."""
    if isinstance(value, (str, bytes)) or not _is_sequence(value):
        return (exact_number(value, name),) * length
    return _vector(value, name, length)


def exact_vector_inputs(xs, m):
    """Inputs as a tuple of T tuples of m exact numbers: shape (T, m), or (T,) when m = 1."""
    steps = _rows(xs, "xs")
    out = []
    for t, x in enumerate(steps):
        if _is_sequence(x) and not isinstance(x, (str, bytes)):
            out.append(_vector(x, f"xs[{t}]", m))
        elif m == 1:
            out.append((exact_number(x, f"xs[{t}]"),))
        else:
            raise ValueError(f"xs[{t}] must hold {m} numbers (input size {m}), got one")
    return tuple(out)
