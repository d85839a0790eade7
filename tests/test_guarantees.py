"""What the public boundary refuses up front (docs/guarantees.md): float64 overflow,
integers past float64's range, and the 12-number form of a cell held to ScalarLSTM's rules."""

import math

import numpy as np
import pytest

import fastlstm as fl
from fastlstm._validate import PREACTIVATION_LIMIT, preactivation_range_table

PARITY = fl.presets.parity()
HUGE = 2 ** 1100  # an int past float64's range (1.8e308)

# --- pre-activations that would overflow float64 are refused -----------------

# W_fh * h0 + W_fx * x overflows in float64 although the true sum is 5 (+ b_f):
# the run used to report h = 0.0 where the exact answer is 0.3794.
OVERFLOWING = fl.ScalarLSTM(W_fh=1e308, W_fx=1e308, b_f=5)


def test_run_refuses_a_preactivation_that_overflows():
    with pytest.raises(ValueError, match=r"W_fh \* h \+ \(W_fx \* x \+ b_f\) can overflow "
                                         r"float64.*max\(\|h0\|, 1\).*max\|x\|"):
        fl.run(OVERFLOWING, [-1e308], h0=1e308, c0=1)


@pytest.mark.parametrize("call", [
    lambda: fl.run_batch(OVERFLOWING, [[-1e308], [0.0]], h0=[0.0, 1e308]),
    lambda: fl.run_batch(OVERFLOWING, [[-1e308]], h0=1e308, trace=True),
    lambda: fl.compare(OVERFLOWING, [-1e308], h0=1e308),
    lambda: fl.extract_automaton(OVERFLOWING, alphabet=(-1e308, 0), h0=1e18, max_states=5),
    lambda: fl.verify(OVERFLOWING, lambda prefix: 0, 2, alphabet=(-1e308, 0), h0=1e308),
])
def test_every_entry_point_refuses_it(call):
    with pytest.raises(ValueError, match="W_fh .* can overflow float64"):
        call()


@pytest.mark.parametrize("cell, x, h0, names", [
    (fl.ScalarLSTM(W_ix=1e308), [2.0], 0.0, "W_ix"),           # |W_x| * max|x|
    (fl.ScalarLSTM(W_oh=1e300), [0.0], 1e10, "W_oh"),          # |W_h| * |h0|
    (fl.ScalarLSTM(W_cx=1e308, b_c=1e308), [1.0], 0.0, "b_c"),  # the sum, not a term
])
def test_each_term_of_the_bound_counts(cell, x, h0, names):
    with pytest.raises(ValueError, match=names):
        fl.run(cell, x, h0=h0)


def test_the_bound_is_exact_and_what_it_lets_through_is_finite():
    # |W_fx| * 1 + |b_f| = 2**1023 exactly: allowed, and every step is finite.
    half = 2.0 ** 1022
    cell = fl.ScalarLSTM(W_fx=half, b_f=half, W_ix=-half, b_i=-half, W_cx=2 * half, W_ox=-2 * half)
    assert 2 * half == PREACTIVATION_LIMIT
    for sem in fl.TABLE_ROWS.values():
        tr = fl.run(cell, [1.0, -1.0, 0.5, 1.0], trace=True, **sem)
        for name in ("h", "c", "preactivations", "gates"):
            assert np.isfinite(getattr(tr, name)).all(), (sem, name)
    # One ulp more on the bias and the sum exceeds 2**1023: refused.
    with pytest.raises(ValueError, match="b_f"):
        fl.run(cell.replace(b_f=math.nextafter(half, math.inf)), [1.0])
    # h after the first step is within [-1, 1]: a big W_h with h0 = 0 is fine.
    assert np.isfinite(fl.run(fl.ScalarLSTM(W_fh=2.0 ** 1023), [1.0, 0.0]).h).all()


def test_the_table_check_agrees_with_the_scalar_one_row_by_row():
    # For a sweep's (N, 12) table: a float64 screen, then the exact check near the limit.
    half = 2.0 ** 1022
    table = np.zeros((4, 12))
    table[1, 9:12] = half, 0.0, half                        # exactly 2**1023: allowed
    table[2, 9:12] = half, 0.0, math.nextafter(half, math.inf)  # one ulp over: refused
    table[3, 0] = 1e308                                      # W_fh * h0 overflows
    preactivation_range_table(table[:2], [1.0], [1.0])
    with pytest.raises(ValueError, match=r"params row 2: W_ch \* h"):
        preactivation_range_table(table, [1.0], [1.0])
    with pytest.raises(ValueError, match=r"params row 2"):  # W_x = 0: x does not count
        preactivation_range_table(table, [1.0], [1e300])
    with pytest.raises(ValueError, match=r"params row 1"):  # h0 = 4 doubles row 1's W_ch term
        preactivation_range_table(table[:2], [4.0], [0.0])


# --- integers beyond float64's range: ValueError naming the argument ----------------

