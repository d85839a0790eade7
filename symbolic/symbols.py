"""The symbols of the scalar LSTM, named so that they print in the usual notation.

A weight ``W_fh`` is the symbol ``W_{f,h}`` (gate ``f``, acting on ``h``); a
bias ``b_f`` prints as ``b_{f}``.  All symbols are real.

Examples
--------
>>> from sympy import latex
>>> latex(PARAMS["W_fh"]), latex(PARAMS["b_c"]), latex(h_prev), latex(x_t)
('W_{f,h}', 'b_{c}', 'h_{t-1}', 'x_{t}')
>>> preactivation("g")
W_{c,h}*h_{t-1} + W_{c,x}*x_t + b_c
"""

from __future__ import annotations

from sympy import Symbol

PARAM_NAMES = ("W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i",
               "W_oh", "W_ox", "b_o", "W_ch", "W_cx", "b_c")

#: Gate -> names of its (recurrent weight, input weight, bias).  The candidate
#: ``g`` (argument of the tanh in the c update) uses the ``c`` parameters.
GATE_PARAMS = {
    "f": ("W_fh", "W_fx", "b_f"),
    "i": ("W_ih", "W_ix", "b_i"),
    "o": ("W_oh", "W_ox", "b_o"),
    "g": ("W_ch", "W_cx", "b_c"),
}


def _printed_name(name):
    # "W_fh" -> "W_{f,h}"; biases keep SymPy's own subscript handling.
    if name.startswith("W_"):
        return "W_{%s,%s}" % (name[2], name[3])
    return name


PARAMS = {name: Symbol(_printed_name(name), real=True) for name in PARAM_NAMES}

h_prev = Symbol("h_{t-1}", real=True)
c_prev = Symbol("c_{t-1}", real=True)
x_t = Symbol("x_t", real=True)
f_t = Symbol("f_t", real=True)
i_t = Symbol("i_t", real=True)
o_t = Symbol("o_t", real=True)
c_t = Symbol("c_t", real=True)
h_t = Symbol("h_t", real=True)


def preactivation(gate, h=h_prev, x=x_t, params=PARAMS):
    """``W_{k,h} h + W_{k,x} x + b_k`` for gate ``k`` in ``"f"``, ``"i"``, ``"o"``, ``"g"``."""
    w_h, w_x, b = (params[name] for name in GATE_PARAMS[gate])
    return w_h * h + w_x * x + b
