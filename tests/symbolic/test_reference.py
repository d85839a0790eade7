"""symbolic.simulate: the semantics table (docs/semantics.md), exactness, proved decisions.

Agreement with the float64 engines (the compiled core and tests/naive.py) is in
test_agreement.py.
"""

import math

import mpmath
import numpy as np
import pytest
import sympy
from sympy import Float, Rational

import symbolic as sym
from symbolic import certified, reference

from .test_equations import PARITY

SECOND = [1, 1, 0, 1, 1]
FIRST = [0, 0, 1, 1, 1, 0]
TANH1 = sympy.tanh(1).evalf(60)

# The semantics table of docs/semantics.md for the input 1 1 0 1 1: h (to 3 decimals there)
# and rounded h.  The keyword sets are spelled out here: symbolic does not import fastlstm.
TABLE = {
    "exact": (dict(), [0.762, -0.762, 0.381, 0.762, -0.762], [1, -1, 0, 1, -1]),
    "saturated, closed boundary, raw feedback": (
        dict(activation="saturated"), [1, -1, 0.5, 0, 1], [1, -1, 0, 0, 1]),
    "saturated, closed boundary, rounded h fed back": (
        dict(activation="saturated", round_feedback=True), [1, -1, 0, 1, -1], [1, -1, 0, 1, -1]),
    "saturated, open boundary, raw feedback": (
        dict(activation="saturated", inclusive=False),
        [0.762, -0.762, 0.381, 0.762, -0.762], [1, -1, 0, 1, -1]),
}


@pytest.mark.parametrize("row", list(TABLE))
def test_design_semantics_table(row):
    semantics, raw, rounded = TABLE[row]
    ref = sym.simulate(PARITY, SECOND, **semantics)
    assert [round(float(v), 3) for v in ref.h] == raw
    assert list(ref.rounded) == rounded


def test_closed_boundary_rows_are_exact_rationals():
    ref = sym.simulate(PARITY, SECOND, activation="saturated")
    assert ref.h == (1, -1, Rational(1, 2), 0, 1)
    assert all(isinstance(v, Rational) for v in ref.h + ref.c)
    # t = 3: the candidate pre-activation -100 * 1/2 + 50 is exactly 0, in the band
    assert ref.preactivations[3][3] == 0 and ref.regimes[3][3] == 0
    assert [t for t in range(5) if ref.boundary_hits[t][4]] == [0, 1, 2, 4]  # c_t = +-1
    fed_back = sym.simulate(PARITY, SECOND, activation="saturated", round_feedback=True)
    assert fed_back.h == (1, -1, 0, 1, -1) and fed_back.h_raw[2] == Rational(1, 2)


def test_open_boundary_and_exact_rows_are_tanh_1_to_the_digit():
    opened = sym.simulate(PARITY, SECOND, activation="saturated", inclusive=False, digits=50)
    # c_t = +-1 exactly (f = 0, i = 1, g = +-1 saturated), so h_t = o tanh(+-1)
    assert opened.c == (1, -1, 1, 1, -1)
    assert abs(opened.h[0] - TANH1) < Rational(1, 10**49) and opened.h[2] == opened.h[0] / 2
    exact = sym.simulate(PARITY, SECOND[:1], digits=50)
    with mpmath.workdps(80):
        s = lambda z: 1 / (1 + mpmath.exp(-z))  # noqa: E731
        expected = s(100) * mpmath.tanh(s(200) * mpmath.tanh(50))
    assert abs(exact.h[0] - Float(expected, 80)) < Rational(1, 10**49)
    assert isinstance(exact.h[0], Float) and exact.h[0]._prec >= 160


@pytest.mark.parametrize("semantics", [dict(), dict(activation="saturated", round_feedback=True),
                                       dict(activation="saturated")])
def test_answer_key_of_the_first_input(semantics):
    assert list(sym.simulate(PARITY, FIRST, **semantics).rounded) == [0, 0, 1, -1, 1, 0]


