"""symbolic.step_map: the piecewise step map over intervals of h_{t-1} (golden LaTeX)."""

import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sympy import And, Piecewise, Rational

import symbolic as sym
from symbolic.functions import sigmoid, tanh

from .test_equations import PARITY

h, c = sym.h_prev, sym.c_prev

# The parity cell reading x = 1 (docs/semantics.md): f = sigmoid(-100) -> 0, i = sigmoid(200)
# -> 1, o = sigmoid(100) -> 1, and the candidate's pre-activation is 50 - 100 h.
# It is >= 1 for h <= 49/100 and <= -1 for h >= 51/100, so c_t = +1, the band
# tanh(50 - 100 h), -1; h_t = tanh_sat(c_t) is +-1 on the saturated pieces and
# tanh(tanh(.)) in the band, where |c_t| < 1.  The closed boundary puts the end
# points 49/100 and 51/100 in the saturated pieces.
PARITY_CASES = (r"\begin{cases} 1 & \text{for}\: h_{t-1} \leq \frac{49}{100} \\"
                r"%s & \text{for}\: \frac{49}{100} < h_{t-1} < \frac{51}{100} \\"
                r"-1 & \text{for}\: h_{t-1} \geq \frac{51}{100} \end{cases}")
BAND_C = r"\tanh{\left(50 - 100 h_{t-1} \right)}"
PARITY_STEP_MAP = "\n".join([
    r"\begin{align*}",
    r"c_{t} &= " + PARITY_CASES % BAND_C + r" \\",
    r"h_{t} &= " + PARITY_CASES % (r"\tanh{\left(%s \right)}" % BAND_C),
    r"\end{align*}",
])


def test_golden_latex_of_the_parity_step_map():
    m = sym.step_map(PARITY, 1, activation="saturated")
    assert sym.latex(m) == PARITY_STEP_MAP
    assert sym.latex(m["c"]) == PARITY_CASES % BAND_C


def test_parity_intervals_are_exact():
    m = sym.step_map(PARITY, 1, activation="saturated")
    band = "tanh(50 - 100*h_{t-1})"
    pieces = "Piecewise((1, h_{t-1} <= 49/100), (%s, (h_{t-1} > 49/100) & (h_{t-1} < 51/100)), " \
             "(-1, h_{t-1} >= 51/100))"
    assert str(m["c"]) == pieces % band
    assert str(m["h"]) == pieces % f"tanh({band})"
    # the boundary points themselves: z = +-1 exactly saturates (closed) ...
    assert m["c"].subs(h, Rational(49, 100)) == 1 and m["c"].subs(h, Rational(51, 100)) == -1
    # ... and stays in the band with the open boundary
    open_map = sym.step_map(PARITY, 1, activation="saturated", inclusive=False)
    assert open_map["c"].subs(h, Rational(49, 100)) == tanh(1)
    assert open_map["h"].subs(h, 0) == tanh(1)  # c = 1 is not > 1: tanh(c_t) in the band


def test_parity_reading_zero_and_worked_example_steps():
    m = sym.step_map(PARITY, 0, activation="saturated")
    assert str(m["c"]) == ("Piecewise((1, h_{t-1} <= -1/100), (tanh(-100*h_{t-1}), "
                           "(h_{t-1} > -1/100) & (h_{t-1} < 1/100)), (-1, h_{t-1} >= 1/100))")
    assert m["h"].subs(h, -1) == Rational(1, 2)
    one = sym.step_map(PARITY, 1, activation="saturated")
    assert one["h"].subs(h, Rational(1, 2)) == 0  # t = 3 of 1 1 0 1 1: tanh(tanh(0))


def test_exact_activation_and_rounding():
    m = sym.step_map(PARITY, 1)
    assert m["c"] == sigmoid(-100) * c + sigmoid(200) * tanh(50 - 100 * h)
    assert m["h"] == sigmoid(100) * tanh(m["c"])
    rounded = sym.step_map(PARITY, 1, activation="saturated", round_feedback=True)["h"]
    assert rounded.subs(h, Rational(1, 2)) == 0 and rounded.subs(h, Rational(49, 100)) == 1
    assert rounded.subs(h, Rational(495, 1000)) == 0  # tanh(tanh(1/2)) = 0.43


def test_cell_state_regime_solved_for_c_prev():
    # forget gate open (b_f = 100): c_t = c_{t-1} + g, and tanh(c_t) saturates
    # on half-lines of c_{t-1} that depend on the piece of h_{t-1}
    m = sym.step_map(dict(PARITY, b_f=100), 1, activation="saturated")
    assert m["c"].args[0] == (c + 1, h <= Rational(49, 100))
    branches = [(value, set(And.make_args(cond))) for value, cond in m["h"].args]
    low_h = h <= Rational(49, 100)
    assert branches[:3] == [(1, {c >= 0, low_h}), (-1, {c <= -2, low_h}), (tanh(c + 1), {low_h})]
    band = tanh(50 - 100 * h)
    assert branches[3] == (1, {h > Rational(49, 100), h < Rational(51, 100), c >= 1 - band})


