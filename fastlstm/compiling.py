"""Compiling the kernels: saying so when it is slow, and doing it ahead of time.

fastlstm's kernels are compiled by Numba for the machine they run on, the
first time a function needs them, and kept in the on-disk cache (see
``fastlstm._config``): later processes load them in a fraction of a second.
The first call therefore takes a few seconds.  When a compilation has taken
more than ``NOTICE_AFTER`` seconds, one line on stderr says what is being
compiled, that it happens once per machine and fastlstm version, and where
the cache is; once per process.  ``FASTLSTM_QUIET=1`` silences it.

``compile_kernels()`` (``fastlstm compile`` on the command line) compiles
every kernel ahead of time, in parallel processes, with a progress bar; a
second run finds them all cached and compiles nothing.

Examples
--------
>>> import fastlstm as fl
>>> sorted(fl.compiling.WARMUPS)[:3]
['fixed points', 'lyapunov float32', 'lyapunov float64']
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import sys
import threading

import numpy as np
from numba.core import event

from . import _config

__all__ = ["NOTICE_AFTER", "WARMUPS", "all_cached", "compile_kernels", "quiet", "run_warmups"]

#: Seconds a compilation may take before the notice is printed.
NOTICE_AFTER = 1.0


def quiet() -> bool:
    """Whether ``FASTLSTM_QUIET`` asks for no compile notice."""
    return os.environ.get("FASTLSTM_QUIET", "") not in ("", "0")


def _cache_text() -> str:
    if _config.CACHE_DIR is None:
        return "the kernel cache is off, so every process compiles them"
    return f"they are cached in {_config.CACHE_DIR}"


def _kernel(ev):
    """The compiled function of a compile event, if it is one of fastlstm's kernels."""
    func = ev.data["dispatcher"].py_func
    return func if func.__module__.startswith("fastlstm._kernels") else None


class _CompileNotice(event.Listener):
    """Prints the compile notice once per process, if a fastlstm kernel's
    compilation lasts over ``NOTICE_AFTER`` s (a timer, so the line appears
    while the user waits, not after).  Compilations of other code are
    ignored; loads from the cache send no compile event at all."""

    def __init__(self):
        self._depth = 0
        self._timer = None
        self.said = False

    def on_start(self, ev):
        func = _kernel(ev)
        if self.said or func is None:
            return
        self._depth += 1
        if self._depth == 1 and not quiet():
            name = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"
            self._timer = threading.Timer(NOTICE_AFTER, self._say, (name,))
            self._timer.daemon = True
            self._timer.start()

    def on_end(self, ev):
        if self._depth and _kernel(ev) is not None:
            self._depth -= 1
            if self._depth == 0 and self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _say(self, name):
        if self.said:
            return
        self.said = True
        sys.stderr.write(f"fastlstm: compiling kernels for this machine (now: {name}); this "
                         f"happens once per machine and fastlstm version, and {_cache_text()}. "
                         "`fastlstm compile` does it ahead of time; FASTLSTM_QUIET=1 hides "
                         "this line.\n")
        sys.stderr.flush()


NOTICE = _CompileNotice()
event.register("numba:compile", NOTICE)


# --- ahead of time -------------------------------------------------------------

def _scalar_cells():
    from .params import ScalarLSTM
    from .sweeps import random_params

    rng = np.random.default_rng(3)
    return (ScalarLSTM.from_array(rng.uniform(-3, 3, 12)), random_params(64, -5, 5, seed=7),
            rng.integers(0, 2, 300).astype(float))


def _warm_run():
    from .run import run

    cell, _, bits = _scalar_cells()
    out = {}
    for activation in ("exact", "saturated"):
        out[f"run {activation}"] = run(cell, bits, activation=activation).h
        out[f"run traced {activation}"] = run(cell, bits, activation=activation, trace=True).h
        # over 4096 steps: the run that replays cached transitions
        out[f"run long {activation}"] = run(cell, np.tile(bits, 20), activation=activation).h
    return out


