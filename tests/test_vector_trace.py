"""Traces of vector cells (``fl.run(LSTMCell, x, trace=True)``, ``fl.run_batch``) and the
overflow bound of vector runs.

* the trace follows the plain oracle tests/naive_vector.py per unit (values to 1e-12,
  regimes and boundary hits exactly, on cells whose pre-activations hit the boundary);
* traced and plain runs give the same h and c bit for bit, and batch rows are single runs;
* a 1-unit cell's trace is the scalar trace of ``fl.run`` bit for bit;
* ``band_steps`` flags the steps where any unit has a pre-activation in the band or on its edge;
* pre-activations that could overflow float64 are refused up front, exactly at 2**1023.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.cell import LSTMCell
from tests import naive_vector

SEMANTICS = [dict(activation=a, inclusive=inc, round_feedback=rf)
             for a, inc, rf in itertools.product(("exact", "saturated"), (True, False),
                                                 (False, True))]
IDS = ["-".join(f"{k}={v}" for k, v in s.items()) for s in SEMANTICS]
#: Three semantics that exercise every branch (saturation, both boundaries, rounding):
#: each semantics is a compile of every kernel a test uses, so CI stays fast.
SOME = [SEMANTICS[0], SEMANTICS[5], SEMANTICS[6]]
SOME_IDS = [IDS[0], IDS[5], IDS[6]]
TRACE = ("h_raw", "gates", "preactivations", "regimes", "boundary_hits")


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def random_cell(rng, n, m, scale=1.5):
    return LSTMCell(rng.normal(0, scale, (4 * n, m)), rng.normal(0, scale, (4 * n, n)),
                    rng.normal(0, scale, 4 * n))


def boundary_cell(rng, n=3, m=2):
    """Integer weights and a shut forget gate (z_f <= -5): with 0/1 inputs and
    rounded feedback every gate's pre-activation is an integer, many on |z| = 1."""
    b = rng.integers(-1, 2, 4 * n).astype(float)
    b[n:2 * n] = -10
    return LSTMCell(rng.integers(-1, 2, (4 * n, m)), rng.integers(-1, 2, (4 * n, n)), b)


@pytest.mark.parametrize("sem", SOME, ids=SOME_IDS)
def test_trace_follows_the_oracle(sem):
    # every semantics of the plain runs is checked in tests/kernels/test_vector.py; the
    # traced kernel runs the same step, so three semantics (each a compile) check the trace
    rng = np.random.default_rng(1)
    for theta in (1.0, 2.5):
        cell = random_cell(rng, 3, 2)
        x = rng.normal(0, 1.5, (30, 2))
        h0, c0 = rng.uniform(-1, 1, (2, 3))
        got = fl.run(cell, x, threshold=theta, h0=h0, c0=c0, trace=True, **sem)
        want = naive_vector.run(cell, x, sem["activation"], theta, sem["inclusive"],
                                sem["round_feedback"], h0, c0)
        for name in ("h", "c", "h_raw", "gates", "preactivations"):
            np.testing.assert_allclose(getattr(got, name), want[name], rtol=0, atol=1e-12,
                                       err_msg=name)
        assert got.regimes.dtype == np.int8 and got.boundary_hits.dtype == np.bool_
        assert np.array_equal(got.regimes, want["regimes"])
        assert np.array_equal(got.boundary_hits, want["boundary_hits"])


@pytest.mark.parametrize("inclusive", [True, False])
def test_regimes_and_boundary_hits_are_exact_on_the_boundary(inclusive):
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(10):
        cell = boundary_cell(rng)
        x = rng.integers(0, 2, (25, 2)).astype(float)
        got = fl.run(cell, x, activation="saturated", inclusive=inclusive, round_feedback=True,
                     trace=True)
        want = naive_vector.run(cell, x, "saturated", 1.0, inclusive, round_feedback=True)
        for name in ("h", "c", "h_raw", "gates", "preactivations"):  # in-band: own exp, tanh
            np.testing.assert_allclose(getattr(got, name), want[name], rtol=0, atol=1e-15)
        # the gates' pre-activations are integers, exact in both; c = i * g is exact where
        # it is +-1 (both saturated)
        assert np.array_equal(got.preactivations[..., :4], want["preactivations"][..., :4])
        for name in ("regimes", "boundary_hits"):
            assert np.array_equal(getattr(got, name), want[name]), name
        hits += int(want["boundary_hits"].sum())
    assert hits > 50


@pytest.mark.parametrize("sem", SOME, ids=SOME_IDS)
def test_traced_plain_and_batch_runs_give_the_same_bits(sem):
    rng = np.random.default_rng(3)
    cell = random_cell(rng, 5, 1)
    X = rng.normal(0, 1.5, (6, 40))
    h0 = rng.uniform(-1, 1, (6, 5))
    batch = fl.run_batch(cell, X, h0=h0, trace=True, **sem)
    plain = fl.run_batch(cell, X, h0=h0, **sem)
    assert same_bits(batch.h, plain.h) and same_bits(batch.c, plain.c)
    assert batch.gates.shape == (6, 40, 5, 4) and batch.regimes.shape == (6, 40, 5, 5)
    for s in range(6):
        one = fl.run(cell, X[s], h0=h0[s], trace=True, **sem)
        for name in ("h", "c") + TRACE:
            assert same_bits(getattr(batch, name)[s], getattr(one, name)), (s, name)


