"""The enclosure of the Jacobian of an n-unit cell's fixed-point function over boxes (private).

The Krawczyk test of fastlstm/dynamics/krawczyk.py is NumPy array code over
many boxes at once (the mathematics and every bound are documented there);
its one step with n**2 entries per box and several operations per entry,
``F'(X)`` from the per-unit interval coefficients of the four gates, is this
small kernel (one specialisation, float64, C-ordered; it calls nothing of
fastlstm's, so its bits are the same compiled here or loaded from the cache).
A kernel for c, F and the coefficients as well compiled in 1 s on a loaded
host against 0.3 s for this one, for a saving of ~0.3 ms per call of the
enclosure: compile time is user time.

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

_PAD = 2.0 ** -50
_TINY = 2.0 ** -1022
_GAMMA = 7.0 * 2.0 ** -53 / (1.0 - 7.0 * 2.0 ** -53)


@numba.njit(**JIT)
def jacobian_enclosure(W, coef_lo, coef_hi, Jm, Jr):
    """``F'`` over each box in midpoint-radius form: ``Jm[b], Jr[b]`` (n, n) from the
    coefficients ``coef[b, g, u]`` (B, 4, n; gates i, f, g, o) and W_hh (4n, n)."""
    n = W.shape[1]
    m = np.empty(4)
    r = np.empty(4)
    for b in range(coef_lo.shape[0]):
        for u in range(n):
            bounded = True
            for g in range(4):
                lo = coef_lo[b, g, u]
                hi = coef_hi[b, g, u]
                mid = 0.5 * lo + 0.5 * hi
                rad = max(hi - mid, mid - lo)
                rad = rad + (rad * _PAD + _TINY)
                a = abs(mid) * _GAMMA
                r[g] = (a + (a * _PAD + _TINY)) + rad
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
                s = r[0] * abs(wi) + r[1] * abs(wf) + r[2] * abs(wg) + r[3] * abs(wo) + e * 2.0 * _GAMMA
                Jr[b, u, j] = s * (1.0 + 2.0 * _GAMMA) + 5.0 * _TINY if bounded else math.inf
