"""fl.fixed_point_boundaries: changes of the fixed-point structure, located to 1e-9."""

import math
import re

import mpmath
import pytest

import fastlstm as fl
from tests.naive import sigmoid


def test_stability_change_of_the_parity_cell_reading_0():
    # x = 0: the one fixed point is h = 0 (odd F); its eigenvalues are 0 and
    # lambda = W_ch o i + f with o = sigmoid(0) = 1/2, i = sigmoid(100), f = sigmoid(-100).
    # lambda = -1 at W_ch = -(1 + f) / (o i) = -2 (to 1e-43): stable node above, saddle below.
    expected = -(1 + sigmoid(-100.0)) / (0.5 * sigmoid(100.0))
    (b,) = fl.fixed_point_boundaries(fl.presets.parity(), "W_ch", -3, -1, 0)
    assert abs(b.value - expected) <= 1e-9
    assert b.bracket[1] - b.bracket[0] <= 1e-9
    assert (b.before, b.after) == (("saddle",), ("stable node",))


def test_saddle_node_where_F_is_tangent():
    # f ~ 0, i ~ o ~ 1 (|bias| 50): F(h) = tanh(tanh(3 h + b_c)) - h.  At a saddle-node
    # F = 0 and F' = 3 sech^2(tanh(u)) sech^2(u) - 1 = 0 with u = 3 h + b_c: two equations
    # in (h, b_c), solved with mpmath from a guess on each side (b_c -> -b_c, h -> -h).
    def equations(h, b):
        u = 3 * h + b
        return [mpmath.tanh(mpmath.tanh(u)) - h,
                3 * mpmath.sech(mpmath.tanh(u)) ** 2 * mpmath.sech(u) ** 2 - 1]
    with mpmath.workdps(30):  # restores the caller's precision, whatever it was
        h_t, b_t = mpmath.findroot(equations, (-0.5, 0.9))
    b_t = abs(float(b_t))
    cell = fl.ScalarLSTM(W_ch=3.0, b_f=-50.0, b_i=50.0, b_o=50.0)
    found = fl.fixed_point_boundaries(cell, "b_c", -2, 2, 0, samples=9)
    assert [round(b.value, 3) for b in found] == [round(-b_t, 3), round(b_t, 3)]
    for b, target in zip(found, (-b_t, b_t)):
        assert abs(b.value - target) <= 1e-9
    three = ("stable node", "saddle", "stable node")
    assert (found[0].before, found[0].after) == (("stable node",), three)
    assert (found[1].before, found[1].after) == (three, ("stable node",))
    assert "3 fixed points" in found[1].describe()


def test_no_change_no_boundary():
    assert fl.fixed_point_boundaries(fl.presets.parity(), "W_ch", -1.5, 1.5, 0, samples=5) == ()


def test_bad_arguments():
    parity = fl.presets.parity()
    with pytest.raises(ValueError, match="axis must be one of"):
        fl.fixed_point_boundaries(parity, "W_xx", 0, 1, 0)
    with pytest.raises(ValueError, match="lo must be < hi"):
        fl.fixed_point_boundaries(parity, "W_ch", 1, 0, 0)
    with pytest.raises(ValueError, match="tol must be > 0"):
        fl.fixed_point_boundaries(parity, "W_ch", 0, 1, 0, tol=0)
    with pytest.raises(ValueError, match="samples must be an integer >= 2"):
        fl.fixed_point_boundaries(parity, "W_ch", 0, 1, 0, samples=1)
    with pytest.raises(TypeError, match="axis must be a parameter name"):
        fl.fixed_point_boundaries(parity, 3, 0, 1, 0)
    assert math.isfinite(fl.fixed_point_boundaries(parity, "W_ch", -3, -1, 0)[0].value)


@pytest.mark.parametrize("samples", [2, 65])
def test_the_whole_float64_range_is_bisected_without_overflow(samples):
    # b_o from -2**1023 to 2**1023: hi - lo = 2**1024 overflows float64 (and so did the
    # scan's step and the first bisection midpoint), though each bound alone is accepted
    # (the o row's bound is |b_o|).  f ~ 0, i ~ 1: F(h) = o tanh(tanh(3 h + 0.1)) - h,
    # o = sigmoid(b_o); the saddle-node has F = 0 and F' = 0, solved with mpmath.
    def equations(h, o):
        u = 3 * h + mpmath.mpf("0.1")
        return [o * mpmath.tanh(mpmath.tanh(u)) - h,
                3 * o * mpmath.sech(mpmath.tanh(u)) ** 2 * mpmath.sech(u) ** 2 - 1]
    with mpmath.workdps(30):
        _, o = mpmath.findroot(equations, (-0.3, 0.5))
        expected = float(mpmath.log(o / (1 - o)))
    cell = fl.ScalarLSTM(W_ch=3.0, b_f=-50.0, b_i=50.0, b_c=0.1)
    (b,) = fl.fixed_point_boundaries(cell, "b_o", -2.0**1023, 2.0**1023, 0, samples=samples)
    assert abs(b.value - expected) <= 1e-9
    assert (b.before, b.after) == (("stable node",), ("stable node", "saddle", "stable node"))


@pytest.mark.parametrize("lo, hi, bound", [(-1e308, 1e308, "lo=-1e+308"),
                                           (-1.0, 1e308, "hi=1e+308")])
def test_a_bound_past_what_the_cell_accepts_is_named(lo, hi, bound):
    # W_ch = 1e308 > 2**1023 is refused by the pre-activation check of every cell;
    # the refusal names the bound that made it (the nan of an overflowed scan did not)
    with pytest.raises(ValueError, match=re.escape(bound) + r": .*W_ch \* h .* can overflow"):
        fl.fixed_point_boundaries(fl.presets.parity(), "W_ch", lo, hi, 0)
