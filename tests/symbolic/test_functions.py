"""symbolic.functions: sigmoid (printed as sigma), a tanh that keeps its argument, rounding."""

import sympy
from sympy import Rational

import symbolic as sym
from symbolic.functions import sigmoid, tanh


def test_sigmoid_and_tanh_behave():
    z = sympy.Symbol("z", real=True)
    assert sigmoid(0) == Rational(1, 2) and tanh(0) == 0
    assert sigmoid(sympy.oo) == 1 and sigmoid(-sympy.oo) == 0
    assert sigmoid(z).is_positive and sigmoid(z).is_real
    assert sigmoid(z).rewrite(sympy.exp) == 1 / (1 + sympy.exp(-z))
    assert abs(sigmoid(Rational(3)).evalf(40) - 1 / (1 + sympy.exp(-3)).evalf(40)) < 1e-39
    assert sigmoid(sympy.Float(2.0)).is_Float
    # our tanh keeps the pre-activation as written; SymPy's would negate
    assert str(tanh(50 - 100 * z)) == "tanh(50 - 100*z)"
    assert str(sympy.tanh(50 - 100 * z)) == "-tanh(100*z - 50)"
    assert tanh(-3).evalf(30) == -sympy.tanh(3).evalf(30)
    assert sympy.diff(tanh(2 * z), z) == 2 * (1 - tanh(2 * z) ** 2)
    assert sympy.latex(sigmoid(z)) == r"\sigma{\left(z \right)}"


def test_round_half_to_zero():
    r = sym.round_half_to_zero
    # -7/4 ... 7/4: halves (-3/2, -1/2, 1/2, 3/2) go toward zero
    assert [r(Rational(n, 4)) for n in range(-7, 8)] == \
        [-2, -1, -1, -1, -1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2]
