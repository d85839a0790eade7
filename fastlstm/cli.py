"""The ``fastlstm`` command line: ``run``, ``equations``, ``sweep``, ``explain``.

``main(argv)`` parses, runs one command and returns the exit status:

* 0: success;
* 2: bad arguments or inputs (argparse usage errors, and every ValueError or
  TypeError the library raises about what it was given), reported as one
  line ``fastlstm COMMAND: error: ...`` on stderr, without a traceback;
* 1: the command could not be carried out (an optional dependency missing,
  a file that cannot be written), also one line on stderr.

Set the environment variable ``FASTLSTM_TRACEBACK=1`` to see the traceback
instead.  Heavy imports (SymPy, matplotlib, Dask) happen inside the commands
that need them, so ``fastlstm run`` starts as fast as Numba allows.

Examples
--------
>>> from fastlstm.cli import main
>>> main(["run", "--format", "csv", "--preset", "parity", "1", "1", "0"])  # doctest: +ELLIPSIS
t,x,z_f,z_i,z_o,z_g,z_c,f,i,o,g,c,h,rounded,regimes
0,1.0,...,0.7615941559557649,1,-+++=
1,1.0,...,-0.7615941559557649,-1,-++-=
2,0.0,...,0.3807970779778824,0,-+~+=
0
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import textwrap

__all__ = ["main", "parse_axis", "parse_inputs", "parse_params", "build_parser"]

PROG = "fastlstm"


class CommandError(Exception):
    """A command could not be carried out (exit status 1), e.g. a missing extra."""


class _Decimal(float):
    """A float that remembers the text it was parsed from.

    The numerical commands use the float; ``equations`` hands the text to
    SymPy, so that ``0.1`` is the rational 1/10 there, not its binary value.
    """

    text: str

    def __new__(cls, text):
        value = super().__new__(cls, text)
        value.text = text.strip()
        return value


def _exact(value):
    """What SymPy should see: the text of a ``_Decimal``, anything else unchanged."""
    return value.text if isinstance(value, _Decimal) else value


# --------------------------------------------------------------------------- argument parsing

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

    values = []
    for token in tokens:
        if token == "-":
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
                    raise ValueError(f"input {item!r} is not a number") from None
                if not math.isfinite(value):
                    raise ValueError(f"input {item!r} is not a finite number")
                values.append(value)
    if not values:
        raise ValueError("no inputs given; pass a sequence such as 1 1 0 1 1 or 11011")
    return np.array(values, dtype=np.float64)


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
    from .params import PARAM_NAMES

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
    from .params import PARAM_NAMES

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
        value = _Decimal(text)
    except ValueError:
        raise ValueError(f"{where}: {name} must be a number, got {text.strip()!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be finite, got {text.strip()!r}")
    return value


def _cell(args):
    """The cell named by --preset/--params, and a few words describing it.

    --params alone starts from all-zero parameters; with --preset it changes
    the preset's; with neither, the cell is the parity preset.
    """
    from . import presets
    from .params import ScalarLSTM

    preset = args.preset
    if preset is None and not args.params:
        preset = "parity"
    base = presets.get(preset) if preset is not None else ScalarLSTM()
    words = f"preset {preset}" if preset is not None else "parameters"
    if not args.params:
        return base, words, preset
    params = parse_params(args.params)
    if isinstance(params, list):
        if preset is not None:
            raise ValueError("--params: 12 plain numbers replace the whole cell; "
                             "drop --preset or use NAME=VALUE items")
        cell = ScalarLSTM.from_array(params)
        return cell, "parameters " + ",".join(f"{v:g}" for v in params), None
    cell = base.replace(**params)
    changes = ",".join(f"{k}={v:g}" for k, v in params.items())
    words = f"preset {preset} with {changes}" if preset is not None else f"parameters {changes}"
    return cell, words, preset


def _semantics_kwargs(args) -> dict:
    return dict(activation=args.activation, threshold=args.threshold,
                inclusive=not args.open_boundary, round_feedback=args.round_feedback)


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


_threshold = _arg_type(_Decimal, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
_finite = _arg_type(_Decimal, math.isfinite, "a finite number")
_positive_int = _arg_type(int, lambda v: v >= 1, "a whole number >= 1")


def _add_cell_options(p):
    from .presets import NAMES

    g = p.add_argument_group("the cell (default: the parity preset of the worked example)")
    g.add_argument("--preset", metavar="NAME", choices=NAMES,
                   help=f"a named cell: {', '.join(NAMES)}")
    g.add_argument("--params", metavar="NAME=V,...", action="append", default=[],
                   help="parameter values, e.g. W_fh=0,b_c=-1 (repeatable); they change the "
                        "--preset's values, or all-zero parameters without --preset; or 12 "
                        "numbers in the order W_fh,W_fx,b_f,W_ih,W_ix,b_i,W_oh,W_ox,b_o,W_ch,"
                        "W_cx,b_c")


def _add_semantics_options(p, activation=True, round_feedback=True, group=None):
    g = group or p.add_argument_group("semantics (docs/semantics.md)")
    if activation:
        g.add_argument("--activation", choices=("exact", "saturated"), default="exact",
                       help="exact sigmoid/tanh, or the saturated rule (default: exact)")
    g.add_argument("--threshold", metavar="T", type=_threshold, default=1.0,
                   help="half-width of the unsaturated band (default: 1)")
    g.add_argument("--open-boundary", action="store_true",
                   help="|z| = T stays in the band (z > T saturates); default: z >= T saturates")
    if round_feedback:
        g.add_argument("--round-feedback", action="store_true",
                       help="round h_t (half toward zero) before reporting and feeding it back")


def _para(text):
    """A help paragraph wrapped for the terminal (the formatter keeps line breaks)."""
    return textwrap.fill(text, 78)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (and a pointer to --help)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=30)

    def add_argument(self, action):
        super().add_argument(action)
        if isinstance(action, argparse._SubParsersAction):
            # argparse measures the command names without their indent: make room for it.
            self._action_max_length += self._indent_increment


def _command(sub, name, summary, description, epilog, func):
    """A subcommand parser with the cell options every command takes."""
    p = sub.add_parser(name, formatter_class=_Formatter, help=summary,
                       description=_para(description), epilog=epilog)
    p.set_defaults(func=func)
    _add_cell_options(p)
    return p


def _add_state_options(g):
    g.add_argument("--h0", type=_finite, default=0.0, metavar="H", help="initial h (default: 0)")
    g.add_argument("--c0", type=_finite, default=0.0, metavar="C", help="initial c (default: 0)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fastlstm`` command (every subcommand)."""
    parser = _Parser(
        prog=PROG, formatter_class=_Formatter,
        description=_para("fastlstm: what a small LSTM cell computes, exactly and very fast."),
        epilog="""examples:
  fastlstm run --preset parity 1 1 0 1 1          per-step table of the worked example
  fastlstm run --compare 11011                    every semantics side by side, band steps flagged
  fastlstm run --format json 001110               h, c, rounded h and the trace as JSON
  fastlstm equations --saturated                  LaTeX: general, substituted, piecewise forms
  fastlstm sweep --axis W_ch=-150:-50:41 --axis W_cx=0:100:41 --target parity --plot map.png
  fastlstm explain --activation saturated         the minimal machine and what the state carries

Run "fastlstm COMMAND --help" for each command's options.
Exit status: 0 success, 2 bad arguments or inputs, 1 the command could not be carried out.""")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    # run
    p = _command(
        sub, "run", "run a cell over an input sequence, step by step",
        "Run a cell over one input sequence and print a per-step table: t, x, the "
        "pre-activations z_f z_i z_o z_g z_c, the gates f i o g, c, h, rounded h "
        "(half toward zero) and one regime mark per pre-activation "
        "(+ saturated high, - low, ~ inside the band, = exactly on its boundary).",
        """inputs:
  separate numbers (0 0 1 1 1 0), comma-separated (0,0,1,1,1,0), a 0/1 string (001110),
  reals (0.5 -1) or - for stdin. A 0/1 string of two or more digits is read digit by digit:
  write 10.0 for the number ten. Put -- before inputs such as -1e3 that look like options.

examples:
  fastlstm run --preset parity 1 1 0 1 1
  fastlstm run --activation saturated --round-feedback 11011
  fastlstm run --compare --preset parity 1 1 0 1 1
  fastlstm run --params W_ch=-100,W_cx=50,b_i=100,W_ix=100,b_f=-100,W_ox=100 0,1,1
  fastlstm run --format csv 0.5 -1 0.25 > run.csv
""", cmd_run)
    _add_semantics_options(p)
    g = p.add_argument_group("output")
    g.add_argument("--compare", action="store_true",
                   help="run every row of the semantics table (docs/semantics.md) side by side; "
                        "flags steps with a pre-activation in the band or exactly on its "
                        "boundary, and steps where the rounded answers disagree")
    g.add_argument("--format", choices=("table", "json", "csv", "latex", "markdown"),
                   default="table", help="output format (default: table)")
    g.add_argument("--digits", type=_positive_int, default=3, metavar="N",
                   help="significant digits in table, latex and markdown (default: 3); "
                        "json and csv are exact")
    _add_state_options(g)
    p.add_argument("inputs", nargs="+", metavar="INPUTS", help="the input sequence x_0 x_1 ...")

    # equations
    p = _command(
        sub, "equations", "LaTeX of the update equations",
        "Print the LSTM update equations as LaTeX: the general form, the form with "
        "the cell's parameters substituted and, with --saturated, the "
        "thresholded-regime piecewise form. --step-map X adds the one-step map "
        "(h_{t-1}, c_{t-1}) -> (h_t, c_t) for the input X.",
        """examples:
  fastlstm equations
  fastlstm equations --preset parity --saturated
  fastlstm equations --saturated --step-map 1
  fastlstm equations --params W_ch=-2,b_c=0.5 --saturated --threshold 3 --open-boundary
""", cmd_equations)
    g = p.add_argument_group("semantics (docs/semantics.md; numbers are taken exactly: 0.1 is "
                               "1/10)")
    g.add_argument("--saturated", action="store_true",
                   help="also print the piecewise form of the saturated rule, and use it for "
                        "--step-map")
    _add_semantics_options(p, activation=False, group=g)
    p.add_argument("--step-map", metavar="X", type=_finite,
                   help="also print the step map for the input value X")

    # sweep
    p = _command(
        sub, "sweep", "sweep parameters over a grid and score them",
        "Run a grid of cells (the --preset with some parameters swept) over every "
        "0/1 sequence of --length, score each cell against --target, and report "
        "the accuracy; save the table (--out) and the regime map (--plot).",
        """axes:
  --axis NAME=LO:HI:N sweeps parameter NAME over N evenly spaced values from LO to HI
  (inclusive); repeat for more axes (a regime map needs one or two).

examples:
  fastlstm sweep --axis W_ch=-150:-50:21 --target parity --length 6
  fastlstm sweep --axis W_ch=-150:-50:41 --axis W_cx=0:100:41 --target parity \\
                 --out sweep.npz --plot regime_map.png
""", cmd_sweep)
    _add_semantics_options(p)
    p.add_argument("--axis", metavar="NAME=LO:HI:N", action="append", required=True,
                   help="a swept parameter: N values from LO to HI, or a list NAME=V1,V2,... "
                        "(repeatable)")
    p.add_argument("--target", choices=("parity",), default="parity",
                   help="what the rounded h should be: parity, the worked example's answers "
                        "(+1 odd run of ones, -1 even, 0 after a zero; the default)")
    p.add_argument("--length", type=_positive_int, default=6, metavar="L",
                   help="score on every 0/1 sequence of length L (default: 6)")
    p.add_argument("--out", metavar="FILE.npz", help="save accuracy and the axes")
    p.add_argument("--plot", metavar="FILE.png", help="save the regime map (needs matplotlib)")
    p.add_argument("--backend", choices=("numba", "dask"), default="numba",
                   help="where the sweep runs (default: numba)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar")

    # explain
    p = _command(
        sub, "explain", "the finite-state machine a cell implements",
        "Extract the Moore machine the cell implements on 0/1 inputs, minimise it, "
        "and print its states, the regular expression of each output and, where a "
        "known hypothesis is proved, a sentence saying what the state carries.",
        """examples:
  fastlstm explain
  fastlstm explain --preset parity --activation saturated --round-feedback
  fastlstm explain --params W_ch=-100,W_cx=50,b_i=100,W_ix=100,b_f=-100,W_ox=100
""", cmd_explain)
    _add_semantics_options(p)
    p.add_argument("--alphabet", default="0,1", metavar="A,B,...",
                   help="the input symbols (default: 0,1)")
    p.add_argument("--max-states", type=_positive_int, default=10_000, metavar="N",
                   help="give up when more (h, c) states than this are reachable "
                        "(default: 10000)")
    p.add_argument("--quantize", type=int, metavar="K",
                   help="APPROXIMATION: round h and c to K decimals after every step")
    _add_state_options(p)
    p.add_argument("--format", choices=("text", "json", "dot", "latex"), default="text",
                   help="text (default); json; dot (Graphviz); latex (TikZ)")
    return parser


