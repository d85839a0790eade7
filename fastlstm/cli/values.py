"""Command-line text to values: inputs, parameters, axes and option types.

Numbers keep the text they were typed as (``Decimal``), so that
``fastlstm equations`` hands SymPy ``0.1`` as the rational 1/10.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from typing import TYPE_CHECKING

from ..params import PARAM_NAMES

if TYPE_CHECKING:  # numpy itself is imported where a value is made (the CLI starts fast)
    import numpy

__all__ = ["Decimal", "exact", "parse_alphabet", "parse_axis", "parse_inputs", "parse_params"]


class Decimal(float):
    """A float that remembers the text it was parsed from.

    The numerical commands use the float; ``equations`` hands the text to
    SymPy, so that ``0.1`` is the rational 1/10 there, not its binary value.
    """

    text: str

    def __new__(cls, text):
        value = super().__new__(cls, text)
        value.text = text.strip()
        return value


def exact(value):
    """What SymPy should see: the text of a ``Decimal``, anything else unchanged."""
    return value.text if isinstance(value, Decimal) else value


_BITS = re.compile(r"[01]{2,}")


def parse_inputs(tokens) -> "numpy.ndarray":
    """Input values from command-line tokens.

    Each token may hold one number (``0.5``, ``-1``), several separated by
    commas or whitespace (``0,0,1`` or ``"0 0 1"``), or a string of two or
    more 0/1 digits, read one symbol per digit (``001110``; write ``10.0``
    for the number ten).  The single token ``-`` reads the same from stdin.

    Parameters
    ----------
    tokens : sequence of str

    Returns
    -------
    numpy.ndarray of float64, shape (T,)

    Raises
    ------
    ValueError
        No inputs, an empty item between commas, or an item that is not a
        finite real number.

    Examples
    --------
    >>> parse_inputs(["001110"]).tolist()
    [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    >>> parse_inputs(["0,0,1", "1"]).tolist()
    [0.0, 0.0, 1.0, 1.0]
    >>> parse_inputs(["0.5", "-1"]).tolist()
    [0.5, -1.0]
    >>> parse_inputs(["1", "x"])
    Traceback (most recent call last):
    ...
    ValueError: input 'x' is not a number
    """
    import numpy as np

    values = _numbers(tokens, "input {!r} is not a number", "input {!r} is not a finite number",
                      stdin=True)
    if not values:
        raise ValueError("no inputs given; pass a sequence such as 1 1 0 1 1 or 11011")
    return np.array(values, dtype=np.float64)


def _numbers(tokens, not_a_number, not_finite, stdin=False):
    """The numbers of ``tokens`` (see ``parse_inputs``); the messages are formats of the item."""
    values = []
    for token in tokens:
        if stdin and token == "-":
            token = sys.stdin.read()
        for chunk in token.split():
            for item in chunk.split(","):
                if not item:
                    raise ValueError(f"empty input between commas in {chunk!r}")
                if _BITS.fullmatch(item):
                    values.extend(float(ch) for ch in item)
                    continue
                try:
                    value = float(item)
                except ValueError:
                    raise ValueError(not_a_number.format(item)) from None
                if not math.isfinite(value):
                    raise ValueError(not_finite.format(item))
                values.append(value)
    return values


def parse_alphabet(text) -> list:
    """The input symbols of ``--alphabet``: numbers separated by commas (``0,1``),
    whole numbers as int.

    Examples
    --------
    >>> parse_alphabet("0,1"), parse_alphabet("-1,0.5")
    ([0, 1], [-1, 0.5])
    >>> parse_alphabet("a,b")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --alphabet: symbol 'a' is not a number; expected numbers separated by commas, ...
    """
    expected = "; expected numbers separated by commas, e.g. 0,1"
    try:
        values = _numbers([text], "--alphabet: symbol {!r} is not a number" + expected,
                          "--alphabet: symbol {!r} is not a finite number" + expected)
    except ValueError as exc:
        if str(exc).startswith("--alphabet"):
            raise
        raise ValueError(f"--alphabet: {exc}{expected}") from None
    if not values:
        raise ValueError(f"--alphabet: no symbols given{expected}")
    return [int(a) if a.is_integer() else a for a in values]


def parse_params(specs) -> dict | list:
    """Parameters from ``--params`` values.

    Parameters
    ----------
    specs : sequence of str
        Each ``NAME=VALUE`` items separated by commas (``W_fh=0,b_c=-1``);
        or, as the only item, 12 comma-separated numbers in ``PARAM_NAMES``
        order.

    Returns
    -------
    dict or list of float
        ``{name: value}``, or the 12 numbers.

    Raises
    ------
    ValueError
        Unknown or repeated names, values that are not finite numbers, or a
        plain list that does not hold 12 numbers.

    Examples
    --------
    >>> parse_params(["W_fh=0.5, b_c=-1", "b_f=2"])
    {'W_fh': 0.5, 'b_c': -1.0, 'b_f': 2.0}
    >>> parse_params(["b_x=1"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --params: unknown parameter 'b_x'; expected names from W_fh, W_fx, ...
    """
    items = [item.strip() for spec in specs for item in spec.split(",")]
    if items and not any("=" in item for item in items):
        if len(items) != len(PARAM_NAMES):
            raise ValueError(f"--params: expected NAME=VALUE items or {len(PARAM_NAMES)} numbers "
                             f"in the order {', '.join(PARAM_NAMES)}; got {len(items)} numbers")
        return [_param_value(name, item) for name, item in zip(PARAM_NAMES, items)]
    params = {}
    for item in items:
        name, value = _name_value(item, "--params", "NAME=VALUE")
        if name in params:
            raise ValueError(f"--params: {name} given twice")
        params[name] = _param_value(name, value)
    return params


def _name_value(item, where, form):
    """``NAME=TEXT`` split at the first ``=``, NAME checked against ``PARAM_NAMES``."""
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep:
        raise ValueError(f"{where}: expected {form}, got {item!r}")
    if name not in PARAM_NAMES:
        raise ValueError(f"{where}: unknown parameter {name!r}; "
                         f"expected names from {', '.join(PARAM_NAMES)}")
    return name, text


def _param_value(name, text, where="--params"):
    try:
        value = Decimal(text)
    except ValueError:
        raise ValueError(f"{where}: {name} must be a number, got {text.strip()!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be finite, got {text.strip()!r}")
    return value


def parse_axis(spec):
    """One ``--axis``: ``NAME=LO:HI:N`` (N evenly spaced values) or ``NAME=V1,V2,...``.

    An N whose one-axis grid would not fit in memory (3/4 of what is free)
    is refused before any value is made.

    Returns
    -------
    (str, numpy.ndarray)

    Examples
    --------
    >>> name, values = parse_axis("W_ch=-150:-50:5")
    >>> name, values.tolist()
    ('W_ch', [-150.0, -125.0, -100.0, -75.0, -50.0])
    >>> parse_axis("b_f=-1,0,2")[1].tolist()
    [-1.0, 0.0, 2.0]
    >>> parse_axis("W_ch=-1:1:1000000000000000")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --axis W_ch=-1:1:1000000000000000 has 1000000000000000 parameter sets, 87311.5 TiB ...
    """
    import numpy as np

    name, rest = _name_value(spec, "--axis", "NAME=LO:HI:N")
    if ":" in rest:
        parts = rest.split(":")
        if len(parts) != 3:
            raise ValueError(f"--axis {name}: expected LO:HI:N, got {rest!r}")
        lo, hi = (_param_value(bound, p, f"--axis {name}") for bound, p in zip(("LO", "HI"), parts))
        try:
            n = int(parts[2])
        except ValueError:
            n = 0
        if n < 1 or (n == 1 and lo != hi):
            raise ValueError(f"--axis {name}: N must be a whole number >= 2 (or 1 with LO = HI), "
                             f"got {parts[2].strip()!r}")
        from ..sweeps.tables import refuse_table

        refuse_table(n, None, f"--axis {name}={rest.strip()}")  # before the N values are made
        return name, np.linspace(lo, hi, n)
    values = [_param_value("every value", v, f"--axis {name}") for v in rest.split(",")]
    return name, np.array(values, dtype=np.float64)


def _arg_type(convert, accept, expected):
    """An argparse type: ``convert(text)``, refused (one line) unless ``accept(value)``."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


threshold = _arg_type(Decimal, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
finite = _arg_type(Decimal, math.isfinite, "a finite number")
positive_int = _arg_type(int, lambda v: v >= 1, "a whole number >= 1")


def max_sweep_length() -> int:
    """The longest 0/1 strings ``fastlstm sweep`` scores on: the longest
    ``binary_strings`` makes whose 2**L x L steps a sweep takes."""
    from ..sweeps.checks import MAX_STEPS
    from ..sweeps.tables import MAX_LENGTH

    return max(n for n in range(1, MAX_LENGTH + 1) if 2**n * n <= MAX_STEPS)


def length(text):
    """``--length``: a whole number from 1 to ``max_sweep_length()``."""
    top = max_sweep_length()
    return _arg_type(int, lambda v: 1 <= v <= top, f"a whole number from 1 to {top}")(text)
