"""Alphabets of input symbols: validation, printing, and input arrays.

An alphabet is a non-empty sequence of distinct finite real numbers; every
module of the automata wing checks one with ``check_alphabet`` and prints a
symbol with ``symbol_str``.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import real_array, to_float

__all__ = ["check_alphabet", "input_array", "is_real", "symbol_str"]


def check_alphabet(alphabet, name="alphabet"):
    """``(symbols, values)``: the symbols as a tuple and as a float64 array.

    An alphabet is a non-empty sequence of distinct finite real numbers
    (within float64's range: an integer past 1.8e308 is a ValueError).
    NumPy scalars become Python numbers; each symbol keeps its type (so
    ``(0, 0.5, 1)`` stays ints and a float).

    Examples
    --------
    >>> check_alphabet((0, 0.5, 1))
    ((0, 0.5, 1), array([0. , 0.5, 1. ]))
    >>> check_alphabet((0, 0.0))
    Traceback (most recent call last):
    ...
    ValueError: alphabet must hold distinct symbols, got (0, 0.0)
    """
    if isinstance(alphabet, (str, bytes)) or not hasattr(alphabet, "__iter__"):
        raise TypeError(f"{name} must be a sequence of real numbers, got {type(alphabet).__name__}")
    symbols = tuple(alphabet)
    if not symbols:
        raise ValueError(f"{name} must hold at least one symbol")
    for s in symbols:
        if not is_real(s):
            raise TypeError(f"{name} must hold real numbers, got {s!r}")
        if not math.isfinite(to_float(s, name)):
            raise ValueError(f"{name} must hold finite numbers, got {s!r}")
    values = np.array([float(s) for s in symbols], dtype=np.float64)
    if len(set(values.tolist())) != len(symbols):
        raise ValueError(f"{name} must hold distinct symbols, got {symbols}")
    symbols = tuple(s.item() if isinstance(s, np.generic) else s for s in symbols)
    return symbols, values


def is_real(v):
    """A real number, and not a bool."""
    return (isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_)))


def symbol_str(s):
    """How a symbol is printed: ``1`` for 1 and 1.0, ``0.5``, ``-1``.

    Examples
    --------
    >>> [symbol_str(s) for s in (1, 1.0, 0.5, -1)]
    ['1', '1', '0.5', '-1']
    """
    return f"{float(s):g}" if isinstance(s, float) else str(s)


def input_array(x, name, ndims):
    """``x`` as a C-contiguous float64 array (not copied when it already is one).

    Values are converted exactly as ``run`` converts them; values outside
    the alphabet (NaN and inf included) are reported by the caller.
    """
    return real_array(x, name, ndims, finite=False)
