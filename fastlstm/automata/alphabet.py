"""Alphabets of input symbols: validation, printing, and input arrays.

An alphabet is a non-empty sequence of distinct symbols, all finite real
numbers (inputs of a cell with one input, m = 1) or all vectors of one length
m, given as tuples (inputs of a vector cell, ``fastlstm.LSTMCell``); every
module of the automata wing checks one with ``check_alphabet`` and prints a
symbol with ``symbol_str``.
"""

from __future__ import annotations

import math

import numpy as np

from .._validate import real_array, to_float

__all__ = ["check_alphabet", "input_array", "is_real", "scalar_alphabet", "symbol_str"]


def check_alphabet(alphabet, name="alphabet"):
    """``(symbols, values)``: the symbols as a tuple and as a float64 array.

    An alphabet is a non-empty sequence of distinct symbols: finite real
    numbers (within float64's range: an integer past 1.8e308 is a
    ValueError), or vectors of one length m >= 1 (tuples, lists or 1-D
    arrays of finite real numbers), never a mix.  NumPy scalars become
    Python numbers and each number keeps its type (so ``(0, 0.5, 1)`` stays
    ints and a float); vectors become tuples.  ``values`` has shape (A,) for
    numbers and (A, m) for vectors.

    Examples
    --------
    >>> check_alphabet((0, 0.5, 1))
    ((0, 0.5, 1), array([0. , 0.5, 1. ]))
    >>> check_alphabet([(0, 1), [1, 0]])
    (((0, 1), (1, 0)), array([[0., 1.],
           [1., 0.]]))
    >>> check_alphabet((0, 0.0))
    Traceback (most recent call last):
    ...
    ValueError: alphabet must hold distinct symbols, got (0, 0.0)
    >>> check_alphabet([(0, 1), (1,)])
    Traceback (most recent call last):
    ...
    ValueError: alphabet must hold vectors of one length, got lengths 2 and 1
    """
    if isinstance(alphabet, (str, bytes)) or not hasattr(alphabet, "__iter__"):
        raise TypeError(f"{name} must be a sequence of real numbers or of vectors, "
                        f"got {type(alphabet).__name__}")
    symbols = tuple(alphabet)
    if not symbols:
        raise ValueError(f"{name} must hold at least one symbol")
    if all(is_real(s) for s in symbols):
        for s in symbols:
            _check_finite(s, name)
        values = np.array([float(s) for s in symbols], dtype=np.float64)
        symbols = tuple(_plain(s) for s in symbols)
        keys = values.tolist()
    else:
        for s in symbols:
            if not (is_real(s) or _is_vector(s)):
                raise TypeError(f"{name} must hold real numbers (or vectors of them), got {s!r}")
        if any(is_real(s) for s in symbols):
            raise TypeError(f"{name} must hold numbers or vectors, not both, got {symbols}")
        symbols = tuple(_vector(s, name) for s in symbols)
        m = len(symbols[0])
        other = next((len(s) for s in symbols if len(s) != m), m)
        if other != m:
            raise ValueError(f"{name} must hold vectors of one length, got lengths {m} and {other}")
        values = np.array(symbols, dtype=np.float64).reshape(len(symbols), m)
        keys = [tuple(row) for row in values.tolist()]
    if len(set(keys)) != len(symbols):
        raise ValueError(f"{name} must hold distinct symbols, got {symbols}")
    return symbols, values


def scalar_alphabet(alphabet):
    """``check_alphabet`` for a cell with one input (``ScalarLSTM``): numbers only.

    Examples
    --------
    >>> scalar_alphabet([(0, 1)])
    Traceback (most recent call last):
    ...
    ValueError: alphabet must hold numbers for a ScalarLSTM (one input), got vectors ((0, 1),); use an LSTMCell for vector inputs
    """
    symbols, values = check_alphabet(alphabet)
    if values.ndim == 2:
        raise ValueError(f"alphabet must hold numbers for a ScalarLSTM (one input), got vectors "
                         f"{symbols}; use an LSTMCell for vector inputs")
    return symbols, values


def _is_vector(s):
    return isinstance(s, (tuple, list)) or (isinstance(s, np.ndarray) and s.ndim == 1)


def _vector(s, name):
    """A vector symbol as a tuple of Python numbers (TypeError/ValueError naming ``name``)."""
    if len(s) == 0:
        raise ValueError(f"{name} must hold vectors of length >= 1, got {s!r}")
    for v in s:
        if not is_real(v):
            raise TypeError(f"{name} must hold vectors of real numbers, got {s!r}")
        _check_finite(v, name)
    return tuple(_plain(v) for v in s)


def _check_finite(v, name):
    if not math.isfinite(to_float(v, name)):
        raise ValueError(f"{name} must hold finite numbers, got {v!r}")


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def is_real(v):
    """A real number, and not a bool."""
    return (isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_)))


def symbol_str(s):
    """How a symbol is printed: ``1`` for 1 and 1.0, ``0.5``, ``-1``, ``(0, 1)``.

    Examples
    --------
    >>> [symbol_str(s) for s in (1, 1.0, 0.5, -1, (0.0, 1))]
    ['1', '1', '0.5', '-1', '(0, 1)']
    """
    if isinstance(s, tuple):
        return "(" + ", ".join(symbol_str(v) for v in s) + ")"
    return f"{float(s):g}" if isinstance(s, float) else str(s)


def input_array(x, name, ndims):
    """``x`` as a C-contiguous float64 array (not copied when it already is one).

    Values are converted exactly as ``run`` converts them; values outside
    the alphabet (NaN and inf included) are reported by the caller.
    """
    return real_array(x, name, ndims, finite=False)


def symbol_codes(x, values, alphabet, name):
    """Each vector symbol of x (..., m) as its index in ``values`` (A, m): float64, shape (...).

    A symbol outside the alphabet raises ValueError naming ``name`` and where.
    """
    flat = x.reshape(-1, values.shape[1])
    match = (flat[:, None, :] == values[None, :, :]).all(axis=2)
    found = match.any(axis=1)
    if not found.all():
        k = int(np.argmin(found))
        where = ", ".join(str(i) for i in np.unravel_index(k, x.shape[:-1]))
        raise ValueError(f"{name}[{where}] = {tuple(flat[k].tolist())} is not in the "
                         f"alphabet {alphabet}")
    return match.argmax(axis=1).astype(np.float64).reshape(x.shape[:-1])
