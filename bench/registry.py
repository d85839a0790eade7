"""The registry pattern of the benchmarks, and the one function that times an entry.

A *registry* maps an implementation name to a *builder*: ``builder(workload)
-> zero-argument callable``.  The builder does all setup (conversions, JIT
compilation, warm-up); only the callable is timed.  ``measure`` builds,
checks that the result agrees with fastlstm (so every row of a table is the
same work), then hands the callable to pytest-benchmark with the group,
implementation name and number of steps in ``extra_info`` for
``bench/report.py``.  A peer timed on a prefix of the work (fewer steps than
the workload's) gets a pytest-benchmark group of its own, named with its step
count, so pytest-benchmark's raw table (ranked by time per call) compares like
with like; ``extra_info["table"]`` names the workload's group, where
``bench/report.py`` compares it in steps per second.

A builder that skips (peer not installed, semantics it cannot express) is
recorded in ``SKIPPED`` and ends up in the JSON, so the report can say so.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from typing import Any, Callable

import numpy as np
import pytest

import fastlstm as fl

__all__ = ["Workload", "measure", "prefix_group", "hs_of", "build_fastlstm", "inputs", "CASES", "GENERIC",
           "SKIPPED", "REFERENCE"]

#: The implementation every ratio is taken against.
REFERENCE = "fastlstm"
#: A call slower than this (seconds) is timed in ``SLOW_ROUNDS`` single rounds
#: instead of letting pytest-benchmark calibrate.
SLOW_CALL_S = 1.0
SLOW_ROUNDS = 3
#: Skipped entries: dicts with group, implementation and reason.
SKIPPED: list[dict] = []


#: A generic cell with moderate weights: its pre-activations stay mostly
#: inside (-3, 3) on standard-normal inputs, so no gate saturates and every
#: step evaluates the full exp/tanh paths.
GENERIC = fl.ScalarLSTM(W_fh=0.5, W_fx=-0.8, b_f=1.0, W_ih=-0.6, W_ix=0.9, b_i=0.1,
                        W_oh=0.7, W_ox=0.4, b_o=-0.2, W_ch=-1.1, W_cx=1.3, b_c=0.05)

#: The cells/semantics every bench file can use: label -> (cell, input kind, semantics).
CASES = {
    "generic cell, exact": (GENERIC, "normal", {}),
    "parity cell, exact": (fl.presets.parity(), "bits", {}),
    "parity cell, saturated + rounded feedback":
        (fl.presets.parity(), "bits", dict(activation="saturated", round_feedback=True)),
}


def inputs(kind: str, shape, seed: int = 0) -> np.ndarray:
    """Reproducible float64 inputs: ``"normal"`` (standard normal) or ``"bits"`` (0/1)."""
    rng = np.random.default_rng(seed)
    if kind == "normal":
        return rng.standard_normal(shape)
    if kind == "bits":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    raise ValueError(f"input kind must be 'normal' or 'bits', got {kind!r}")


def build_fastlstm(params, x, **kwargs):
    """``fastlstm.run`` (x of shape (T,)) or ``run_batch`` ((B, T)) as a zero-argument callable."""
    cell = fl.ScalarLSTM.from_array(params)
    return functools.partial(fl.run if np.ndim(x) == 1 else fl.run_batch, cell, x, **kwargs)


@dataclasses.dataclass(frozen=True, eq=False)
class Workload:
    """One cell (or table of cells) and its inputs: what every implementation computes.

    ``params``: (12,) or (N, 12); ``x``: (T,) or (B, T); ``semantics``: the
    keyword arguments of ``fastlstm.run``.  ``label`` names the cell/semantics,
    ``group`` is the benchmark group (workload and size).
    """

    label: str
    params: np.ndarray
    x: np.ndarray
    semantics: dict = dataclasses.field(default_factory=dict)
    h0: Any = 0.0
    c0: Any = 0.0

    @property
    def steps(self) -> int:
        """Cell steps one call computes (sequences x parameter sets x time)."""
        lead = np.broadcast_shapes(self.params.shape[:-1], self.x.shape[:-1])
        return int(np.prod(lead, dtype=np.int64)) * self.x.shape[-1]

    @property
    def group(self) -> str:
        shape = "x".join(_pow10(n) for n in self.x.shape)
        cells = "" if self.params.ndim == 1 else f", {_pow10(self.params.shape[0])} cells"
        return f"{self.label}, x {shape}{cells}"

    def kwargs(self) -> dict:
        """Semantics and initial state, as keyword arguments for a builder."""
        return dict(self.semantics, h0=self.h0, c0=self.c0)

    def truncated(self, max_steps: int | None) -> "Workload":
        """The same workload cut to at most ``max_steps`` steps (a prefix in time
        for one sequence, the first rows for a batch); ``self`` when it fits."""
        if max_steps is None or self.steps <= max_steps:
            return self
        if self.x.ndim == 1 and self.params.ndim == 1:
            return dataclasses.replace(self, x=self.x[:max_steps])
        rows = max(1, max_steps // self.x.shape[-1])
        cut = dict(params=self.params[:rows] if self.params.ndim == 2 else self.params,
                   x=self.x[:rows] if self.x.ndim == 2 else self.x)
        for name in ("h0", "c0"):
            value = getattr(self, name)
            cut[name] = value[:rows] if np.ndim(value) else value
        return dataclasses.replace(self, **cut)


def _pow10(n: int) -> str:
    """10**k as '1e{k}', anything else as digits."""
    k = round(np.log10(n)) if n > 0 else 0
    return f"1e{k}" if 10 ** k == n else str(n)


def hs_of(result) -> np.ndarray:
    """The h trajectory of what an implementation's callable returned."""
    h = result.h if isinstance(result, fl.Trajectory) else result[0]
    return np.asarray(h, dtype=np.float64)