@pytest.mark.parametrize("sem", SOME, ids=SOME_IDS)
def test_a_one_unit_trace_is_the_scalar_trace(sem):
    rng = np.random.default_rng(4)
    scalar = fl.ScalarLSTM.from_array(rng.uniform(-3, 3, 12))
    x = rng.normal(0, 1.5, 50)
    want = fl.run(scalar, x, h0=0.25, trace=True, **sem)
    got = fl.run(LSTMCell.from_scalar(scalar), x, h0=0.25, trace=True, **sem)
    for name in ("h", "c", "h_raw"):
        assert same_bits(getattr(got, name)[:, 0], getattr(want, name)), name
    for name in TRACE[1:]:
        assert same_bits(getattr(got, name)[:, 0], getattr(want, name)), name
    batch = fl.run_batch(LSTMCell.from_scalar(scalar), [x, x], h0=0.25, trace=True, **sem)
    assert same_bits(batch.preactivations[1, :, 0], want.preactivations)


def test_band_steps_flag_any_unit_in_the_band_or_on_its_edge():
    # wide weights: gates mostly saturated; the forget gate open and c0 far out keep c out
    # of the band, so the flagged steps are those of some gate of some unit
    rng = np.random.default_rng(1)
    n = 2
    b = rng.normal(0, 3, 4 * n)
    b[n:2 * n] = 100
    cell = LSTMCell(rng.normal(0, 3, (4 * n, 1)), rng.normal(0, 3, (4 * n, n)), b)
    X = rng.normal(0, 1, (4, 20))
    sem = dict(activation="saturated", round_feedback=True, c0=[50.0, -50.0])
    batch = fl.run_batch(cell, X, trace=True, **sem)
    rows = []
    for s in range(4):
        want = naive_vector.run(cell, X[s], "saturated", round_feedback=True, c0=sem["c0"])
        flagged = [t for t in range(20) if (want["regimes"][t] == 0).any()
                   or want["boundary_hits"][t].any()]
        assert 0 < len(flagged) < 20  # the test means something
        assert fl.run(cell, X[s], trace=True, **sem).band_steps.tolist() == flagged
        rows += [[s, t] for t in flagged]
    assert batch.band_steps.tolist() == rows


def test_band_steps_need_a_trace_and_trace_must_be_a_bool():
    cell = random_cell(np.random.default_rng(6), 2, 1)
    with pytest.raises(ValueError, match="band_steps needs a trajectory computed with trace"):
        fl.run(cell, [1.0]).band_steps
    assert fl.run(cell, [1.0]).gates is None
    with pytest.raises(TypeError, match="trace must be True or False"):
        fl.run(cell, [1.0], trace="yes")
    with pytest.raises(TypeError, match="trace must be True or False"):
        fl.run_batch(cell, [[1.0]], trace=1)


# --- the overflow bound ------------------------------------------------------------------


def test_the_bound_is_exact_at_2_to_the_1023():
    # row 5 (gate f, unit 1): |W_hh| sums to 2**1022, |W_ih| . max|x| to 2**1021, |b| 2**1021
    W_ih, W_hh, b = np.zeros((8, 1)), np.zeros((8, 2)), np.zeros(8)
    W_hh[3] = 2.0 ** 1021, -(2.0 ** 1021)
    W_ih[3], b[3] = 2.0 ** 1021, -(2.0 ** 1021)
    cell = LSTMCell(W_ih, W_hh, b)
    got = fl.run(cell, [1.0, -1.0])  # bound 2**1023 exactly: run, and finite
    assert np.isfinite(got.h).all() and np.isfinite(got.c).all()
    with pytest.raises(ValueError, match=r"row 3 \(gate f, unit 1\) of W_hh h \+ \(W_ih x \+ b\)"
                                         r" can overflow float64: .* = 8.99e\+307 exceeds"):
        fl.run(cell, [np.nextafter(1.0, 2.0)])
    with pytest.raises(ValueError, match=r"max\(\|h0\|, 1\) .* max\|X\| .* use smaller weights, "
                                         r"h0 or X"):
        fl.run_batch(cell, [[0.0], [1.0]], h0=[[0.0, 0.0], [0.0, 1.5]])


def test_a_bias_sum_beyond_float64_is_refused_not_run():
    b = np.zeros(8)
    b[6] = 1e308
    with pytest.raises(ValueError, match=r"b_ih \+ b_hh overflows float64 at row 6 \(gate o"):
        LSTMCell(np.zeros((8, 1)), np.zeros((8, 2)), b, b)


def test_cancelling_products_that_overflow_are_refused():
    # W_hh h0 and W_ih x would each overflow though their true sum is 0
    cell = LSTMCell(np.full((4, 1), 1e308), np.full((4, 1), 1e308), np.full(4, 5.0))
    with pytest.raises(ValueError, match=r"row 0 \(gate i, unit 0\).* = 2.00e\+616"):
        fl.run(cell, [-1e308], h0=1e308)
