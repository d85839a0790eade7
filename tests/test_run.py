"""fastlstm.run / run_batch: the worked example, the oracle, batches, bad input."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import fastlstm as fl

from . import naive

PARITY = fl.presets.parity()
ALL_SEMANTICS = [
    dict(activation=a, inclusive=inc, round_feedback=rf)
    for a in ("exact", "saturated") for inc in (True, False) for rf in (False, True)
]

# --- the worked example (docs/semantics.md) ---------------------------------

# The exercise's answer key, and the h values of the semantics table (docs/semantics.md).
KEY = {
    (0, 0, 1, 1, 1, 0): [0, 0, 1, -1, 1, 0],
    (1, 1, 0, 1, 1): [1, -1, 0, 1, -1],
}
EXACT = [0.762, -0.762, 0.381, 0.762, -0.762]
TABLE = {  # semantics row -> (h for 1 1 0 1 1 as the table prints it, rounded)
    "exact": (EXACT, [1, -1, 0, 1, -1]),
    "saturated closed, raw feedback": ([1, -1, 0.5, 0, 1], [1, -1, 0, 0, 1]),
    "saturated closed, rounded feedback": ([1, -1, 0, 1, -1], [1, -1, 0, 1, -1]),
    "saturated open, raw feedback": (EXACT, [1, -1, 0, 1, -1]),
}


@pytest.mark.parametrize("row", list(TABLE))
def test_semantics_table_second_input(row):
    raw, rounded = TABLE[row]
    tr = fl.run(PARITY, [1, 1, 0, 1, 1], trace=True, **fl.TABLE_ROWS[row])
    # The table prints the reported h with three decimals; the saturated
    # closed rows are exact dyadic values.
    np.testing.assert_allclose(tr.h, raw, rtol=0, atol=5e-4)
    if "saturated closed" in row:
        np.testing.assert_array_equal(tr.h, raw)
    assert tr.rounded.tolist() == rounded


# Every row of the table reproduces the key on both inputs, except the literal
# saturated rule on the second input (checked against the table above).
KEY_CASES = [(row, x) for row in TABLE for x in KEY
             if not (row == "saturated closed, raw feedback" and x == (1, 1, 0, 1, 1))]


@pytest.mark.parametrize("row, x", KEY_CASES)
def test_answer_key_under_every_row(row, x):
    assert fl.run(PARITY, x, **fl.TABLE_ROWS[row]).rounded.tolist() == KEY[x]


def test_last_step_of_first_input_is_negative_zero_in_the_key():
    # "the key writes the last as -0": h_5 = -tanh(1)/2 rounds to -0.0.
    tr = fl.run(PARITY, [0, 0, 1, 1, 1, 0], activation="saturated", round_feedback=True)
    assert tr.h[-1] == 0 and math.copysign(1, tr.h[-1]) == -1
    exact = fl.run(PARITY, [0, 0, 1, 1, 1, 0])
    assert fl.round_half_to_zero(exact.h[-1]) == 0
    assert math.copysign(1, fl.round_half_to_zero(exact.h[-1])) == -1


def test_band_step_of_the_literal_rule_is_found():
    tr = fl.run(PARITY, [1, 1, 0, 1, 1], activation="saturated", trace=True)
    # t=3: candidate pre-activation -100 * 0.5 + 50 = 0, inside the band.
    assert tr.preactivations[3, 3] == 0.0
    assert tr.regimes[3].tolist()[3] == 0
    assert 3 in tr.band_steps.tolist()
    # t=2 (x=0, h=-1): z_o = 0 is in the band (o = 1/2), c_2 = 0 * -1 + 1 * 1 = 1
    # sits exactly on the closed boundary, so h_2 = 1/2 * 1.
    assert tr.regimes[2, 2] == 0 and tr.boundary_hits[2, 4] and tr.h[2] == 0.5
    assert np.flatnonzero((tr.regimes == 0).any(axis=1)).tolist() == [2, 3]
    # c_t = +-1 exactly at every other step: the closed boundary decides there,
    # which is why the open-boundary row differs.
    assert np.flatnonzero(tr.boundary_hits[:, 4]).tolist() == [0, 1, 2, 4]
    assert tr.band_steps.tolist() == [0, 1, 2, 3, 4]


def test_parity_state_meaning_on_random_strings():
    # "h_t carries whether the current run of ones has odd length".
    rng = np.random.default_rng(7)
    X = rng.integers(0, 2, size=(64, 40))
    tr = fl.run_batch(PARITY, X)
    for row, out in zip(X, tr.rounded):
        run = 0
        for xt, r in zip(row, out):
            run = run + 1 if xt == 1 else 0
            assert r == (0 if run == 0 else (1 if run % 2 else -1))


# --- the plain oracle, on random cells --------------------------------------

weights = st.floats(-200, 200, allow_nan=False)


@st.composite
def cells(draw):
    return fl.ScalarLSTM(**{n: draw(weights) for n in fl.PARAM_NAMES})


@st.composite
def sequences(draw):
    T = draw(st.integers(1, 30))
    if draw(st.booleans()):
        return [float(v) for v in draw(st.lists(st.integers(0, 1), min_size=T, max_size=T))]
    return draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=T, max_size=T))


semantics_st = st.fixed_dictionaries(dict(
    activation=st.sampled_from(["exact", "saturated"]),
    threshold=st.sampled_from([1.0, 0.5, 2.0, 1e-3]) | st.floats(1e-3, 5),
    inclusive=st.booleans(),
    round_feedback=st.booleans(),
))


def compare_with_oracle(cell, x, sem, h0, c0):
    """Assert engine == oracle within the propagated error bound; return steps compared."""
    tr = fl.run(cell, x, h0=h0, c0=c0, trace=True, **sem)
    ref = naive.run(cell, x, h0=h0, c0=c0, **sem)
    eh, ec, fragile = naive.error_bounds(cell, x, h0=h0, c0=c0, **sem)
    n = fragile
    if n:
        # Two correct engines may each be off by the bound: compare with 2x.
        np.testing.assert_array_less(np.abs(tr.h[:n] - ref["h"][:n]), 2 * np.array(eh) + 1e-300)
        np.testing.assert_array_less(np.abs(tr.c[:n] - ref["c"][:n]), 2 * np.array(ec) + 1e-300)
        if sem["activation"] == "saturated":
            np.testing.assert_array_equal(tr.regimes[:n, :4], np.array(ref["regimes"])[:n, :4])
        if sem["round_feedback"]:
            np.testing.assert_array_equal(tr.rounded[:n], ref["rounded"][:n])
    return n


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cell=cells(), x=sequences(), sem=semantics_st,
       h0=st.floats(-1, 1), c0=st.floats(-5, 5))
def test_kernels_match_plain_oracle(cell, x, sem, h0, c0):
    n = compare_with_oracle(cell, x, sem, h0, c0)
    event(f"compared {'all' if n == len(x) else 'a prefix'} of the steps")


def test_oracle_comparison_is_not_vacuous():
    # The fragile-step rule must leave most of the work compared.
    rng = np.random.default_rng(3)
    total = compared = 0
    for k in range(200):
        cell = fl.ScalarLSTM.from_array(rng.uniform(-200, 200, 12))
        x = rng.integers(0, 2, 20).astype(float)
        sem = ALL_SEMANTICS[k % len(ALL_SEMANTICS)]
        compared += compare_with_oracle(cell, x, dict(sem, threshold=1.0), 0.0, 0.0)
        total += len(x)
    assert compared > 0.9 * total


@pytest.mark.parametrize("sem", ALL_SEMANTICS)
def test_moderate_cells_agree_tightly_with_oracle(sem):
    rng = np.random.default_rng(11)
    for _ in range(20):
        cell = fl.ScalarLSTM.from_array(rng.normal(0, 1.5, 12))
        x = rng.normal(0, 1, 200)
        n = compare_with_oracle(cell, x, dict(sem, threshold=1.0), 0.3, -0.2)
        assert n > 0


# --- batches -----------------------------------------------------------------

@pytest.mark.parametrize("sem", ALL_SEMANTICS)
def test_batch_rows_equal_single_runs(sem):
    rng = np.random.default_rng(5)
    cell = fl.ScalarLSTM.from_array(rng.uniform(-5, 5, 12))
    X = rng.integers(0, 2, size=(9, 17)).astype(float)
    h0 = rng.uniform(-1, 1, 9)
    batch = fl.run_batch(cell, X, h0=h0, c0=0.25, trace=True, **sem)
    for b in range(len(X)):
        one = fl.run(cell, X[b], h0=h0[b], c0=0.25, trace=True, **sem)
        for name in ("h", "c", "h_raw", "gates", "preactivations", "regimes", "boundary_hits"):
            np.testing.assert_array_equal(getattr(batch, name)[b], getattr(one, name))
    plain = fl.run_batch(cell, X, h0=h0, c0=0.25, **sem)
    np.testing.assert_array_equal(plain.h, batch.h)
    np.testing.assert_array_equal(plain.c, batch.c)


@pytest.mark.parametrize("sem", ALL_SEMANTICS)
def test_simd_batch_rows_are_bit_identical_to_single_runs(sem):
    # run_batch advances sequences in SIMD lanes, blocks of 16, staged through
    # tiles of 128 steps: 37 rows (a short last block) x 300 steps (a short
    # last tile), different initial states per row; bits compared, -0.0 included.
    rng = np.random.default_rng(8)
    cell = fl.ScalarLSTM.from_array(rng.uniform(-4, 4, 12))
    X = np.where(rng.random((37, 300)) < 0.5, rng.integers(0, 2, (37, 300)),
                 rng.normal(0, 2, (37, 300)))
    h0, c0 = rng.uniform(-1, 1, 37), rng.uniform(-3, 3, 37)
    batch = fl.run_batch(cell, X, h0=h0, c0=c0, **sem)
    for b in range(len(X)):
        one = fl.run(cell, X[b], h0=h0[b], c0=c0[b], **sem)
        assert batch.h[b].tobytes() == one.h.tobytes(), b
        assert batch.c[b].tobytes() == one.c.tobytes(), b


def test_trace_equals_plain_run():
    x = np.random.default_rng(2).normal(size=100)
    cell = fl.ScalarLSTM.from_array(np.linspace(-2, 2, 12))
    a, b = fl.run(cell, x), fl.run(cell, x, trace=True)
    np.testing.assert_array_equal(a.h, b.h)
    np.testing.assert_array_equal(a.c, b.c)
    np.testing.assert_array_equal(b.h, b.h_raw)


def test_empty_sequence():
    tr = fl.run(PARITY, [])
    assert tr.h.shape == (0,) and tr.rounded.shape == (0,) and len(tr) == 0


def test_huge_preactivations_do_not_overflow():
    cell = fl.ScalarLSTM(W_fx=1e300, W_ix=-1e300, W_ox=1e300, W_cx=1e300)
    with np.errstate(all="raise"):
        tr = fl.run(cell, [1.0, -1.0, 1.0])
    assert np.isfinite(tr.h).all() and np.isfinite(tr.c).all()
    # Every gate is saturated: x=1: f=1, i=0 -> c=0; x=-1: f=0, i=1, g=-1 -> c=-1,
    # o=0 -> h=0; x=1: f=1, i=0 -> c=-1, o=1 -> h=tanh(-1).
    np.testing.assert_array_equal(tr.c, [0.0, -1.0, -1.0])
    np.testing.assert_allclose(tr.h, [0.0, 0.0, math.tanh(-1.0)], rtol=1e-15, atol=0)


# --- bad input ---------------------------------------------------------------

@pytest.mark.parametrize("kwargs, exc, word", [
    (dict(x=[0, float("nan")]), ValueError, "x"),
    (dict(x=[0, float("inf")]), ValueError, "x"),
    (dict(x=[[0, 1]]), ValueError, "x"),
    (dict(x=["a"]), TypeError, "x"),
    (dict(x=[1j]), TypeError, "x"),
    (dict(x=[0], threshold=0), ValueError, "threshold"),
    (dict(x=[0], threshold=-1), ValueError, "threshold"),
    (dict(x=[0], threshold=float("nan")), ValueError, "threshold"),
    (dict(x=[0], activation="relu"), ValueError, "activation"),
    (dict(x=[0], inclusive="yes"), TypeError, "inclusive"),
    (dict(x=[0], round_feedback=1), TypeError, "round_feedback"),
    (dict(x=[0], h0=float("nan")), ValueError, "h0"),
    (dict(x=[0], c0="0"), TypeError, "c0"),
])
def test_bad_input_names_the_argument(kwargs, exc, word):
    x = kwargs.pop("x")
    with pytest.raises(exc, match=word):
        fl.run(PARITY, x, **kwargs)


@pytest.mark.parametrize("X, h0, word", [
    ([0, 1], 0.0, "X"),
    ([[0, 1], [1]], 0.0, "X"),
    ([[0, 1], [1, 0]], [0.0, 1.0, 2.0], "h0"),
    ([[0, float("nan")]], 0.0, "X"),
])
def test_bad_batch_input(X, h0, word):
    with pytest.raises(ValueError, match=word):
        fl.run_batch(PARITY, X, h0=h0)


def test_bad_cell():
    with pytest.raises(TypeError, match="cell"):
        fl.run("parity", [0])
    with pytest.raises(ValueError, match="W_ch"):
        fl.run({"W_ch": float("inf")}, [0])
    with pytest.raises(ValueError, match="unknown parameter"):
        fl.run({"W_xx": 1.0}, [0])
    with pytest.raises(ValueError, match="shape"):
        fl.run([1.0, 2.0], [0])
