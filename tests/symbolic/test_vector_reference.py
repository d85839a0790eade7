"""symbolic.simulate_vector: hand-derived vector runs, the scalar reference as n = m = 1,
a plain mpmath oracle, and bad input.

Agreement with the compiled core is in tests/test_agreement_vector.py.
"""

import mpmath
import numpy as np
import pytest
from sympy import Float, Rational, tanh as sympy_tanh

import symbolic as sym

from .test_equations import PARITY

SEMANTICS = [dict(activation=a, inclusive=inc, round_feedback=rf)
             for a in ("exact", "saturated") for inc in (True, False) for rf in (False, True)]

# the parity cell in PyTorch's layout (rows i, f, g, o; see fastlstm.LSTMCell.from_scalar)
PARITY_VECTOR = {"W_ih": [[100], [0], [50], [100]], "W_hh": [[0], [0], [-100], [0]],
                 "b_ih": [100, -100, 0, 0]}


def torch_layout(p):
    """A scalar cell's twelve parameters as the four arrays of a 1-unit vector cell."""
    gates = (("W_ix", "W_ih", "b_i"), ("W_fx", "W_fh", "b_f"),
             ("W_cx", "W_ch", "b_c"), ("W_ox", "W_oh", "b_o"))
    return {"W_ih": [[p[x]] for x, _, _ in gates], "W_hh": [[p[h]] for _, h, _ in gates],
            "b_ih": [p[b] for _, _, b in gates]}


def two_parities():
    """Two independent parity cells (block-diagonal), unit u reading column u of x."""
    eye = np.eye(2)
    return sym.vector_cell(np.kron(PARITY_VECTOR["W_ih"], eye), np.kron(PARITY_VECTOR["W_hh"], eye),
                           np.repeat(PARITY_VECTOR["b_ih"], 2))


@pytest.mark.parametrize("semantics", SEMANTICS)
def test_independent_units_are_the_scalar_cell_on_each_column(semantics):
    columns = [[1, 1, 0, 1, 1], [0, 0, 1, 1, 1]]
    ref = sym.simulate_vector(two_parities(), np.array(columns).T, **semantics)
    for u, xs in enumerate(columns):
        scalar = sym.simulate(PARITY, xs, **semantics)
        assert tuple(h[u] for h in ref.h) == scalar.h
        assert tuple(r[u] for r in ref.regimes) == scalar.regimes
        assert tuple(b[u] for b in ref.boundary_hits) == scalar.boundary_hits


@pytest.mark.parametrize("semantics", SEMANTICS)
def test_one_unit_is_the_scalar_reference_field_by_field(semantics):
    # an irregular cell: every decision kind occurs (bands, saturation, c_t on the edge)
    p = dict(W_fh=0.5, W_fx=-1.25, b_f=0.75, W_ih=2.0, W_ix=0.3, b_i=-0.5,
             W_oh=-1.5, W_ox=1.0, b_o=0.25, W_ch=3.0, W_cx=-2.0, b_c=0.1)
    xs, kw = [1, 0.5, -1, 2, 0, 0.25], dict(semantics, h0=0.5, c0=-1, threshold=0.75)
    scalar = sym.simulate(p, xs, digits=30, **kw)
    vector = sym.simulate_vector(torch_layout(p), xs, digits=30, **kw)
    for name in ("h", "c", "h_raw", "rounded", "gates", "preactivations", "regimes",
                 "boundary_hits"):
        assert tuple(step[0] for step in getattr(vector, name)) == getattr(scalar, name), name
    assert vector.precision == scalar.precision


def test_coupled_units_by_hand():
    # i, f, o saturate (bias +-10): i = o = 1, f = 0, so c_u = g_u and h_u = tanh_sat(g_u).
    # g_0 = tanh(x), g_1 = tanh(h_0 / 2): unit 1 reads unit 0's previous state.
    cell = sym.vector_cell(W_ih=[[0]] * 4 + [[1], [0]] + [[0]] * 2,
                           W_hh=[[0, 0]] * 5 + [[Rational(1, 2), 0]] + [[0, 0]] * 2,
                           b_ih=[10, 10, -10, -10, 0, 0, 10, 10])
    ref = sym.simulate_vector(cell, [2, Rational(-1, 2)], activation="saturated", digits=40)
    # t=0: z_g = (2, 0): g = (1, 0), c = (1, 0), c_0 = 1 on the boundary, h = (1, 0)
    assert ref.h[0] == (1, 0) and ref.c[0] == (1, 0)
    assert ref.boundary_hits[0] == ((False,) * 4 + (True,), (False,) * 5)
    # t=1: z_g = (-1/2, 1/2), both in the band; c = (tanh(-1/2), tanh(1/2)), also in the band
    assert ref.preactivations[1][0][3] == Rational(-1, 2)
    assert ref.preactivations[1][1][3] == Rational(1, 2)
    assert ref.regimes[1] == ((-1, 1, 1, 0, 0), (-1, 1, 1, 0, 0))
    expected = float(sympy_tanh(sympy_tanh(Rational(1, 2))).evalf(40))
    assert [float(v) for v in ref.h[1]] == [-expected, expected]


