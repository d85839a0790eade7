"""Fixed points of n-unit cells from starts: ``fastlstm.fixed_points`` against BrainPy's SlowPointFinder.

Workloads (one table each): the shipped 16-unit flip-flop network
(``fl.presets.flipflop_lstm()``) at zero input, and random cells (seeded;
n = 8 and 32 by default, m = 4 inputs, all weights and biases
N(0, 1/sqrt(n)) (W_ih: N(0, 1/sqrt(m))), a random constant input).  Both
implementations start from the same ``N_STARTS`` = 256 states (h, c), one
taken at a random time along each of 256 trajectories driven by x from
random states (``fastlstm.dynamics.networks.sampled_starts``, seed 0).  The
state is the whole (h, c) for both: fastlstm takes the (256, 2n) array as
``starts=``, the peer's step maps the 2n-vector (h, c) to (h', c'), so
each start is the same point for both.

* **fastlstm**: ``fl.fixed_points(cell, x, search="starts", starts=S)``:
  Levenberg-Marquardt on q(s) = 1/2 |step(s) - s|^2 from each start
  (compiled, the starts one after the other; a start that comes within
  1e-4 of a zero an earlier one reached stops there and counts as
  reaching it if it lies in that zero's certified box, as the peer merges
  what its starts reach at 1e-3), then a Krawczyk
  test proves a box around each distinct point to hold exactly one fixed
  point (``certified``; interval enclosures over all the boxes at once);
  what is not a fixed point comes back as a slow point.  Every field of the
  result (Jacobians, eigenvalues, classes, enclosures) is built in the
  timed call.
* **brainpy SlowPointFinder (BFGS)**: the FixedPointFinder method (Golub &
  Sussillo 2018) as BrainPy ships it: q minimised from every start
  (``find_fps_with_opt_solver``, ``jax.scipy.optimize.minimize(method="BFGS")``
  vmapped and jitted), points with q above ``TOL_Q`` = 1e-12 dropped
  (``filter_loss``), duplicates merged at 1e-3 (``keep_unique``).  Its loss
  is set to the same q = 1/2 |F(s) - s|^2 (BrainPy's default is the mean
  square, 1/(2n) as large).  JAX x64, one thread (as in test_bench_spectrum.py).
  BFGS stops at JAX's default gradient tolerance, so where q converges
  slowly (the n = 32 cell: q ~ 1e-9 at BFGS's stop) the q filter keeps no
  point; BrainPy's other solver, ``find_fps_with_gd_method`` (Adam, the
  FixedPointFinder default), tried 2026-12-07 with tolerance 1e-12 and
  10^4 iterations, took ~25 s per call and reached q <= 1e-12 from no start
  on the flip-flop network or the n = 32 cell, so it is not a row here.

Check before timing: every point the peer keeps is one of fastlstm's.  The
peer stops where q <= 1e-12, i.e. |F(s) - s| up to 1.4e-6, so its raw
points are off the true point by about one Newton step (J - I)^{-1} (F(s) - s),
up to 1e-5 near eigenvalues close to 1: a raw point must lie within
``max(1e-8, 4 |Newton step|)`` of one of fastlstm's points, and after three
untimed Newton steps (NumPy) within 1e-8.  Counts go to ``extra_info``:
points fastlstm found and certified, slow points, points the peer found.

    python -m pytest bench/test_bench_slow_points.py --benchmark-only \\
        --benchmark-json=bench/slow_points.json
    python bench/report.py bench/slow_points.json

``BENCH_SLOW_POINTS_SIZES`` (default ``flipflop,8,32``) picks the workloads;
``128`` is opt-in: the peer takes about 2 min a call there.
"""

from __future__ import annotations

import functools
import os
import sys

import numpy as np
import pytest

import fastlstm as fl
from bench.registry import measure
from fastlstm.cell import LSTMCell
from fastlstm.dynamics.networks import sampled_starts, step_and_jacobian

N_STARTS = 256
TOL_Q = 1e-12
MERGE = 1e-3
M = 4
WORKLOADS = tuple(os.environ.get("BENCH_SLOW_POINTS_SIZES", "flipflop,8,32").split(","))
#: fastlstm's speed-up over the peer the issue asks for (reported, never asserted)
TARGET = 10.0


@functools.cache
def workload(name):
    """(cell, x, starts (N_STARTS, 2n), group name)."""
    if name == "flipflop":
        cell = fl.presets.flipflop_lstm().cell
        x, label = np.zeros(cell.input_size), "flip-flop network (n = 16), x = 0"
    else:
        n = int(name)
        rng = np.random.default_rng(n)
        cell = LSTMCell(rng.normal(0, 1 / np.sqrt(M), (4 * n, M)),
                        rng.normal(0, 1 / np.sqrt(n), (4 * n, n)), rng.normal(0, 1 / np.sqrt(n), 4 * n))
        x, label = rng.normal(0, 1, M), f"random cell (n = {n}, seed {n})"
    starts, _ = sampled_starts(cell, x, N_STARTS, seed=0)
    return cell, x, starts, f"fixed points from {N_STARTS} starts: {label}, float64, one core"


