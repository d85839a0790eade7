"""Interval enclosures of an n-unit cell's fixed-point function and its Jacobian over boxes (private).

The Krawczyk test of fastlstm/dynamics/krawczyk.py is array code over many
boxes at once (the mathematics and every bound are documented there); the
steps with several interval operations per unit and per entry of F' are
these two small kernels, run after the activations are enclosed
(fastlstm/_kernels/gate_bounds.py): ``cell_state`` (c = i g / (1 - f)) and
``fixed_point_map`` (F = o tanh(c) - h and F').  One specialisation each
(float64, C-ordered); the interval operations are intervals.py's (each end
widened outward by 2**-50 relative plus 2**-1022 absolute, NaN -> the whole
line), small functions LLVM inlines.

Row u of F' is ``sum_g a_g[u] W_g[u, :] - e_u`` (gates i, f, g, o; ``a_g``
intervals, ``W_g`` the gate's block of W_hh, exact floats), enclosed in
midpoint-radius form: with ``a_g`` in ``m_g +- r_g`` (m_g the float
midpoint, r_g >= the distance to either end, rounded up), the exact entry
lies in ``fl(sum_g m_g w_g - [u = j]) +- rad`` with

    rad = (sum_g (up(gamma |m_g|) + r_g) |w_g| + up(gamma [u = j])) (1 + 2 gamma) + 5 * 2**-1022,

gamma = gamma_7 = 7 u / (1 - 7 u) (u = 2**-53) bounding the error of a float
dot product of 5 terms in any order, fused or not (Higham 2002, section
3.1), the factor (1 + 2 gamma) and the 2**-1022 terms covering the rounding
and underflow of the radius's own sum: the bound of ``pmatmul`` in
fastlstm/dynamics/krawczyk.py with q = 5.  A coefficient with an infinite or
NaN end makes its row the whole line (radius inf).

Kernels assume clean input and write into arrays they are given.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .._config import JIT
from .intervals import div, mul, sub

_PAD = 2.0 ** -50
_TINY = 2.0 ** -1022
_GAMMA = 7.0 * 2.0 ** -53 / (1.0 - 7.0 * 2.0 ** -53)


@numba.njit(**JIT)
def cell_state(act_s, act_g, clo, chi):
    """c = i g / (1 - f) over each box: ``act_s`` (B, 3n, 6) encloses the sigmoid rows
    (i, f, o: value, complement, slope), ``act_g`` (B, n, 6) tanh of the g rows."""
    n = act_g.shape[1]
    for b in range(act_g.shape[0]):
        for u in range(n):
            ig = mul(act_s[b, u, 0], act_s[b, u, 1], act_g[b, u, 0], act_g[b, u, 1])
            clo[b, u], chi[b, u] = div(ig[0], ig[1], act_s[b, n + u, 2], act_s[b, n + u, 3])


@numba.njit(**JIT)
def fixed_point_map(W, lo, hi, act_s, act_g, act_c, clo, chi, jacobian, Flo, Fhi, Jm, Jr):
    """F = o tanh(c) - h over each box ``[lo, hi]`` (B, n) and, if ``jacobian``, F' in
    midpoint-radius form ``Jm, Jr`` (B, n, n) (module docstring).

    ``act_c`` (B, n, 6) encloses tanh of c ``[clo, chi]``; W is W_hh (4n, n).
    The coefficients of the gates' rows of W in unit u: o' tanh(c) for W_o and,
    with P = o tanh'(c), P i' g / (1 - f), P c f' / (1 - f), P i g' / (1 - f)
    for W_i, W_f, W_g.
    """
    n = W.shape[1]
    m = np.empty(4)
    r = np.empty(4)
    coef = np.empty((4, 2))
    for b in range(lo.shape[0]):
        for u in range(n):
            o0, o1 = act_s[b, 2 * n + u, 0], act_s[b, 2 * n + u, 1]
            t0, t1 = act_c[b, u, 0], act_c[b, u, 1]
            ot = mul(o0, o1, t0, t1)
            Flo[b, u], Fhi[b, u] = sub(ot[0], ot[1], lo[b, u], hi[b, u])
            if not jacobian:
                continue
            s0, s1 = act_s[b, n + u, 2], act_s[b, n + u, 3]
            P = mul(o0, o1, act_c[b, u, 4], act_c[b, u, 5])
            a = div(*mul(act_s[b, u, 4], act_s[b, u, 5], act_g[b, u, 0], act_g[b, u, 1]), s0, s1)
            coef[0, 0], coef[0, 1] = mul(P[0], P[1], a[0], a[1])
            a = div(*mul(clo[b, u], chi[b, u], act_s[b, n + u, 4], act_s[b, n + u, 5]), s0, s1)
            coef[1, 0], coef[1, 1] = mul(P[0], P[1], a[0], a[1])
            a = div(*mul(act_s[b, u, 0], act_s[b, u, 1], act_g[b, u, 4], act_g[b, u, 5]), s0, s1)
            coef[2, 0], coef[2, 1] = mul(P[0], P[1], a[0], a[1])
            coef[3, 0], coef[3, 1] = mul(act_s[b, 2 * n + u, 4], act_s[b, 2 * n + u, 5], t0, t1)
            bounded = True
            for g in range(4):
                mid = 0.5 * coef[g, 0] + 0.5 * coef[g, 1]
                rad = max(coef[g, 1] - mid, mid - coef[g, 0])
                rad = rad + (rad * _PAD + _TINY)
                e = abs(mid) * _GAMMA
                r[g] = (e + (e * _PAD + _TINY)) + rad
                m[g] = mid
                if not (abs(mid) < math.inf and r[g] < math.inf):
                    bounded = False
            for j in range(n):
                wi = W[u, j]
                wf = W[n + u, j]
                wg = W[2 * n + u, j]
                wo = W[3 * n + u, j]
                e = 1.0 if u == j else 0.0
                Jm[b, u, j] = m[0] * wi + m[1] * wf + m[2] * wg + m[3] * wo - e
                rs = r[0] * abs(wi) + r[1] * abs(wf) + r[2] * abs(wg) + r[3] * abs(wo) + e * 2.0 * _GAMMA
                Jr[b, u, j] = rs * (1.0 + 2.0 * _GAMMA) + 5.0 * _TINY if bounded else math.inf