@pytest.mark.parametrize("call, name", [
    (lambda: fl.ScalarLSTM(W_fh=HUGE), "W_fh"),
    (lambda: fl.ScalarLSTM(b_c=-HUGE), "b_c"),
    (lambda: fl.run([HUGE] + [0] * 11, [1]), "W_fh"),
    (lambda: fl.run(PARITY, [1], threshold=HUGE), "threshold"),
    (lambda: fl.Semantics(threshold=HUGE), "threshold"),
    (lambda: fl.run(PARITY, [1], h0=HUGE), "h0"),
    (lambda: fl.run(PARITY, [1], c0=-HUGE), "c0"),
    (lambda: fl.run(PARITY, [0, HUGE]), "x"),
    (lambda: fl.run_batch(PARITY, [[0], [1]], h0=[0, HUGE]), "h0"),
    (lambda: fl.run_batch(PARITY, [[0, HUGE]]), "X"),
    (lambda: fl.compare(PARITY, [1], h0=HUGE), "h0"),
    (lambda: fl.extract_automaton(PARITY, alphabet=(0, HUGE)), "alphabet"),
    (lambda: fl.verify(PARITY, lambda p: 0, 2, alphabet=(0, HUGE)), "alphabet"),
    (lambda: fl.round_half_to_zero([0.5, HUGE]), "a"),
])
def test_integers_past_float_range_are_a_value_error(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b.*float64's range"):
        call()


def test_integers_within_float_range_past_int64_are_accepted():
    # NumPy types [2**64] as an object array; it is a real number all the same.
    cell = fl.ScalarLSTM(W_fx=1e-300)
    as_ints, as_floats = fl.run(cell, [2 ** 64, 2 ** 70]), fl.run(cell, [2.0 ** 64, 2.0 ** 70])
    assert as_ints.h.tolist() == as_floats.h.tolist()
    assert fl.ScalarLSTM(W_fh=2 ** 1000).W_fh == 2.0 ** 1000


# --- the 12-number form of a cell follows ScalarLSTM's rules ----------------------------

@pytest.mark.parametrize("values, exc, name", [
    (["1"] * 12, TypeError, "W_fh must be a real number, got str"),
    ([True] * 12, TypeError, "W_fh must be a real number, got bool"),
    ([0.0] * 11 + [False], TypeError, "b_c must be a real number, got bool"),
    (np.ones(12, dtype=bool), TypeError, "W_fh must be a real number, got bool"),
    (np.array(["1"] * 12), TypeError, "W_fh must be a real number, got str"),
    ((0.0,) * 5 + (None,) + (0.0,) * 6, TypeError, "b_i must be a real number"),
    ([0.0] * 3 + [float("nan")] + [0.0] * 8, ValueError, "W_ih must be finite"),
    ([0.0] * 11, ValueError, r"cell must have shape \(12,\)"),
])
def test_twelve_numbers_are_checked_like_the_constructor(values, exc, name):
    with pytest.raises(exc, match=name):
        fl.run(values, [1.0])


def test_twelve_numbers_still_work():
    assert fl.run(list(PARITY.to_array()), [1, 1]).rounded.tolist() == [1, -1]
    assert fl.run(tuple(int(v) for v in PARITY.to_array()), [1, 1]).rounded.tolist() == [1, -1]
    assert fl.ScalarLSTM.from_array(np.arange(12, dtype=np.int32)).b_c == 11.0


# --- other arguments named in their errors ---------------------------------------------

@pytest.mark.parametrize("call, exc, name", [
    (lambda: fl.run(PARITY, [1], trace="yes"), TypeError, "trace"),
    # a bool h0 is refused by run; an array of them is refused by run_batch alike
    (lambda: fl.run_batch(PARITY, [[1], [0]], h0=[True, False]), TypeError, "h0"),
    (lambda: fl.Semantics(activation=["exact"]), TypeError, "activation"),
    (lambda: fl.Semantics(activation=np.array(["exact"])), TypeError, "activation"),
    (lambda: fl.compare(PARITY, [1], rows=[("exact", {})]), TypeError, "rows"),
    (lambda: fl.compare(PARITY, [1], rows={"a": "exact"}), TypeError, r"rows\['a'\]"),
    (lambda: fl.compare(PARITY, [1], rows={"a": {"h0": 1}}), ValueError, r"rows\['a'\]"),
    (lambda: fl.compare(PARITY, "11"), TypeError, "x"),
    # names of mixed types used to fail sorting them, with a message naming nothing
    (lambda: fl.run({"W_fh": 1, "W_xx": 2, 3: 4}, [1]), ValueError, "unknown parameter"),
    (lambda: fl.round_half_to_zero("0.5"), TypeError, "a must hold real numbers"),
])
def test_bad_arguments_are_named(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


def test_a_row_may_set_its_own_threshold():
    cmp = fl.compare(PARITY, [1, 1, 0, 1, 1], rows={"wide": dict(activation="saturated",
                                                               threshold=60.0)})
    tr = fl.run(PARITY, [1, 1, 0, 1, 1], activation="saturated", threshold=60.0)
    assert cmp.runs["wide"].h.tolist() == tr.h.tolist()
