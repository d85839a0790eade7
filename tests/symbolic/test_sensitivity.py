"""symbolic.jacobian / amplification: step Jacobians and error growth along a trajectory."""

import random

import numpy as np
import pytest
import sympy
from sympy import Matrix, Rational

import symbolic as sym
from symbolic.functions import sigmoid, tanh
from symbolic.symbols import preactivation

from .test_equations import PARITY
from .test_stepmap import at

h, c = sym.h_prev, sym.c_prev


def random_cell(seed, scale=3):
    rng = random.Random(seed)
    return {name: Rational(rng.randint(-8 * scale, 8 * scale), 8) for name in sym.PARAM_NAMES}


def test_general_jacobian_is_the_chain_rule():
    J = sym.jacobian()
    zf, zi, zo, zg = (preactivation(g) for g in "fiog")
    c_t = sigmoid(zf) * c + sigmoid(zi) * tanh(zg)
    assert J.shape == (2, 2)
    assert J[1, 1] == sigmoid(zf)
    assert sympy.simplify(J[0, 1] - sigmoid(zo) * (1 - tanh(c_t) ** 2) * sigmoid(zf)) == 0
    W = sym.PARAMS
    dc_dh = (W["W_fh"] * sigmoid(zf) * (1 - sigmoid(zf)) * c
             + W["W_ih"] * sigmoid(zi) * (1 - sigmoid(zi)) * tanh(zg)
             + sigmoid(zi) * W["W_ch"] * (1 - tanh(zg) ** 2))
    assert sympy.expand(J[1, 0] - dc_dh) == 0


def test_parity_saturated_jacobian_vanishes_off_the_band():
    J = sym.jacobian(PARITY, 1, activation="saturated")
    assert J.subs(h, 0) == Matrix([[0, 0], [0, 0]])
    assert J.subs(h, Rational(1, 2)) == Matrix([[-100, 0], [-100, 0]])  # tanh'(0) = 1
    assert sym.jacobian(PARITY, 1, activation="saturated", round_feedback=True)[0, :] == Matrix([[0, 0]])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("activation", ["exact", "saturated"])
def test_numeric_step_jacobians_match_the_symbolic_jacobian(seed, activation):
    cell, xs = random_cell(seed), [1, 0, Rational(1, 2)]
    sem = dict(activation=activation, threshold=Rational(1, 2))
    ref = sym.simulate(cell, xs, digits=30, h0=Rational(1, 4), **sem)
    numeric = sym.step_jacobians(ref)
    for t, x in enumerate(xs):
        point = {h: Rational(1, 4) if t == 0 else ref.h[t - 1], c: 0 if t == 0 else ref.c[t - 1]}
        J = sym.jacobian(cell, x, **sem)
        expected = [[float(sympy.N(at(J[r, k], point), 20)) for k in range(2)] for r in range(2)]
        np.testing.assert_allclose(numeric[t], expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_jacobian_product_predicts_a_small_perturbation(seed):
    cell, xs, delta = random_cell(seed), [1, 0, 1, 1], Rational(1, 10**20)
    base = sym.simulate(cell, xs, digits=60)
    moved = sym.simulate(cell, xs, digits=60, h0=delta)
    product = np.eye(2)
    for t, J in enumerate(sym.step_jacobians(base)):
        product = np.array(J) @ product
        predicted = product @ np.array([1.0, 0.0]) * 1e-20
        observed = [float(moved.h[t] - base.h[t]), float(moved.c[t] - base.c[t])]
        np.testing.assert_allclose(observed, predicted, rtol=1e-6, atol=1e-35)


def test_amplification_sums_the_suffix_products():
    ref = sym.simulate(random_cell(7, scale=8), [1, 0, 1, 0, 1], digits=20)
    Js = [np.array(J) for J in sym.step_jacobians(ref)]
    expected = []
    for t in range(len(Js)):
        total = 0.0
        for s in range(t + 1):  # an error made at step s, carried to step t
            P = np.eye(2)
            for J in Js[s + 1:t + 1]:
                P = J @ P
            total += np.abs(P).sum(axis=1).max()
        expected.append(total)
    np.testing.assert_allclose(sym.amplification(ref), expected, rtol=1e-12)
    assert sym.amplification(random_cell(7, scale=8), [1, 0, 1, 0, 1]) == pytest.approx(expected)


def test_amplification_of_the_worked_example():
    assert sym.amplification(PARITY, [1, 1, 0, 1, 1], activation="saturated") == (1, 1, 1, 101, 1)
    # rounding resets h: the in-band slope at t = 3 no longer feeds back
    fed_back = sym.simulate(PARITY, [1, 1, 0, 1, 1], activation="saturated", round_feedback=True)
    assert max(sym.amplification(fed_back)) == 1


def test_amplification_arguments():
    ref = sym.simulate(PARITY, [1])
    with pytest.raises(TypeError, match="no xs"):
        sym.amplification(ref, [1])
    with pytest.raises(TypeError, match="needs xs"):
        sym.amplification(PARITY)
