"""One step of the cell as a map ``(h_{t-1}, c_{t-1}) -> (h_t, c_t)`` for a fixed input.

With concrete parameters and saturated activations, every gate pre-activation
is linear in ``h_{t-1}``, so its regime conditions are intervals of
``h_{t-1}``: the real line is cut at the points where some ``|z| = theta``, the
regimes are read off exactly on each piece (the cut points themselves are
pieces, so closed and open boundaries come out right), and neighbouring pieces
with the same formulas are merged.  The regime of ``tanh(c_t)`` is then solved
where it can be (``c_t`` constant, monotone in ``h_{t-1}``, bounded inside the
band, or linear in ``c_{t-1}``) and otherwise left as a condition on ``c_t``.
"""

from __future__ import annotations

from typing import NamedTuple

import sympy
from sympy import And, Eq, Ge, Gt, Le, Lt, Mul, Piecewise, S, atanh, log, oo

from .functions import round_half_to_zero, sigmoid, tanh
from .params import exact_number, exact_params
from .piecewise import saturated_activation
from .semantics import semantics as make_semantics
from .symbols import PARAMS, c_prev, h_prev, preactivation, x_t

_ACTIVATION = {"f": sigmoid, "i": sigmoid, "o": sigmoid, "g": tanh}


def step_map(params=None, x=x_t, **semantics):
    r"""``{"c": c_t, "h": h_t}`` as expressions in ``c_prev``, ``h_prev`` for one input value.

    Parameters
    ----------
    params : mapping or object, optional
        The twelve parameters; symbolic values are allowed.  None keeps the
        parameter symbols.
    x : number or sympy expression
        The input ``x_t`` of this step (default: the symbol).
    **semantics
        As in docs/semantics.md.  ``round_feedback`` rounds ``h``; ``h0``/``c0`` are
        accepted (and validated) so one semantics dict fits every function, but
        a single step does not depend on them.

    Returns
    -------
    dict
        ``"c"`` and ``"h"``.  With saturated activations, numeric parameters
        and a numeric ``x``: Piecewise expressions over explicit intervals of
        ``h_prev`` (see the module docstring); within an interval the ``h``
        branches are ordered (saturated high, low, band) and the first that
        holds applies.  Otherwise the substituted expressions; saturated ones
        are nested Piecewise, whose conditions SymPy folds into ``ITE`` form:
        print ``saturated(lstm_equations())`` for the readable general form.

    Examples
    --------
    The parity cell reading a 1: the candidate saturates at +1 for
    ``h_prev <= 0.49`` and at -1 for ``h_prev >= 0.51``.

    >>> parity = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
    ...               W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)
    >>> m = step_map(parity, 1, activation="saturated")
    >>> for branch in m["c"].args:
    ...     print(branch)
    (1, h_{t-1} <= 49/100)
    (tanh(50 - 100*h_{t-1}), (h_{t-1} > 49/100) & (h_{t-1} < 51/100))
    (-1, h_{t-1} >= 51/100)
    >>> m["h"].args[1].expr
    tanh(tanh(50 - 100*h_{t-1}))
    >>> step_map(parity, 0, activation="saturated")["h"].args[0]
    (1/2, h_{t-1} <= -1/100)
    >>> step_map(parity, 1)["c"]
    c_{t-1}*sigmoid(-100) + tanh(50 - 100*h_{t-1})*sigmoid(200)
    """
    sem = make_semantics(**semantics)
    p = PARAMS if params is None else exact_params(params, symbolic=True)
    x = exact_number(x, "x", symbolic=True)
    zs = {gate: preactivation(gate, h_prev, x, p) for gate in _ACTIVATION}
    numeric = x.is_Rational and all(value.is_Rational for value in p.values())
    if sem.saturating and numeric:
        c, h = _solved(zs, sem)
    else:
        def act(gate_or_func, z):
            func = _ACTIVATION.get(gate_or_func, gate_or_func)
            return saturated_activation(func, z, sem.threshold, sem.inclusive) \
                if sem.saturating else func(z)
        gate = {name: act(name, z) for name, z in zs.items()}
        c = gate["f"] * c_prev + gate["i"] * gate["g"]
        h = gate["o"] * act(tanh, c)
    if sem.round_feedback:
        h = _map_branches(h, round_half_to_zero)
    return {"c": c, "h": h}


