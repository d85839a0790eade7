"""The argument parser of the ``fastlstm`` command: every subcommand and option."""

from __future__ import annotations

import argparse
import textwrap

from .commands import cmd_compile, cmd_equations, cmd_run, cmd_sweep
from .dynamics import cmd_dynamics, input_vector
from .explain import TOMITA_PRESETS, cmd_explain
from .values import finite, length, max_sweep_length, positive_int, threshold

__all__ = ["PROG", "build_parser"]

PROG = "fastlstm"


def _add_cell_options(p):
    from ..presets import NAMES

    g = p.add_argument_group("the cell (default: the parity preset of the worked example)")
    g.add_argument("--preset", metavar="NAME", choices=NAMES,
                   help=f"a named cell: {', '.join(NAMES)}")
    g.add_argument("--params", metavar="NAME=V,...", action="append", default=[],
                   help="parameter values, e.g. W_fh=0,b_c=-1 (repeatable); they change the "
                        "--preset's values, or all-zero parameters without --preset; or 12 "
                        "numbers in the order W_fh,W_fx,b_f,W_ih,W_ix,b_i,W_oh,W_ox,b_o,W_ch,"
                        "W_cx,b_c")


def _add_weights_option(p):
    p.add_argument_group("a trained network").add_argument(
        "--weights", metavar="FILE",
        help="the cell (and readout) of a trained network instead of --preset/--params: a torch "
             "state_dict .pt or an .npz with its keys (nn.LSTM/nn.LSTMCell, optionally under a "
             "prefix such as lstm., and an nn.Linear readout such as readout.weight/bias); "
             "with input size m >= 2 write each step as m numbers separated by commas; "
             "fastlstm ships one trained network, the file that Python's "
             "fastlstm.presets.weights_file('parity_lstm') names")


