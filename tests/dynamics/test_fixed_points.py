"""fl.fixed_points: hand-derived points, completeness, the symbolic engine, stability."""

import cmath
import math

import mpmath
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


def test_c_on_the_threshold_is_decided_exactly():
    # c* = i g / (1 - f) = -1 exactly (i = 1, g = -1, f = 0 saturated): tanh(c) is on its
    # threshold.  Closed boundary: c saturates low; open: it stays in the band.  The regime
    # of a constant c is decided in rationals, so each semantics has one certified point.
    cell = _saturated_cells()[3]
    for inclusive, regime_c in ((True, "L"), (False, "-")):
        (q,) = sym_fixed_points(cell.to_dict(), 0.5, inclusive=inclusive)
        assert q.regimes[-1] == regime_c and q.certified
        ours = fl.fixed_points(cell, 0.5, activation="saturated", inclusive=inclusive)
        assert ours.complete and len(ours) == 1
        (p,) = ours
        assert p.regimes == q.regimes and p.h_enclosure[0] <= float(q.h) <= p.h_enclosure[1]


# Issue 20: f = 0, i = 1, g = 1 saturated on the piece that holds the fixed point, so
# c = 1 * 1 / (1 - 0) = 1 = threshold exactly.  Closed boundary: tanh(c) = 1 and h = o(h);
# open boundary: tanh(c) = tanh(1) and h = o(h) tanh(1).  Each is fixed under its own
# semantics only (the symbolic engine: 0.44957 and 0.34239); both used to be reported,
# uncertified, under either.
C_AT_THRESHOLD = [1.350695183960764, -0.8181725132647246, -3.4414081633152964,
                  -3.9082488407778158, -2.1334631696582447, 3.313724595888993,
                  8.239469850668257e-05, 2.35569231277721, -0.2024551740681888,
                  2.2267945319883653, 3.0865930649150926, 3.8478733772657714]


@pytest.mark.parametrize("inclusive", [True, False])
def test_c_exactly_on_the_threshold_is_reported_under_its_own_semantics_only(inclusive):
    cell = fl.ScalarLSTM.from_array(C_AT_THRESHOLD)
    (q,) = sym_fixed_points(cell.to_dict(), 0, inclusive=inclusive)
    assert q.certified and float(q.c) == 1.0
    fps = fl.fixed_points(cell, 0, activation="saturated", inclusive=inclusive)
    assert fps.complete and len(fps) == 1
    (p,) = fps
    assert p.regimes == q.regimes == ("LH-HH" if inclusive else "LH-H-")
    assert p.h_enclosure[0] <= float(q.h) <= p.h_enclosure[1]
    assert p.h == pytest.approx(0.44957 if inclusive else 0.34239, abs=1e-5)


def _random_saturated_cases(seed, n):
    """(cell, x, inclusive) with |weights| <= 4, b_f <= 0; some rounded to 0 or 1 decimals, so that
    cuts and |c| = threshold are hit exactly (the cases float64 margins could not decide)."""
    rng = np.random.default_rng(seed)
    cases = []
    for k in range(n):
        digits = (None, 1, 0)[k % 3]
        p, x = rng.uniform(-4, 4, 12), rng.uniform(-1, 1)
        p[2] = -abs(p[2])  # b_f <= 0: f = 1 (non-isolated points) on fewer pieces
        if digits is not None:
            p, x = np.round(p, digits) + 0.0, np.round(x, digits) + 0.0
        cases.append((fl.ScalarLSTM.from_array(p), float(x), bool(k % 2)))
    return cases


