"""Parameter sweeps: ``fastlstm.sweep`` against peers vectorised over parameter sets.

Groups (one table each in ``bench/report.py``):

* **sweep**: 10^6 parameter sets x T = 100 (one input sequence), exact
  semantics, final state (h, c) of every set: fastlstm float64 and float32,
  JAX ``jit(vmap(lax.scan))`` float64 (final carry only, like fastlstm),
  NumPy and PyTorch vectorised over the parameter sets (a Python loop over
  time, each step one array operation per gate).  NumPy runs the whole
  table and, as its best case, the first 10^5 sets (arrays that stay in
  cache); PyTorch the first 10^5 sets.
* **regime map**: the parity cell's 512 x 512 grid over W_ch in [-200, 0] x
  W_cx in [0, 100], every cell run over all 1024 binary strings of length
  10 and scored against the parity target (accuracy per cell).  fastlstm
  with and without prefix sharing (the 1024 strings have 2046 distinct
  prefixes, not 10240) and in float32, JAX ``jit(vmap(vmap(scan)))``, NumPy and PyTorch.

"Steps" are cell-steps: parameter sets x sequences x time steps, the same
count for every implementation (prefix sharing does fewer, and is credited
with the full count: that is its point).  Where a row's "steps per call" is
smaller than the workload's, that implementation was timed on the first
parameter sets only (``*_MAX_STEPS``) and is compared in steps per second.  Every implementation's output is checked
against fastlstm before it is timed.  ``test_sweep_peak_memory`` records the
peak memory of a ``record="final"`` sweep as a multiple of the table.

    python -m pytest bench/test_bench_sweep.py --benchmark-only \\
        --benchmark-json=bench/sweep.json
    python bench/report.py bench/sweep.json
"""

from __future__ import annotations

import functools
import math
import tracemalloc

import numpy as np
import pytest

import fastlstm as fl
from bench.registry import Workload, measure

# --- workloads ------------------------------------------------------------------

N_SWEEP, T_SWEEP = 10**6, 100
GRID = 512
STRINGS = 10


@functools.lru_cache(maxsize=None)
def sweep_workload() -> Workload:
    """10^6 random cells (moderate weights: no gate saturates) x 100 normal inputs."""
    P = fl.random_params(N_SWEEP, -2.0, 2.0, seed=1).values
    x = np.random.default_rng(0).standard_normal(T_SWEEP)
    return Workload("sweep: exact, final state", P, x)


@functools.lru_cache(maxsize=None)
def regime_map():
    """(table, X, target) of the parity regime map."""
    table = fl.grid(base=fl.presets.parity(), W_ch=np.linspace(-200, 0, GRID),
                    W_cx=np.linspace(0, 100, GRID))
    X = fl.binary_strings(STRINGS).astype(np.float64)
    return table, X, fl.parity_target(X)


