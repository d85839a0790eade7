"""The thresholded-regime (saturated) form: each activation as a three-regime Piecewise."""

from __future__ import annotations

import sympy
from sympy import Eq, Piecewise, S

from .equations import map_equations
from .functions import sigmoid, tanh
from .semantics import semantics


def saturated_activation(func, z, threshold=S.One, inclusive=True):
    """``func(z)`` (``sigmoid`` or ``tanh``) under the saturated rule, as a Piecewise.

    The branches are ordered high, low, band; ``threshold`` must be exact.

    Examples
    --------
    >>> from sympy import Symbol
    >>> z = Symbol("z", real=True)
    >>> saturated_activation(sigmoid, z)
    Piecewise((1, z >= 1), (0, z <= -1), (sigmoid(z), True))
    >>> saturated_activation(tanh, z, inclusive=False)
    Piecewise((1, z > 1), (-1, z < -1), (tanh(z), True))
    >>> saturated_activation(tanh, sympy.Integer(-1))
    -1
    """
    low_value = S.Zero if func is sigmoid else S.NegativeOne
    if inclusive:
        high, low = z >= threshold, z <= -threshold
    else:
        high, low = z > threshold, z < -threshold
    return Piecewise((S.One, high), (low_value, low), (func(z), True))


def saturated(eqs_or_expr, threshold=1, inclusive=True):
    """Replace every sigmoid and tanh by its three-regime Piecewise.

    Parameters
    ----------
    eqs_or_expr : sympy expression, sympy.Eq, or a sequence of them
    threshold : number > 0
        Saturation threshold theta: high for ``z >= theta``, low for
        ``z <= -theta`` (strict inequalities when ``inclusive`` is False).
    inclusive : bool

    Returns
    -------
    The same shape as the input (a tuple for a sequence).

    Examples
    --------
    >>> from symbolic import lstm_equations
    >>> saturated(lstm_equations())[4]
    Eq(h_t, o_t*Piecewise((1, c_t >= 1), (-1, c_t <= -1), (tanh(c_t), True)))
    """
    theta = semantics(threshold=threshold, inclusive=inclusive).threshold

    def replace(expr):
        # bottom-up: an activation nested in another one's argument is
        # replaced first, and the band branch is not visited again.
        return expr.replace(
            lambda e: isinstance(e, (sigmoid, sympy.tanh)),
            lambda e: saturated_activation(
                sigmoid if isinstance(e, sigmoid) else tanh, e.args[0], theta, inclusive))

    def replace_rhs(item):
        return Eq(item.lhs, replace(item.rhs)) if isinstance(item, Eq) else replace(item)

    return map_equations(replace_rhs, eqs_or_expr, "eqs_or_expr")