@pytest.mark.parametrize("inclusive", [True, False])
def test_a_boundary_hit_through_another_unit(inclusive):
    # unit 0: f = 1 keeps c_0 = 1 + g_0 = 2 (saturated under either boundary), o half open
    # (z_o = 0), so h_0 = 1/2 exactly; unit 1: z_g = 2 h_0 = 1 exactly at t = 1: saturated
    # only with a closed boundary
    cell = sym.vector_cell(W_ih=[[0], [0], [0], [0], [5], [0], [0], [0]],
                           W_hh=[[0, 0]] * 5 + [[2, 0]] + [[0, 0]] * 2,
                           b_ih=[10, 10, 10, -10, 0, 0, 0, 10])
    ref = sym.simulate_vector(cell, [1, 1], activation="saturated", inclusive=inclusive,
                              c0=[1, 0])
    assert ref.c[0][0] == 2
    assert ref.h[0][0] == Rational(1, 2)
    assert ref.preactivations[1][1][3] == 1 and ref.boundary_hits[1][1][3]
    if inclusive:
        assert ref.gates[1][1][3] == 1 and ref.regimes[1][1][3] == 1
    else:
        assert ref.regimes[1][1][3] == 0
        assert ref.gates[1][1][3] == pytest.approx(np.tanh(1.0), rel=1e-15)


def oracle(cell, xs, h0, c0, dps=60):
    """A plain mpmath loop over PyTorch's equations (exact activations)."""
    with mpmath.workdps(dps):
        def mp(q):
            return mpmath.mpf(int(q.p)) / int(q.q)
        n = cell.hidden_size
        W_ih = [[mp(v) for v in row] for row in cell.W_ih]
        W_hh = [[mp(v) for v in row] for row in cell.W_hh]
        b = [mp(p) + mp(q) for p, q in zip(cell.b_ih, cell.b_hh)]
        h, c, out = [mpmath.mpf(v) for v in h0], [mpmath.mpf(v) for v in c0], []
        for x in xs:
            z = [sum(w * v for w, v in zip(W_ih[k], x)) + b[k]
                 + sum(w * v for w, v in zip(W_hh[k], h)) for k in range(4 * n)]
            i = [1 / (1 + mpmath.exp(-v)) for v in z[:n]]
            f = [1 / (1 + mpmath.exp(-v)) for v in z[n:2 * n]]
            g = [mpmath.tanh(v) for v in z[2 * n:3 * n]]
            o = [1 / (1 + mpmath.exp(-v)) for v in z[3 * n:]]
            c = [f[u] * c[u] + i[u] * g[u] for u in range(n)]
            h = [o[u] * mpmath.tanh(c[u]) for u in range(n)]
            out.append((h, c))
        return out


@pytest.mark.parametrize("n, m, seed", [(1, 3, 0), (2, 1, 1), (3, 2, 2), (4, 1, 3)])
def test_exact_mode_against_a_plain_mpmath_loop(n, m, seed):
    rng = np.random.default_rng(seed)
    cell = sym.vector_cell(rng.normal(0, 2, (4 * n, m)), rng.normal(0, 2, (4 * n, n)),
                           rng.normal(0, 1, 4 * n), rng.normal(0, 1, 4 * n))
    xs = rng.integers(-4, 5, (6, m)) / 4
    h0, c0 = rng.uniform(-1, 1, n), rng.uniform(-2, 2, n)
    ref = sym.simulate_vector(cell, xs, digits=40, h0=h0, c0=c0)
    with mpmath.workdps(60):
        for t, (h, c) in enumerate(oracle(cell, xs, h0, c0)):
            for u in range(n):
                assert abs(as_mpf(ref.h[t][u]) - h[u]) <= 1e-38, (t, u)
                assert abs(as_mpf(ref.c[t][u]) - c[u]) <= 1e-38 * max(1, abs(c[u])), (t, u)


def as_mpf(value):
    return mpmath.mpf(Float(value, 60)._mpf_)


def test_as_arrays_has_the_shapes_of_a_vector_trace():
    arrays = sym.simulate_vector(two_parities(), [[1, 0], [0, 1], [1, 1]]).as_arrays()
    assert arrays["h"].shape == arrays["rounded"].shape == (3, 2)
    assert arrays["gates"].shape == (3, 2, 4) and arrays["regimes"].shape == (3, 2, 5)
    assert arrays["rounded"].dtype == np.int64 and arrays["boundary_hits"].dtype == bool
    # unit 0 reads 1 0 1, unit 1 reads 0 1 1: the key's answers for those runs
    assert arrays["rounded"].T.tolist() == [[1, 0, 1], [0, 1, -1]]