def rows_for(steps_per_row: int, max_steps: int | None, n: int) -> int:
    """How many parameter sets fit in ``max_steps`` (all of them for None)."""
    return n if max_steps is None else max(1, min(n, max_steps // steps_per_row))


# --- peers: final state of every parameter set ------------------------------------

def _final_fastlstm(P, x, dtype="float64"):
    P = np.ascontiguousarray(P)
    fl.sweep(P[:64], x, dtype=dtype)  # compile (or load) outside the timing
    return lambda: (lambda r: (r.h, r.c))(fl.sweep(P, x, dtype=dtype))


def _jax_step(jax, w, h, c, xt):
    """One exact step in JAX (the gates in the order of docs/semantics.md)."""
    f = jax.nn.sigmoid(w[0] * h + (w[1] * xt + w[2]))
    i = jax.nn.sigmoid(w[3] * h + (w[4] * xt + w[5]))
    o = jax.nn.sigmoid(w[6] * h + (w[7] * xt + w[8]))
    g = jax.numpy.tanh(w[9] * h + (w[10] * xt + w[11]))
    c = f * c + i * g
    return o * jax.numpy.tanh(c), c


def _final_jax(P, x):
    jax = pytest.importorskip("jax", reason="JAX is not installed (pip install "
                                             "'fastlstm[peers]'); peer skipped")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def cell(w, x):
        def step(carry, xt):
            return _jax_step(jax, w, *carry, xt), None
        zero = jnp.zeros((), w.dtype)
        return jax.lax.scan(step, (zero, zero), x)[0]

    run = jax.jit(jax.vmap(cell, in_axes=(0, None)))
    args = jax.device_put(P), jax.device_put(np.asarray(x, np.float64))
    jax.block_until_ready(run(*args))
    return lambda: jax.block_until_ready(run(*args))


def _vectorised_step(lib, W, h, c, xt):
    """One step for all parameter sets at once: ``lib`` is numpy or torch."""
    def sigmoid(z):
        e = lib.exp(-lib.abs(z))
        return lib.where(z >= 0, 1.0, e) / (1.0 + e)
    f = sigmoid(W[0] * h + (W[1] * xt + W[2]))
    i = sigmoid(W[3] * h + (W[4] * xt + W[5]))
    o = sigmoid(W[6] * h + (W[7] * xt + W[8]))
    g = lib.tanh(W[9] * h + (W[10] * xt + W[11]))
    c = f * c + i * g
    return o * lib.tanh(c), c


def _final_numpy(P, x):
    W = np.ascontiguousarray(P.T)  # (12, N): each parameter contiguous over the sets
    xs = [float(v) for v in x]

    def run():
        h = np.zeros(W.shape[1])
        c = np.zeros(W.shape[1])
        for xt in xs:
            h, c = _vectorised_step(np, W, h, c, xt)
        return h, c

    return run


def _final_torch(P, x):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install "
                                                "'fastlstm[torch]'); peer skipped")
    W = torch.from_numpy(np.ascontiguousarray(P.T))
    xs = [float(v) for v in x]

    def run():
        with torch.inference_mode():
            h = torch.zeros(W.shape[1], dtype=torch.float64)
            c = torch.zeros(W.shape[1], dtype=torch.float64)
            for xt in xs:
                h, c = _vectorised_step(torch, W, h, c, xt)
        return h.numpy(), c.numpy()

    return run


#: implementation -> builder(P (N, 12), x (T,)) -> zero-argument callable giving (h, c)
SWEEP = {
    "fastlstm": _final_fastlstm,
    "fastlstm float32": functools.partial(_final_fastlstm, dtype="float32"),
    "jax jit(vmap(scan))": _final_jax,
    "numpy": _final_numpy,
    "numpy, first 1e5 sets": _final_numpy,
    "torch": _final_torch,
}
#: cell-steps timed per call, where less than the whole workload (NumPy on 10^5
#: sets is its best case: the arrays stay in cache; "numpy" does the same work)
SWEEP_MAX_STEPS = {"numpy, first 1e5 sets": 10**7, "torch": 10**7}
#: The targets of docs/bench.md: fastlstm's speed-up over the peer (reported, never asserted)
SWEEP_TARGETS = {"jax jit(vmap(scan))": 1.5, "numpy": 5.0}
#: float32 results are compared with float64 ones to this absolute tolerance
ATOL = {"fastlstm float32": 1e-4}


@functools.lru_cache(maxsize=None)
def sweep_reference():
    w = sweep_workload()
    return fl.sweep(w.params, w.x).h


@pytest.mark.parametrize("implementation", list(SWEEP))
def test_sweep(benchmark, implementation):
    w = sweep_workload()
    n = rows_for(T_SWEEP, SWEEP_MAX_STEPS.get(implementation), N_SWEEP)
    measure(benchmark, implementation=implementation, group=w.group, steps=n * T_SWEEP,
            full_steps=N_SWEEP * T_SWEEP,
            build=lambda: SWEEP[implementation](w.params[:n], w.x),
            reference=sweep_reference(), atol=ATOL.get(implementation, 1e-9),
            target=SWEEP_TARGETS.get(implementation))


# --- peers: the scored regime map ---------------------------------------------------

def _scored_fastlstm(P, X, target, share=True, dtype="float64"):
    kw = dict(target=target, record=None, share_prefixes=share, dtype=dtype)  # the score only
    fl.sweep(P[:64], X, **kw)
    return lambda: (fl.sweep(P, X, **kw).accuracy,)


def _scored_jax(P, X, target):
    jax = pytest.importorskip("jax", reason="JAX is not installed (pip install "
                                             "'fastlstm[peers]'); peer skipped")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def sequence(w, x, tgt):
        def step(carry, inputs):
            h, c, hits = carry
            xt, want = inputs
            h, c = _jax_step(jax, w, h, c, xt)
            rounded = jnp.copysign(jnp.ceil(jnp.abs(h) - 0.5), h)
            return (h, c, hits + (rounded == want)), None
        zero = jnp.zeros((), w.dtype)
        return jax.lax.scan(step, (zero, zero, jnp.zeros((), jnp.int32)), (x, tgt))[0][2]

    def accuracy(w, X, T):
        return jax.vmap(sequence, in_axes=(None, 0, 0))(w, X, T).sum() / X.size

    run = jax.jit(jax.vmap(accuracy, in_axes=(0, None, None)))
    args = (jax.device_put(P), jax.device_put(X), jax.device_put(target.astype(np.float64)))
    jax.block_until_ready(run(*args))
    return lambda: (jax.block_until_ready(run(*args)),)


def _scored_vectorised(lib, to_lib, P, X, target):
    """NumPy or PyTorch: states (N, B), a Python loop over the T steps."""
    W = to_lib(np.ascontiguousarray(P.T)[:, :, None])  # (12, N, 1): broadcast over strings
    xs = [to_lib(np.ascontiguousarray(X[:, t])) for t in range(X.shape[1])]
    want = [to_lib(np.ascontiguousarray(target[:, t]).astype(np.float64))
            for t in range(X.shape[1])]

    def run():
        h = c = 0.0
        hits = 0
        for xt, wt in zip(xs, want):
            h, c = _vectorised_step(lib, W, h, c, xt)
            hits = hits + (lib.copysign(lib.ceil(lib.abs(h) - 0.5), h) == wt).sum(1)
        return hits

    return run


def _scored_numpy(P, X, target):
    run = _scored_vectorised(np, np.asarray, P, X, target)
    return lambda: (run() / X.size,)


def _scored_torch(P, X, target):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install "
                                                "'fastlstm[torch]'); peer skipped")

    hits = _scored_vectorised(torch, torch.from_numpy, P, X, target)

    def run():
        with torch.inference_mode():
            return (hits().numpy() / X.size,)

    return run


