"""The five update equations of the scalar LSTM, and parameter substitution."""

from __future__ import annotations

from functools import lru_cache

from sympy import Basic, Eq

from .functions import sigmoid, tanh
from .params import exact_params
from .symbols import PARAMS, c_prev, c_t, f_t, h_t, i_t, o_t, preactivation


@lru_cache(maxsize=None)
def lstm_equations():
    r"""The update equations, in order: f_t, i_t, o_t, c_t, h_t.

    Returns
    -------
    tuple of sympy.Eq
        The left-hand sides are the symbols ``f_t, i_t, o_t, c_t, h_t``.

    Examples
    --------
    >>> for eq in lstm_equations():
    ...     print(eq)
    Eq(f_t, sigmoid(W_{f,h}*h_{t-1} + W_{f,x}*x_t + b_f))
    Eq(i_t, sigmoid(W_{i,h}*h_{t-1} + W_{i,x}*x_t + b_i))
    Eq(o_t, sigmoid(W_{o,h}*h_{t-1} + W_{o,x}*x_t + b_o))
    Eq(c_t, c_{t-1}*f_t + i_t*tanh(W_{c,h}*h_{t-1} + W_{c,x}*x_t + b_c))
    Eq(h_t, o_t*tanh(c_t))
    """
    return (
        Eq(f_t, sigmoid(preactivation("f"))),
        Eq(i_t, sigmoid(preactivation("i"))),
        Eq(o_t, sigmoid(preactivation("o"))),
        Eq(c_t, f_t * c_prev + i_t * tanh(preactivation("g"))),
        Eq(h_t, o_t * tanh(c_t)),
    )


def substitute(eqs, params):
    """Put parameter values into equations or expressions.

    Parameters
    ----------
    eqs : sympy expression, sympy.Eq, or a sequence of them
    params : mapping or object
        A mapping from parameter names (or their symbols) to values, which may
        name only some parameters, or an object with the twelve named attributes
        (such as ``fastlstm.ScalarLSTM``).  Floats are taken at their exact
        binary value; see :mod:`symbolic.params`.

    Returns
    -------
    The same shape as ``eqs``: one object, or a tuple.

    Examples
    --------
    >>> eqs = substitute(lstm_equations(), {"W_fh": 0, "W_fx": 0, "b_f": -100})
    >>> eqs[0]
    Eq(f_t, sigmoid(-100))
    >>> from symbolic.symbols import x_t
    >>> substitute(eqs[2], {"W_oh": 0, "W_ox": 100, "b_o": 0}).subs(x_t, 0)
    Eq(o_t, 1/2)
    """
    values = exact_params(params, partial=True, symbolic=True)
    replacements = {PARAMS[name]: value for name, value in values.items()}
    return map_equations(lambda eq: eq.xreplace(replacements), eqs, "eqs")


def map_equations(func, eqs, name):
    """``func`` applied to one SymPy object, or to each of a sequence (returned as a tuple)."""
    if isinstance(eqs, Basic):
        return func(eqs)
    if isinstance(eqs, (list, tuple)) and all(isinstance(eq, Basic) for eq in eqs):
        return tuple(func(eq) for eq in eqs)
    raise TypeError(f"{name} must be a SymPy expression or equation, or a list/tuple of them; "
                    f"got {type(eqs).__name__}")