def _map_branches(expr, func):
    if isinstance(expr, Piecewise):
        return Piecewise(*[(func(e), cond) for e, cond in expr.args], evaluate=False)
    return func(expr)


def _solved(zs, sem):
    """Piecewise c and h over intervals of h_prev (all numbers exact)."""
    lines = {gate: (z.coeff(h_prev), z.subs(h_prev, 0)) for gate, z in zs.items()}
    cuts = sorted({(side * sem.threshold - b) / a
                   for a, b in lines.values() if a != 0 for side in (1, -1)})
    c_pieces, h_pieces = [], []
    for cell, rep in _cells(cuts):
        gate = {}
        for name, (a, b) in lines.items():
            regime = sem.regime(a * rep + b)
            func = _ACTIVATION[name]
            gate[name] = _saturated_value(func, regime) if regime else func(zs[name])
        c = gate["f"] * c_prev + gate["i"] * gate["g"]
        h = tuple((gate["o"] * value, cond) for value, cond in _cell_state_branches(c, cell, sem))
        if len({value for value, _ in h}) == 1:  # e.g. o = 0: the regime of c_t is moot
            h = ((h[0][0], S.true),)
        _extend(c_pieces, cell, c)
        _extend(h_pieces, cell, h)
    # Explicit intervals, kept as built: SymPy's Piecewise canonicalisation
    # would rewrite them as first-match upper bounds, and costs most of the time.
    c = _piecewise([(c, _condition(cell)) for cell, c in c_pieces])
    h = _piecewise([(value, _and(_condition(cell), cond))
                    for cell, h in h_pieces for value, cond in h])
    return c, h


def _extend(pieces, cell, formula):
    """Append (cell, formula), or widen the last piece if it has the same formula."""
    if pieces and pieces[-1][1] == formula:
        pieces[-1] = (pieces[-1][0]._replace(hi=cell.hi, right_open=cell.right_open), formula)
    else:
        pieces.append((cell, formula))


class _Cell(NamedTuple):
    """An interval of h_prev: ends, and whether each is open."""

    lo: object
    hi: object
    left_open: bool
    right_open: bool


def _condition(cell):
    """``cell`` as bounds on h_prev, the variable on the left."""
    # evaluate=False: a symbol against a number is never decidable, and SymPy's
    # attempt to decide it dominates the run time
    if cell.lo == cell.hi:  # a cut point whose formulas differ from both sides
        return Eq(h_prev, cell.lo, evaluate=False)
    bounds = []
    if cell.lo != -oo:
        bounds.append((Gt if cell.left_open else Ge)(h_prev, cell.lo, evaluate=False))
    if cell.hi != oo:
        bounds.append((Lt if cell.right_open else Le)(h_prev, cell.hi, evaluate=False))
    return _and(*bounds)


def _and(*conditions):
    """Conjunction without SymPy's (costly, here fruitless) simplification."""
    args = [a for cond in conditions if cond is not S.true
            for a in (cond.args if isinstance(cond, And) else (cond,))]
    if not args:
        return S.true
    return args[0] if len(args) == 1 else And(*args, evaluate=False)


def _piecewise(branches):
    if branches[0][1] is S.true:
        return branches[0][0]
    return Piecewise(*branches, evaluate=False)


def _saturated_value(func, regime):
    return S.One if regime > 0 else (S.Zero if func is sigmoid else S.NegativeOne)


def _cells(cuts):
    """The real line cut at ``cuts``: open gaps and the cut points, with a point in each."""
    if not cuts:
        return [(_Cell(-oo, oo, True, True), S.Zero)]
    cells = [(_Cell(-oo, cuts[0], True, True), cuts[0] - 1)]
    for left, right in zip(cuts, cuts[1:]):
        cells += [(_Cell(left, left, False, False), left),
                  (_Cell(left, right, True, True), (left + right) / 2)]
    return cells + [(_Cell(cuts[-1], cuts[-1], False, False), cuts[-1]),
                    (_Cell(cuts[-1], oo, True, True), cuts[-1] + 1)]