def _warm_run_batch():
    from .run import run_batch

    cell, _, bits = _scalar_cells()
    out = {}
    for activation in ("exact", "saturated"):
        for trace in (False, True):
            out[f"run_batch {activation} {trace}"] = run_batch(
                cell, bits.reshape(6, 50), activation=activation, trace=trace).h
    return out


def _warm_sweep(dtype, record):
    def warm():
        from .sweeps import sweep

        _, cells, bits = _scalar_cells()
        out = {}
        for activation in ("exact", "saturated"):
            if record == "lyapunov":
                out[activation] = sweep(cells, [0.0, 1.0], record="lyapunov", transient=50,
                                        steps=200, activation=activation,
                                        dtype=dtype).lyapunov
            else:
                out[activation] = sweep(cells, bits[:40], activation=activation, dtype=dtype).h
        return out
    return warm


def _warm_vector():
    from .cell import LSTMCell
    from .run import run, run_batch

    rng = np.random.default_rng(5)
    cell = LSTMCell(rng.normal(0, 2, (12, 2)), rng.normal(0, 2, (12, 3)), rng.normal(0, 1, 12))
    x = rng.normal(0, 1, (200, 2))
    out = {}
    for activation in ("exact", "saturated"):  # traced: the plain kernels are the next family's
        out[f"run {activation}"] = run(cell, x, activation=activation, trace=True).h
        out[f"run_batch {activation}"] = run_batch(cell, x.reshape(4, 50, 2),
                                                   activation=activation, trace=True).h
    return out


def _warm_vector_shapes():
    """The plain vector kernels chosen by n: n <= 4 (``small_cell``: 8 lanes for n <= 2,
    16 for n = 3, 4), ``unit_tiles`` in tiles of 8 units (4 < n < 8, every n > 4 without
    AVX-512) and of 16 in 512-bit vectors (n >= 8; n = 40: three tiles)."""
    from .cell import LSTMCell
    from .run import run, run_batch

    rng = np.random.default_rng(6)
    out = {}
    for n, m in ((2, 1), (1, 2), (3, 2), (6, 2), (16, 2), (40, 1)):
        cell = LSTMCell(rng.normal(0, 2, (4 * n, m)), rng.normal(0, 2 / n, (4 * n, n)),
                        rng.normal(0, 1, 4 * n))
        x = rng.normal(0, 1, (200, m))
        for activation in ("exact", "saturated"):
            out[f"run {n} {activation}"] = run(cell, x, activation=activation).h
            out[f"run_batch {n} {activation}"] = run_batch(cell, x.reshape(4, 50, m),
                                                           activation=activation).h
    return out


def _warm_spectrum():
    from .cell import LSTMCell
    from .dynamics import lyapunov

    rng = np.random.default_rng(6)
    cell = LSTMCell(rng.normal(0, 1, (12, 2)), rng.normal(0, 1, (12, 3)), rng.normal(0, 1, 12))
    return {activation: lyapunov(cell, [0.5, -0.5], transient=20, steps=100,
                                 activation=activation)
            for activation in ("exact", "saturated")}


def _warm_fixed_points():
    from .dynamics import fixed_points

    cell, _, _ = _scalar_cells()
    out = {}
    for activation in ("exact", "saturated"):
        points = fixed_points(cell, 0.5, activation=activation).points
        out[activation] = np.array([[p.h, p.c, *np.abs(p.eigenvalues)] for p in points],
                                   dtype=float).ravel()
    return out


def _warm_network_points():
    # both searches (a complete one over [-1, 1]^n, one from starts) run the same
    # kernels: one family, the results of both checked for their bits
    from .cell import LSTMCell
    from .dynamics import fixed_points

    rng = np.random.default_rng(6)
    cell = LSTMCell(rng.normal(0, 1, (8, 1)), rng.normal(0, 1, (8, 2)), rng.normal(0, 1, 8))
    complete = fixed_points(cell, 0.5, n_starts=4)
    rng = np.random.default_rng(7)
    cell = LSTMCell(rng.normal(0, 1, (24, 2)), rng.normal(0, 1.5, (24, 6)), rng.normal(0, 1, 24))
    starts = fixed_points(cell, [0.3, -0.2], search="starts", n_starts=32)
    return {"h": np.array([p.h for p in complete.points]).ravel(),
            "from starts": np.array([[p.h, *p.h_enclosure, *p.c_enclosure]
                                     for p in starts.points]).ravel()}