def test_cell_state_regime_solved_through_the_monotone_sigmoid():
    # g = o = 1 and f = 0 everywhere; i = sigmoid(h) in its band |h| < 9/20, where
    # c_t = sigmoid(h) crosses theta = 9/20 at h = log(9/11): an irrational cut
    cell = dict(PARITY, W_ih=1, b_i=0, W_ix=0, W_ch=0, W_cx=0, b_c=5, W_ox=0, b_o=5)
    m = sym.step_map(cell, 1, activation="saturated", threshold="0.45")
    assert str(m["h"]) == (
        "Piecewise((0, h_{t-1} <= -9/20), "
        "(1, (h_{t-1} > -9/20) & (h_{t-1} < 9/20) & (h_{t-1} >= log(9/11))), "
        "(tanh(sigmoid(h_{t-1})), (h_{t-1} > -9/20) & (h_{t-1} < 9/20)), (1, h_{t-1} >= 9/20))")
    assert sym.latex(m["h"]).count(r"\log{\left(\frac{9}{11} \right)}") == 1


def test_symbolic_parameters_give_the_nested_form():
    m = sym.step_map(None, 1, activation="saturated")
    assert m["c"].has(Piecewise) and m["c"].has(sym.PARAMS["W_fh"])
    m = sym.step_map({**PARITY, "b_f": sympy.Symbol("beta", real=True)}, 1)
    assert m["c"].has(sympy.Symbol("beta", real=True))


def test_bad_input():
    with pytest.raises(ValueError, match="x must be finite"):
        sym.step_map(PARITY, float("nan"))
    with pytest.raises(ValueError, match="activation"):
        sym.step_map(PARITY, 1, activation="hard")
    with pytest.raises(TypeError, match="unexpected keyword"):
        sym.step_map(PARITY, 1, thresold=1)


def at(expr, point):
    """Value at a point: the first branch whose condition holds (what subs does, faster)."""
    if not isinstance(expr, Piecewise):
        return expr.xreplace(point)
    return next(e.xreplace(point) for e, cond in expr.args if holds(cond.xreplace(point)))


def holds(cond):
    """Whether a condition without symbols is true, deciding exactly what SymPy leaves
    unevaluated: a bound may hide an identity, e.g. (sigmoid(-1/2) - 1)/sigmoid(1/2) = -1."""
    if cond in (sympy.true, sympy.false):
        return bool(cond)
    if isinstance(cond, (sympy.And, sympy.Or)):
        return (all if isinstance(cond, sympy.And) else any)(holds(a) for a in cond.args)
    return bool(cond.func(exactly(cond.lhs - cond.rhs), 0))


def exactly(expr):
    """A closed-form number simplified through exp, so that identities cancel."""
    value = sympy.simplify(expr.rewrite(sympy.exp))
    assert value.is_comparable, value
    return value


quarters = st.integers(-8, 8).map(lambda n: Rational(n, 4))
SMALL_CELL = st.fixed_dictionaries({name: st.integers(-6, 6).map(lambda n: Rational(n, 2))
                                    for name in sym.PARAM_NAMES})


@settings(max_examples=50, deadline=None)
@example(params={**dict.fromkeys(sym.PARAM_NAMES, 0), "b_f": Rational(1, 2), "b_i": Rational(-1, 2),
                 "b_c": Rational(-3, 2)},
         x=0, hp=0, cp=-1, threshold=1, inclusive=True, round_feedback=False, activation="saturated")
@given(params=SMALL_CELL, x=st.sampled_from([0, 1, -1, Rational(1, 2)]), hp=quarters, cp=quarters,
       threshold=st.sampled_from([1, Rational(1, 2), 2]), inclusive=st.booleans(),
       round_feedback=st.booleans(), activation=st.sampled_from(["saturated", "saturated", "exact"]))
def test_step_map_is_one_step_of_simulate(params, x, hp, cp, threshold, inclusive, round_feedback,
                                          activation):
    # small dyadic cells and states land on the cut points and on |c| = theta often
    sem = dict(activation=activation, threshold=threshold, inclusive=inclusive,
               round_feedback=round_feedback)
    m = sym.step_map(params, x, **sem)
    ref = sym.simulate(params, [x], digits=30, h0=hp, c0=cp, **sem)
    for key, expected in (("c", ref.c[0]), ("h", ref.h[0])):
        got = at(m[key], {h: hp, c: cp})
        if expected.is_Rational:
            assert got == expected or exactly(got - expected) == 0, (key, got, expected)
        else:
            assert abs(sympy.N(got, 30) - expected) < 1e-25, (key, got, expected)
