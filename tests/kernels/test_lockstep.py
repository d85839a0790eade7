"""The lockstep kernel (fastlstm/_kernels/lockstep.py, through the automata wing's stepper).

Every row it steps is the run ``fl.run_batch`` / ``fl.run`` computes, bit for bit, under
all 8 semantics, for hidden sizes around its blocks' shapes (n = 1 with two inputs, 2, 3,
8, 17), batches that fill part of a block, exactly one, and several (1, 5, 64, 65, 130
rows), a batch large enough to be spread over threads, and pre-activations that hit the
saturation boundary exactly (where ``inclusive`` decides).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fastlstm as fl
from fastlstm._kernels import lockstep
from fastlstm.automata import cells
from fastlstm.automata.cells import stepper_for
from fastlstm.semantics import Semantics

SEMANTICS = [dict(activation=a, inclusive=inc, round_feedback=rf)
             for a, inc, rf in itertools.product(("exact", "saturated"), (True, False),
                                                 (False, True))]


def same_bits(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


def random_cell(rng, n, m, scale=2.0):
    return fl.LSTMCell(rng.normal(0, scale, (4 * n, m)), rng.normal(0, scale, (4 * n, n)),
                       rng.normal(0, 1, 4 * n))


def stepped(cell, symbols, sem, words, h, c):
    _, stepper, _ = stepper_for(cell, symbols, Semantics(**sem))
    return stepper.run(words, h, c)


@pytest.mark.parametrize("sem", SEMANTICS, ids=lambda s: "-".join(map(str, s.values())))
def test_rows_are_runs_bit_for_bit(sem):
    rng = np.random.default_rng(11)
    for (n, m), B in itertools.product([(1, 2), (2, 1), (3, 2), (8, 1), (17, 3)],
                                       [1, 5, 64, 65, 130]):
        cell = random_cell(rng, n, m)
        symbols = [tuple(v) for v in rng.normal(0, 1.5, (3, m)).tolist()]   # distinct
        words = rng.integers(0, 3, (B, 7))
        h0, c0 = rng.uniform(-1, 1, n), rng.normal(0, 2, n)
        H, C = stepped(cell, symbols, sem, words, np.tile(h0, (B, 1)), np.tile(c0, (B, 1)))
        x = np.array(symbols, dtype=float)[words]
        ref = fl.run_batch(cell, x, h0=h0, c0=c0, **sem)
        assert same_bits(H, ref.h) and same_bits(C, ref.c), (n, m, B)


def test_each_row_from_its_own_state():
    rng = np.random.default_rng(12)
    cell, sem = random_cell(rng, 5, 1), dict(activation="exact")
    words = rng.integers(0, 2, (70, 9))
    h, c = rng.uniform(-1, 1, (70, 5)), rng.normal(0, 3, (70, 5))
    H, C = stepped(cell, (0, 1), sem, words, h, c)
    for s in (0, 1, 63, 64, 69):   # first and last lane of the first block, the second block
        ref = fl.run(cell, words[s].astype(float)[:, None], h0=h[s], c0=c[s], **sem)
        assert same_bits(H[s], ref.h) and same_bits(C[s], ref.c)


def test_a_batch_spread_over_threads():
    rng = np.random.default_rng(13)
    cell, sem = random_cell(rng, 3, 1), dict(activation="saturated", round_feedback=True)
    B = lockstep.SERIAL_STEPS // 2 + 100   # two steps a row: past the steps run in this thread
    words = rng.integers(0, 2, (B, 2))
    H, C = stepped(cell, (0, 1), sem, words, np.zeros((B, 3)), np.zeros((B, 3)))
    ref = fl.run_batch(cell, words.astype(float)[..., None], **sem)
    assert same_bits(H, ref.h) and same_bits(C, ref.c)


def test_few_long_rows_take_the_batch_kernel_with_the_same_bits():
    # Fewer rows than a quarter of a block, 40 steps long, go to run_batch_vector's kernel;
    # padded to a full block's worth of rows they go through the lockstep kernel.
    rng = np.random.default_rng(14)
    cell, sem = random_cell(rng, 6, 1), dict(activation="exact")
    assert cells.VectorStepper is type(stepper_for(cell, (0, 1), Semantics())[1])
    words = rng.integers(0, 2, (cells._FEW_ROWS - 1, 40))
    h, c = rng.uniform(-1, 1, (len(words), 6)), rng.normal(0, 1, (len(words), 6))
    few = stepped(cell, (0, 1), sem, words, h, c)
    many = stepped(cell, (0, 1), sem, np.tile(words, (2, 1)), np.tile(h, (2, 1)),
                   np.tile(c, (2, 1)))
    assert same_bits(few[0], many[0][:len(words)]) and same_bits(few[1], many[1][:len(words)])


@pytest.mark.parametrize("inclusive", [True, False])
def test_exact_boundary_hits(inclusive):
    # Zero weights and biases of exactly +-theta: every pre-activation sits on the
    # boundary, saturated when inclusive, the exact activation's value when not.
    theta = 0.75
    bias = np.repeat([theta, -theta, theta, -theta], 2)
    cell = fl.LSTMCell(np.zeros((8, 1)), np.zeros((8, 2)), bias)
    sem = dict(activation="saturated", threshold=theta, inclusive=inclusive)
    words = np.zeros((3, 4), dtype=np.int64)
    H, C = stepped(cell, (0, 1), sem, words, np.zeros((3, 2)), np.zeros((3, 2)))
    ref = fl.run_batch(cell, np.zeros((3, 4, 1)), **sem)
    assert same_bits(H, ref.h) and same_bits(C, ref.c)
    # i = 1, f = 0, g = 1 when inclusive: c = 1 at every step
    assert (C == 1.0).all() == inclusive
