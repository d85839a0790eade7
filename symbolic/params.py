"""Numbers and parameter sets, taken exactly.

A float is taken at its exact binary value: that is the number float64 code
computes with, so the reference starts from the very same cell.  Pass a string
(``"0.1"``), a ``fractions.Fraction`` or a SymPy Rational for a decimal value.

Examples
--------
>>> exact_number(0.5, "x"), exact_number("0.1", "x"), exact_number(-100.0, "b_f")
(1/2, 1/10, -100)
>>> exact_number(0.1, "x")
3602879701896397/36028797018963968
>>> exact_number(float("nan"), "b_f")
Traceback (most recent call last):
...
ValueError: b_f must be finite, got nan
"""

from __future__ import annotations

import decimal
import fractions
import math
import numbers
from collections.abc import Mapping

import sympy
from sympy import Basic, Integer, Rational

from .symbols import PARAM_NAMES, PARAMS

_SYMBOL_NAMES = {symbol: name for name, symbol in PARAMS.items()}


def exact_number(value, name, symbolic=False):
    """``value`` as an exact SymPy number (a real SymPy expression if ``symbolic``).

    Raises TypeError for a non-number and ValueError for a non-finite one,
    naming ``name``.
    """
    if isinstance(value, (bool, sympy.logic.boolalg.BooleanAtom)):
        raise TypeError(f"{name} must be a number, got a bool")
    if isinstance(value, Basic):
        if value.is_Number and value.is_finite:
            return Rational(value)
        if value.is_Number:
            raise ValueError(f"{name} must be finite, got {value}")
        if symbolic and value.is_extended_real is not False:
            return value
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, numbers.Integral):
        return Integer(int(value))
    if isinstance(value, fractions.Fraction):
        return Rational(value.numerator, value.denominator)
    if isinstance(value, numbers.Real):
        if not math.isfinite(float(value)):
            raise ValueError(f"{name} must be finite, got {value}")
        return Rational(float(value))
    if isinstance(value, (str, decimal.Decimal)):
        try:
            parsed = decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
        if not parsed.is_finite():
            raise ValueError(f"{name} must be finite, got {value}")
        return Rational(str(parsed))
    raise TypeError(f"{name} must be a real number, got {type(value).__name__}")


def exact_params(params, partial=False, symbolic=False):
    """The twelve parameters as ``{name: exact number}``.

    ``params`` is a mapping (keys: the names of ``PARAM_NAMES`` or their
    symbols), an object with the twelve named attributes, or a sequence of
    twelve numbers in ``PARAM_NAMES`` order.  With ``partial`` a mapping may
    name only some of them.

    Examples
    --------
    >>> p = exact_params({name: 0 for name in PARAM_NAMES})
    >>> p["W_fh"], len(p)
    (0, 12)
    >>> exact_params({"b_f": 1})
    Traceback (most recent call last):
    ...
    ValueError: params is missing W_fh, W_fx, W_ih, W_ix, b_i, W_oh, W_ox, b_o, W_ch, W_cx, b_c
    """
    if isinstance(params, Mapping):
        given = {_SYMBOL_NAMES.get(key, key): value for key, value in params.items()}
        unknown = [str(key) for key in given if key not in PARAM_NAMES]
        if unknown:
            raise ValueError(f"params has unknown names {', '.join(unknown)}; "
                             f"expected names from {', '.join(PARAM_NAMES)}")
    elif all(hasattr(params, name) for name in PARAM_NAMES):
        given = {name: getattr(params, name) for name in PARAM_NAMES}
    elif _is_sequence(params):
        values = list(params)
        if len(values) != len(PARAM_NAMES):
            raise ValueError(f"params as a sequence must hold {len(PARAM_NAMES)} numbers "
                             f"in PARAM_NAMES order, got {len(values)}")
        given = dict(zip(PARAM_NAMES, values))
    else:
        raise TypeError("params must be a mapping, an object with the twelve attributes "
                        f"{', '.join(PARAM_NAMES)}, or a sequence of twelve numbers; "
                        f"got {type(params).__name__}")
    missing = [name for name in PARAM_NAMES if name not in given]
    if missing and not partial:
        raise ValueError(f"params is missing {', '.join(missing)}")
    return {name: exact_number(given[name], name, symbolic)
            for name in PARAM_NAMES if name in given}


def _is_sequence(obj):
    if isinstance(obj, (str, bytes)):
        return False
    try:
        len(obj)
        iter(obj)
    except TypeError:
        return False
    return True


def exact_inputs(xs):
    """A 1-D sequence of inputs as a tuple of exact numbers."""
    if isinstance(xs, (str, bytes)) or not _is_sequence(xs):
        raise TypeError(f"xs must be a 1-D sequence of numbers, got {type(xs).__name__}")
    shape = getattr(xs, "shape", None)
    if shape is not None and len(shape) != 1:
        raise ValueError(f"xs must be 1-D, got shape {tuple(shape)}")
    return tuple(exact_number(x, f"xs[{k}]") for k, x in enumerate(xs))
