"""``--weights FILE``: ``fastlstm run`` and ``explain`` on a trained network.

The file is read by ``fastlstm.load_weights`` (a torch state_dict ``.pt`` or
an ``.npz`` with the same keys; see its docstring for the key layouts): an
LSTM layer of any hidden size n and input size m, and optionally a readout
whose label is reported.  Inputs with m = 1 are written as for any cell
(``0 1 1``, ``0,1,1``, ``011``); with m >= 2 each step is one
whitespace-separated item of m comma-separated numbers (``1,0 0,1``), and
``--alphabet`` lists such symbols separated by ``;`` (``"0,0;1,0;0,1"``).
"""

from __future__ import annotations

import json
import math

import numpy as np

from .values import parse_alphabet, parse_inputs


def weights_network(args):
    """(cell, readout or None, words naming it, a JSON description) of ``--weights``."""
    from ..weights import load_weights

    given = [flag for flag, on in (("--preset", args.preset is not None),
                                   ("--params", bool(args.params))) if on]
    if given:
        raise ValueError(f"--weights gives the cell: drop {' and '.join(given)}")
    try:
        cell, readout = load_weights(args.weights)
    except FileNotFoundError as exc:  # a bad argument (exit 2), as a folder named x.pt is
        raise ValueError(f"--weights: {exc}") from None
    words = (f"weights {args.weights} (hidden size {cell.hidden_size}, input size "
             f"{cell.input_size}{', with a readout' if readout else ''})")
    info = {"weights": args.weights, "hidden_size": cell.hidden_size,
            "input_size": cell.input_size,
            "readout": None if readout is None else {"output_size": readout.output_size,
                                                     "labels": readout.labels}}
    return cell, readout, words, info


def parse_steps(tokens, m, what="input"):
    """Inputs of a cell with m inputs: (T,) for m = 1, else (T, m) from items ``a,b,...``.

    Examples
    --------
    >>> parse_steps(["1,0 0,1", "1,1"], 2).tolist()
    [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    >>> parse_steps(["1,0,1"], 2)
    Traceback (most recent call last):
    ...
    ValueError: input '1,0,1' has 3 numbers; the cell reads 2 per step (write each step as e.g. 0,0)
    """
    if m == 1:
        return parse_inputs(tokens)
    steps = []
    for item in " ".join(tokens).split():
        try:
            step = [float(v) for v in item.split(",")]
        except ValueError:
            raise ValueError(f"{what} {item!r} is not {m} numbers separated by commas") from None
        if len(step) != m:
            raise ValueError(f"{what} {item!r} has {len(step)} numbers; the cell reads {m} per "
                             f"step (write each step as e.g. {','.join(['0'] * m)})")
        if not all(map(math.isfinite, step)):
            raise ValueError(f"{what} {item!r} is not finite")
        steps.append(step)
    if not steps:
        raise ValueError(f"no {what}s given; write each step as {m} numbers separated by commas")
    return np.array(steps)


def parse_symbols(text, m):
    """``--alphabet`` for a cell with m inputs: numbers (m = 1) or ``;``-separated vectors."""
    if m == 1:
        return parse_alphabet(text)
    return [tuple(s) for s in parse_steps([text.replace(";", " ")], m, "--alphabet symbol")]


def run_weights(args) -> int:
    """``fastlstm run --weights FILE``: h per step, rounded h and the readout's label."""
    from ..vector import run_vector

    if args.compare:
        raise ValueError("--compare runs the worked example's scalar cell; drop it with "
                         "--weights")
    if args.format in ("latex", "markdown"):
        raise ValueError(f"--format {args.format} is not available with --weights: use "
                         "table, json or csv")
    cell, readout, words, info = weights_network(args)
    x = parse_steps(args.inputs, cell.input_size)
    tr = run_vector(cell, x, activation=args.activation, threshold=args.threshold,
                    inclusive=not args.open_boundary, round_feedback=args.round_feedback,
                    h0=args.h0, c0=args.c0)
    labels = None if readout is None else readout.label(tr.h).tolist()
    if args.format == "json":
        print(json.dumps({"cell": info, "semantics": tr.semantics.describe(),
                          "x": x.tolist(), "h": tr.h.tolist(), "c": tr.c.tolist(),
                          "rounded": tr.rounded.tolist(), "label": labels}))
        return 0
    n = cell.hidden_size
    xs = [f"x{j}" for j in range(cell.input_size)] if cell.input_size > 1 else ["x"]
    header = (["t"] + xs + [f"h{j}" for j in range(n)] + [f"rounded{j}" for j in range(n)]
              + (["label"] if labels is not None else []))
    # csv is exact (repr of each float); the table shows --digits significant digits
    fmt = repr if args.format == "csv" else (lambda v: f"{v:.{args.digits}g}")
    rows = [[str(t)] + [fmt(float(v)) for v in np.atleast_1d(x[t])]
            + [fmt(float(v)) for v in tr.h[t]] + [str(int(v)) for v in tr.rounded[t]]
            + ([str(labels[t])] if labels is not None else [])
            for t in range(len(x))]
    if args.format == "csv":
        print("\n".join(",".join(r) for r in [header] + rows))
        return 0
    widths = [max(len(r[k]) for r in [header] + rows) for k in range(len(header))]
    print(f"cell: {words}; semantics: {tr.semantics.describe()}")
    for r in [header] + rows:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths)))
    return 0
