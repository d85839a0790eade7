"""The ``fastlstm`` command line: ``run``, ``equations``, ``sweep``, ``explain``, ``dynamics``, ``compile``.

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
0,1.0,...,0.761594155955765,1,-+++=
1,1.0,...,-0.761594155955765,-1,-++-=
2,0.0,...,0.3807970779778825,0,-+~+=
0
"""

from __future__ import annotations

import os
import sys

from .commands import CommandError
from .parser import PROG, build_parser
from .values import parse_axis, parse_inputs, parse_params

__all__ = ["main", "parse_axis", "parse_inputs", "parse_params", "build_parser"]


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
