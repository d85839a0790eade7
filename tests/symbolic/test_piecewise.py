"""symbolic.saturated: every activation as its three-regime Piecewise."""

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Piecewise, Rational

import symbolic as sym
from symbolic.functions import sigmoid, tanh

from .. import naive

z = sympy.Symbol("z", real=True)


def test_three_regimes_closed_and_open():
    assert sym.saturated(sigmoid(z)) == Piecewise((1, z >= 1), (0, z <= -1), (sigmoid(z), True))
    assert sym.saturated(tanh(z), threshold=0.5, inclusive=False) == Piecewise(
        (1, z > Rational(1, 2)), (-1, z < Rational(-1, 2)), (tanh(z), True))


def test_sympy_tanh_is_saturated_too():
    assert sym.saturated(sympy.tanh(z)).args[0] == (1, z >= 1)


def test_all_five_activations_of_the_equations_are_replaced():
    eqs = sym.saturated(sym.lstm_equations(), threshold=2)
    assert [eq.lhs for eq in eqs] == [eq.lhs for eq in sym.lstm_equations()]
    pieces = [p for eq in eqs for p in eq.rhs.atoms(Piecewise)]
    assert len(pieces) == 5
    # the only activations left are the band branches
    assert all(p.args[-1].cond is sympy.true for p in pieces)
    bare = [f for eq in eqs for f in eq.rhs.atoms(sigmoid, sympy.tanh)]
    assert sorted(map(str, bare)) == sorted(str(p.args[-1].expr) for p in pieces)
    assert eqs[4].rhs == sym.o_t * Piecewise((1, sym.c_t >= 2), (-1, sym.c_t <= -2), (tanh(sym.c_t), True))


def test_nested_activations_replace_inside_out():
    expr = sym.saturated(tanh(3 * sigmoid(z)))
    inner = Piecewise((1, z >= 1), (0, z <= -1), (sigmoid(z), True))
    assert expr == Piecewise((1, 3 * inner >= 1), (-1, 3 * inner <= -1), (tanh(3 * inner), True))


def test_numbers_evaluate():
    assert sym.saturated(sigmoid(Rational(-1))) == 0
    assert sym.saturated(sigmoid(Rational(-1)), inclusive=False) == sigmoid(-1)
    assert sym.saturated(tanh(Rational(3, 2)), threshold=1.5) == 1


@pytest.mark.parametrize("threshold, error", [(0, ValueError), (-1, ValueError), ("x", ValueError),
                                              (float("inf"), ValueError), (None, TypeError)])
def test_bad_threshold(threshold, error):
    with pytest.raises(error, match="threshold"):
        sym.saturated(sigmoid(z), threshold=threshold)


@settings(max_examples=60, deadline=None)
@given(num=st.integers(-12, 12), theta=st.sampled_from([Rational(1), Rational(1, 2), Rational(2)]),
       inclusive=st.booleans(), kind=st.sampled_from(["sigmoid", "tanh"]))
def test_values_match_the_oracle_on_a_grid_through_the_boundary(num, theta, inclusive, kind):
    value = Rational(num, 4)  # hits +-theta exactly
    func = sigmoid if kind == "sigmoid" else tanh
    got = sym.saturated(func(z), theta, inclusive).subs(z, value)
    expected = naive.activate(kind, float(value), "saturated", float(theta), inclusive)
    assert abs(float(got) - expected) <= 1e-15


@pytest.mark.parametrize("func", [sym.saturated, lambda eqs: sym.substitute(eqs, {"b_f": 1})])
def test_rejects_what_is_not_an_equation(func):
    with pytest.raises(TypeError, match="eqs"):
        func(42)
    with pytest.raises(TypeError, match="eqs"):
        func(["f_t = 1"])
