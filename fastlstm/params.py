"""Parameters of a scalar LSTM cell: names, validation, conversion to arrays."""

from __future__ import annotations

import dataclasses
from typing import Mapping

import numpy as np

from ._validate import finite_scalar

#: The twelve parameters, in the order used by every array in the package.
PARAM_NAMES = ("W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i",
               "W_oh", "W_ox", "b_o", "W_ch", "W_cx", "b_c")


@dataclasses.dataclass(frozen=True)
class ScalarLSTM:
    """A scalar LSTM cell (input, memory and visible state are all scalars).

    Every parameter defaults to 0.0; all are stored as finite Python floats.
    The update, for input ``x_t`` and previous state ``(h_{t-1}, c_{t-1})``::

        f_t = sigmoid(W_fh h_{t-1} + W_fx x_t + b_f)
        i_t = sigmoid(W_ih h_{t-1} + W_ix x_t + b_i)
        o_t = sigmoid(W_oh h_{t-1} + W_ox x_t + b_o)
        c_t = f_t c_{t-1} + i_t tanh(W_ch h_{t-1} + W_cx x_t + b_c)
        h_t = o_t tanh(c_t)

    Examples
    --------
    >>> import fastlstm as fl
    >>> cell = fl.ScalarLSTM(W_ix=100.0, b_i=100.0, b_f=-100.0)
    >>> cell.W_ix
    100.0
    >>> cell.replace(b_f=0.5).b_f
    0.5
    >>> fl.ScalarLSTM.from_array(cell.to_array()) == cell
    True
    >>> fl.ScalarLSTM(W_fh=float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: W_fh must be finite, got nan
    """

    W_fh: float = 0.0
    W_fx: float = 0.0
    b_f: float = 0.0
    W_ih: float = 0.0
    W_ix: float = 0.0
    b_i: float = 0.0
    W_oh: float = 0.0
    W_ox: float = 0.0
    b_o: float = 0.0
    W_ch: float = 0.0
    W_cx: float = 0.0
    b_c: float = 0.0

    def __post_init__(self):
        for name in PARAM_NAMES:
            object.__setattr__(self, name, finite_scalar(getattr(self, name), name))

    def to_array(self) -> np.ndarray:
        """The parameters as a float64 array of shape (12,), in PARAM_NAMES order."""
        return np.array([getattr(self, n) for n in PARAM_NAMES], dtype=np.float64)

    def to_dict(self) -> dict:
        """The parameters as a ``{name: float}`` dict, in PARAM_NAMES order."""
        return {n: getattr(self, n) for n in PARAM_NAMES}

    @classmethod
    def from_array(cls, values, *, name="values") -> "ScalarLSTM":
        """Build a cell from 12 numbers in PARAM_NAMES order.

        Each number is checked as the constructor checks it: strings and
        bools are refused (TypeError naming the parameter), not converted.
        ``name`` is the argument an error about the shape names.

        >>> ScalarLSTM.from_array(["1"] * 12)
        Traceback (most recent call last):
        ...
        TypeError: W_fh must be a real number, got str
        """
        n = len(PARAM_NAMES)
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{name} must be {n} numbers in PARAM_NAMES order, "
                            f"got {type(values).__name__}")
        if isinstance(values, np.ndarray):
            shape, items = values.shape, values.tolist()
        else:
            items = list(values)
            shape = (len(items),)
        if shape != (n,):
            raise ValueError(f"{name} must have shape ({n},) in PARAM_NAMES order, "
                             f"got shape {shape}")
        # The constructor validates each number (finite_scalar), as for keywords.
        return cls(**dict(zip(PARAM_NAMES, items)))

    @classmethod
    def from_mapping(cls, params: Mapping[str, float]) -> "ScalarLSTM":
        """Build a cell from a mapping; unknown names are an error, missing ones are 0."""
        unknown = sorted(set(params) - set(PARAM_NAMES), key=repr)
        if unknown:
            raise ValueError(f"unknown parameter name(s) {unknown}; expected names from {PARAM_NAMES}")
        return cls(**dict(params))

    def replace(self, **changes) -> "ScalarLSTM":
        """A copy with some parameters changed (validated like the constructor)."""
        unknown = sorted(set(changes) - set(PARAM_NAMES), key=repr)
        if unknown:
            raise ValueError(f"unknown parameter name(s) {unknown}; expected names from {PARAM_NAMES}")
        return dataclasses.replace(self, **changes)


def as_cell(cell, name="cell") -> ScalarLSTM:
    """Accept a ScalarLSTM, a mapping of parameters or 12 numbers; return a ScalarLSTM."""
    if isinstance(cell, ScalarLSTM):
        return cell
    if isinstance(cell, Mapping):
        return ScalarLSTM.from_mapping(cell)
    if isinstance(cell, (list, tuple, np.ndarray)):
        return ScalarLSTM.from_array(cell, name=name)
    raise TypeError(f"{name} must be a ScalarLSTM, a mapping of parameters or 12 numbers, "
                    f"got {type(cell).__name__}")
