"""The ``fastlstm`` commands: ``run``, ``equations``, ``sweep`` (``explain`` is in explain.py,
``dynamics`` in dynamics.py).

Each ``cmd_*`` takes the parsed arguments and returns the exit status.
Heavy imports (SymPy, matplotlib, Dask, the automata) happen inside the
command that needs them, so ``fastlstm run`` starts as fast as Numba allows.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from .values import exact, parse_axis, parse_inputs, parse_params

__all__ = ["CommandError", "cmd_equations", "cmd_run",
           "cmd_sweep"]


class CommandError(Exception):
    """A command could not be carried out (exit status 1), e.g. a missing extra."""


def _cell(args):
    """The cell named by --preset/--params, and a few words describing it.

    --params alone starts from all-zero parameters; with --preset it changes
    the preset's; with neither, the cell is the parity preset.
    """
    from .. import presets
    from ..params import ScalarLSTM

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


def _print(text):
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def cmd_run(args) -> int:
    """``fastlstm run``: a per-step table, or with --compare every semantics side by side."""
    from ..compare import compare
    from ..run import run

    if args.weights:
        from .network import run_weights

        return run_weights(args)
    cell, words, preset = _cell(args)
    x = parse_inputs(args.inputs)
    extra = {"cell": {"preset": preset, "params": cell.to_dict()}}
    if args.compare:
        given = [flag for flag, on in (("--activation", args.activation != "exact"),
                                       ("--open-boundary", args.open_boundary),
                                       ("--round-feedback", args.round_feedback)) if on]
        if given:
            raise ValueError("--compare runs every row of the semantics table (each "
                             f"activation, boundary and feedback); drop {' and '.join(given)}")
        cmp = compare(cell, x, threshold=args.threshold, h0=args.h0, c0=args.c0)
        text = cmp.to_table(args.format, digits=args.digits, extra=extra)
        if args.format == "table":
            text = f"cell: {words}; inputs: {_inputs_words(x)}\n" + text
        _print(text)
        return 0
    tr = run(cell, x, **_semantics_kwargs(args), h0=args.h0, c0=args.c0, trace=True)
    title = f"cell: {words}; semantics: {tr.semantics.describe()}"
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
    params = {name: exact(value) for name, value in params.items()}
    threshold = exact(args.threshold)
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
        x = exact(args.step_map)
        sem = dict(activation="saturated" if args.saturated else "exact", threshold=threshold,
                   inclusive=inclusive, round_feedback=args.round_feedback)
        how = (f"saturated, {boundary}" if args.saturated else "exact")
        how += ", rounded feedback" if args.round_feedback else ""
        blocks.append((f"step map (h_{{t-1}}, c_{{t-1}}) -> (h_t, c_t) at x_t = {x} ({how}): "
                       f"{words}", sym.step_map(params, x, **sem)))
    _print("\n\n".join(f"% {title}\n{sym.latex(obj)}" for title, obj in blocks))
    return 0


def _summary_stats(acc):
    return f"max {acc.max():.4g}, mean {acc.mean():.4g}, min {acc.min():.4g}"


_SHADES = " .:-=+*#%@"


def _axes_words(axes):
    return " x ".join(f"{n}: {len(v)} values in [{v.min():g}, {v.max():g}]"
                      for n, v in axes.items())


def _column(axes, values, label, fmt):
    """A sweep over one axis of at most 60 values: a column per value (else nothing)."""
    if len(axes) != 1 or values.size > 60:
        return []
    (name, xs), = axes.items()
    return [f"{name:>10}  {label}"] + [f"{v:>10g}  {e:{fmt}}" for v, e in zip(xs, values)]


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


def _check_destination(flag, path, suffix):
    """Refuse, before any work, a file that could not be written: ValueError (exit 2)
    for a wrong name or a folder that does not exist, CommandError (exit 1) where
    the folder takes no new file (a test file is made there and removed)."""
    if not path.endswith(suffix):
        raise ValueError(f"{flag}: expected a file name ending in {suffix}, got {path!r}")
    folder = os.path.dirname(path) or "."   # as it was typed, for the messages
    if not os.path.exists(folder):
        raise ValueError(f"{flag}: folder {folder} does not exist")
    if not os.path.isdir(folder):
        raise ValueError(f"{flag}: {folder} is a file, not a folder")
    if os.path.isdir(path):
        raise CommandError(f"{flag}: cannot write {path}: it is a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".fastlstm-", suffix=".tmp")
    except OSError as exc:
        raise CommandError(f"{flag}: cannot write {path}: the folder {folder} takes no new "
                           f"file ({_reason(exc)})") from None
    os.close(fd)
    os.unlink(probe)


def _reason(exc):
    """An OSError in words, without its errno number."""
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def _write_atomically(flag, path, write):
    """``write(file)`` into a new file beside ``path``, then put it in ``path``'s place:
    a write that fails (a full disk, a file size limit) leaves any previous ``path``
    as it was, and no partial file."""
    folder = os.path.dirname(path) or "."
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                   suffix=".tmp")
    except OSError as exc:
        raise CommandError(f"{flag}: cannot write {path}: the folder {folder} takes no new "
                           f"file ({_reason(exc)})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise CommandError(f"{flag}: could not write {path} ({_reason(exc)}); "
                               f"a previous {os.path.basename(path)} is unchanged") from exc
        raise


def _file_mode(path):
    """The permissions of the file at ``path``, or those a new file gets (the umask's)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _check_memory(n_cells, length):
    """Refuse (ValueError), before anything is built, a sweep of ``n_cells`` over the
    2**length strings that memory would not hold."""
    from ..sweeps.checks import sweep_bytes
    from ..sweeps.memory import format_bytes, memory_limit

    shape = (2**length, length)
    # the strings and their target (int8), a copy of the strings as bool, and the sweep
    need = 3 * shape[0] * shape[1] + sweep_bytes(n_cells, shape, record=None, scored=True,
                                                 x_dtype="int8")
    limit = memory_limit()
    if need > limit:
        raise ValueError(f"--length {length}: scoring on the 2**{length} strings of length "
                         f"{length} needs {format_bytes(need)}, more than the "
                         f"{format_bytes(limit)} available (3/4 of the free memory); "
                         f"use a smaller --length")


def cmd_sweep(args) -> int:
    """``fastlstm sweep``: a scored parameter sweep, saved and plotted."""
    import numpy as np

    from ..sweeps import binary_strings, grid, parity_target, sweep

    cell, words, preset = _cell(args)
    axes = {}
    for spec in args.axis:
        name, values = parse_axis(spec)
        if name in axes:
            raise ValueError(f"--axis: {name} given twice")
        axes[name] = values
    for flag, path, suffix in (("--out", args.out, ".npz"), ("--plot", args.plot, ".png")):
        if path is not None:
            _check_destination(flag, path, suffix)
    if args.plot and len(axes) != 2:
        raise ValueError(f"--plot draws a regime map over two axes; got {len(axes)} --axis")
    if args.plot:  # fail before the sweep, not after it
        try:
            import matplotlib
        except ImportError:
            raise CommandError("--plot needs matplotlib: pip install 'fastlstm[plot]'") from None
        matplotlib.use("Agg")
    table = grid(base=cell, **axes)
    if args.record == "lyapunov":
        return _sweep_lyapunov(args, cell, words, axes, table)
    _check_memory(len(table), args.length)
    X = binary_strings(args.length)
    target = parity_target(X)
    result = sweep(table, X, target=target, record=None, backend=args.backend,
                   progress=args.progress,
                   **_semantics_kwargs(args))
    acc = result.to_grid("accuracy")
    sem = result.semantics
    shape = _axes_words(axes)
    best = np.unravel_index(np.argmax(acc), acc.shape)
    at = ", ".join(f"{n}={v[i]:g}" for (n, v), i in zip(axes.items(), best))
    perfect = int((acc == 1).sum())
    lines = [f"sweep: {acc.size} cells ({shape}), other parameters from {words}",
             f"semantics: {sem.describe()}",
             f"scored against {args.target} on all {len(X)} binary strings of length "
             f"{args.length} ({X.size} steps per cell)",
             f"accuracy: {_summary_stats(acc)}; best at {at}; "
             f"{perfect} cells ({100 * perfect / acc.size:.1f}%) score 1"]
    if len(axes) == 1:
        lines += _column(axes, acc, "accuracy", ".4f")
    elif len(axes) == 2 and acc.shape[0] <= 60 and acc.shape[1] <= 100:
        lines += _ascii_map(acc, axes)
    if args.out:
        fields = dict(accuracy=acc, axes=np.array(list(axes)), **axes,
                      base=cell.to_array(), param_names=np.array(list(cell.to_dict())),
                      target=np.array(args.target), length=np.array(args.length),
                      activation=np.array(sem.activation), threshold=np.array(sem.threshold),
                      inclusive=np.array(sem.inclusive),
                      round_feedback=np.array(sem.round_feedback))
        _write_atomically("--out", args.out, lambda f: np.savez(f, **fields))
        lines.append(f"saved {args.out}: accuracy {acc.shape} and the axes {', '.join(axes)}")
    if args.plot:
        from ..plot import regime_map

        title = (f"accuracy against {args.target}, 0/1 strings of length {args.length}\n"
                 f"semantics: {sem.describe()}")
        lines.append(_save_map(args.plot, regime_map(result, title=title), cell, words, axes,
                               "the regime map"))
    _print("\n".join(lines))
    return 0


def _save_map(path, ax, cell, words, axes, what) -> str:
    """Mark the cell the other parameters came from (when it lies on the map), write
    the figure of ``ax`` to ``path`` (--plot); return the line that says so."""
    (ny, vy), (nx, vx) = axes.items()
    here = getattr(cell, nx), getattr(cell, ny)
    if vx.min() <= here[0] <= vx.max() and vy.min() <= here[1] <= vy.max():
        ax.plot(*here, marker="o", markersize=7, markerfacecolor="none",
                markeredgecolor="red", linestyle="none", label=words)
        ax.legend(loc="best", fontsize="small")
    fig = ax.figure
    _write_atomically("--plot", path,
                      lambda f: fig.savefig(f, format="png", dpi=150, bbox_inches="tight"))
    return f"saved {path}: {what}"


def _sweep_lyapunov(args, cell, words, axes, table) -> int:
    """``fastlstm sweep --record lyapunov``: the largest exponent per cell, a chaos map."""
    import numpy as np

    from ..sweeps import sweep

    x = parse_inputs([args.input])
    result = sweep(table, x, record="lyapunov", transient=args.transient, steps=args.steps,
                   backend=args.backend, progress=args.progress, **_semantics_kwargs(args))
    lam = result.to_grid("lyapunov")
    finite = lam[np.isfinite(lam)]
    shape = _axes_words(axes)
    drive = f"x = {args.input}" + (" repeated" if x.size > 1 else "")
    lines = [f"sweep: {lam.size} cells ({shape}), other parameters from {words}",
             f"semantics: {result.semantics.describe()}",
             f"largest Lyapunov exponent, input {drive}, {args.steps} steps after "
             f"{args.transient} from h = c = 0:",
             f"  {_summary_stats(finite) if finite.size else 'no finite exponent'}; "
             f"{int((lam > 0).sum())} cells > 0 (nearby states part), "
             f"{int((lam == -np.inf).sum())} cells -inf (locally constant map)"]
    lines += _column(axes, lam, "exponent", ".6g")
    if args.out:
        fields = dict(lyapunov=lam, axes=np.array(list(axes)), **axes, base=cell.to_array(),
                      param_names=np.array(list(cell.to_dict())), input=x,
                      transient=np.array(args.transient), steps=np.array(args.steps))
        _write_atomically("--out", args.out, lambda f: np.savez(f, **fields))
        lines.append(f"saved {args.out}: lyapunov {lam.shape} and the axes {', '.join(axes)}")
    if args.plot:
        from ..plot import chaos_map

        ax = chaos_map(result, title=f"largest Lyapunov exponent, input {drive}\n"
                                     f"semantics: {result.semantics.describe()}")
        lines.append(_save_map(args.plot, ax, cell, words, axes, "the chaos map"))
    _print("\n".join(lines))
    return 0


def cmd_compile(args) -> int:
    from .. import _config
    from ..compiling import compile_kernels

    compiled = compile_kernels(processes=args.processes, progress=not args.quiet)
    count = sum(map(len, compiled.values()))
    where = _config.CACHE_DIR
    if count:
        _print(f"compiled {count} kernels of {sum(map(bool, compiled.values()))} families "
               f"into {where}")
    else:
        _print(f"every kernel was already compiled for this machine (cache: {where})")
    return 0