def _fastlstm(name):
    cell, x, starts, _ = workload(name)
    return lambda: fl.fixed_points(cell, x, search="starts", starts=starts)


def _brainpy(name):
    if "jax" not in sys.modules:  # one thread, as fastlstm's search
        os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                           "intra_op_parallelism_threads=1")
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    bp = pytest.importorskip("brainpy", reason="BrainPy is absent (pip install brainpy); peer skipped")
    import jax
    import jax.numpy as jnp

    bp.math.enable_x64()
    cell, x, starts, _ = workload(name)
    n = cell.hidden_size
    W, u = jnp.asarray(cell.W_hh), jnp.asarray(cell.W_ih @ x + cell.bias())

    def step(s):
        h, c = s[:n], s[n:]
        z = W @ h + u
        c = jax.nn.sigmoid(z[n:2 * n]) * c + jax.nn.sigmoid(z[:n]) * jnp.tanh(z[2 * n:3 * n])
        return jnp.concatenate([jax.nn.sigmoid(z[3 * n:]) * jnp.tanh(c), c])

    finder = bp.analysis.SlowPointFinder(
        f_cell=step, f_type="discrete", verbose=False,
        f_loss=lambda s, fs: 0.5 * jnp.sum((fs - s) ** 2))
    candidates = jnp.asarray(starts)

    def run():
        finder.find_fps_with_opt_solver(candidates, opt_solver="BFGS")
        finder.filter_loss(TOL_Q)
        if len(finder.fixed_points):
            finder.keep_unique(MERGE)
        return np.asarray(finder.fixed_points, dtype=np.float64).reshape(-1, 2 * n)

    return run


IMPLEMENTATIONS = {"fastlstm": _fastlstm, "brainpy SlowPointFinder (BFGS)": _brainpy}


@functools.cache
def reference(name):
    cell, x, starts, _ = workload(name)
    return fl.fixed_points(cell, x, search="starts", starts=starts)


def _newton(cell, x, s):
    """(F(s) - s, the Newton step (J - I)^{-1} (F(s) - s)) at the rows of s (k, 2n)."""
    n = cell.hidden_size
    h1, c1, J = step_and_jacobian(cell, x, s[:, :n], s[:, n:])
    r = np.concatenate([h1, c1], axis=1) - s
    return r, np.linalg.solve(J - np.eye(2 * n), r[..., None])[..., 0]


def checked(name, implementation, benchmark):
    """The implementation's callable, after checking every point the peer keeps is one of fastlstm's."""
    cell, x, _, _ = workload(name)
    fn = IMPLEMENTATIONS[implementation](name)
    fps = reference(name)
    ours = np.array([np.concatenate([p.h, p.c]) for p in fps.points]).reshape(-1, 2 * cell.hidden_size)
    if implementation == "fastlstm":
        benchmark.extra_info.update(points=len(fps.points), slow_points=len(fps.slow_points),
                                    certified=sum(bool(p.certified) for p in fps.points))
        return fn
    found = fn()
    raw, polished = [], []
    for s in found:
        s = s[None, :]
        step = _newton(cell, x, s)[1]
        raw.append((np.abs(ours - s).max(axis=1).min() if len(ours) else np.inf,
                    np.abs(step).max()))
        for _ in range(3):
            s = s - _newton(cell, x, s)[1]
        polished.append(np.abs(ours - s).max(axis=1).min() if len(ours) else np.inf)
    for (d, step), p in zip(raw, polished):
        assert d <= max(1e-8, 4 * step) and p <= 1e-8, \
            f"{implementation} found a point fastlstm did not (raw {d:.2e}, Newton step {step:.2e}, " \
            f"polished {p:.2e}): not the same work"
    benchmark.extra_info.update(
        peer_points=len(found), fastlstm_points=len(fps.points),
        max_raw_distance=float(max((d for d, _ in raw), default=0.0)),
        max_polished_distance=float(max(polished, default=0.0)))
    return fn


@pytest.mark.parametrize("name", WORKLOADS)
@pytest.mark.parametrize("implementation", list(IMPLEMENTATIONS))
def test_slow_points(benchmark, implementation, name):
    _, _, _, group = workload(name)
    measure(benchmark, implementation=implementation, group=group, steps=N_STARTS,
            build=lambda: checked(name, implementation, benchmark),
            target=TARGET if implementation != "fastlstm" else None)