# --------------------------------------------------------------------------- commands

def _print(text):
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_run(args) -> int:
    """``fastlstm run``: a per-step table, or with --compare every semantics side by side."""
    from . import report
    from .run import run

    cell, words, preset = _cell(args)
    x = parse_inputs(args.inputs)
    extra = {"cell": {"preset": preset, "params": cell.to_dict()}}
    if args.compare:
        given = [flag for flag, on in (("--activation", args.activation != "exact"),
                                       ("--open-boundary", args.open_boundary),
                                       ("--round-feedback", args.round_feedback)) if on]
        if given:
            raise ValueError("--compare runs every row of the semantics table "
                             f"(docs/semantics.md); drop {' and '.join(given)}")
        cmp = report.compare(cell, x, threshold=args.threshold, h0=args.h0, c0=args.c0)
        text = cmp.to_table(args.format, digits=args.digits, extra=extra)
        if args.format == "table":
            text = f"cell: {words}; inputs: {_inputs_words(x)}\n" + text
        _print(text)
        return 0
    tr = run(cell, x, **_semantics_kwargs(args), h0=args.h0, c0=args.c0, trace=True)
    title = f"cell: {words}; semantics: {report.describe_semantics(tr.semantics)}"
    _print(tr.to_table(args.format, x=x, digits=args.digits, title=title, extra=extra))
    return 0


