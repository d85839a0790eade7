r"""A vector cell written out unit by unit: explicit equations, substitution, one step.

For hidden size n and input size m, unit u's gate k (``f``, ``i``, ``o``, ``g``)
reads the row of that gate and unit in PyTorch's layout (rows i, f, g, o)::

    z_{k,u} = sum_j W_{ik,u,j} x_{t,j} + b_{ik,u} + sum_j W_{hk,u,j} h_{t-1,j} + b_{hk,u}

with ``W_{ik,u,j}`` the entry of ``W_ih`` and ``W_{hk,u,j}`` that of ``W_hh``
(PyTorch names the gate blocks W_ii, W_if, W_ig, W_io and W_hi, W_hf, W_hg,
W_ho); then, as in the scalar cell, f, i, o are sigmoids, the candidate is a
tanh, ``c_{t,u} = f_{t,u} c_{t-1,u} + i_{t,u} g_{t,u}`` and
``h_{t,u} = o_{t,u} tanh(c_{t,u})``.  Units are numbered from 0, as the arrays.

Examples
--------
>>> eqs = unit_equations(2, 1)
>>> eqs[5]
Eq(f_{t,1}, sigmoid(W_{hf,1,0}*h_{t-1,0} + W_{hf,1,1}*h_{t-1,1} + W_{if,1,0}*x_{t,0} + b_{hf,1} + b_{if,1}))
"""

from __future__ import annotations

from functools import lru_cache

from sympy import N, S, Eq, Symbol

from .equations import map_equations
from .functions import round_half_to_zero, sigmoid, tanh
from .piecewise import saturated_activation
from .semantics import semantics as make_semantics
from .vector_cell import UNIT_GATES, as_vector_cell, exact_vector, exact_vector_inputs

_ACTIVATION = {"f": sigmoid, "i": sigmoid, "o": sigmoid, "g": tanh}


def x_(j):
    """The input symbol ``x_{t,j}``."""
    return Symbol(f"x_{{t,{j}}}", real=True)


def h_prev_(u):
    """The state symbol ``h_{t-1,u}``."""
    return Symbol(f"h_{{t-1,{u}}}", real=True)


def c_prev_(u):
    """The memory symbol ``c_{t-1,u}``."""
    return Symbol(f"c_{{t-1,{u}}}", real=True)


def unit_symbol(name, u):
    """``f_{t,u}``, ``i_{t,u}``, ``o_{t,u}``, ``c_{t,u}`` or ``h_{t,u}``."""
    return Symbol(f"{name}_{{t,{u}}}", real=True)


def weight(source, gate, u, j):
    """``W_{ik,u,j}`` (``source="i"``, an entry of W_ih) or ``W_{hk,u,j}`` (of W_hh)."""
    return Symbol(f"W_{{{source}{gate},{u},{j}}}", real=True)


def bias(source, gate, u):
    """``b_{ik,u}`` (of b_ih) or ``b_{hk,u}`` (of b_hh)."""
    return Symbol(f"b_{{{source}{gate},{u}}}", real=True)


def preactivation(gate, u, n, m, x=None, h=None):
    """``z_{gate,u}`` with weight symbols; ``x`` and ``h`` default to the state symbols."""
    x = [x_(j) for j in range(m)] if x is None else x
    h = [h_prev_(j) for j in range(n)] if h is None else h
    return (sum(weight("i", gate, u, j) * x[j] for j in range(m)) + bias("i", gate, u)
            + sum(weight("h", gate, u, j) * h[j] for j in range(n)) + bias("h", gate, u))


def unit_equations(n, m):
    r"""The 5n update equations of a cell with n units and m inputs, unit by unit.

    Returns
    -------
    tuple of sympy.Eq
        For each unit u in turn: ``f_{t,u}``, ``i_{t,u}``, ``o_{t,u}``,
        ``c_{t,u}``, ``h_{t,u}`` (the order of the scalar ``lstm_equations``).
    """
    for name, size in (("n", n), ("m", m)):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"{name} must be an int >= 1, got {size!r}")
    return _unit_equations(int(n), int(m))


@lru_cache(maxsize=None)
def _unit_equations(n, m):
    eqs = []
    for u in range(n):
        z = {gate: preactivation(gate, u, n, m) for gate in UNIT_GATES}
        f, i, o = (unit_symbol(name, u) for name in "fio")
        eqs += [Eq(f, sigmoid(z["f"])), Eq(i, sigmoid(z["i"])), Eq(o, sigmoid(z["o"])),
                Eq(unit_symbol("c", u), f * c_prev_(u) + i * tanh(z["g"])),
                Eq(unit_symbol("h", u), o * tanh(unit_symbol("c", u)))]
    return tuple(eqs)


