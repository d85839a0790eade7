"""Vector cells (hidden size n, ``fl.LSTMCell``): ``fastlstm.run`` / ``run_batch`` against peers.

Groups (one table each in ``bench/report.py``), float64, exact semantics,
one random cell per n (weights N(0, 1/n), so pre-activations stay moderate
and every activation is evaluated in full), standard-normal inputs, m = 1:

* one sequence of 10^5 steps, n = 2, 4, 8, 16, 32, 64: fastlstm.run, JAX
  ``jit(lax.scan)`` of the same step, PyTorch ``nn.LSTM(1, n)`` (timed on the
  first 10^4 steps, compared in steps per second);
* a batch of 10^3 sequences x 10^3 steps, n = 4 and 16: fastlstm.run_batch,
  JAX ``jit(vmap(lax.scan))``, PyTorch ``nn.LSTM(1, n)`` on the batch.

Targets (reported, never asserted): >= 1.5x JAX for n <= 16 (issues 11 and 24),
>= 1x for n = 32 (issue 11), >= 2x for n = 64 (issue 24); >= 20x PyTorch for
n <= 16; batches >= 1.5x JAX vmap.  They are stated for one thread: pin the
process to one core.  ``bench/roofline.py`` gives each n's limits on the host
(FMA throughput, load bandwidth, divisions) and the fraction reached.

fastlstm picks its kernel by n (fastlstm/_kernels/vector.py): n <= 4 the small
one, above that steps in tiles of units (``unit_tiles``: 8 units in 256-bit
vectors, from n = 8 on 16 units in 512-bit vectors where Numba targets AVX-512); the AVX2
figures come from ``NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES=`` with JAX held
to AVX2 by ``XLA_FLAGS=--xla_cpu_max_isa=AVX2``.

    taskset -c 0 python -m pytest bench/test_bench_vector.py --benchmark-only \\
        --benchmark-json=bench/vector.json
    python bench/report.py bench/vector.json

``FASTLSTM_BENCH_TINY=1`` shrinks every workload (10^3 steps, 8 x 100 batches)
to check that the file works, not to measure.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest

import fastlstm as fl
from bench import peers
from bench.registry import inputs, measure

TINY = os.environ.get("FASTLSTM_BENCH_TINY", "") not in ("", "0")
SEQUENCE_STEPS = 10**3 if TINY else 10**5
BATCH_SHAPE = (8, 100) if TINY else (10**3, 10**3)
#: PyTorch steps one time step at a time on one sequence (microseconds each).
TORCH_MAX_STEPS = 10**4
SIZES = (2, 4, 8, 16, 32, 64)
BATCH_SIZES = (4, 16)


def sequence_targets(n):
    jax = 1.5 if n <= 16 else 2.0 if n >= 64 else 1.0
    return {"jax jit(scan)": jax, "torch nn.LSTM": 20.0 if n <= 16 else None}


@functools.lru_cache(maxsize=None)
def cell(n: int) -> fl.LSTMCell:
    rng = np.random.default_rng(n)
    scale = 1.0 / np.sqrt(n)
    return fl.LSTMCell(rng.normal(0, 1.0, (4 * n, 1)), rng.normal(0, scale, (4 * n, n)),
                       rng.normal(0, 0.5, 4 * n))


def group(n, shape):
    size = "x".join(f"1e{round(np.log10(s))}" if 10 ** round(np.log10(s)) == s else str(s)
                    for s in shape)
    return f"vector cell n={n}, exact, x {size}"


# --- builders: (cell, x) -> zero-argument callable returning (h, c) -----------------------


def build_fastlstm(cell, x):
    run = fl.run if x.ndim == 1 else fl.run_batch

    def call():
        tr = run(cell, x)
        return tr.h, tr.c

    return call


def _jax_sequence(cell):
    """Un-jitted ``(W_ih, W_hh, b, x, h0, c0) -> h`` by ``lax.scan``, PyTorch's gate order
    (skips with a message when JAX is absent)."""
    jax = peers._jax()
    import jax.numpy as jnp

    n = cell.hidden_size

    def step(w, carry, x_t):
        W_ih, W_hh, b = w
        h, c = carry
        z = W_hh @ h + (W_ih @ x_t + b)
        i, f = jax.nn.sigmoid(z[:n]), jax.nn.sigmoid(z[n:2 * n])
        g, o = jnp.tanh(z[2 * n:3 * n]), jax.nn.sigmoid(z[3 * n:])
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return (h, c), h

    def run(W_ih, W_hh, b, x, h0, c0):
        return jax.lax.scan(lambda carry, x_t: step((W_ih, W_hh, b), carry, x_t), (h0, c0),
                            x)[1]

    return jax, run


def build_jax(cell, x):
    """``jit(lax.scan)`` for one sequence, ``jit(vmap(lax.scan))`` for a batch."""
    jax, run = _jax_sequence(cell)
    n = cell.hidden_size
    weights = (np.array(cell.W_ih), np.array(cell.W_hh), cell.bias())
    xs = x[..., None]  # (..., T, m)
    state = np.zeros(x.shape[:-1] + (n,))
    if x.ndim == 2:
        run = jax.vmap(run, in_axes=(None, None, None, 0, 0, 0))
    fn = jax.jit(run)
    args = tuple(jax.device_put(a) for a in weights + (xs, state, state))
    jax.block_until_ready(fn(*args))  # compile and warm up, untimed
    return lambda: (jax.block_until_ready(fn(*args)), None)


def build_torch(cell, x):
    """``nn.LSTM(1, n)`` in float64, inference mode, time-major input (made untimed)."""
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed (pip install 'fastlstm[torch]'); peer skipped")
    n = cell.hidden_size
    module = torch.nn.LSTM(1, n, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(np.array(cell.W_ih)))
        module.weight_hh_l0.copy_(torch.from_numpy(np.array(cell.W_hh)))
        module.bias_ih_l0.copy_(torch.from_numpy(cell.bias()))
        module.bias_hh_l0.zero_()
    inputs = torch.from_numpy(np.ascontiguousarray(np.atleast_2d(x).T)[:, :, None])

    def call():
        with torch.inference_mode():
            out = module(inputs)[0]  # (T, B, n)
        h = out.transpose(0, 1)
        return (h[0] if x.ndim == 1 else h), None

    call()  # warm-up
    return call


SEQUENCE = {"fastlstm": build_fastlstm, "jax jit(scan)": build_jax,
            "torch nn.LSTM": build_torch}
BATCH = {"fastlstm": build_fastlstm, "jax jit(vmap(scan))": build_jax,
         "torch nn.LSTM": build_torch}


@functools.lru_cache(maxsize=None)
def reference(n, shape):
    return np.asarray(fl.run(cell(n), inputs("normal", shape)).h if len(shape) == 1
                      else fl.run_batch(cell(n), inputs("normal", shape)).h)


def _run(benchmark, registry, implementation, n, shape, targets, max_steps=None):
    x = inputs("normal", shape)
    steps = full = int(np.prod(shape))
    if max_steps is not None and x.ndim == 1 and steps > max_steps:
        x, steps = x[:max_steps], max_steps
    measure(benchmark, implementation=implementation, group=group(n, shape), steps=steps,
            full_steps=full,
            build=lambda: registry[implementation](cell(n), x), reference=reference(n, shape),
            target=targets.get(implementation))


@pytest.mark.parametrize("implementation", list(SEQUENCE))
@pytest.mark.parametrize("n", SIZES, ids=[f"n={n}" for n in SIZES])
def test_vector_sequence(benchmark, n, implementation):
    max_steps = TORCH_MAX_STEPS if implementation == "torch nn.LSTM" else None
    _run(benchmark, SEQUENCE, implementation, n, (SEQUENCE_STEPS,), sequence_targets(n),
         max_steps)


@pytest.mark.parametrize("implementation", list(BATCH))
@pytest.mark.parametrize("n", BATCH_SIZES, ids=[f"n={n}" for n in BATCH_SIZES])
def test_vector_batch(benchmark, n, implementation):
    _run(benchmark, BATCH, implementation, n, BATCH_SHAPE, {"jax jit(vmap(scan))": 1.5})
