"""symbolic.latex: align*, cases, and the booktabs table of a trajectory (golden strings).

The golden LaTeX of the five equations and of the parity step map is in
test_symbolic_equations.py and test_symbolic_stepmap.py.
"""

import pathlib

import pytest
import sympy
from sympy import Rational

import symbolic as sym
from symbolic.functions import sigmoid

from .test_equations import PARITY

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The semantics table's saturated, closed-boundary row for 1 1 0 1 1 (docs/semantics.md),
# worked by hand:
# t=0: z = (-100, 200, 100, 50) -> f i o g = 0 1 1 1; c = 1 on the boundary (+*)
# t=1: h=1, z_g = -50 -> g = -1, c = -1 (-*); t=2: x=0, z_o = 0 -> o = 1/2 (band),
# g = 1, c = 1 (+*), h = 1/2 rounds to 0; t=3: h = 1/2, z_g = 0 -> g = 0, c = 0;
# t=4: h = 0, z_g = 50 -> c = 1 (+*).  Regime marks in the order f i o g c.
PARITY_TABLE = "\n".join([
    r"% needs \usepackage{booktabs}",
    r"\begin{tabular}{rrrrrrrrrc}",
    r"\toprule",
    r"$t$ & $x_t$ & $f_t$ & $i_t$ & $o_t$ & $g_t$ & $c_t$ & $h_t$ & $[h_t]$ & $f\,i\,o\,g\,c$ \\",
    r"\midrule",
    r"$0$ & $1$ & $0$ & $1$ & $1$ & $1$ & $1$ & $1$ & $1$ & $-\,+\,+\,+\,+^{*}$ \\",
    r"$1$ & $1$ & $0$ & $1$ & $1$ & $-1$ & $-1$ & $-1$ & $-1$ & $-\,+\,+\,-\,-^{*}$ \\",
    r"$2$ & $0$ & $0$ & $1$ & $0.5$ & $1$ & $1$ & $0.5$ & $0$ & $-\,+\,0\,+\,+^{*}$ \\",
    r"$3$ & $1$ & $0$ & $1$ & $1$ & $0$ & $0$ & $0$ & $0$ & $-\,+\,+\,0\,0$ \\",
    r"$4$ & $1$ & $0$ & $1$ & $1$ & $1$ & $1$ & $1$ & $1$ & $-\,+\,+\,+\,+^{*}$ \\",
    r"\bottomrule",
    r"\end{tabular}",
])


def test_golden_table_of_the_literal_rule():
    assert sym.latex(sym.simulate(PARITY, [1, 1, 0, 1, 1], activation="saturated")) == PARITY_TABLE


def test_table_says_it_needs_booktabs():
    # \toprule, \midrule and \bottomrule are booktabs commands: plain LaTeX stops at them.
    text = sym.latex(sym.simulate(PARITY, [1], activation="saturated"))
    assert text.splitlines()[0] == r"% needs \usepackage{booktabs}"
    assert "booktabs" in sym.latex.__doc__
    assert r"\usepackage{booktabs}" in (ROOT / "docs" / "symbolic.md").read_text()


def test_table_of_the_exact_run_rounds_irrational_values():
    row = sym.latex(sym.simulate(PARITY, [1, 0], digits=30)).splitlines()[5]
    # f = sigmoid(-100), i = sigmoid(200), o = sigmoid(100), g = tanh(50), then c, h
    assert row.startswith(r"$0$ & $1$ & $3.720 \cdot 10^{-44}$ & $1.0000$ & $1.0000$ & $1.0000$ & "
                          r"$1.0000$ & $0.7616$ & $1$ & ")


@pytest.mark.parametrize("value, printed", [
    (Rational(1, 3), r"\frac{1}{3}"), (Rational(-3, 8), "-0.375"), (Rational(7, 100), "0.07"),
    (Rational(0.1), "0.1000"), (sympy.Float("0.25", 30), "0.2500"), (-2, "-2"),
    (sympy.Float("-1.5e-7", 30), r"-1.500 \cdot 10^{-7}"),
])
def test_table_numbers(value, printed):
    from symbolic.printing import _number
    assert _number(sympy.sympify(value)) == printed


def test_state_prints_after_its_coefficient():
    assert sym.latex(sym.f_t * sym.c_prev) == r"f_{t} c_{t-1}"
    assert sym.latex(-sigmoid(-100) * sym.c_prev) == r"- \sigma{\left(-100 \right)} c_{t-1}"
    assert sym.latex(3 * sym.h_prev) == r"3 h_{t-1}"
    assert sym.latex(sym.c_prev / 2) == r"\frac{c_{t-1}}{2}"


def test_single_equation_matrix_and_chained_interval():
    assert sym.latex(sym.lstm_equations()[4]) == \
        "\\begin{align*}\nh_{t} &= o_{t} \\tanh{\\left(c_{t} \\right)}\n\\end{align*}"
    assert sym.latex(sympy.Matrix([[sym.h_prev, 0]])) == \
        r"\left[\begin{matrix}h_{t-1} & 0\end{matrix}\right]"
    interval = sympy.And(sym.h_prev > Rational(1, 2), sym.h_prev <= 1, sym.c_prev >= 0)
    assert sym.latex(interval) == r"\frac{1}{2} < h_{t-1} \leq 1 \wedge c_{t-1} \geq 0"


@pytest.mark.parametrize("obj", [42, [1, 2], {"c": 1}, "f_t"])
def test_rejects_other_objects(obj):
    with pytest.raises(TypeError, match="latex"):
        sym.latex(obj)


def test_golden_latex_of_the_jacobian_prints_both_bounds_of_the_band():
    # Parity cell reading a 1, saturated: c_t = 1 for h <= 49/100, tanh(50 - 100 h) in the
    # band, -1 for h >= 51/100 (docs/symbolic.md), so dc_t/dh_{t-1} is 0, then
    # -100 (1 - tanh^2(50 - 100 h)), then 0.  The band prints with both of its bounds, as the
    # step map's does, not as "h < 51/100" (which reads as overlapping the first piece).
    J = sym.jacobian(PARITY, 1, activation="saturated")
    assert sym.latex(J[1, 0]) == (
        r"\begin{cases} 0 & \text{for}\: h_{t-1} \leq \frac{49}{100} \\"
        r"100 \tanh^{2}{\left(50 - 100 h_{t-1} \right)} - 100 & "
        r"\text{for}\: \frac{49}{100} < h_{t-1} < \frac{51}{100} \\"
        r"0 & \text{for}\: h_{t-1} \geq \frac{51}{100} \end{cases}")
    # the conditions are the step map's, one for one
    conditions = [cond for _, cond in sym.step_map(PARITY, 1, activation="saturated")["c"].args]
    assert [cond for _, cond in J[1, 0].args] == conditions