def test_saturated_points_are_fixed_points_of_the_symbolic_engine():
    # Every point reported is a fixed point the symbolic engine finds (same place, same
    # regimes), and every point the symbolic engine certifies is reported, certified.
    checked = 0
    for cell, x, inclusive in _random_saturated_cases(20, 40):
        try:
            ref = sym_fixed_points(cell.to_dict(), x, inclusive=inclusive)
        except NotImplementedError:  # f = 1 on a piece: fixed points need not be isolated
            continue
        checked += 1
        ours = fl.fixed_points(cell, x, activation="saturated", inclusive=inclusive)
        for p in ours:
            assert any(p.h_enclosure[0] <= float(q.h) <= p.h_enclosure[1]
                       and p.regimes == q.regimes for q in ref), (cell, x, inclusive, p)
        for q in ref:
            if q.certified:
                assert any(p.certified and p.h_enclosure[0] <= float(q.h) <= p.h_enclosure[1]
                           for p in ours), (cell, x, inclusive, q)
    assert checked >= 20


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
    with pytest.raises(ValueError, match="hidden_size=2"):  # n >= 2: exact semantics only
        fl.fixed_points(fl.LSTMCell(np.zeros((8, 1)), np.zeros((8, 2))), 1,
                        activation="saturated")
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


def test_fixed_points_on_cuts_are_decided_exactly_and_a_pitchfork_is_reported_once():
    # saturated, f = 0, i = 1, o = sigmoid(0) = 1/2, g = tanh(2 h) in the band |h| < 1/2.
    # h = 1/2 is a cut (z_g = 1): closed boundary, g = 1, c = 1 saturates high, h' = o = 1/2:
    # a fixed point exactly on the cut, F = 1/2 - 1/2 = 0 in rationals (likewise -1/2), so
    # certified.  In the band h' = tanh(tanh(2 h)) / 2 has slope 1 at h = 0: a pitchfork,
    # F'(0) = 0, which no interval test certifies.
    cell = fl.ScalarLSTM(W_ch=2.0, b_f=-5.0, b_i=5.0)
    fps = fl.fixed_points(cell, 0, activation="saturated")
    assert len(fps) == 3 and not fps.complete
    low, pitchfork, high = fps
    for p, h in ((low, -0.5), (high, 0.5)):
        assert p.certified and p.h == h and p.h_enclosure == (h, h) and p.c == 2 * h
    assert not pitchfork.certified and pitchfork.stability == "non-hyperbolic"
    assert pitchfork.h_enclosure[0] <= 0.0 <= pitchfork.h_enclosure[1]
    assert "vanish together" in pitchfork.note
    # open boundary: at the cut g = tanh(1), c = tanh(1) is in the band and
    # h' = tanh(tanh(1)) / 2 = 0.32 != 1/2: the cuts are not fixed, only the pitchfork is left
    fps = fl.fixed_points(cell, 0, activation="saturated", inclusive=False)
    assert len(fps) == 1 and not fps[0].certified
    assert fps[0].h_enclosure[0] <= 0.0 <= fps[0].h_enclosure[1]


@pytest.mark.parametrize("w", [-1e20, -1e50, -1e300])
def test_a_steep_saddle_at_zero_is_certified(w):
    # Issue 20: W_ch = w, b_i = b_o = 100, the rest 0, x = 0.  f = sigmoid(0) = 1/2, so
    # c = i g / (1 - f) = 2 i tanh(w h) and F(h) = o tanh(2 i tanh(w h)) - h: F(0) = 0, and
    # F > 0 for h < 0, F < 0 for h > 0 (w < 0), so (0, 0) is the only fixed point.  There
    # g' = w, and the Jacobian is [[o i w, o f], [i w, f]]: det = o i w f - o f i w = 0,
    # trace = o i w + f, so the eigenvalues are o i w + 1/2 (about w) and 0: a saddle.
    # F jumps from +0.96 to -0.96 within |h| ~ 1/|w|, and the old search reported a point
    # at h = -5e-15, c = 2 (not fixed: one step goes to h = 0.96), and -inf at w = -1e300.
    cell = fl.ScalarLSTM(W_ch=w, b_i=100.0, b_o=100.0)
    fps = fl.fixed_points(cell, 0)
    assert len(fps) == 1 and fps.complete
    (p,) = fps
    assert p.h_enclosure[0] <= 0.0 <= p.h_enclosure[1] and abs(p.h) < 1e-300
    assert abs(p.c) < 1e-200
    i = o = sigmoid(100.0)
    assert p.eigenvalues[0] == pytest.approx(o * i * w + 0.5, rel=1e-12)
    assert p.eigenvalues[1] == 0.0
    assert p.stability == "saddle"
    step = fl.run(cell, [0.0], h0=p.h, c0=p.c)
    assert abs(step.h[0] - p.h) < 1e-12 and abs(step.c[0] - p.c) < 1e-12