def prefix_group(group: str, steps: int, full_steps: int | None) -> str:
    """The pytest-benchmark group of a call of ``steps`` in a workload of ``full_steps``:
    ``group`` itself for the whole work, else one per prefix size (``..., first 1e5 steps``)."""
    if full_steps is None or steps >= full_steps:
        return group
    return f"{group}, first {_pow10(int(steps))} steps"


def _record_skip(group, implementation, reason):
    SKIPPED.append(dict(group=group, implementation=implementation, reason=reason))


def measure(benchmark, *, implementation: str, build: Callable[[], Callable[[], Any]],
            group: str, steps: int, reference: np.ndarray | None = None,
            atol: float = 1e-9, target: float | None = None, target_by: str = REFERENCE,
            full_steps: int | None = None):
    """Build, check and time one implementation on one workload.

    ``build()`` returns the zero-argument callable (all setup happens here,
    untimed); its result is checked against ``reference`` (the h trajectory
    of fastlstm on the same work, compared on the entries the result covers)
    to ``atol``.  ``target``: the speed-up over this peer that the
    implementation ``target_by`` aims for, recorded for the report, never
    asserted.  ``full_steps``: the steps of the whole workload; a call of
    fewer ``steps`` (a prefix) is timed in the group :func:`prefix_group`.
    """
    try:
        fn = build()
    except pytest.skip.Exception as exc:
        _record_skip(group, implementation, exc.msg)
        raise
    start = time.perf_counter()
    result = fn()  # warm-up: first-call compilation and caches are never timed
    elapsed = time.perf_counter() - start
    if reference is not None:
        h = hs_of(result)
        expected = reference[tuple(slice(0, n) for n in h.shape)]
        np.testing.assert_allclose(
            h, expected, rtol=0, atol=atol,
            err_msg=f"{implementation} disagrees with {REFERENCE}: not the same work")
    benchmark.group = prefix_group(group, steps, full_steps)
    benchmark.extra_info.update(implementation=implementation, steps=int(steps), table=group)
    if target is not None:
        benchmark.extra_info.update(target=target, target_by=target_by)
    if elapsed > SLOW_CALL_S:
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
    if elapsed > SLOW_CALL_S:
        return benchmark.pedantic(fn, rounds=SLOW_ROUNDS, iterations=1, warmup_rounds=0)
    return benchmark(fn)
