"""symbolic.vector_jacobian / vector_amplification: the 2n x 2n step Jacobian against finite
differences of simulate_vector, against the scalar Jacobian for n = 1, and the numeric
per-step Jacobians against the symbolic one."""

import numpy as np
import pytest
from sympy import Float, Rational

import symbolic as sym

from .test_vector_reference import SEMANTICS, torch_layout

SCALAR = dict(W_fh=0.5, W_fx=-1.25, b_f=0.75, W_ih=2.0, W_ix=0.3, b_i=-0.5,
              W_oh=-1.5, W_ox=1.0, b_o=0.25, W_ch=3.0, W_cx=-2.0, b_c=0.1)


def random_cell(n, m, seed):
    rng = np.random.default_rng(seed)
    return sym.vector_cell(rng.normal(0, 1.5, (4 * n, m)), rng.normal(0, 1.5, (4 * n, n)),
                           rng.normal(0, 1, 4 * n), rng.normal(0, 1, 4 * n))


def away_from_decisions(ref, margin):
    """True if no pre-activation of the (one-step) reference is within margin of +-theta,
    and no raw h within margin of a rounding tie: the step is smooth there."""
    theta = ref.semantics.threshold
    zs = [z for unit in ref.preactivations[0] for z in unit]
    ties = [abs(abs(h) - k - Rational(1, 2)) for h in ref.h_raw[0] for k in range(2)]
    return min(abs(abs(z) - theta) for z in zs) > margin and min(ties) > margin


@pytest.mark.parametrize("semantics", SEMANTICS)
@pytest.mark.parametrize("n, m, seed", [(2, 1, 0), (3, 2, 1)])
def test_jacobian_against_central_differences_of_the_simulated_step(semantics, n, m, seed):
    cell = random_cell(n, m, seed)
    rng = np.random.default_rng(100 + seed)
    x = list(rng.uniform(-1, 1, m))
    h, c = list(rng.uniform(-0.9, 0.9, n)), list(rng.uniform(-1.5, 1.5, n))
    kw = dict(semantics, threshold=0.75)
    ref = sym.simulate_vector(cell, [x], digits=60, h0=h, c0=c, **kw)
    assert away_from_decisions(ref, 1e-6)
    J = sym.vector_jacobian(cell, x, h=h, c=c, **kw).evalf(40)
    delta = Rational(1, 10 ** 25)
    state = [Rational(v) for v in h + c]
    for k in range(2 * n):
        ends = []
        for sign in (1, -1):
            moved = list(state)
            moved[k] += sign * delta
            step = sym.simulate_vector(cell, [x], digits=60, h0=moved[:n], c0=moved[n:], **kw)
            ends.append([Float(v, 60) for v in step.h[0] + step.c[0]])
        for r in range(2 * n):
            difference = (ends[0][r] - ends[1][r]) / (2 * delta)
            assert abs(difference - J[r, k]) <= Float("1e-20"), (r, k, difference, J[r, k])


@pytest.mark.parametrize("semantics", SEMANTICS)
def test_one_unit_is_the_scalar_jacobian(semantics):
    kw = dict(semantics, threshold=0.75)
    for x, h, c in [(1, Rational(1, 4), Rational(-1, 2)), (Rational(-1, 2), Rational(-3, 5), 2)]:
        vector = sym.vector_jacobian(torch_layout(SCALAR), x, h=h, c=c, **kw).evalf(30)
        scalar = sym.jacobian(SCALAR, x, **kw).subs({sym.h_prev: h, sym.c_prev: c}).evalf(30)
        assert (vector - scalar).norm() < 1e-25, (x, h, c)


@pytest.mark.parametrize("semantics", SEMANTICS[:2] + SEMANTICS[4:6])
def test_numeric_step_jacobians_are_the_symbolic_jacobian_along_the_trajectory(semantics):
    cell = random_cell(2, 2, 7)
    xs = [[1, 0], [0.5, -1], [-0.25, 0.75], [1, 1]]
    ref = sym.simulate_vector(cell, xs, digits=30, h0=[0.25, -0.5], c0=[1, 0], **semantics)
    numeric = sym.vector_step_jacobians(ref)
    for t, x in enumerate(xs):
        h = ref.semantics.h0 if t == 0 else ref.h[t - 1]
        c = ref.semantics.c0 if t == 0 else ref.c[t - 1]
        J = np.array(sym.vector_jacobian(cell, x, h=h, c=c, **semantics).evalf(20), dtype=float)
        np.testing.assert_allclose(numeric[t], J, rtol=1e-12, atol=1e-14)


def test_amplification_of_one_unit_is_the_scalar_amplification():
    xs = [1, 0.5, -1, 2, 0, 0.25]
    for semantics in SEMANTICS:
        kw = dict(semantics, h0=0.5, c0=-1)
        np.testing.assert_allclose(sym.vector_amplification(torch_layout(SCALAR), xs, **kw),
                                   sym.amplification(SCALAR, xs, **kw), rtol=1e-12)


def test_amplification_arguments():
    ref = sym.simulate_vector(torch_layout(SCALAR), [1])
    with pytest.raises(TypeError, match="takes no xs"):
        sym.vector_amplification(ref, [1])
    with pytest.raises(TypeError, match="needs xs"):
        sym.vector_amplification(torch_layout(SCALAR))
    with pytest.raises(TypeError, match="both h and c"):
        sym.vector_jacobian(torch_layout(SCALAR), 1, h=0)