def _inputs_words(x):
    return " ".join(format(v, "g") for v in x.tolist())


def cmd_equations(args) -> int:
    """``fastlstm equations``: LaTeX of the general, substituted and piecewise forms."""
    import symbolic as sym

    unused = [flag for flag, on in (("--threshold", args.threshold != 1),
                                    ("--open-boundary", args.open_boundary)) if on]
    if unused and not args.saturated:
        verb = "change" if len(unused) > 1 else "changes"
        raise ValueError(f"{' and '.join(unused)} {verb} only the saturated forms: add --saturated")
    if args.round_feedback and args.step_map is None:
        raise ValueError("--round-feedback only changes the step map: add --step-map X")
    cell, words, _ = _cell(args)
    # Values typed on the command line reach SymPy as text (0.1 stays 1/10).
    params = cell.to_dict()
    if args.params:
        given = parse_params(args.params)
        params.update(zip(params, given) if isinstance(given, list) else given)
    params = {name: _exact(value) for name, value in params.items()}
    threshold = _exact(args.threshold)
    inclusive = not args.open_boundary
    theta = getattr(args.threshold, "text", format(args.threshold, "g"))
    boundary = (f"closed boundary, |z| >= {theta} saturates" if inclusive
                else f"open boundary, |z| > {theta} saturates")
    general = sym.lstm_equations()
    substituted = sym.substitute(general, params)
    blocks = [("general form", general), (f"substituted: {words}", substituted)]
    if args.saturated:
        blocks.append((f"piecewise (saturated, {boundary}): {words}",
                       sym.saturated(substituted, threshold, inclusive)))
    if args.step_map is not None:
        x = _exact(args.step_map)
        sem = dict(activation="saturated" if args.saturated else "exact", threshold=threshold,
                   inclusive=inclusive, round_feedback=args.round_feedback)
        how = (f"saturated, {boundary}" if args.saturated else "exact")
        how += ", rounded feedback" if args.round_feedback else ""
        blocks.append((f"step map (h_{{t-1}}, c_{{t-1}}) -> (h_t, c_t) at x_t = {x} ({how}): "
                       f"{words}", sym.step_map(params, x, **sem)))
    _print("\n\n".join(f"% {title}\n{sym.latex(obj)}" for title, obj in blocks))
    return 0


