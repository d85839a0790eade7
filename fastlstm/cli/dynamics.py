"""``fastlstm dynamics``: the fixed points of a cell or a trained network, and its spectrum.

A scalar cell (``--preset``/``--params``, or ``--weights`` holding a 1-unit,
1-input network) prints every fixed point, certified, and both Lyapunov
exponents.  A network of n >= 2 units (or m >= 2 inputs: ``--input`` is
then m numbers separated by commas) prints the table of
``FixedPoints.to_table()``: each point with its largest eigenvalues, its
stability class, how many directions are unstable, whether its box is
certified; then the slow points, what was searched and whether the search
was complete; then the k largest Lyapunov exponents (``--k``).
"""

from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["cmd_dynamics", "input_vector"]

#: How many exponents a network's text output shows unless --k says.
DEFAULT_K = 6


def input_vector(text):
    """``--input``: one number, or several separated by commas (one per input channel).

    An argparse type: the values as a tuple of floats that keep their text.

    Examples
    --------
    >>> input_vector("0.5"), input_vector("1,0,-1")
    ((0.5,), (1.0, 0.0, -1.0))
    >>> input_vector("0,inf")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a finite number, or one per input separated by commas (write --input=-1,0 when the first is negative), got '0,inf'
    """
    import argparse

    from .values import Decimal

    try:
        values = tuple(Decimal(item) for item in text.split(","))
    except ValueError:
        values = ()
    if not values or not all(map(math.isfinite, values)):
        raise argparse.ArgumentTypeError(
            "expected a finite number, or one per input separated by commas (write "
            f"--input=-1,0 when the first is negative), got {text!r}")
    return values


def _cell(args):
    """(cell, words, JSON description) from --weights, or --preset/--params."""
    if args.weights:
        from .network import weights_network

        cell, _, words, info = weights_network(args)
        if cell.hidden_size == 1 and cell.input_size == 1:
            cell = cell.to_scalar()   # what the scalar command prints, bit for bit
        return cell, words, info
    from .commands import (
        _cell as preset_cell,  # (commands.py never imports this module)
    )

    cell, words, preset = preset_cell(args)
    return cell, words, {"preset": preset, "params": cell.to_dict()}


def _inputs(args, m):
    """The constant inputs: numbers for a cell with one input, else arrays of shape (m,)."""
    xs = []
    for values in args.input:
        if len(values) != m:
            text = ",".join(getattr(v, "text", repr(v)) for v in values)
            raise ValueError(f"--input {text} has {len(values)} number"
                             f"{'s' if len(values) != 1 else ''}; the cell reads {m} per step "
                             f"(write --input {','.join(['0'] * m)})")
        xs.append(values[0] if m == 1 else np.array(values, dtype=np.float64))
    return xs


def cmd_dynamics(args) -> int:
    """``fastlstm dynamics``: every fixed point for a constant input, with its stability."""
    from ..dynamics import fixed_points, lyapunov

    cell, words, info = _cell(args)
    n, m = getattr(cell, "hidden_size", 1), getattr(cell, "input_size", 1)
    network = n > 1 or m > 1
    xs = _inputs(args, m)
    semantics = dict(activation=args.activation, threshold=args.threshold,
                     inclusive=not args.open_boundary)
    search = {}
    if network:
        search = dict(search=args.search, n_starts=args.n_starts, seed=args.seed)
    else:
        unused = [flag for flag, on in (("--search", args.search != "auto"),
                                        ("--n-starts", args.n_starts is not None),
                                        ("--seed", args.seed != 0)) if on]
        if unused:
            raise ValueError(f"{' and '.join(unused)}: only for a network of two or more "
                             "units (the search of a scalar cell is always complete)")
    k = args.k
    if k is not None and k > 2 * n:
        raise ValueError(f"--k {k}: the cell has {2 * n} exponents (2 per unit)")
    if k is None and network:
        k = min(2 * n, DEFAULT_K)
    results = [fixed_points(cell, x, **semantics, **search) for x in xs]
    # the spectrum along the trajectory from h = c = 0 (fl.lyapunov's defaults)
    exponents = [lyapunov(cell, x, **semantics, k=k).tolist() for x in xs]
    if args.format == "json":
        _print_json(info, semantics, results, exponents, network)
        return 0
    lines = [f"cell: {words}; semantics: {results[0].semantics.describe()}"]
    for r, lam in zip(results, exponents):
        lines += [""] + (_network_text(r, n) if network else _scalar_text(r))
        lines.append(r.to_table(args.digits))
        which = (f", the {len(lam)} largest of {2 * n}" if network and len(lam) < 2 * n else "")
        lines.append(f"Lyapunov exponents from h = c = 0 (100 steps of transient, 1000 "
                     f"measured{which}): " + ", ".join(f"{v:.{args.digits}g}" for v in lam))
    _print("\n".join(lines))
    return 0


def _scalar_text(r):
    n = len(r)
    return [f"constant input x = {r.x:g}: {n} fixed point{'s' if n != 1 else ''}"
            + (", every one, each in an enclosure proved to hold exactly one"
               if r.complete else " (NOT complete: see the last column)")]


def _network_text(r, n):
    count = len(r)
    stable = sum(p.stable for p in r)
    certified = sum(p.certified for p in r)
    x = ", ".join(f"{v:g}" for v in np.ravel(r.x))
    head = (f"constant input x = ({x}): {count} fixed point{'s' if count != 1 else ''} "
            f"({stable} stable, {count - stable} unstable; {certified} certified, each in a "
            f"box proved to hold exactly one)")
    if r.complete:
        tail = f"complete: the rest of [-1, 1]^{n} is proved free of fixed points"
    else:
        tail = ("NOT complete: other fixed points may exist outside what was searched "
                "(--search complete tries the whole box)")
    return [head, tail]


def _print(text):
    import sys

    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _plain(v):
    """Arrays and tuples of floats as (nested) lists, for JSON."""
    return np.asarray(v, dtype=np.float64).tolist()


def _print_json(info, semantics, results, exponents, network):
    def point(p):
        return {"h": _plain(p.h), "c": _plain(p.c),
                "h_enclosure": [_plain(e) for e in p.h_enclosure],
                "c_enclosure": [_plain(e) for e in p.c_enclosure],
                "jacobian": _plain(p.jacobian),
                "eigenvalues": [[complex(v).real, complex(v).imag]
                                for v in np.ravel(p.eigenvalues)],
                "stability": p.stability, "certified": p.certified,
                "regimes": p.regimes, "note": p.note}

    def result(r, lam):
        out = {"x": _plain(r.x), "complete": r.complete,
               "fixed_points": [point(p) for p in r],
               "non_isolated": [{"h_range": list(s.h_range), "reason": s.reason}
                                for s in r.non_isolated]}
        if network:
            out["slow_points"] = [{"h": _plain(s.h), "c": _plain(s.c), "q": s.q,
                                   "eigenvalues": [[complex(v).real, complex(v).imag]
                                                   for v in s.eigenvalues],
                                   "stability": s.stability} for s in r.slow_points]
            out["searched"] = r.searched
        # -inf (a locally constant map) as a string: JSON has no infinity
        out["lyapunov"] = [v if math.isfinite(v) else str(v) for v in lam]
        return out

    _print(json.dumps({"cell": info, "semantics": semantics,
                       "inputs": [result(r, lam) for r, lam in zip(results, exponents)]}))
