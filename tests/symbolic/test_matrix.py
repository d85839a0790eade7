"""symbolic.matrix_equations and the per-unit form: golden LaTeX written by hand, the gate
blocks against the explicit per-unit equations, substitution and the saturated form."""

import numpy as np
import pytest
import sympy
from sympy import Matrix, Rational

import symbolic as sym
from symbolic.functions import sigmoid, tanh
from symbolic.vector_equations import c_prev_, h_prev_, unit_symbol, x_

# Written out by hand from PyTorch's equations (docs of torch.nn.LSTM) in the printed
# notation: the stacked blocks z_i, z_f, z_g, z_o, the terms in reading order, sigma and
# tanh elementwise, \odot the Hadamard product.
MATRIX_FORM = "\n".join([
    r"\begin{align*}",
    r"\left[\begin{matrix}z_{i}\\z_{f}\\z_{g}\\z_{o}\end{matrix}\right] &= "
    r"W_{ih} x_{t} + b_{ih} + W_{hh} h_{t-1} + b_{hh} \\",
    r"i_{t} &= \sigma{\left(z_{i} \right)} \\",
    r"f_{t} &= \sigma{\left(z_{f} \right)} \\",
    r"g_{t} &= \tanh{\left(z_{g} \right)} \\",
    r"o_{t} &= \sigma{\left(z_{o} \right)} \\",
    r"c_{t} &= f_{t} \odot c_{t-1} + i_{t} \odot g_{t} \\",
    r"h_{t} &= o_{t} \odot \tanh{\left(c_{t} \right)}",
    r"\end{align*}",
])

# unit 1 of a cell with n = 2, m = 1: its forget gate reads row n + 1 = 3 of each array
UNIT_1_FORGET = (r"\begin{align*}" "\n"
                 r"f_{t,1} &= \sigma{\left(W_{hf,1,0} h_{t-1,0} + W_{hf,1,1} h_{t-1,1} + "
                 r"W_{if,1,0} x_{t,0} + b_{hf,1} + b_{if,1} \right)}" "\n"
                 r"\end{align*}")


def test_golden_latex_of_the_matrix_form():
    assert sym.latex(sym.matrix_equations()) == MATRIX_FORM


def test_matrix_form_shapes_follow_n_and_m():
    eqs = sym.matrix_equations(3, 2)
    assert eqs[0].lhs.shape == eqs[0].rhs.shape == (12, 1)
    assert [eq.lhs.shape for eq in eqs[1:]] == [(3, 1)] * 6


def test_golden_latex_of_one_unit_equation():
    assert sym.latex(sym.unit_equations(2, 1)[5]) == UNIT_1_FORGET


def test_substituted_equations_by_hand():
    cell = sym.vector_cell([[1], [2], [3], [4], [5], [6], [7], [8]], [[0.5, 0]] * 8,
                           b_hh=[0, 0, 0, 0.25, 0, 0, 0, 0])
    eqs = sym.substitute_cell(sym.unit_equations(2, 1), cell)
    # unit 1: rows 1 (i), 3 (f), 5 (g), 7 (o)
    h0, x0 = h_prev_(0), x_(0)
    assert eqs[5].rhs == sigmoid(h0 / 2 + 4 * x0 + Rational(1, 4))
    assert eqs[6].rhs == sigmoid(h0 / 2 + 2 * x0)
    assert eqs[8].rhs == unit_symbol("f", 1) * c_prev_(1) + unit_symbol("i", 1) * tanh(
        h0 / 2 + 6 * x0)
    assert sym.latex(eqs[7]) == (r"\begin{align*}" "\n"
                                 r"o_{t,1} &= \sigma{\left(\frac{h_{t-1,0}}{2} + 8 x_{t,0} \right)}"
                                 "\n" r"\end{align*}")


def test_floats_are_substituted_at_their_binary_value():
    cell = sym.vector_cell([[0.1]] * 4, [[0]] * 4)
    eq = sym.substitute_cell(sym.unit_equations(1, 1), cell)[0]
    assert eq.rhs == sigmoid(Rational(0.1) * x_(0))
    assert Rational(0.1) == Rational(3602879701896397, 36028797018963968)


def test_gate_blocks_of_the_matrix_form_are_the_rows_of_the_unit_equations():
    rng = np.random.default_rng(4)
    n, m = 2, 3
    cell = sym.vector_cell(rng.integers(-4, 5, (4 * n, m)), rng.integers(-4, 5, (4 * n, n)),
                           rng.integers(-4, 5, 4 * n), rng.integers(-4, 5, 4 * n))
    x, h = Matrix([x_(j) for j in range(m)]), Matrix([h_prev_(u) for u in range(n)])
    z = (Matrix(cell.W_ih) * x + Matrix(cell.b_ih) + Matrix(cell.W_hh) * h + Matrix(cell.b_hh))
    eqs = sym.substitute_cell(sym.unit_equations(n, m), cell)
    for u in range(n):
        f, i, o, c, _ = eqs[5 * u:5 * u + 5]
        assert f.rhs.args[0] == z[n + u] and i.rhs.args[0] == z[u] and o.rhs.args[0] == z[3 * n + u]
        assert c.rhs.atoms(tanh) == {tanh(z[2 * n + u])}


def test_saturated_form_per_unit():
    parity = {"W_ih": [[100], [0], [50], [100]], "W_hh": [[0], [0], [-100], [0]],
              "b_ih": [100, -100, 0, 0]}
    eqs = sym.saturated(sym.substitute_cell(sym.unit_equations(1, 1), parity), threshold=1,
                        inclusive=False)
    z = 50 * x_(0) - 100 * h_prev_(0)
    assert eqs[0].rhs == 0  # sigmoid(-100): saturated low
    assert eqs[3].rhs == c_prev_(0) * unit_symbol("f", 0) + unit_symbol("i", 0) * sympy.Piecewise(
        (1, z > 1), (-1, z < -1), (tanh(z), True))


@pytest.mark.parametrize("n, m", [(0, 1), (1, 0), (1.5, 1), (True, 1)])
def test_unit_equations_refuse_bad_sizes(n, m):
    with pytest.raises(ValueError, match="must be an int >= 1"):
        sym.unit_equations(n, m)
