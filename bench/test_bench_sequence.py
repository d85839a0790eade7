"""Long sequences: ``fastlstm.run`` / ``run_batch`` against their peers.

Groups (one table each in ``bench/report.py``):

* one sequence of 10^6 steps (10^7 with ``--slow``): fastlstm.run, JAX
  ``jit(lax.scan)``, PyTorch ``nn.LSTM(1, 1)``, plain Python;
* a batch of 10^4 sequences x 10^3 steps: fastlstm.run_batch, JAX
  ``jit(vmap(lax.scan))``, PyTorch ``nn.LSTM(1, 1)`` on the batch, NumPy
  vectorised over the batch, plain Python.

Plain Python (always) and PyTorch (on one sequence) cost microseconds per
step, so they are timed on the first 10^5 steps of the same input (a prefix of
the sequence, or the first rows of the batch; ``*_MAX_STEPS``) and compared
in steps per second; the report shows how many steps each row timed.  They are
timed in a pytest-benchmark group of their own (``..., first 1e5 steps``), so
pytest-benchmark's raw table, which ranks by time per call, compares like with
like; ``bench/report.py`` puts them back in their workload's table.  Every
implementation's output is checked against fastlstm before it is timed.

    python -m pytest bench --benchmark-only --benchmark-json=bench/results.json
    python bench/report.py bench/results.json
"""

from __future__ import annotations

import functools

import pytest

from bench import peers
from bench.registry import CASES, Workload, build_fastlstm, hs_of, inputs, measure

#: implementation -> builder(params, x, h0=, c0=, **semantics) -> zero-argument callable
SEQUENCE = {
    "fastlstm": build_fastlstm,
    "jax jit(scan)": peers.build_jax_scan,
    "torch nn.LSTM": peers.build_torch_lstm,
    "python": peers.build_python,
}
BATCH = {
    "fastlstm": build_fastlstm,
    "jax jit(vmap(scan))": peers.build_jax_vmap_scan,
    "torch nn.LSTM": peers.build_torch_lstm,
    "numpy": peers.build_numpy,
    "python": peers.build_python,
}
#: Implementations timed on a prefix of the work (steps per call at most).
#: PyTorch steps one time step at a time (microseconds each) on one sequence,
#: but a whole batch per time step, so it does the full batch.
SEQUENCE_MAX_STEPS = {"python": 10**5, "torch nn.LSTM": 10**5}
BATCH_MAX_STEPS = {"python": 10**5}
#: Speed-ups over a peer that fastlstm aims for (docs/bench.md), reported, never asserted.
TARGETS = {"jax jit(scan)": 1.5, "torch nn.LSTM": 100.0}

SEQUENCE_CASES = [pytest.param(label, 10**6, id=f"{label}, T=1e6") for label in CASES]
SLOW_SEQUENCE_CASES = [pytest.param(label, 10**7, id=f"{label}, T=1e7") for label in CASES]
BATCH_CASES = [pytest.param(label, (10**4, 10**3), id=f"{label}, 1e4x1e3")
               for label in CASES if "saturated" not in label]


@functools.lru_cache(maxsize=None)
def workload(kind: str, label: str, shape) -> Workload:
    cell, input_kind, semantics = CASES[label]
    return Workload(f"{kind}: {label}", cell.to_array(), inputs(input_kind, shape), semantics)


@functools.lru_cache(maxsize=None)
def reference(kind: str, label: str, shape):
    w = workload(kind, label, shape)
    return hs_of(build_fastlstm(w.params, w.x, **w.kwargs())())


def _run(benchmark, registry, implementation, kind, label, shape, max_steps, targets=TARGETS):
    full = workload(kind, label, shape)
    w = full.truncated(max_steps.get(implementation))
    measure(benchmark, implementation=implementation, group=full.group, steps=w.steps,
            full_steps=full.steps,
            build=lambda: registry[implementation](w.params, w.x, **w.kwargs()),
            reference=reference(kind, label, shape), target=targets.get(implementation))


@pytest.mark.parametrize("implementation", list(SEQUENCE))
@pytest.mark.parametrize("label, steps", SEQUENCE_CASES)
def test_sequence(benchmark, label, steps, implementation):
    _run(benchmark, SEQUENCE, implementation, "sequence", label, steps, SEQUENCE_MAX_STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("implementation", ["fastlstm", "jax jit(scan)"])
@pytest.mark.parametrize("label, steps", SLOW_SEQUENCE_CASES)
def test_sequence_slow(benchmark, label, steps, implementation):
    _run(benchmark, SEQUENCE, implementation, "sequence", label, steps, SEQUENCE_MAX_STEPS)


@pytest.mark.parametrize("implementation", list(BATCH))
@pytest.mark.parametrize("label, shape", BATCH_CASES)
def test_batch(benchmark, label, shape, implementation):
    _run(benchmark, BATCH, implementation, "batch", label, shape, BATCH_MAX_STEPS, targets={})
