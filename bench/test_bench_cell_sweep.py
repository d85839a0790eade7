"""Sweeps over vector cells: ``fastlstm.sweep`` on a ``CellTable`` against JAX.

One group per input size m (1 and 2): 10^4 cells of hidden size n = 4
(random perturbations of one cell, moderate weights, so no gate saturates)
x 100 steps of one standard-normal input sequence, exact semantics, the
final state (h, c) of every cell.  The peer is JAX ``jit(vmap(lax.scan))``
in float64 over the stacked weights (final carry only, like fastlstm); its
h is checked against fastlstm's before it is timed.  Target (docs/bench.md):
at least 1.5x JAX.

    python -m pytest bench/test_bench_cell_sweep.py --benchmark-only \\
        --benchmark-json=bench/cell_sweep.json
    python bench/report.py bench/cell_sweep.json
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import fastlstm as fl
from bench.registry import measure
from fastlstm.cell import LSTMCell

N_CELLS, HIDDEN, T = 10**4, 4, 100
TARGETS = {"jax jit(vmap(scan))": 1.5}


@functools.lru_cache(maxsize=None)
def workload(m):
    rng = np.random.default_rng(m)
    base = LSTMCell(rng.normal(0, 0.5, (4 * HIDDEN, m)), rng.normal(0, 0.5, (4 * HIDDEN, HIDDEN)),
                    rng.normal(0, 0.3, 4 * HIDDEN))
    table = fl.random_cells(N_CELLS, base, 0.2, seed=m)
    return table, rng.standard_normal((T, m))


def _fastlstm(table, x):
    x = x[:, 0] if x.shape[1] == 1 else x  # m = 1: one sequence is (T,); (T, 1) is T of them
    fl.sweep(table.cell(0), x)  # compile (or load) outside the timing
    return lambda: (lambda r: (r.h, r.c))(fl.sweep(table, x))


def _jax(table, x):
    jax = pytest.importorskip("jax", reason="JAX is not installed (pip install "
                                             "'fastlstm[peers]'); peer skipped")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    n = table.hidden_size

    def cell(W_ih, W_hh, b, xs):
        def step(carry, xt):
            h, c = carry
            z = W_hh @ h + (W_ih @ xt + b)
            i, f = jax.nn.sigmoid(z[:n]), jax.nn.sigmoid(z[n:2 * n])
            g, o = jnp.tanh(z[2 * n:3 * n]), jax.nn.sigmoid(z[3 * n:])
            c = f * c + i * g
            return (o * jnp.tanh(c), c), None
        zero = jnp.zeros(n, W_hh.dtype)
        return jax.lax.scan(step, (zero, zero), xs)[0]

    run = jax.jit(jax.vmap(cell, in_axes=(0, 0, 0, None)))
    args = [jax.device_put(a) for a in (table.W_ih, table.W_hh, table.b_ih + table.b_hh, x)]
    jax.block_until_ready(run(*args))
    return lambda: tuple(np.asarray(a) for a in jax.block_until_ready(run(*args)))


CELL_SWEEP = {"fastlstm": _fastlstm, "jax jit(vmap(scan))": _jax}


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("implementation", list(CELL_SWEEP))
def test_cell_sweep(benchmark, implementation, m):
    table, x = workload(m)
    measure(benchmark, implementation=implementation,
            group=f"cell sweep: 1e4 cells, n = {HIDDEN}, m = {m}, T = {T}, final state",
            steps=N_CELLS * T, build=lambda: CELL_SWEEP[implementation](table, x),
            reference=fl.sweep(table, x[:, 0] if m == 1 else x).h, atol=1e-9, target=TARGETS.get(implementation))
