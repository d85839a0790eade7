"""The compiled machine walk (fastlstm._kernels.machine) on long sequences: in one
pass, or in two phases (``walk_parallel``, from ``PARALLEL_THREADS`` threads on;
checked in a process given that many), the same numbers as the arithmetic."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fastlstm as fl
from fastlstm._kernels import machine as kernels

SEMANTICS = dict(activation="saturated", round_feedback=True)


@pytest.fixture(scope="module")
def parity_machine():
    return fl.extract_automaton(fl.presets.parity(), alphabet=(0, 1), **SEMANTICS)


@pytest.mark.parametrize("extra", [0, 1, 3])  # full blocks only, and tails of 1 and 3 symbols
def test_a_long_walk_is_the_run_bit_for_bit(parity_machine, extra):
    T = kernels.PARALLEL_MIN + 4 * kernels.CHUNK_BLOCKS + extra  # several thread tasks
    x = np.random.default_rng(extra).integers(0, 2, T).astype(float)
    want = fl.run(fl.presets.parity(), x, **SEMANTICS)
    got = parity_machine.trajectory(x)
    np.testing.assert_array_equal(got.h.view(np.int64), want.h.view(np.int64))
    np.testing.assert_array_equal(got.c.view(np.int64), want.c.view(np.int64))
    np.testing.assert_array_equal(parity_machine.run(x), want.rounded)


@pytest.mark.parametrize("where", ["middle", "tail"])
def test_a_long_walk_names_the_first_symbol_outside_the_alphabet(parity_machine, where):
    T = kernels.PARALLEL_MIN + 3
    x = np.zeros(T)
    t = T // 2 + 1 if where == "middle" else T - 1
    x[t] = 0.5
    with pytest.raises(ValueError, match=rf"x\[{t}\] = 0.5 is not in the alphabet"):
        parity_machine.trajectory(x)


@pytest.mark.parametrize("extra", [0, 3])
def test_a_long_state_record_is_the_run_bit_for_bit(parity_machine, extra):
    # record="states": 1 byte a step, walked on one thread; h and c looked up on first access.
    T = kernels.PARALLEL_MIN + 4 * kernels.CHUNK_BLOCKS + extra
    x = np.random.default_rng(10 + extra).integers(0, 2, T).astype(float)
    want = fl.run(fl.presets.parity(), x, **SEMANTICS)
    got = parity_machine.trajectory(x, record="states")
    assert got.states.dtype == np.uint8 and got.states.shape == (T,) and len(got) == T
    assert "h" not in vars(got) and "c" not in vars(got)   # nothing looked up yet
    np.testing.assert_array_equal(got.h.view(np.int64), want.h.view(np.int64))
    np.testing.assert_array_equal(got.c.view(np.int64), want.c.view(np.int64))
    assert got.h is got.h                                    # looked up once, then kept
    np.testing.assert_array_equal(got.rounded, want.rounded)
    x[T - 2] = 7.0
    with pytest.raises(ValueError, match=rf"x\[{T - 2}\] = 7.0 is not in the alphabet"):
        parity_machine.trajectory(x, record="states")


THREADED = """
import sys
import numba, numpy as np
import fastlstm as fl
from fastlstm._kernels import machine as kernels
assert numba.get_num_threads() >= kernels.PARALLEL_THREADS
sem = dict(activation="saturated", round_feedback=True)
m = fl.extract_automaton(fl.presets.parity(), alphabet=(0, 1), **sem)
for extra in (0, 1, 3):
    x = np.random.default_rng(extra).integers(0, 2, kernels.PARALLEL_MIN + 4 * kernels.CHUNK_BLOCKS
                                              + extra).astype(float)
    want, got = fl.run(fl.presets.parity(), x, **sem), m.trajectory(x)
    assert (got.h.view(np.int64) == want.h.view(np.int64)).all(), extra
    assert (got.c.view(np.int64) == want.c.view(np.int64)).all(), extra
x[len(x) // 2 + 1] = 0.5
try:
    m.trajectory(x)
except ValueError as exc:
    print(exc)
"""


def test_the_two_phase_walk_is_the_run_bit_for_bit():
    # walk_parallel runs from PARALLEL_THREADS threads on: a process given that many.
    env = dict(os.environ, NUMBA_NUM_THREADS=str(kernels.PARALLEL_THREADS + 1),
               FASTLSTM_QUIET="1")
    done = subprocess.run([sys.executable, "-c", THREADED], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    t = (kernels.PARALLEL_MIN + 4 * kernels.CHUNK_BLOCKS + 3) // 2 + 1
    assert done.stdout.strip() == f"x[{t}] = 0.5 is not in the alphabet (0, 1)"


@pytest.mark.parametrize("extra", [0, 3])
def test_a_streaming_walk_into_the_callers_arrays_is_the_run_bit_for_bit(parity_machine, extra):
    # From STREAM_BYTES of output on, out=(h, c) takes non-temporal stores, then a fence.
    T = kernels.STREAM_BYTES // 16 + extra
    x = np.random.default_rng(20 + extra).integers(0, 2, T).astype(float)
    want = fl.run(fl.presets.parity(), x, **SEMANTICS)
    h, c = np.full(T, np.nan), np.full(T, np.nan)
    assert kernels.streams(kernels.as_bits(h, c))
    got = parity_machine.trajectory(x, out=(h, c))
    assert got.h is h and got.c is c
    np.testing.assert_array_equal(h.view(np.int64), want.h.view(np.int64))
    np.testing.assert_array_equal(c.view(np.int64), want.c.view(np.int64))
    x[T - 1] = 0.5   # the miss is still found after a streaming walk
    with pytest.raises(ValueError, match=rf"x\[{T - 1}\] = 0.5 is not in the alphabet"):
        parity_machine.trajectory(x, out=(h, c))


def test_small_outputs_do_not_stream():
    # Caller's arrays under STREAM_BYTES stay in cache (ordinary stores).
    T = kernels.STREAM_BYTES // 16 - 1
    assert not kernels.streams(kernels.as_bits(np.empty(T), np.empty(T)))


# The streaming stores' machine code (movnti, sfence; aarch64): tests/kernels/test_codegen.py.