def parse_axis(spec):
    """One ``--axis``: ``NAME=LO:HI:N`` (N evenly spaced values) or ``NAME=V1,V2,...``.

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
        return name, np.linspace(lo, hi, n)
    values = [_param_value("every value", v, f"--axis {name}") for v in rest.split(",")]
    return name, np.array(values, dtype=np.float64)


def _summary_stats(acc):
    return f"max {acc.max():.4g}, mean {acc.mean():.4g}, min {acc.min():.4g}"


_SHADES = " .:-=+*#%@"


def _ascii_map(acc, axes):
    """A character map of a 2-D accuracy grid: rows the first axis, columns the second."""
    import numpy as np

    (n1, v1), (n2, v2) = axes.items()
    idx = np.minimum((acc * (len(_SHADES) - 1)).round().astype(int), len(_SHADES) - 1)
    width = max(len(f"{v:g}") for v in v1)
    lines = [f"accuracy map ({' '.join(_SHADES[1:])} = 0.1 .. 1, blank below 0.05): rows {n1}, "
             f"columns {n2} from {v2[0]:g} to {v2[-1]:g}"]
    for k, v in enumerate(v1):
        lines.append(f"{v:>{width}g} |" + "".join(_SHADES[i] for i in idx[k]) + "|")
    return lines


def cmd_sweep(args) -> int:
    """``fastlstm sweep``: a scored parameter sweep, saved and plotted."""
    import numpy as np

    from .sweep import sweep
    from .tables import binary_strings, grid, parity_target

    cell, words, preset = _cell(args)
    axes = {}
    for spec in args.axis:
        name, values = parse_axis(spec)
        if name in axes:
            raise ValueError(f"--axis: {name} given twice")
        axes[name] = values
    for flag, path, suffix in (("--out", args.out, ".npz"), ("--plot", args.plot, ".png")):
        if path is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ValueError(f"{flag}: folder {folder} does not exist")
        if not path.endswith(suffix):
            raise ValueError(f"{flag}: expected a file name ending in {suffix}, got {path!r}")
    if args.plot and len(axes) != 2:
        raise ValueError(f"--plot draws a regime map over two axes; got {len(axes)} --axis")
    if args.plot:  # fail before the sweep, not after it
        try:
            import matplotlib
        except ImportError:
            raise CommandError("--plot needs matplotlib: pip install 'fastlstm[plot]'") from None
        matplotlib.use("Agg")
    X = binary_strings(args.length)
    target = parity_target(X)
    table = grid(base=cell, **axes)
    result = sweep(table, X, target=target, record=None, backend=args.backend,
                   progress=args.progress,
                   **_semantics_kwargs(args))
    acc = result.to_grid("accuracy")
    sem = result.semantics
    from .report import describe_semantics

    shape = " x ".join(f"{n}: {len(v)} values in [{v.min():g}, {v.max():g}]"
                       for n, v in axes.items())
    best = np.unravel_index(np.argmax(acc), acc.shape)
    at = ", ".join(f"{n}={v[i]:g}" for (n, v), i in zip(axes.items(), best))
    perfect = int((acc == 1).sum())
    lines = [f"sweep: {acc.size} cells ({shape}), other parameters from {words}",
             f"semantics: {describe_semantics(sem)}",
             f"scored against {args.target} on all {len(X)} binary strings of length "
             f"{args.length} ({X.size} steps per cell)",
             f"accuracy: {_summary_stats(acc)}; best at {at}; "
             f"{perfect} cells ({100 * perfect / acc.size:.1f}%) score 1"]
    if len(axes) == 1 and acc.size <= 60:
        (name, values), = axes.items()
        lines.append(f"{name:>10}  accuracy")
        lines += [f"{v:>10g}  {a:.4f}" for v, a in zip(values, acc)]
    elif len(axes) == 2 and acc.shape[0] <= 60 and acc.shape[1] <= 100:
        lines += _ascii_map(acc, axes)
    if args.out:
        with open(args.out, "wb") as f:
            np.savez(f, accuracy=acc, axes=np.array(list(axes)), **axes,
                     base=cell.to_array(), param_names=np.array(list(cell.to_dict())),
                     target=np.array(args.target), length=np.array(args.length),
                     activation=np.array(sem.activation), threshold=np.array(sem.threshold),
                     inclusive=np.array(sem.inclusive),
                     round_feedback=np.array(sem.round_feedback))
        lines.append(f"saved {args.out}: accuracy {acc.shape} and the axes {', '.join(axes)}")
    if args.plot:
        from .plot import regime_map

        title = (f"accuracy against {args.target}, 0/1 strings of length {args.length}\n"
                 f"semantics: {describe_semantics(sem)}")
        ax = regime_map(result, title=title)
        # Mark the cell the other parameters came from, when it lies on the map.
        (ny, vy), (nx, vx) = axes.items()
        here = getattr(cell, nx), getattr(cell, ny)
        if vx.min() <= here[0] <= vx.max() and vy.min() <= here[1] <= vy.max():
            ax.plot(*here, marker="o", markersize=7, markerfacecolor="none",
                    markeredgecolor="red", linestyle="none", label=words)
            ax.legend(loc="best", fontsize="small")
        fig = ax.figure
        fig.savefig(args.plot, dpi=150, bbox_inches="tight")
        lines.append(f"saved {args.plot}: the regime map")
    _print("\n".join(lines))
    return 0


def cmd_explain(args) -> int:
    """``fastlstm explain``: the minimal machine, its regexes, what the state carries."""
    import json

    from .automaton import extract_automaton

    cell, words, preset = _cell(args)
    alphabet = parse_inputs([args.alphabet]).tolist()
    alphabet = [int(a) if a.is_integer() else a for a in alphabet]
    try:
        machine = extract_automaton(cell, alphabet, args.max_states, **_semantics_kwargs(args),
                                    h0=args.h0, c0=args.c0, quantize=args.quantize)
    except ValueError as exc:
        if "max_states" not in str(exc):
            raise
        raise ValueError(f"{exc} (on the command line: --activation saturated --round-feedback, "
                         f"--max-states N, --quantize K)") from None
    minimal = machine.minimize()
    if args.format == "dot":
        _print(minimal.to_dot())
    elif args.format == "latex":
        _print(minimal.to_latex())
    elif args.format == "json":
        from . import hypotheses

        proved = [v for v in (h.check(minimal) for h in hypotheses.library(minimal.alphabet))
                  if v.holds]
        try:
            regexes = {str(v): minimal.regex(v) for v in sorted(set(minimal.outputs.tolist()))}
        except ValueError:  # symbols that are not single characters
            regexes = None
        _print(json.dumps({
            "cell": {"preset": preset, "params": cell.to_dict()},
            "semantics": _semantics_kwargs(args),
            "alphabet": list(minimal.alphabet), "start": minimal.start,
            "states": minimal.n_states, "extracted_states": machine.n_states,
            "exact": machine.exact,
            "transitions": minimal.transitions.tolist(), "outputs": minimal.outputs.tolist(),
            "regexes": regexes,
            "proved": [{"hypothesis": v.hypothesis.name, "exact": v.exact,
                        "values": {str(k): val for k, val in v.values.items()},
                        "words": v.words()} for v in proved],
            "description": minimal.describe()}))
    else:
        _print(f"cell: {words}\n{minimal.describe()}")
    return 0


# --------------------------------------------------------------------------- entry point

def main(argv=None) -> int:
    """Run the ``fastlstm`` command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 success, 2 bad arguments or inputs, 1 the command
        could not be carried out.  Errors are one line on stderr.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    prog = f"{PROG} {args.command}"
    if os.environ.get("FASTLSTM_TRACEBACK", "") not in ("", "0"):
        return args.func(args)
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader went away (``fastlstm run ... | head``): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, TypeError) as exc:
        return _fail(prog, exc, 2)
    except ImportError as exc:
        extra = _EXTRAS.get((exc.name or "").split(".")[0])
        hint = f" (pip install 'fastlstm[{extra}]')" if extra else ""
        return _fail(prog, f"{exc}{hint}", 1)
    except (CommandError, OSError) as exc:
        return _fail(prog, exc, 1)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


#: Optional dependencies and the extra that installs each.
_EXTRAS = {"matplotlib": "plot", "dask": "dask", "distributed": "dask"}


def _fail(prog, exc, status):
    """Report ``exc`` as one line on stderr; return ``status``."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