def test_trace_fields_shapes_and_arrays():
    ref = sym.simulate(PARITY, SECOND, activation="saturated", digits=20)
    assert len(ref) == 5 and ref.xs == (1, 1, 0, 1, 1) and ref.digits == 20
    assert ref.gates[2] == (0, 1, Rational(1, 2), 1)  # x = 0: z_o = 0, o = 1/2
    arrays = ref.as_arrays()
    assert {k: v.shape for k, v in arrays.items()} == {
        "h": (5,), "c": (5,), "h_raw": (5,), "rounded": (5,), "gates": (5, 4),
        "preactivations": (5, 5), "regimes": (5, 5), "boundary_hits": (5, 5)}
    assert arrays["regimes"].dtype == np.int8 and arrays["boundary_hits"].dtype == bool
    np.testing.assert_array_equal(arrays["h"], [1, -1, 0.5, 0, 1])
    empty = sym.simulate(PARITY, [])
    assert len(empty) == 0 and empty.as_arrays()["gates"].shape == (0, 4)


def test_results_are_cached():
    a = sym.simulate(PARITY, SECOND, digits=25)
    assert sym.simulate(PARITY, (1.0, 1, 0, 1, 1), digits=25) is a


def test_disguised_rational_is_found_exactly():
    # f and i in the band, g = 1 saturated: c_0 = sigmoid(1/2) * 1 + sigmoid(-1/2) * 1
    # = 1 exactly, on the closed boundary.  No precision can tell that from the
    # enclosure; the exact test does.
    cell = dict(PARITY, b_f=0.5, b_i=-0.5, W_ix=0, W_ch=0, W_cx=0, b_c=5, W_ox=0, b_o=0)
    ref = sym.simulate(cell, [0], activation="saturated", c0=1)
    assert abs(ref.gates[0][0] - sym.sigmoid(Rational(1, 2)).evalf(60)) < 1e-49
    assert ref.c[0] == 1 and ref.boundary_hits[0][4] and ref.regimes[0][4] == 1
    assert ref.h[0] == Rational(1, 2)  # o = sigmoid(0) times tanh_sat(1) = 1
    opened = sym.simulate(cell, [0], activation="saturated", c0=1, inclusive=False)
    assert opened.regimes[0][4] == 0 and abs(opened.h[0] - TANH1 / 2) < 1e-45


def test_undecidable_value_raises_instead_of_guessing(monkeypatch):
    cell = dict(PARITY, b_f=0.5, b_i=-0.5, W_ix=0, W_ch=0, W_cx=0, b_c=5, W_ox=0, b_o=0)
    monkeypatch.setattr(certified, "MAX_ATOMS", 0)  # disable the exact test
    reference._reference.cache_clear()
    with pytest.raises(sym.PrecisionError, match="step 0.*increase digits"):
        sym.simulate(cell, [0], activation="saturated", c0=1, digits=5)
    reference._reference.cache_clear()


def test_precision_escalates_until_the_decision_is_proved():
    # c_0 = sigmoid(100) + sigmoid(-1000) tanh(1) = 1 - 3.7e-44: below the threshold,
    # but not at the ~1e-30 resolution that digits=10 starts with (exact mode
    # reports regimes too)
    cell = dict(PARITY, b_f=100, W_ix=0, b_i=-1000, W_ch=0, W_cx=0, b_c=1, W_ox=0, b_o=100)
    ref = sym.simulate(cell, [0], c0=1, digits=10)
    assert ref.regimes[0][4] == 0 and not ref.boundary_hits[0][4]
    assert ref.precision > mpmath.libmp.dps_to_prec(10) + reference.GUARD_BITS
    assert abs(ref.c[0] - 1) < 1e-9  # to the 10 digits asked for; the decision used ~200 bits


def test_initial_state_and_float_inputs_are_exact():
    ref = sym.simulate(PARITY, [0.5], activation="saturated", h0=0.1, c0=-0.25)
    # z_g = -100 * 0.1 + 25 with 0.1 at its binary value
    assert ref.preactivations[0][3] == -100 * Rational(0.1) + 25
    assert ref.semantics.c0 == Rational(-1, 4)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(digits=0), ValueError, "digits"), (dict(digits=True), TypeError, "digits"),
    (dict(digits=2.5), TypeError, "digits"), (dict(activation="relu"), ValueError, "activation"),
    (dict(threshold=-1), ValueError, "threshold"), (dict(inclusive=1), TypeError, "inclusive"),
    (dict(round_feedback="no"), TypeError, "round_feedback"), (dict(h0=math.nan), ValueError, "h0"),
    (dict(xs=[[1, 0]]), TypeError, r"xs\[0\]"), (dict(xs=[1, math.inf]), ValueError, r"xs\[1\]"),
    (dict(xs=np.zeros((2, 2))), ValueError, "1-D"), (dict(xs="101"), TypeError, "xs"),
])
def test_bad_input(kwargs, error, match):
    xs = kwargs.pop("xs", [1, 0])
    with pytest.raises(error, match=match):
        sym.simulate(PARITY, xs, **kwargs)


