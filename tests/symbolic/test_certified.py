"""symbolic.certified: enclosures, exact decisions, and the disguised-rational test."""

import mpmath
import pytest
from sympy import Rational

from symbolic.certified import Num, Undecided, rational_value, working_precision
from symbolic.functions import sigmoid, tanh

R = Rational


@pytest.mark.parametrize("expr, expected", [
    (sigmoid(R(5, 7)) + sigmoid(R(-5, 7)), 1),
    (3 * sigmoid(R(2)) - R(3, 2) * tanh(R(1)), R(3, 2)),  # tanh(a) = 2 sigmoid(2a) - 1
    (tanh(R(1, 3)) + tanh(R(-1, 3)) - R(1, 4), R(-1, 4)),
    # sigmoid(a) sigmoid(-a) (1 + e^a)(1 + e^-a) = 1, with e^a = sigmoid(a)/sigmoid(-a)
    (sigmoid(R(1)) * (1 - sigmoid(R(1))) - sigmoid(R(1)) * sigmoid(R(-1)), 0),
    # huge exponents (float arguments) stay sparse
    (sigmoid(R(0.3) * 200) + sigmoid(-R(0.3) * 200), 1),
    (R(2, 3), R(2, 3)),
])
def test_rational_value_finds_identities(expr, expected):
    assert rational_value(expr) == expected


@pytest.mark.parametrize("expr", [sigmoid(R(1)), sigmoid(R(2)) - tanh(R(1)), tanh(R(1)) * tanh(R(2)),
                                  sigmoid(R(1, 3)) + sigmoid(R(1, 2))])
def test_rational_value_proves_irrationality(expr):
    assert rational_value(expr) is None


def test_enclosures_contain_the_value_and_decide_by_interval():
    with working_precision(120):
        s = Num.exact(R(3)).activation(sigmoid)
        lo, hi = s.bounds()
        with mpmath.workdps(60):
            true = 1 / (1 + mpmath.exp(-3))
            assert mpmath.mpf(lo.numerator) / lo.denominator <= true
            assert true <= mpmath.mpf(hi.numerator) / hi.denominator
        assert hi - lo < 2.0 ** -110
        assert s.compare(R(95, 100)) == 1 and s.compare(1) == -1
        t = Num.exact(R(-2)).activation(tanh)
        assert t.compare(-1) == 1 and not t.is_exact


def test_exact_values_compare_exactly_and_zero_absorbs():
    with working_precision(64):
        half = Num.exact(R(0)).activation(sigmoid)
        assert half.is_exact and half.expr == R(1, 2) and half.compare(R(1, 2)) == 0
        irrational = Num.exact(R(1)).activation(tanh)
        zero = irrational * Num.exact(R(0))
        assert zero.is_exact and zero.expr == 0


def test_straddling_enclosures_resolve_exactly_or_raise():
    with working_precision(53):
        a = Num.exact(R(1)).activation(tanh)
        b = Num.exact(R(-1)).activation(tanh)
        total = a + b  # tanh(1) + tanh(-1): the enclosure straddles 0
        assert not total.is_exact
        assert total.compare(0) == 0 and total.is_exact and total.expr == 0
        hidden = Num(None, total.iv * 0 + a.iv - a.iv)  # only an enclosure of 0 is known
        with pytest.raises(Undecided, match="cannot tell"):
            hidden.compare(0)


def test_value_reports_floats_or_raises_when_too_wide():
    with working_precision(200):
        v = Num.exact(R(1)).activation(tanh)
        with mpmath.workdps(60):
            assert abs(v.value(50) - mpmath.tanh(1)) < 1e-49
    with working_precision(40):
        v = Num.exact(R(1)).activation(tanh)
        with pytest.raises(Undecided, match="too wide"):
            v.value(30)


def test_working_precision_restores_mpmath():
    before = mpmath.iv.prec
    with pytest.raises(RuntimeError):
        with working_precision(300):
            raise RuntimeError
    assert mpmath.iv.prec == before