# f = sigmoid(b_f + ...) about 1 - 1e-16 here, so c* = i g / (1 - f) is about -2.3e15 and
# tanh'(c*) is 0: F'(h*) is about -1.  Float64 intervals of 1 - tanh(c)**2 from tanh(c)
# itself blew up, and the old search called the root a "tangency or F' = 0".
HUGE_C = [-0.12307348943482754, 2.751137998796229, 37.34878027054047, -0.5874928383734046,
          -2.994481265334805, -0.4788927918412176, 0.7886166367937406, 2.6097665651199016,
          2.5420595085464077, -1.035901120055413, 2.933166153714115, -1.8739503585928872]
HUGE_C_X = -0.6854810258319108
# A root where c' is about 1e18: F rises through 0 and peaks within an ulp of h, which
# float64 intervals cannot resolve (the symbolic engine certifies it at 60 digits).
STEEP = [2.8823762723395063, -2.031678559540173, 39.725309474829416, 2.860555079741159,
         -0.1877121991877182, -2.278622974631522, -0.23741864380158084, 0.2593902568761841,
         1.7199527511952866, 2.9949306107363567, -1.5309886529116676, -2.7946488465830788]
STEEP_X = -0.9954280421620423


def F_mp(params, x, h):
    """F(h) = o tanh(i g / (1 - f)) - h in mpmath (the module's F, 50 digits)."""
    P = [mpmath.mpf(v) for v in params]
    z = [P[3 * k] * h + (P[3 * k + 1] * x + P[3 * k + 2]) for k in range(4)]
    sig = [1 / (1 + mpmath.exp(-v)) for v in z[:3]]
    c = sig[1] * mpmath.tanh(z[3]) * (1 + mpmath.exp(z[0]))   # 1 / (1 - f) = 1 + e**z_f
    return sig[2] * mpmath.tanh(c) - h


def test_a_root_with_huge_c_is_certified():
    cell = fl.ScalarLSTM.from_array(HUGE_C)
    (q,) = sym_fixed_points(cell.to_dict(), HUGE_C_X, activation="exact")
    with mpmath.workdps(50):
        slope = mpmath.diff(lambda h: F_mp(HUGE_C, HUGE_C_X, h), q.h)
    assert -1.5 < slope < -0.5  # F' about -1: nothing like a tangency
    fps = fl.fixed_points(cell, HUGE_C_X)
    assert fps.complete and len(fps) == 1
    assert fps[0].h_enclosure[0] <= float(q.h) <= fps[0].h_enclosure[1]


def test_an_uncertified_root_says_why():
    cell = fl.ScalarLSTM.from_array(STEEP)
    ref = sym_fixed_points(cell.to_dict(), STEEP_X, activation="exact")
    fps = fl.fixed_points(cell, STEEP_X)
    assert not fps.complete
    for p in fps:
        (q,) = [q for q in ref if p.h_enclosure[0] <= float(q.h) <= p.h_enclosure[1]]
        if p.certified:
            continue
        with mpmath.workdps(50):
            slope = mpmath.diff(lambda h: F_mp(STEEP, STEEP_X, h), q.h)
        assert slope > 1e10  # a steep simple root, no tangency: the note must not claim one
        assert "tangency" not in p.note and "faster than float64 resolves" in p.note