def cell_values(cell):
    """``{symbol: exact value}`` for every weight and bias symbol of ``cell``."""
    cell = as_vector_cell(cell)
    n, m = cell.hidden_size, cell.input_size
    values = {}
    for gate in UNIT_GATES:
        for u in range(n):
            row = cell.row(gate, u)
            values[bias("i", gate, u)] = cell.b_ih[row]
            values[bias("h", gate, u)] = cell.b_hh[row]
            values.update({weight("i", gate, u, j): cell.W_ih[row][j] for j in range(m)})
            values.update({weight("h", gate, u, j): cell.W_hh[row][j] for j in range(n)})
    return values


def substitute_cell(eqs, cell):
    """Put a vector cell's exact numbers into equations or expressions.

    Parameters
    ----------
    eqs : sympy expression, sympy.Eq, or a sequence of them
        Usually ``unit_equations(n, m)`` for the cell's n and m.
    cell : VectorCell, mapping or object
        As for :func:`symbolic.simulate_vector`; floats are taken at their
        exact binary value.

    Examples
    --------
    The parity cell as one unit: the forget gate is shut, the output gate reads x.

    >>> parity = {"W_ih": [[100], [0], [50], [100]], "W_hh": [[0], [0], [-100], [0]],
    ...           "b_ih": [100, -100, 0, 0]}
    >>> for eq in substitute_cell(unit_equations(1, 1), parity):
    ...     print(eq)
    Eq(f_{t,0}, sigmoid(-100))
    Eq(i_{t,0}, sigmoid(100*x_{t,0} + 100))
    Eq(o_{t,0}, sigmoid(100*x_{t,0}))
    Eq(c_{t,0}, c_{t-1,0}*f_{t,0} + i_{t,0}*tanh(-100*h_{t-1,0} + 50*x_{t,0}))
    Eq(h_{t,0}, o_{t,0}*tanh(c_{t,0}))
    """
    values = cell_values(cell)
    return map_equations(lambda eq: eq.xreplace(values), eqs, "eqs")


def vector_step_map(cell, x=None, **semantics):
    r"""One step as expressions in ``h_{t-1,u}``, ``c_{t-1,u}``: ``{"h": (...), "c": (...)}``.

    Parameters
    ----------
    cell : VectorCell, mapping or object
    x : sequence of m numbers, a number when m = 1, or None
        The input of this step; None keeps the symbols ``x_{t,j}``.
    **semantics
        As in docs/semantics.md: saturated activations become three-regime
        Piecewise expressions, ``round_feedback`` rounds each h; ``h0``/``c0``
        are accepted and ignored (a single step does not depend on them).

    Examples
    --------
    >>> parity = {"W_ih": [[100], [0], [50], [100]], "W_hh": [[0], [0], [-100], [0]],
    ...           "b_ih": [100, -100, 0, 0]}
    >>> vector_step_map(parity, 1)["c"]
    (c_{t-1,0}*sigmoid(-100) + tanh(50 - 100*h_{t-1,0})*sigmoid(200),)
    >>> vector_step_map(parity, 1, activation="saturated")["c"][0]  # f = 0, i = 1: c = g
    Piecewise((1, h_{t-1,0} <= 49/100), (-1, h_{t-1,0} >= 51/100), (tanh(50 - 100*h_{t-1,0}), True))
    """
    return step_expressions(*step_arguments(cell, x, semantics))


def step_arguments(cell, x, semantics):
    """``(cell, xs, sem)`` validated: the arguments of :func:`vector_step_map`."""
    cell = as_vector_cell(cell)
    n, m = cell.hidden_size, cell.input_size
    sem = make_semantics(**{k: v for k, v in semantics.items() if k not in ("h0", "c0")})
    for name in ("h0", "c0"):
        if name in semantics:
            exact_vector(semantics[name], name, n)
    xs = [x_(j) for j in range(m)] if x is None else exact_vector_inputs([x], m)[0]
    return cell, xs, sem


def step_expressions(cell, xs, sem, point=None):
    """``{"h": ..., "c": ...}`` of one step from validated arguments.

    With ``point`` (``{state symbol: Rational}``), each saturated activation is
    replaced by the branch its argument takes at that state (decided exactly
    where the argument is rational, on 50 digits otherwise) instead of a
    Piecewise: the step's expressions near that state.
    """
    n, m = cell.hidden_size, cell.input_size

    def act(func, z):
        if not sem.saturating:
            return func(z)
        if point is None:
            return saturated_activation(func, z, sem.threshold, sem.inclusive)
        value = z.xreplace(point)
        regime = sem.regime(value if value.is_Rational else N(value, 50))
        return (S.One if regime > 0 else S.Zero if func is sigmoid else S.NegativeOne) \
            if regime else func(z)

    values = cell_values(cell)
    hs, cs = [], []
    for u in range(n):
        gate = {k: act(_ACTIVATION[k], preactivation(k, u, n, m, xs).xreplace(values))
                for k in UNIT_GATES}
        c = gate["f"] * c_prev_(u) + gate["i"] * gate["g"]
        h = gate["o"] * act(tanh, c)
        hs.append(round_half_to_zero(h) if sem.round_feedback else h)
        cs.append(c)
    return {"h": tuple(hs), "c": tuple(cs)}