def _warm_machines():
    from .automata import extract_automaton
    from .presets import parity

    _, _, bits = _scalar_cells()
    machine = extract_automaton(parity(), activation="saturated", round_feedback=True)
    long = np.tile(bits, 300)  # past the length where the walk is threaded
    return {"run": np.asarray(machine.run(long), dtype=float),
            "trajectory": machine.trajectory(long).h,
            "states": np.asarray(machine.trajectory(long, record="states").states, dtype=float),
            "states, h looked up": machine.trajectory(long, record="states").h,
            "batch": np.asarray(machine._states(np.stack([bits, bits[::-1]]), "x", (2,)),
                                dtype=float)}


def _warm_lockstep():
    from .automata.cells import warm_lockstep

    return warm_lockstep()


def _warm_cell_sweep(record):
    def warm():
        from .cell import LSTMCell
        from .readout import Readout
        from .sweeps import random_cells, sweep

        rng = np.random.default_rng(8)
        base = LSTMCell(rng.normal(0, 2, (12, 2)), rng.normal(0, 2, (12, 3)), rng.normal(0, 1, 12))
        cells = random_cells(70, base, 0.5, seed=9)
        out = {}
        for activation in ("exact", "saturated"):
            if record == "lyapunov":
                out[activation] = sweep(cells, [0.5, -0.5], record="lyapunov", transient=20,
                                        steps=100, activation=activation).lyapunov
            else:
                x = rng.normal(0, 1, (3, 40, 2))
                res = sweep(cells, x, target=rng.integers(0, 2, (3, 40)), activation=activation,
                            readout=Readout(rng.normal(0, 1, (2, 3))))
                out[activation] = np.concatenate([res.h.ravel(), res.accuracy])
        return out
    return warm


#: ``{name: zero-argument callable}``: each calls public functions on small
#: inputs that need one family of kernels (every semantics and precision it
#: is compiled for) and returns its results ``{label: array}``.
#: ``compile_kernels`` runs them; tests compare their results across processes.
WARMUPS = {
    "run": _warm_run,
    "run_batch": _warm_run_batch,
    "sweep float64": _warm_sweep("float64", "final"),
    "sweep float32": _warm_sweep("float32", "final"),
    "lyapunov float64": _warm_sweep("float64", "lyapunov"),
    "lyapunov float32": _warm_sweep("float32", "lyapunov"),
    "vector cells": _warm_vector,
    "vector cells, small and wide": _warm_vector_shapes,
    "lyapunov spectrum": _warm_spectrum,
    "fixed points": _warm_fixed_points,
    "network fixed points": _warm_network_points,
    "machines": _warm_machines,
    "sweep cells": _warm_cell_sweep("final"),
    "sweep cells lyapunov": _warm_cell_sweep("lyapunov"),
    "vector cells lockstep": _warm_lockstep,
}


def _warm(name):
    """Run one warm-up in this (worker) process: ``(kernels it compiled, its results)``."""
    os.environ["FASTLSTM_QUIET"] = "1"
    compiled = []

    class Record(event.Listener):
        def on_start(self, ev):
            pass

        def on_end(self, ev):
            if _kernel(ev) is not None:
                compiled.append(_kernel(ev).__qualname__)

    with event.install_listener("numba:compile", Record()):
        results = WARMUPS[name]()
    return compiled, results


def run_warmups(processes=None, progress=False, families=None) -> dict:
    """Every warm-up (or those of ``families``) in worker processes:
    ``{family: (kernels compiled, results)}``.

    The body of ``compile_kernels``; tests use the results to compare a
    process that compiled the kernels with one that loaded them.
    """
    from .sweeps.sweep import _progress

    if processes is None:
        processes = os.cpu_count() or 1
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ValueError(f"processes must be a positive integer, got {processes!r}")
    if _config.CACHE_DIR is None:
        raise RuntimeError("the kernel cache is off (FASTLSTM_NO_CACHE, or no writable "
                           "folder): compiled kernels could not be kept; set "
                           "FASTLSTM_CACHE_DIR to a writable folder")
    names = list(WARMUPS) if families is None else [name for name in WARMUPS if name in families]
    bar = _progress(progress, len(names), desc="compile", unit="families")
    done = {}
    context = multiprocessing.get_context("spawn")  # no fork of a process running threads
    try:
        with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context) as pool:
            futures = {pool.submit(_warm, name): name for name in names}
            for future in concurrent.futures.as_completed(futures):
                done[futures[future]] = future.result()
                bar.update(1)
    finally:
        bar.close()
    if len(names) == len(WARMUPS):
        _mark_complete(_config.CACHE_DIR)
    return {name: done[name] for name in names}


