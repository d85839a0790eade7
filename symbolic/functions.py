"""The activations as SymPy functions, and the rounding rule.

``sigmoid`` is printed as ``\\sigma``.  ``tanh`` is SymPy's ``tanh`` except that
it does not pull a minus sign out of its argument: SymPy would print
``tanh(50 - 100 h)`` as ``-tanh(100 h - 50)``, and the argument of an activation
is a pre-activation the reader wants to see as written.
"""

from __future__ import annotations

import mpmath
import sympy
from sympy import Abs, Add, Float, Function, Mul, S, ceiling, exp, sign


class sigmoid(Function):
    r"""The logistic function :math:`\sigma(z) = 1/(1 + e^{-z})`.

    Evaluates only where the value is exact (``sigmoid(0) = 1/2``, the limits
    at infinity) or where the argument is already a Float.

    Examples
    --------
    >>> from sympy import Symbol, latex
    >>> z = Symbol("z")
    >>> sigmoid(0), sigmoid(-100)
    (1/2, sigmoid(-100))
    >>> latex(sigmoid(z) ** 2)
    '\\sigma^{2}{\\left(z \\right)}'
    >>> sigmoid(z).diff(z)
    (1 - sigmoid(z))*sigmoid(z)
    >>> sigmoid(1).evalf(20)
    0.73105857863000487925
    """

    @classmethod
    def eval(cls, z):
        # numbers only: asking SymPy's assumptions whether an expression is zero is slow
        if not z.is_Number:
            return None
        if z.is_zero:
            return S.Half
        if z.is_infinite:
            return S.One if z.is_extended_positive else S.Zero
        return 1 / (1 + exp(-z)) if z.is_Float else None

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        # Strictly inside (0, 1) for every finite real argument.
        return self.args[0].is_finite and self.args[0].is_extended_real

    def _eval_rewrite_as_exp(self, z, **kwargs):
        return 1 / (1 + exp(-z))

    def _eval_evalf(self, prec):
        z = self.args[0]._eval_evalf(prec)
        if z is None or not z.is_Float:
            return None
        with mpmath.workprec(prec + 10):
            value = 1 / (1 + mpmath.exp(-z._to_mpmath(prec + 10)))
        return Float(value, precision=prec)

    def _latex(self, printer, exp=None):
        power = "" if exp is None else "^{%s}" % exp
        return r"\sigma%s{\left(%s \right)}" % (power, printer._print(self.args[0]))


class tanh(sympy.tanh):
    r"""Hyperbolic tangent that keeps its argument as written.

    Examples
    --------
    >>> from sympy import Symbol, latex
    >>> h = Symbol("h")
    >>> latex(tanh(50 - 100 * h))
    '\\tanh{\\left(50 - 100 h \\right)}'
    >>> tanh(0), tanh(-3)
    (0, tanh(-3))
    >>> tanh(h).diff(h)
    1 - tanh(h)**2
    """

    @classmethod
    def eval(cls, arg):
        if not arg.is_Number:  # see sigmoid.eval
            return None
        if arg.is_zero:
            return S.Zero
        return None if arg.is_Rational else sympy.tanh(arg)  # Floats and infinities

    def fdiff(self, argindex=1):
        return 1 - self.func(self.args[0]) ** 2


def round_half_to_zero(v):
    """``sign(v) * ceiling(|v| - 1/2)``: round to nearest, halves toward zero.

    An Integer for a SymPy number or constant expression; otherwise the
    expression, left unevaluated (SymPy's attempts to simplify it are costly
    and never succeed for a non-constant ``v``).

    Examples
    --------
    >>> from sympy import Rational, Symbol
    >>> [round_half_to_zero(Rational(n, 2)) for n in (-3, -1, 1, 2, 3)]
    [-1, 0, 0, 1, 1]
    >>> round_half_to_zero(tanh(Rational(1, 2)) + 1)
    1
    >>> round_half_to_zero(Symbol("v"))
    ceiling(Abs(v) - 1/2)*sign(v)
    """
    v = sympy.sympify(v)
    if not v.free_symbols:
        return sign(v) * ceiling(abs(v) - S.Half)
    magnitude = Add(Abs(v, evaluate=False), -S.Half, evaluate=False)
    return Mul(sign(v, evaluate=False), ceiling(magnitude, evaluate=False), evaluate=False)
