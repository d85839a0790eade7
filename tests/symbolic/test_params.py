"""symbolic.params / semantics: exact numbers, parameter sets, validated semantics."""

import fractions
import math

import pytest
import sympy
from sympy import Rational

import symbolic as sym

from .test_equations import PARITY


@pytest.mark.parametrize("value, expected", [
    (3, 3), (-2.5, Rational(-5, 2)), (fractions.Fraction(1, 3), Rational(1, 3)),
    ("1e-2", Rational(1, 100)), (sympy.Float(0.5), Rational(1, 2)), (Rational(2, 7), Rational(2, 7)),
])
def test_exact_number(value, expected):
    assert sym.exact_number(value, "v") == expected


@pytest.mark.parametrize("value, error", [
    (math.inf, ValueError), (math.nan, ValueError), ("abc", ValueError), ("inf", ValueError),
    (True, TypeError), ([1], TypeError), (sympy.oo, ValueError), (sympy.Symbol("s"), TypeError),
])
def test_exact_number_rejects(value, error):
    with pytest.raises(error, match="v must"):
        sym.exact_number(value, "v")


def test_exact_params_input_forms_and_errors():
    values = list(range(12))
    assert list(sym.exact_params(values).values()) == values
    with pytest.raises(ValueError, match="missing b_c"):
        sym.exact_params({k: v for k, v in PARITY.items() if k != "b_c"})
    with pytest.raises(ValueError, match="unknown names W_xx"):
        sym.exact_params(dict(PARITY, W_xx=1))
    with pytest.raises(ValueError, match="twelve|12"):
        sym.exact_params([1, 2, 3])
    with pytest.raises(TypeError, match="params must be"):
        sym.exact_params(42)
    with pytest.raises(ValueError, match="W_fh must be finite"):
        sym.exact_params(dict(PARITY, W_fh=math.inf))


def test_semantics_are_exact_and_validated():
    s = sym.semantics(activation="saturated", threshold=0.1, inclusive=False, h0=-0.5)
    assert s.threshold == Rational(0.1) and s.h0 == Rational(-1, 2) and s.saturating
    assert s.regime(Rational(0.1)) == 0 and sym.semantics().regime(1) == 1
    assert sym.semantics(**s.as_dict()) == s
    with pytest.raises(TypeError, match="activation must be a str"):
        sym.semantics(activation=1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        sym.semantics(theta=1)