# --- the record of a complete run ------------------------------------------------
#
# Checking that every family is cached means loading every kernel (seconds).  A
# complete run therefore leaves a record: what the kernels were compiled from and
# for (sources, versions, CPU), and the size and time of every cache file then.
# While all of those are unchanged, nothing can be missing; any write to the
# cache (a new entry, a deleted file) voids it, and the next run checks in full.

_RECORD = "complete.json"


def _compiled_for() -> list:
    """What the cached machine code depends on, besides the cache files themselves."""
    import llvmlite.binding as llvm
    import numba

    cpu = numba.config.CPU_NAME or llvm.get_host_cpu_name()
    features = (numba.config.CPU_FEATURES if numba.config.CPU_NAME
                else llvm.get_host_cpu_features().flatten())
    return [sorted(_config._STAMPS.values()), _config.VERSION, numba.__version__,
            sys.version, cpu, features]


def _cache_files(folder) -> dict:
    return {entry.name: [entry.stat().st_size, entry.stat().st_mtime_ns]
            for entry in os.scandir(folder) if entry.name.endswith((".nbi", ".nbc"))}


def _mark_complete(folder) -> None:
    record = {"compiled_for": _compiled_for(), "files": _cache_files(folder)}
    temporary = os.path.join(folder, f"{_RECORD}.{os.getpid()}.tmp")
    with open(temporary, "w") as handle:
        json.dump(record, handle)
    os.replace(temporary, os.path.join(folder, _RECORD))


def all_cached() -> bool:
    """Whether the last complete ``compile_kernels`` run still holds: same sources,
    versions and CPU, and no cache file changed since (then nothing needs compiling)."""
    folder = _config.CACHE_DIR
    if folder is None:
        return False
    try:
        with open(os.path.join(folder, _RECORD)) as handle:
            record = json.load(handle)
        files = _cache_files(folder)
    except (OSError, ValueError):
        return False
    return (record.get("compiled_for") == json.loads(json.dumps(_compiled_for()))
            and all(files.get(name) == list(info) for name, info in record["files"].items()))


def compile_kernels(*, processes=None, progress=True) -> dict:
    """Compile every kernel for this machine into the cache, ahead of time.

    Each family of kernels (``WARMUPS``) is compiled in a process of its own,
    ``processes`` at a time (default: the cores), all saving into the one
    cache folder (saves are locked, so that is safe).  Kernels already in
    the cache are loaded, not compiled: a second run compiles nothing.  A
    complete run leaves a record in the cache folder; while no cache file has
    changed since, on the same sources, versions and CPU, a run returns at
    once instead of loading every kernel to see that it is there.

    Parameters
    ----------
    processes : int, optional
        Worker processes (default: ``os.cpu_count()``).
    progress : bool or callable
        A progress bar on stderr (tqdm when installed); a callable is called
        as ``progress(done, total)`` after each family.

    Returns
    -------
    dict
        ``{family: [kernels compiled]}``; empty lists when all were cached.

    Examples
    --------
    The first run compiles what is not cached yet; the second compiles nothing:

    >>> import fastlstm as fl
    >>> first = fl.compile_kernels(processes=2, progress=False)
    >>> sum(map(len, fl.compile_kernels(processes=2, progress=False).values()))
    0
    """
    if all_cached():  # a complete run's record, unchanged: no need to load every kernel
        return {name: [] for name in WARMUPS}
    return {name: compiled
            for name, (compiled, _) in run_warmups(processes, progress).items()}