def _cell_state_branches(c, cell, sem):
    """Ordered (tanh(c) value, condition) pairs under the saturated rule, on ``cell``."""
    if not c.free_symbols:
        regime = sem.regime(c) if c.is_Rational else _numeric_regime(c, sem)
        return ((_saturated_value(tanh, regime) if regime else tanh(c), S.true),)
    high, low = (_solve_saturation(c, side, cell, sem) for side in (1, -1))
    for value, cond in ((S.One, high), (S.NegativeOne, low)):
        if cond is S.true:
            return ((value, S.true),)
    branches = [(value, cond) for value, cond in ((S.One, high), (S.NegativeOne, low))
                if cond is not S.false]
    return tuple(branches) + ((tanh(c), S.true),)


def _numeric_regime(c, sem):
    # an irrational constant (an exact gate value in the band) is never on the boundary
    return sem.regime(sympy.N(c, 50))


def _relation(side, inclusive):
    """The relation of ``c >= theta`` (side +1) or ``c <= -theta`` (side -1)."""
    if side > 0:
        return Ge if inclusive else Gt
    return Le if inclusive else Lt


def _flipped(rel):
    return {Ge: Le, Le: Ge, Gt: Lt, Lt: Gt}[rel]


def _solve_saturation(c, side, cell, sem):
    """Condition (True, False or a relational) for ``tanh(c)`` to saturate towards ``side``.

    Relationals are built unevaluated: what is decidable was decided here, and
    SymPy's own attempt costs more than the rest of the step map.
    """
    rel, target = _relation(side, sem.inclusive), side * sem.threshold
    if c.has(c_prev):
        # c = f c_prev + i g with f > 0 (a gate value): solve for c_prev
        slope = c.coeff(c_prev)
        rest = sympy.expand(c - slope * c_prev)
        if slope.is_positive and not rest.has(c_prev):
            return rel(c_prev, target / slope - rest / slope, evaluate=False)
        return rel(c, target, evaluate=False)
    bound, strict = _abs_bound(c)
    if bound < sem.threshold or (bound == sem.threshold and (strict or not sem.inclusive)):
        return S.false
    solved = _solve_monotone(c, rel, target)
    if solved is None:
        return rel(c, target, evaluate=False)
    if solved in (S.true, S.false):
        return solved
    return _restricted(solved, cell)


def _restricted(half_line, cell):
    """``half_line`` (``h_prev`` vs a number) on ``cell``: True, False, or itself."""
    w = half_line.rhs
    if isinstance(half_line, (Ge, Gt)):
        inside = cell.lo > w or (cell.lo == w and (isinstance(half_line, Ge) or cell.left_open))
        outside = cell.hi < w or (cell.hi == w and (isinstance(half_line, Gt) or cell.right_open))
    else:
        inside = cell.hi < w or (cell.hi == w and (isinstance(half_line, Le) or cell.right_open))
        outside = cell.lo > w or (cell.lo == w and (isinstance(half_line, Lt) or cell.left_open))
    return S.true if inside else (S.false if outside else half_line)


def _abs_bound(expr):
    """(B, strict): |expr| <= B for every h_prev (< B if strict), for products of activations."""
    bound, strict = S.One, False
    for factor in Mul.make_args(expr):
        if not factor.free_symbols:
            bound *= abs(factor)
        elif isinstance(factor, (sigmoid, sympy.tanh)):
            strict = True  # an activation of a non-constant argument never reaches +-1
        else:
            return oo, False
    return bound, strict


def _solve_monotone(expr, rel, target):
    """Solve ``rel(k * F(a h + b), target)`` for h; None if expr is not of that form."""
    varying = [f for f in Mul.make_args(expr) if f.free_symbols]
    if len(varying) != 1 or not isinstance(varying[0], (sigmoid, sympy.tanh)):
        return None
    func = varying[0]
    k, z = expr / func, func.args[0]
    if k < 0:
        rel = _flipped(rel)
    y = target / k
    lowest = S.Zero if isinstance(func, sigmoid) else S.NegativeOne
    upward = rel in (Ge, Gt)
    if y <= lowest or y >= 1:  # F(z) never reaches y: the answer is the same for every h
        return S.true if (y <= lowest) == upward else S.false
    w = log(y / (1 - y)) if isinstance(func, sigmoid) else atanh(y)
    a = z.coeff(h_prev)
    b = z - a * h_prev
    return (rel if a > 0 else _flipped(rel))(h_prev, (w - b) / a, evaluate=False)