REGIME = {
    "fastlstm": _scored_fastlstm,
    "fastlstm float32": functools.partial(_scored_fastlstm, dtype="float32"),
    "fastlstm, no prefix sharing": functools.partial(_scored_fastlstm, share=False),
    "jax jit(vmap(vmap(scan)))": _scored_jax,
    "numpy": _scored_numpy,
    "torch": _scored_torch,
}
REGIME_MAX_STEPS = {"fastlstm, no prefix sharing": 2**29, "jax jit(vmap(vmap(scan)))": 2**28,
                    "numpy": 2**24, "torch": 2**24}
#: float32 rounds h differently near a regime's edge: one cell of the 512 x 512 map
#: scores 2 of its 10240 steps differently from float64 (accuracy off by 2e-4)
REGIME_ATOL = {"fastlstm float32": 1e-3}


@functools.lru_cache(maxsize=None)
def regime_reference():
    table, X, target = regime_map()
    return fl.sweep(table, X, target=target).accuracy


@pytest.mark.parametrize("implementation", list(REGIME))
def test_regime_map(benchmark, implementation):
    table, X, target = regime_map()
    per_row = X.size
    n = rows_for(per_row, REGIME_MAX_STEPS.get(implementation), len(table))
    group = (f"regime map: parity cell, {GRID}x{GRID} grid x {len(X)} strings x "
             f"T={STRINGS}, scored")
    measure(benchmark, implementation=implementation, group=group, steps=n * per_row,
            full_steps=len(table) * per_row,
            build=lambda: REGIME[implementation](table.values[:n], X, target),
            reference=regime_reference(), atol=REGIME_ATOL.get(implementation, 1e-12))


# --- memory ---------------------------------------------------------------------------

def test_sweep_peak_memory(benchmark):
    """Peak memory a record="final" sweep allocates on top of its table (tracemalloc:
    every NumPy allocation; the kernel's own per-block buffers are a few KiB)."""
    w = sweep_workload()
    P = np.ascontiguousarray(w.params)
    fl.sweep(P[:64], w.x)

    def peak():
        tracemalloc.start()
        try:
            result = fl.sweep(P, w.x)
            return tracemalloc.get_traced_memory()[1], result
        finally:
            tracemalloc.stop()

    extra, result = benchmark.pedantic(peak, rounds=1, iterations=1)
    benchmark.group = "sweep: peak memory of record='final', 1e6 cells"
    benchmark.extra_info.update(
        implementation="fastlstm", table_bytes=int(P.nbytes), extra_peak_bytes=int(extra),
        peak_over_table=round((P.nbytes + extra) / P.nbytes, 3))
    assert result.h.shape == (N_SWEEP,) and math.isfinite(result.h.sum())
