"""symbolic.symbols / equations: the notation, the five equations (golden LaTeX), substitution."""

from types import SimpleNamespace

import pytest
import sympy
from sympy import Rational

import symbolic as sym
from symbolic.functions import sigmoid, tanh

PARITY = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
              W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)

# Written out by hand from the equations of docs/semantics.md in the printed notation: weights
# W_{gate,source}, biases b_{gate}, state h_{t-1}, c_{t-1}, input x_t; sigmoid as
# \sigma, SymPy's \left/\right function style, the state last in a product.
FIVE_EQUATIONS = "\n".join([
    r"\begin{align*}",
    r"f_{t} &= \sigma{\left(W_{f,h} h_{t-1} + W_{f,x} x_{t} + b_{f} \right)} \\",
    r"i_{t} &= \sigma{\left(W_{i,h} h_{t-1} + W_{i,x} x_{t} + b_{i} \right)} \\",
    r"o_{t} &= \sigma{\left(W_{o,h} h_{t-1} + W_{o,x} x_{t} + b_{o} \right)} \\",
    r"c_{t} &= f_{t} c_{t-1} + i_{t} \tanh{\left(W_{c,h} h_{t-1} + W_{c,x} x_{t} + b_{c} \right)} \\",
    r"h_{t} &= o_{t} \tanh{\left(c_{t} \right)}",
    r"\end{align*}",
])


def test_golden_latex_of_the_five_equations():
    assert sym.latex(sym.lstm_equations()) == FIVE_EQUATIONS


def test_each_equation_prints_on_its_own():
    for eq, line in zip(sym.lstm_equations(), FIVE_EQUATIONS.splitlines()[1:-1]):
        lhs, rhs = line.removesuffix(r" \\").split(" &= ")
        assert sym.latex(eq.lhs) == lhs and sym.latex(eq.rhs) == rhs


@pytest.mark.parametrize("symbol, printed", [
    (sym.PARAMS["W_fh"], "W_{f,h}"), (sym.PARAMS["W_cx"], "W_{c,x}"), (sym.PARAMS["b_o"], "b_{o}"),
    (sym.h_prev, "h_{t-1}"), (sym.c_prev, "c_{t-1}"), (sym.x_t, "x_{t}"), (sym.f_t, "f_{t}"),
])
def test_symbols_print_in_the_usual_notation(symbol, printed):
    assert sympy.latex(symbol) == printed
    assert symbol.is_real


def test_equations_are_ordered_eqs_over_the_named_symbols():
    eqs = sym.lstm_equations()
    assert [eq.lhs for eq in eqs] == [sym.f_t, sym.i_t, sym.o_t, sym.c_t, sym.h_t]
    assert all(isinstance(eq, sympy.Eq) for eq in eqs)
    assert eqs[3].rhs == sym.f_t * sym.c_prev + sym.i_t * tanh(
        sym.PARAMS["W_ch"] * sym.h_prev + sym.PARAMS["W_cx"] * sym.x_t + sym.PARAMS["b_c"])
    assert sym.lstm_equations() is eqs  # cached


def test_substitute_parity_cell():
    eqs = sym.substitute(sym.lstm_equations(), PARITY)
    assert isinstance(eqs, tuple) and len(eqs) == 5
    x = sym.x_t
    assert eqs[0].rhs == sigmoid(-100)
    assert eqs[1].rhs == sigmoid(100 * x + 100)
    assert eqs[3].rhs == sym.f_t * sym.c_prev + sym.i_t * tanh(50 * x - 100 * sym.h_prev)
    assert eqs[4] == sym.lstm_equations()[4]  # no parameters in h_t = o_t tanh(c_t)


def test_substitute_accepts_objects_symbols_partial_and_single():
    cell = SimpleNamespace(**PARITY)
    assert sym.substitute(sym.lstm_equations(), cell) == sym.substitute(sym.lstm_equations(), PARITY)
    by_symbol = {sym.PARAMS["b_f"]: 3}
    assert sym.substitute(sym.lstm_equations()[0], by_symbol).rhs == sigmoid(
        sym.PARAMS["W_fh"] * sym.h_prev + sym.PARAMS["W_fx"] * sym.x_t + 3)
    w = sympy.Symbol("w", real=True)
    assert sym.substitute(sym.lstm_equations()[0].rhs, {"b_f": w}).has(w)


def test_substitute_takes_floats_at_their_binary_value():
    eq = sym.substitute(sym.lstm_equations()[0], {"W_fh": 0, "W_fx": 0, "b_f": 0.1})
    assert eq.rhs == sigmoid(Rational(0.1)) and Rational(0.1) != Rational(1, 10)
    eq = sym.substitute(sym.lstm_equations()[0], {"W_fh": 0, "W_fx": 0, "b_f": "0.1"})
    assert eq.rhs == sigmoid(Rational(1, 10))
