"""fastlstm.sweeps.chunks: the Work every backend runs, and what a worker imports."""

import ast
import pathlib

import numpy as np
import pytest

import fastlstm as fl
from fastlstm._kernels import sweep as sk
from fastlstm.sweeps.chunks import CHUNK_STEPS, Kernel, Work
from fastlstm.sweeps.plan import make_plan

WING = pathlib.Path(fl.__file__).parent / "sweeps"


def work(n, record="final", chunk_size=None, dtype="float64", B=4, T=5):
    X = fl.binary_strings(T)[:B].astype(float)
    plan = make_plan(X, np.zeros(B), np.zeros(B), fl.parity_target(X), dtype,
                     finals=record == "final", steps=record in ("trajectory", "rounded"))
    values = fl.random_params(n, -3, 3, seed=n).values
    return Work.create(Kernel.of(fl.Semantics(), record, dtype), values, plan, chunk_size)


@pytest.mark.parametrize("n, chunk_size", [(0, None), (1, None), (300, 1), (300, 64),
                                           (300, 100), (300, 10**6)])
def test_spans_cover_the_table_in_whole_blocks_of_lanes(n, chunk_size):
    spans = list(work(n, chunk_size=chunk_size).spans())
    bounds = [0] + [stop for _, stop in spans]
    assert [start for start, _ in spans] == bounds[:-1] and bounds[-1] == n  # contiguous
    assert all(start % sk.LANES == 0 for start, _ in spans)
    if chunk_size is not None:
        step = max(sk.LANES, -(-chunk_size // sk.LANES) * sk.LANES)
        assert all(stop - start == min(step, n - start) for start, stop in spans)


def test_default_spans_give_every_worker_several_chunks():
    w = work(10_000)
    assert len(list(w.spans())) == 1  # a small plan: one chunk of CHUNK_STEPS holds it all
    assert w.plan.nodes * 10_000 < CHUNK_STEPS
    assert len(list(w.spans(parts=3))) >= 12


@pytest.mark.parametrize("record", ["final", "trajectory", "rounded", None])
def test_a_chunk_run_elsewhere_fills_the_same_rows_as_one_run_here(record):
    here, there = work(200, record, chunk_size=64), work(200, record, chunk_size=64)
    for start, stop in here.spans():
        here.run(start, stop)
        there.fill(start, stop, there.kernel.run(there.values[start:stop], there.plan))
    for a, b in zip(here.outputs, there.outputs):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    assert here.outputs[-1].sum() > 0  # scored: some steps were right


def test_kernel_is_small_and_names_its_kernel():
    k = Kernel.of(fl.Semantics(activation="saturated", threshold=0.5), "rounded", "float32")
    assert k.key == (True, True) and k.record == "rounded"
    assert k.scalars[0] == 0.5 and isinstance(k.scalars[0], np.float32)
    h, c, traj, rnd, correct = k.outputs(3, (2, 4))
    assert rnd.shape == (3, 8) and rnd.dtype == np.int8 and h.shape == (0, 0)
    assert correct.shape == (3,) and correct.dtype == np.int64


def _wing_imports(name):
    tree = ast.parse((WING / f"{name}.py").read_text())
    return {(node.level, node.module) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level}


@pytest.mark.parametrize("name", ["chunks", "dask_backend"])
def test_a_worker_never_imports_sweep(name):
    # the Dask task runs chunks.Kernel.run: the worker side must not import sweep back
    # (lazy imports inside functions count too)
    imports = _wing_imports(name)
    assert (1, "sweep") not in imports and (1, None) not in imports
    assert imports <= {(1, "chunks"), (1, "plan"), (2, "_kernels")}