# --- bounded work: huge pre-activations finish, oversized numbers are refused -------------

BOUNDED = r"""
import sys, time
import mpmath
import symbolic as sym
parity = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
              W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)
for w in (-1e8, -1e12, -1e30):
    ref = sym.simulate(dict(parity, W_fh=w), [1, 0])
    print(repr(w), repr(str(ref.gates[1][0])), ref.rounded, flush=True)
# z_i = 1e300 * 2**8000 at 1000 digits: an exp far beyond float range, at high precision
ref = sym.simulate(dict(parity, W_ix=1e300, W_cx=0, b_c=0.5), [2 ** 8000, 0], digits=1000)
print("big", ref.rounded, flush=True)
for kwargs in (dict(h0=10 ** 100000), dict(xs=["1e-100000"]), dict(digits=10 ** 5)):
    xs = kwargs.pop("xs", [1, 0])
    try:
        sym.simulate(parity, xs, **kwargs)
    except ValueError as exc:
        print("refused", str(exc).split(" ")[0], flush=True)
"""


def test_huge_preactivations_finish_and_oversized_numbers_are_refused():
    # W_fh = -1e8 on [1, 0] did not return in 120 s (an enclosure endpoint e**-7.6e7
    # was turned into an exact fraction with a 1.1e8-bit denominator); -1e12 raised
    # MemoryError and -1e30 OverflowError.  A subprocess bounds a regression to a hang.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", BOUNDED], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    with mpmath.workdps(60):  # f at t = 1: sigmoid(w h_0 - 100), h_0 = sigmoid(100) tanh(c_0)
        h_0 = 1 / (1 + mpmath.exp(-100)) * mpmath.tanh(mpmath.tanh(50) / (1 + mpmath.exp(-200)))
        for line, w in zip(lines, (-1e8, -1e12, -1e30)):
            got, rounded = line.split(" ", 1)[1].rsplit(" (", 1)
            f = mpmath.mpf(eval(got))
            z = w * h_0 - 100
            log_f = z - mpmath.log1p(mpmath.exp(z))  # log sigmoid(z), z < 0
            assert abs(mpmath.log(f) - log_f) < 1e-40 * abs(log_f), (w, got)
            assert rounded == "1, 0)"
    assert lines[3] == "big (0, 0)"
    assert lines[4:] == ["refused h0", "refused xs[0]", "refused digits"]


def test_size_bounds_are_checked_up_front():
    with pytest.raises(ValueError, match=r"h0 is too large.*numerator has 8193 bits.*MAX_BITS"):
        sym.simulate(PARITY, [1], h0=2 ** 8192)
    with pytest.raises(ValueError, match=r"W_cx is too large.*denominator"):
        sym.simulate(dict(PARITY, W_cx=Rational(1, 2 ** 9000)), [1])
    with pytest.raises(ValueError, match=r"digits must be in \[1, 1000\]"):
        sym.simulate(PARITY, [1], digits=1001)
    # every float64 is well inside the bounds, subnormals included
    assert sym.simulate(dict(PARITY, W_cx=5e-324, b_c=1e308), [1], h0=-1.7e308).rounded == (1,)


def test_exp_of_huge_integer_arguments_is_enclosed():
    # certified._exp avoids mpmath's e**n by repeated squaring for huge integer n above
    # 600 bits; its enclosure must still hold the value and agree with iv.exp.
    from mpmath import iv

    with certified.working_precision(1000):
        for n in (2 ** 70, 3 * 2 ** 200 + 1, -(2 ** 300)):
            ours, theirs = certified._exp(iv.mpf(n)), iv.exp(iv.mpf(n))
            assert ours.a <= theirs.b and theirs.a <= ours.b  # both contain e**n
            assert ours.delta <= 2 ** -990 * abs(ours.mid)