def test_initial_state_per_unit_or_shared():
    ref = sym.simulate_vector(two_parities(), [[1, 1]], h0=[1, 0])
    assert ref.semantics.h0 == (1, 0) and ref.semantics.c0 == (0, 0)
    assert ref.rounded[0] == (-1, 1)  # from h = 1 a leading 1 reads as a second one
    assert sym.simulate_vector(two_parities(), [[1, 1]], h0=1).rounded[0] == (-1, -1)


@pytest.mark.parametrize("cell, xs, kw, error, match", [
    ({"W_ih": np.zeros((20, 1)), "W_hh": np.zeros((20, 5))}, [0], {}, ValueError, "n <= 4"),
    ({"W_ih": np.zeros((3, 1)), "W_hh": np.zeros((3, 1))}, [0], {}, ValueError, "W_ih must have 4n rows"),
    ({"W_ih": np.zeros((8, 1)), "W_hh": np.zeros((8, 1))}, [0], {}, ValueError, r"W_hh must have shape \(8, 2\)"),
    ({"W_ih": np.zeros((4, 1)), "W_hh": np.zeros((4, 1)), "b_ih": [0, 0]}, [0], {}, ValueError,
     r"b_ih must have shape \(4,\)"),
    ({"W_ih": [[np.nan]] * 4, "W_hh": np.zeros((4, 1))}, [0], {}, ValueError, r"W_ih\[0, 0\] must be finite"),
    ({"W_ih": np.zeros((4, 2)), "W_hh": np.zeros((4, 1))}, [0], {}, ValueError, r"xs\[0\] must hold 2"),
    ({"W_ih": np.zeros((4, 2)), "W_hh": np.zeros((4, 1))}, [[0, 1, 2]], {}, ValueError, r"xs\[0\] must have shape \(2,\)"),
    ({"W_ih": np.zeros((8, 1)), "W_hh": np.zeros((8, 2))}, [0], {"h0": [0, 0, 0]}, ValueError, r"h0 must have shape \(2,\)"),
    ({"W_ih": np.zeros((4, 1)), "W_hh": np.zeros((4, 1))}, [0], {"threshold": 0}, ValueError, "threshold"),
    ({"W_ih": np.zeros((4, 1)), "W_hh": np.zeros((4, 1))}, [0], {"digits": 0}, ValueError, "digits"),
    ({"W_ih": np.zeros((4, 1)), "W_hh": np.zeros((4, 1)), "W_x": 1}, [0], {}, ValueError, "keys W_ih, W_hh"),
    (42, [0], {}, TypeError, "cell must be"),
    ({"W_ih": np.zeros((4, 1)), "W_hh": np.zeros((4, 1))}, "01", {}, TypeError, "xs must be"),
])
def test_bad_input_is_refused_with_a_named_error(cell, xs, kw, error, match):
    with pytest.raises(error, match=match):
        sym.simulate_vector(cell, xs, **kw)


@pytest.mark.parametrize("inclusive", [True, False])
def test_a_disguised_rational_across_units_is_decided_exactly(inclusive):
    # t=0 (x=1): i = f = 1, c = c0 + g = (2, -2) saturate, so h_0 = sigmoid(1/2) and
    # h_1 = -sigmoid(-1/2), both irrational; t=1 (x=0): unit 0's candidate reads
    # h_0 - h_1 = sigmoid(1/2) + sigmoid(-1/2), exactly 1 = theta: no enclosure decides it,
    # the exact test must
    half = Rational(1, 2)
    cell = sym.vector_cell(W_ih=[[0]] * 4 + [[10], [-10]] + [[0]] * 2,
                           W_hh=[[0, 0]] * 4 + [[1, -1], [0, 0]] + [[0, 0]] * 2,
                           b_ih=[10, 10, 10, 10, 0, 0, half, -half])
    ref = sym.simulate_vector(cell, [1, 0], activation="saturated", inclusive=inclusive,
                              c0=[1, -1])
    assert ref.c[0] == (2, -2)
    assert [float(v) for v in ref.h[0]] == pytest.approx([1 / (1 + np.exp(-0.5)),
                                                          -1 / (1 + np.exp(0.5))], rel=1e-15)
    z = ref.preactivations[1][0][3]
    assert z.is_Rational and z == 1 and ref.boundary_hits[1][0][3]
    if inclusive:
        assert ref.regimes[1][0][3] == 1 and ref.gates[1][0][3] == 1
    else:
        assert ref.regimes[1][0][3] == 0
        assert float(ref.gates[1][0][3]) == pytest.approx(np.tanh(1.0), rel=1e-15)