def _add_semantics_options(p, activation=True, round_feedback=True, group=None):
    g = group or p.add_argument_group("semantics (what a step computes)")
    if activation:
        g.add_argument("--activation", choices=("exact", "saturated"), default="exact",
                       help="exact sigmoid/tanh, or the saturated rule (default: exact)")
    g.add_argument("--threshold", metavar="T", type=threshold, default=1.0,
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
    g.add_argument("--h0", type=finite, default=0.0, metavar="H", help="initial h (default: 0)")
    g.add_argument("--c0", type=finite, default=0.0, metavar="C", help="initial c (default: 0)")


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
  fastlstm dynamics --preset parity --input 1     every fixed point, certified, with its stability

Run "fastlstm COMMAND --help" for each command's options.
Exit status: 0 success, 2 bad arguments or inputs, 1 the command could not be carried out.""")
    from .. import __version__

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
    _add_weights_option(p)
    _add_semantics_options(p)
    g = p.add_argument_group("output")
    g.add_argument("--compare", action="store_true",
                   help="run every row of the semantics table side by side (exact; saturated "
                        "with the closed boundary and raw or rounded feedback; saturated with "
                        "the open boundary and raw feedback); flags steps with a pre-activation "
                        "in the band or exactly on its boundary, and steps where the rounded "
                        "answers disagree")
    g.add_argument("--format", choices=("table", "json", "csv", "latex", "markdown"),
                   default="table", help="output format (default: table)")
    g.add_argument("--digits", type=positive_int, default=3, metavar="N",
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
    g = p.add_argument_group("semantics (what a step computes; numbers are taken exactly: 0.1 "
                               "is 1/10)")
    g.add_argument("--saturated", action="store_true",
                   help="also print the piecewise form of the saturated rule, and use it for "
                        "--step-map")
    _add_semantics_options(p, activation=False, group=g)
    p.add_argument("--step-map", metavar="X", type=finite,
                   help="also print the step map for the input value X")

    # sweep
    p = _command(
        sub, "sweep", "sweep parameters over a grid and score them",
        "Run a grid of cells (the --preset with some parameters swept) over every "
        "0/1 sequence of --length, score each cell against --target, and report "
        "the accuracy; save the table (--out) and the regime map (--plot).",
        """axes:
  --axis NAME=LO:HI:N sweeps parameter NAME over N evenly spaced values from LO to HI
  (inclusive); repeat for more axes. One or two axes also print the accuracies (a column
  or a character map); --plot draws a regime map and needs exactly two.

files:
  --out and --plot are written whole or not at all (a new file beside the old one takes its
  place once complete); a folder that takes no new file is refused before the sweep starts.

examples:
  fastlstm sweep --axis W_ch=-150:-50:21 --target parity --length 6
  fastlstm sweep --axis W_ch=-150:-50:41 --axis W_cx=0:100:41 --target parity \\
                 --out sweep.npz --plot regime_map.png

chaos maps:
  --record lyapunov records, instead of the accuracy, the largest Lyapunov exponent of each
  cell driven by --input (a constant, or one period X1,X2,... repeated) from h = c = 0, over
  --steps steps after --transient; --plot draws the chaos map.
  fastlstm sweep --axis W_ch=-12:0:61 --axis b_c=0:8:61 --record lyapunov --input 0 \\
                 --params W_fh=9,b_f=-7,W_ih=-8,b_i=6,W_oh=8,b_o=-2 --plot chaos_map.png
""", cmd_sweep)
    _add_semantics_options(p)
    p.add_argument("--axis", metavar="NAME=LO:HI:N", action="append", required=True,
                   help="a swept parameter: N values from LO to HI, or a list NAME=V1,V2,... "
                        "(repeatable)")
    p.add_argument("--target", choices=("parity",), default="parity",
                   help="what the rounded h should be: parity, the worked example's answers "
                        "(+1 odd run of ones, -1 even, 0 after a zero; the default)")
    p.add_argument("--length", type=length, default=6, metavar="L",
                   help=f"score on every 0/1 sequence of length L, from 1 to "
                        f"{max_sweep_length()} (2**L strings of L steps: fewer than 2**31 "
                        f"steps, and memory must hold them; default: 6)")
    p.add_argument("--out", metavar="FILE.npz", help="save accuracy and the axes")
    p.add_argument("--plot", metavar="FILE.png",
                   help="save the regime map: needs two --axis (and matplotlib); the chaos map "
                        "with --record lyapunov")
    p.add_argument("--record", choices=("accuracy", "lyapunov"), default="accuracy",
                   help="what each cell records: its accuracy against --target (the default), "
                        "or its largest Lyapunov exponent under --input")
    p.add_argument("--input", metavar="X[,X...]", default="0",
                   help="--record lyapunov: the constant input, or one period of a periodic "
                        "one (default: 0)")
    p.add_argument("--transient", type=int, default=100, metavar="N",
                   help="--record lyapunov: steps run before measuring (default: 100)")
    p.add_argument("--steps", type=positive_int, default=1000, metavar="N",
                   help="--record lyapunov: steps measured (default: 1000)")
    p.add_argument("--backend", choices=("numba", "dask"), default="numba",
                   help="where the sweep runs (default: numba)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bar")

    # explain
    p = _command(
        sub, "explain", "the finite-state machine a cell or a trained network implements",
        "Extract the Moore machine the cell implements on 0/1 inputs, minimise it, "
        "and print its states, the regular expression of each output and, where a "
        "known hypothesis is proved, a sentence saying what the state carries. A trained "
        "network (--weights, or --preset tomita1 .. tomita7) whose states do not repeat, or "
        "any cell with --learn, has its machine learned instead (L*, tested, and PROVED "
        "where an interval abstraction closes, else LEARNED AND TESTED, saying what was "
        "tested), with progress on stderr.",
        """examples:
  fastlstm explain
  fastlstm explain --preset parity --activation saturated --round-feedback
  fastlstm explain --params W_ch=-100,W_cx=50,b_i=100,W_ix=100,b_f=-100,W_ox=100
  fastlstm explain --preset tomita3
""", cmd_explain)
    preset = p._option_string_actions["--preset"]
    preset.choices = tuple(preset.choices) + TOMITA_PRESETS
    preset.help += (f"; or a trained network with its readout: {', '.join(TOMITA_PRESETS)} "
                    "(the Tomita grammars, fastlstm.presets.tomita_lstm)")
    _add_weights_option(p)
    _add_semantics_options(p)
    p.add_argument("--alphabet", default="0,1", metavar="A,B,...",
                   help="the input symbols (default: 0,1); for a network with m >= 2 inputs, "
                        "vectors of m numbers separated by ';' (1,0;0,1), or one-hot")
    p.add_argument("--max-states", type=positive_int, default=None, metavar="N",
                   help="give up when more (h, c) states than this are reachable (default: "
                        "10000), or, when learning, when a machine needs more states (default: "
                        "200)")
    p.add_argument("--quantize", type=int, metavar="K",
                   help="APPROXIMATION: round h and c to K decimals after every step")
    p.add_argument("--learn", action="store_true",
                   help="learn the machine of the outputs (L*) instead of extracting the "
                        "(h, c) states")
    p.add_argument("--time-limit", type=threshold, default=60.0, metavar="S",
                   help="give up learning after S seconds (default: 60)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress line on stderr while learning")
    _add_state_options(p)
    p.add_argument("--format", choices=("text", "json", "dot", "latex"), default="text",
                   help="text (default); json; dot (Graphviz); latex (TikZ)")

    # dynamics
    p = _command(
        sub, "dynamics", "fixed points of a cell or network under a constant input",
        "Hold the input at a constant x and treat the step as a map of (h, c): print "
        "every fixed point (h*, c*), the eigenvalues of the step's Jacobian there and "
        "its stability class. For a scalar cell the list is complete: each point lies in "
        "an interval proved to hold exactly one, and the rest of |h| <= 1 is proved free "
        "of them. For a network of n units (--weights) each point found lies in a box "
        "proved to hold exactly one; the list is complete when a branch-and-prune covered "
        "[-1, 1]^n (by default for n <= 8), else it holds what the search from starting "
        "states found, and slow points. Then the Lyapunov exponents along the trajectory "
        "from h = c = 0.",
        """networks:
  --weights FILE reads a trained LSTM of n units and m inputs; --input is then m numbers
  separated by commas, e.g. --weights net.npz --input 0,0,0 --k 4 (the 4 largest exponents).
  The file fastlstm.presets.weights_file('flipflop_lstm') names is a 16-unit network with
  3 inputs.

examples:
  fastlstm dynamics --preset parity --input 1
  fastlstm dynamics --input 0 --input 1 --activation saturated
  fastlstm dynamics --params W_ch=3,b_f=-50,b_i=50,b_o=50 --input 0 --format json
""", cmd_dynamics)
    _add_weights_option(p)
    _add_semantics_options(p, round_feedback=False)
    p.add_argument("--input", metavar="X[,X...]", type=input_vector, action="append",
                   required=True,
                   help="the constant input (repeatable): a number, or for a network with m "
                        "inputs m numbers separated by commas (--input=-1,0,0 when the first "
                        "is negative)")
    p.add_argument("--digits", type=positive_int, default=6, metavar="N",
                   help="significant digits in the table (default: 6); json is exact")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text (default) or json")
    g = p.add_argument_group("networks of n >= 2 units")
    g.add_argument("--k", type=positive_int, default=None, metavar="K",
                   help="how many Lyapunov exponents, the largest (default: all 2n up to 6)")
    g.add_argument("--search", choices=("auto", "complete", "starts"), default="auto",
                   help="complete: branch-and-prune over [-1, 1]^n, then the starts; starts: "
                        "only from starting states; auto (default): complete for n <= 8")
    g.add_argument("--n-starts", type=positive_int, default=None, metavar="N",
                   help="starting states sampled along trajectories driven by the input "
                        "(default: 256)")
    g.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed of the sampled starts (default: 0)")

    # compile
    p = sub.add_parser(
        "compile", formatter_class=_Formatter, help="compile every kernel for this machine now",
        description=_para(
            "Compile every compiled kernel of fastlstm for this machine, ahead of time, in "
            "parallel processes, into the kernel cache, so that no later call waits for a "
            "compilation. Kernels already cached are loaded, not compiled: a second run "
            "does nothing. The cache folder is FASTLSTM_CACHE_DIR when set."),
        epilog="""examples:
  fastlstm compile
  fastlstm compile --processes 1 --quiet
""")
    p.set_defaults(func=cmd_compile)
    p.add_argument("--processes", type=positive_int, default=None, metavar="N",
                   help="worker processes (default: the number of cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser
