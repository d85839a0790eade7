"""fl.fixed_points: hand-derived points, completeness, the symbolic engine, stability."""

import cmath
import math

import numpy as np
import pytest

import fastlstm as fl
import symbolic as sym
from symbolic.fixed_points import fixed_points as sym_fixed_points
from tests.naive import sigmoid

PARITY = fl.presets.parity()


def F(cell, h, x):
    """The fixed-point function o tanh(i g / (1 - f)) - h, in plain floats (1 - f = sigmoid(-z_f))."""
    p = cell.to_dict()
    z = {k: p[f"W_{k}h"] * h + (p[f"W_{k}x"] * x + p[f"b_{k}"]) for k in "fioc"}
    c = sigmoid(z["i"]) * math.tanh(z["c"]) / sigmoid(-z["f"])
    return sigmoid(z["o"]) * math.tanh(c) - h


def test_parity_reading_0_by_hand():
    # x = 0: f = sigmoid(-100), i = sigmoid(100), o = sigmoid(0) = 1/2, g = tanh(-100 h).
    # F(h) = tanh(i tanh(-100 h) / (1 - f)) / 2 - h is odd and strictly decreasing, so its
    # one root is h* = 0, with c* = i g(0) / (1 - f) = 0.  Jacobian at (0, 0):
    # dc'/dh = i g'(0) = -100 i, dc'/dc = f, dh'/dh = o * 1 * dc'/dh = -50 i, dh'/dc = o f:
    # det = (-50 i) f - (o f)(-100 i) = 0, trace = f - 50 i: eigenvalues f - 50 i and 0,
    # one outside the unit circle and one inside: a saddle.
    fps = fl.fixed_points(PARITY, 0)
    assert len(fps) == 1 and fps.complete
    p = fps[0]
    assert p.h == 0.0 and abs(p.c) <= 1e-300
    lo, hi = p.h_enclosure
    assert lo <= 0.0 <= hi
    i, f = sigmoid(100.0), sigmoid(-100.0)
    assert p.eigenvalues[0] == pytest.approx(f - 50 * i, rel=1e-14)
    assert abs(p.eigenvalues[1]) < 1e-12
    assert p.stability == "saddle" and not p.stable


def test_parity_reading_1_by_hand():
    # x = 1: f = sigmoid(-100) ~ 4e-44, i = sigmoid(200) and o = sigmoid(100) equal 1 to
    # within 1e-43, g = tanh(50 - 100 h).  So c* = tanh(u) with u = 50 - 100 h*, and
    # h* = tanh(tanh(u)), i.e. u = atanh(atanh(1/2 - u/100)): a contraction (slope ~ 0.02)
    # iterated from u = 0.  F is strictly decreasing (tanh(tanh(50 - 100 h)) falls as h
    # rises): one fixed point.
    u = 0.0
    for _ in range(60):
        u = math.atanh(math.atanh(0.5 - u / 100))
    h_star, c_star = 0.5 - u / 100, math.tanh(u)
    fps = fl.fixed_points(PARITY, 1)
    assert len(fps) == 1 and fps.complete
    assert fps[0].h == pytest.approx(h_star, abs=1e-13)
    assert fps[0].c == pytest.approx(c_star, abs=1e-11)
    lo, hi = fps[0].h_enclosure
    assert lo <= fps[0].h <= hi and hi - lo < 1e-13
    # dh'/dh = sech^2(c*) * (-100) sech^2(u) is far below -1; dh'/dc = o sech^2 f ~ 0
    slope = -100 * (1 - c_star ** 2) * (1 - math.tanh(c_star) ** 2)
    assert fps[0].eigenvalues[0] == pytest.approx(slope, rel=1e-9)
    assert fps[0].stability == "saddle"


def _random_cells(seed, n, scale):
    rng = np.random.default_rng(seed)
    return [(fl.ScalarLSTM.from_array(rng.uniform(-scale, scale, 12)), float(rng.uniform(-1, 1)))
            for _ in range(n)]


@pytest.mark.parametrize("scale", [3.0, 10.0])
def test_every_sign_change_of_a_dense_scan_is_in_one_enclosure(scale):
    grid = np.linspace(-1.0, 1.0, 4001)
    for cell, x in _random_cells(11, 10, scale):
        fps = fl.fixed_points(cell, x)
        assert fps.complete
        values = np.array([F(cell, h, x) for h in grid])
        changes = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) <= 0)
        for k in changes:
            holding = [p for p in fps if p.h_enclosure[0] <= grid[k + 1]
                       and p.h_enclosure[1] >= grid[k]]
            assert len(holding) == 1, (cell, x, grid[k])
        for p in fps:  # and every point reported is a root (F in floats: a few 1e-12 off)
            assert abs(F(cell, p.h, x)) < 1e-9
            assert F(cell, p.h - 1e-8, x) * F(cell, p.h + 1e-8, x) < 0
            assert abs(p.c - sym_c(cell, p.h, x)) < 1e-9


def sym_c(cell, h, x):
    p = cell.to_dict()
    z = {k: p[f"W_{k}h"] * h + (p[f"W_{k}x"] * x + p[f"b_{k}"]) for k in "fic"}
    return sigmoid(z["i"]) * math.tanh(z["c"]) / sigmoid(-z["f"])


THREE = fl.ScalarLSTM.from_array([1.1, 3.8, 3.0, -3.9, 6.3, -1.2, 32.0, 3.5, 4.6, 3.3, 7.1, 0.4])


@pytest.mark.parametrize("cell,x", [(PARITY, 1.0), (THREE, 0.0)] + _random_cells(4, 2, 6.0))
def test_exact_semantics_agrees_with_the_symbolic_engine(cell, x):
    ours = fl.fixed_points(cell, x)
    ref = sym_fixed_points(cell.to_dict(), x, activation="exact")
    assert len(ours) == len(ref)
    for p, q in zip(ours, ref):
        assert q.certified and p.certified
        assert p.h == pytest.approx(float(q.h), abs=1e-12)
        assert p.c == pytest.approx(float(q.c), abs=1e-9 * (1 + abs(float(q.c))))


def _saturated_cells():
    # f never saturates high (|W_fh|, |W_fx| <= 0.3, b_f <= -2): fixed points are isolated
    rng = np.random.default_rng(3)
    cells = []
    for _ in range(6):
        p = np.round(rng.uniform(-3, 3, 12), 2)
        p[0] *= 0.1
        p[1] *= 0.1
        p[2] = -2 - abs(p[2])
        cells.append(fl.ScalarLSTM.from_array(p))
    return cells


@pytest.mark.parametrize("inclusive", [True, False])
@pytest.mark.parametrize("cell", _saturated_cells() + [PARITY])
def test_saturated_semantics_agrees_with_the_symbolic_regions(cell, inclusive):
    for x in (0.5, 1.0):
        ours = fl.fixed_points(cell, x, activation="saturated", inclusive=inclusive)
        ref = sym_fixed_points(cell.to_dict(), x, activation="saturated", inclusive=inclusive)
        # every exact point is found, in the same region
        for q in ref:
            match = [p for p in ours if abs(p.h - float(q.h)) <= 1e-12]
            assert len(match) >= 1, (cell, x, q)
            assert any(p.regimes == q.regimes for p in match)
            assert all(abs(p.c - float(q.c)) <= 1e-9 for p in match)
        # a point of ours not in the reference may only be one flagged undecided
        for p in ours:
            if not any(abs(p.h - float(q.h)) <= 1e-12 and p.regimes == q.regimes for q in ref):
                assert not p.certified and "boundary" in p.note


def test_the_boundary_case_is_reported_not_dropped():
    # c* = i g / (1 - f) = -1 exactly (i = 1, g = -1, f = 0 saturated): tanh(c) is on its
    # threshold.  Closed boundary: c saturates low; open: it stays in the band.
    cell = _saturated_cells()[3]
    ref = {inc: sym_fixed_points(cell.to_dict(), 0.5, inclusive=inc) for inc in (True, False)}
    assert [q.regimes[-1] for q in ref[True]] == ["L"]
    assert [q.regimes[-1] for q in ref[False]] == ["-"]
    for inc in (True, False):
        ours = fl.fixed_points(cell, 0.5, activation="saturated", inclusive=inc)
        assert not ours.complete
        assert any(abs(p.h - float(ref[inc][0].h)) < 1e-12 for p in ours)


def test_jacobian_matches_symbolic_differentiation():
    for cell, x in [(THREE, 0.0), (PARITY, 1.0)] + _random_cells(5, 2, 4.0):
        J_sym = sym.jacobian(cell.to_dict(), x)
        for p in fl.fixed_points(cell, x):
            at = {sym.h_prev: p.h, sym.c_prev: p.c}
            expected = np.array(J_sym.subs(at).evalf(30).tolist(), dtype=float)
            np.testing.assert_allclose(np.array(p.jacobian), expected, rtol=1e-9, atol=1e-12)


# Cells found by a random search; the class expected is read off the eigenvalues of the
# symbolic Jacobian (sympy) at the symbolic fixed point, independently of fastlstm.
CLASS_CELLS = {
    "stable node": [4.9, 4.9, 0.2, -3.4, -7.1, -1.9, -1.5, -7.3, -7.2, 8.0, 2.4, -4.2],
    "stable focus": [2.9, -7.6, 6.8, -0.6, -0.8, -0.9, -3.6, 5.0, -0.8, -6.5, -2.4, -0.2],
    "saddle": [5.7, -2.6, 4.7, -1.6, 1.5, 3.8, 0.0, 3.1, 3.2, -7.9, -7.4, -5.6],
    "unstable node": [-3.3, -0.5, 5.8, -7.8, 0.7, -5.9, 22.0, -4.3, -2.9, -0.4, 4.5, 2.2],
    "unstable focus": [6.5, 0.0, 4.9, 4.5, -3.3, -0.8, -5.6, 5.4, -2.2, -6.7, -3.1, -4.0],
}


def _class_from_symbolic(cell):
    (q,) = sym_fixed_points(cell.to_dict(), 0, activation="exact")
    J = sym.jacobian(cell.to_dict(), 0).subs({sym.h_prev: q.h, sym.c_prev: q.c}).evalf(30)
    tr, det = complex(J.trace()), complex(J.det())   # eigenvalues: tr/2 +- sqrt(tr^2/4 - det)
    root = cmath.sqrt(tr * tr / 4 - det)
    eig = [tr / 2 + root, tr / 2 - root]
    moduli = sorted(abs(v) for v in eig)
    focus = any(abs(v.imag) > 1e-20 for v in eig)
    if moduli[0] < 1 < moduli[1]:
        return "saddle"
    return ("stable " if moduli[1] < 1 else "unstable ") + ("focus" if focus else "node")


@pytest.mark.parametrize("name", sorted(CLASS_CELLS))
def test_stability_classes(name):
    cell = fl.ScalarLSTM.from_array(CLASS_CELLS[name])
    assert _class_from_symbolic(cell) == name
    (p,) = fl.fixed_points(cell, 0)
    assert p.stability == name and p.certified


def test_three_fixed_points_saddle_between():
    fps = fl.fixed_points(THREE, 0.0)
    assert [p.stability for p in fps] == ["saddle", "unstable node", "stable node"]
    assert "stable node" in fps.to_table() and "3 points" in repr(fps)


def test_a_pitchfork_is_reported_uncertified():
    # f ~ 0, i ~ o ~ 1 (|bias| 50), g = tanh(h): F(h) = tanh(tanh(h) (1 - 4e-22)) - h has
    # F(0) = 0 and F'(0) = -4e-22: the root cannot be told from a tangency in float64.
    cell = fl.ScalarLSTM(W_ch=1.0, b_f=-50.0, b_i=50.0, b_o=50.0)
    fps = fl.fixed_points(cell, 0.0)
    assert len(fps) == 1 and not fps.complete
    (p,) = fps
    assert not p.certified and abs(p.h) < 1e-4 and p.stability == "non-hyperbolic"


def test_bad_input_is_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="x must be finite"):
        fl.fixed_points(PARITY, float("nan"))
    with pytest.raises(TypeError, match="x must be a real number"):
        fl.fixed_points(PARITY, "1")
    with pytest.raises(ValueError, match="activation"):
        fl.fixed_points(PARITY, 1, activation="linear")
    with pytest.raises(ValueError, match="hidden_size=2"):
        fl.fixed_points(fl.LSTMCell(np.zeros((8, 1)), np.zeros((8, 2))), 1)
    with pytest.raises(TypeError):
        fl.fixed_points(PARITY, 1, round_feedback=True)
    with pytest.raises(ValueError, match="overflow"):
        fl.fixed_points(PARITY.replace(b_f=1e308, W_fh=1e308), 1)


def test_a_vector_cell_of_size_one_is_taken():
    fps = fl.fixed_points(fl.LSTMCell.from_scalar(PARITY), 1)
    assert fps[0].h == fl.fixed_points(PARITY, 1)[0].h


def test_forget_gate_at_one_reports_non_isolated_fixed_points():
    # saturated, b_f = 5: f = 1 everywhere, so c' = c + i g; with b_i = -5 also i = 0 and
    # every c is kept: the fixed points are not isolated, and the result says so
    cell = fl.ScalarLSTM(b_f=5.0, b_i=-5.0, b_o=5.0, W_ch=1.0)
    fps = fl.fixed_points(cell, 0, activation="saturated")
    assert not fps.complete and len(fps.non_isolated) == 1
    assert fps.non_isolated[0].h_range == (-1.0, 1.0) and "i = 0" in fps.non_isolated[0].reason
    assert "non-isolated fixed points" in fps.to_table()
    # with i = 1 instead, i g = tanh(h) vanishes only at h = 0: a line of fixed points there
    fps = fl.fixed_points(cell.replace(b_i=5.0), 0, activation="saturated")
    assert [n.h_range for n in fps.non_isolated] == [(0.0, 0.0)]


def test_fixed_points_on_cuts_and_a_pitchfork_are_each_reported_once():
    # saturated, f = 0, i = 1, o = sigmoid(0) = 1/2, g = tanh(2 h) in the band |h| < 1/2.
    # h = 1/2 is a cut (z_g = 1): closed boundary, g = 1, c = 1 saturates high, h = o = 1/2:
    # a fixed point exactly on the cut (likewise -1/2).  In the band h' = tanh(tanh(2 h)) / 2
    # has slope 1 at h = 0: a pitchfork, F'(0) = 0.  None can be certified in float64.
    cell = fl.ScalarLSTM(W_ch=2.0, b_f=-5.0, b_i=5.0)
    fps = fl.fixed_points(cell, 0, activation="saturated")
    assert [p.h for p in fps] == [-0.5, 0.0, 0.5] and not fps.complete
    assert [p.note for p in fps] == ["on a regime boundary", "tangency or F' = 0",
                                     "on a regime boundary"]
    assert fps[1].stability == "non-hyperbolic"
