"""Largest Lyapunov exponent over a grid: ``fastlstm.sweep(record="lyapunov")`` against peers.

Group (one table in ``bench/report.py``): a 512 x 512 grid (W_ch in [-3, 0]
x W_fh in [-2, 2] around ``registry.GENERIC``, a contracting family, so every
implementation must land on the same numbers), constant input x = 1, 10^2
transient steps and 10^3 measured steps of the tangent map, float64.

* **fastlstm**: the compiled kernel, SIMD lanes across cells (it also
  carries det J for the second exponent, which the peers skip); and its
  float32 variant (``dtype="float32"``, checked to 1e-3).
* **jax jit(vmap)**: the same computation in JAX: ``lax.scan`` over the
  transient, then over the measured steps the tangent vector pushed by
  ``jax.jvp`` of the step, renormalised, log of its growth summed;
  ``jit(vmap)`` over the cells.
* **numpy**: vectorised over the cells (arrays of the whole grid, a Python
  loop over time): the step and its Jacobian-vector product written out.

"Steps" are cell-steps, (transient + measured) x cells.  NumPy runs the first
``NUMPY_MAX_STEPS`` cell-steps' worth of cells.  Every result is checked
against fastlstm (atol 1e-9) before it is timed.

    python -m pytest bench/test_bench_lyapunov.py --benchmark-only \\
        --benchmark-json=bench/lyapunov.json
    python bench/report.py bench/lyapunov.json

Tiny run (proves the file works; sizes from the environment):
``BENCH_LYAPUNOV_GRID=16 BENCH_LYAPUNOV_STEPS=50 python -m pytest
bench/test_bench_lyapunov.py --benchmark-disable``.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np
import pytest

import fastlstm as fl
from bench.registry import GENERIC, measure

GRID = int(os.environ.get("BENCH_LYAPUNOV_GRID", 512))
TRANSIENT = int(os.environ.get("BENCH_LYAPUNOV_TRANSIENT", 100))
STEPS = int(os.environ.get("BENCH_LYAPUNOV_STEPS", 1000))
X = 1.0
Q0 = (math.cos(1.0), math.sin(1.0))  # fastlstm's start direction
NUMPY_MAX_STEPS = 2**26


@functools.lru_cache(maxsize=None)
def workload():
    """(table values (GRID**2, 12), group name)."""
    table = fl.grid(base=GENERIC, W_ch=np.linspace(-3.0, 0.0, GRID),
                    W_fh=np.linspace(-2.0, 2.0, GRID))
    group = (f"lyapunov: largest exponent, {GRID}x{GRID} grid, {TRANSIENT} + {STEPS} steps, "
             f"float64")
    return np.ascontiguousarray(table.values), group


def _fastlstm(P, dtype="float64"):
    kw = dict(record="lyapunov", transient=TRANSIENT, steps=STEPS, dtype=dtype)
    fl.sweep(P[:64], X, **kw)  # compile (or load) outside the timing
    return lambda: (fl.sweep(P, X, **kw).lyapunov,)


def _jax(P):
    jax = pytest.importorskip("jax", reason="JAX is not installed (pip install "
                                             "'fastlstm[peers]'); peer skipped")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def step(w, state):
        h, c = state
        f = jax.nn.sigmoid(w[0] * h + (w[1] * X + w[2]))
        i = jax.nn.sigmoid(w[3] * h + (w[4] * X + w[5]))
        o = jax.nn.sigmoid(w[6] * h + (w[7] * X + w[8]))
        g = jnp.tanh(w[9] * h + (w[10] * X + w[11]))
        c = f * c + i * g
        return o * jnp.tanh(c), c

    def cell(w):
        zero = jnp.zeros((), w.dtype)
        state = jax.lax.fori_loop(0, TRANSIENT, lambda _, s: step(w, s), (zero, zero))

        def measured(carry, _):
            state, q, total = carry
            state, v = jax.jvp(lambda s: step(w, s), (state,), (q,))
            r = jnp.sqrt(v[0] * v[0] + v[1] * v[1])
            return (state, (v[0] / r, v[1] / r), total + jnp.log(r)), None

        q0 = (jnp.asarray(Q0[0]), jnp.asarray(Q0[1]))
        total = jax.lax.scan(measured, (state, q0, zero), None, length=STEPS)[0][2]
        return total / STEPS

    run = jax.jit(jax.vmap(cell))
    args = jax.device_put(P)
    jax.block_until_ready(run(args))
    return lambda: (np.asarray(jax.block_until_ready(run(args))),)


def _numpy(P):
    W = np.ascontiguousarray(P.T)  # (12, N): each parameter contiguous over the cells

    def sigmoid(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0, e) / (1.0 + e)

    def run():
        n = W.shape[1]
        h, c = np.zeros(n), np.zeros(n)
        zx = [W[k + 1] * X + W[k + 2] for k in (0, 3, 6, 9)]  # input terms, constant
        for _ in range(TRANSIENT):
            f, i, o = (sigmoid(W[k] * h + zx[k // 3]) for k in (0, 3, 6))
            c = f * c + i * np.tanh(W[9] * h + zx[3])
            h = o * np.tanh(c)
        qh, qc = np.full(n, Q0[0]), np.full(n, Q0[1])
        total = np.zeros(n)
        for _ in range(STEPS):
            f, i, o = (sigmoid(W[k] * h + zx[k // 3]) for k in (0, 3, 6))
            g = np.tanh(W[9] * h + zx[3])
            c_new = f * c + i * g
            s = np.tanh(c_new)
            # Jacobian-vector product: d(gate) = slope * W_kh * dh
            dc = f * (1 - f) * W[0] * qh * c + f * qc + i * (1 - i) * W[3] * qh * g \
                + i * (1 - g * g) * W[9] * qh
            dh = o * (1 - o) * W[6] * qh * s + o * (1 - s * s) * dc
            r = np.sqrt(dh * dh + dc * dc)
            qh, qc = dh / r, dc / r
            total += np.log(r)
            h, c = o * s, c_new
        return (total / STEPS,)

    return run


LYAPUNOV = {"fastlstm": _fastlstm,
            "fastlstm float32": functools.partial(_fastlstm, dtype="float32"),
            "jax jit(vmap)": _jax, "numpy": _numpy}
#: float32 exponents are compared with float64 ones to this tolerance
#: (measured 2026-11-30 on this grid: 5 of 262,144 cells differ by more than 1e-4, at
#: most 2.1e-4, where the float32 trajectory settles on the attractor differently).
ATOL = {"fastlstm float32": 1e-3}
MAX_STEPS = {"numpy": NUMPY_MAX_STEPS}
#: fastlstm's speed-up over the peer the issue asks for (reported, never asserted)
TARGETS = {"jax jit(vmap)": 1.5, "numpy": 5.0}


@functools.lru_cache(maxsize=None)
def reference():
    P, _ = workload()
    return fl.sweep(P, X, record="lyapunov", transient=TRANSIENT, steps=STEPS).lyapunov


@pytest.mark.parametrize("implementation", list(LYAPUNOV))
def test_lyapunov_grid(benchmark, implementation):
    P, group = workload()
    per_cell = TRANSIENT + STEPS
    n = full = P.shape[0]
    if implementation in MAX_STEPS:
        n = max(64, min(n, MAX_STEPS[implementation] // per_cell))
    measure(benchmark, implementation=implementation, group=group, steps=n * per_cell,
            full_steps=full * per_cell,
            build=lambda: LYAPUNOV[implementation](P[:n]), reference=reference(),
            atol=ATOL.get(implementation, 1e-9), target=TARGETS.get(implementation))
