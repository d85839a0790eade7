"""sym.fixed_points: regions solved exactly, derived by hand (no fastlstm here)."""

import mpmath
import pytest
from sympy import Integer, Rational

import symbolic as sym

PARITY = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
              W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)


def test_parity_reading_0_saturated():
    # x = 0: z_f = -100 (f = 0), z_i = 100 (i = 1), z_o = 0 (o = 1/2, band), z_g = -100 h.
    # h <= -1/100: g = 1, c = 1 (saturated high), h = 1/2: not in the piece.
    # h >= 1/100: g = -1, c = -1, h = -1/2: not in the piece.
    # |h| < 1/100: c = tanh(-100 h) in the band, h = tanh(tanh(-100 h)) / 2: h = 0 only.
    (p,) = sym.fixed_points(PARITY, 0)
    assert abs(p.h) < 1e-35 and abs(p.c) < 1e-35
    assert p.regimes == "LH---" and not p.exact and p.certified


def test_a_constant_map_gives_rationals():
    # every gate saturated: f = 0, i = 1, o = 1, g = -1 -> c = -1 (saturated low), h = -1
    const = dict(PARITY, W_ch=0, W_ix=0, W_ox=0, b_f=-2, b_i=3, b_o=5, b_c=-7)
    (p,) = sym.fixed_points(const, 0)
    assert (p.h, p.c) == (Integer(-1), Integer(-1)) and p.exact and p.regimes == "LHHLL"
    # the mirror image: g = 1 (b_c = 7), so c = 1 on its threshold (closed: high) and h = 1
    (q,) = sym.fixed_points(dict(const, b_c=7), 0)
    assert (q.h, q.c, q.regimes) == (1, 1, "LHHHH")


@pytest.mark.parametrize("inclusive, last", [(True, "L"), (False, "-")])
def test_the_boundary_of_c_is_decided_exactly(inclusive, last):
    # f = 0, i = 1, g = -1 (saturated): c = -1 exactly, on the threshold. Closed: c saturates
    # low and h = -o; open: c stays in the band and h = o tanh(-1). o = sigmoid(h/2) (band).
    cell = dict(PARITY, W_ch=0, W_ix=0, W_ox=0, b_f=-2, b_i=3, b_c=-7, b_o=0, W_oh=Rational(1, 2))
    (p,) = sym.fixed_points(cell, 0, inclusive=inclusive)
    assert p.regimes == "LH-L" + last and p.certified
    with mpmath.workdps(40):
        o = 1 / (1 + mpmath.exp(-mpmath.mpf(p.h) / 2))
        expected = -o if inclusive else o * mpmath.tanh(-1)
        assert abs(mpmath.mpf(p.h) - expected) < 1e-35


def test_exact_semantics_one_piece():
    # x = 1, exact: the root of tanh(i tanh(50 - 100 h) / (1 - f)) o = h near 0.4939
    (p,) = sym.fixed_points(PARITY, 1, activation="exact")
    assert abs(float(p.h) - 0.4939406496011) < 1e-12 and p.regimes == "-----"


def test_forget_gate_at_one_is_refused():
    with pytest.raises(NotImplementedError, match="forget gate saturates at 1"):
        sym.fixed_points(dict(PARITY, b_f=5), 0)
