"""The Jacobian of the step at a state, and the stability class its eigenvalues give.

For a constant input x the step is the map ``(h, c) -> (h', c')``::

    c' = f c + i g,   h' = o act(c')

with f, i, o, g functions of h alone, so

    dc'/dh = f' c + i' g + i g',   dc'/dc = f,
    dh'/dh = o' act(c') + o act'(c') dc'/dh,   dh'/dc = o act'(c') f,

where ``k' = W_kh sigmoid'(z_k)`` (``W_ch tanh'(z_g)`` for g).  A saturated
activation is constant, so its slope is 0 (saturated semantics).
"""

from __future__ import annotations

import math

import numpy as np

#: Stability classes, from the eigenvalues of the 2x2 Jacobian at a fixed point.
STABILITY_CLASSES = ("stable node", "stable focus", "saddle", "unstable node",
                     "unstable focus", "non-hyperbolic")
#: An eigenvalue with | |lambda| - 1 | within this is on the unit circle (non-hyperbolic):
#: float64 eigenvalues of a 2x2 matrix carry errors of about 1e-15 times its norm, so
#: the class of a point is reliable for Jacobians of norm up to ~100.
UNIT_CIRCLE_TOL = 1e-12


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def jacobian_at(params, x, h, c, regimes=(0, 0, 0, 0, 0)):
    """The 2x2 Jacobian of the step at state ``(h, c)``, rows (h', c'), columns (h, c).

    ``params`` the 12 parameters (PARAM_NAMES order), ``regimes`` the regimes
    of f, i, o, g and c' (0 smooth, +1 saturated high, -1 saturated low).

    Examples
    --------
    The parity cell reading 0 at its fixed point (0, 0): dc'/dh = i g'(0) = -100 i.

    >>> import fastlstm as fl
    >>> J = jacobian_at(fl.presets.parity().to_array(), 0.0, 0.0, 0.0)
    >>> J.round(6).tolist()
    [[-50.0, 0.0], [-100.0, 0.0]]
    """
    return jacobian_and_det(params, x, h, c, regimes)[0]


def _sech2(z):
    """tanh'(z) = sech(z)**2 = 4 e / (1 + e)**2, e = e**(-2|z|): no overflow, and
    relative accuracy where 1 - tanh(z)**2 would cancel."""
    e = math.exp(-2.0 * abs(z))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def jacobian_and_det(params, x, h, c, regimes):
    """(J, det J): the Jacobian as ``jacobian_at``, and its determinant f o'(h) act(c').

    det J = (o' act + o act' c'_h) f - (o act' f) c'_h = f o' act: the
    structure cancels the c'_h terms, so det is computed without them (no
    cancellation: 0 where o' = 0, as in the parity cell).
    """
    w = [float(v) for v in params]
    gates, slopes = [], []
    for k in range(4):
        z = w[3 * k] * h + (w[3 * k + 1] * x + w[3 * k + 2])
        if regimes[k]:
            value = 1.0 if regimes[k] > 0 else (-1.0 if k == 3 else 0.0)
            slope = 0.0
        elif k == 3:
            value = math.tanh(z)
            slope = w[3 * k] * _sech2(z)
        else:
            value = _sigmoid(z)
            slope = w[3 * k] * value * _sigmoid(-z)  # sigmoid' = sigmoid(z) sigmoid(-z)
        gates.append(value)
        slopes.append(slope)
    (f, i, o, g), (df, di, do, dg) = gates, slopes
    c_next = f * c + i * g
    if regimes[4]:
        act, dact = (1.0 if regimes[4] > 0 else -1.0), 0.0
    else:
        act = math.tanh(c_next)
        dact = _sech2(c_next)
    dc_dh = df * c + di * g + i * dg
    J = np.array([[do * act + o * dact * dc_dh, o * dact * f], [dc_dh, f]])
    return J, f * do * act


def classify(eigenvalues, tol=UNIT_CIRCLE_TOL):
    """The stability class of a fixed point of a map from its eigenvalues (2 for a scalar cell, 2n).

    Stable/unstable: every modulus below/above 1; node: real eigenvalues,
    focus: a complex pair among them; saddle: some moduli below 1, some above;
    non-hyperbolic: a modulus within ``tol`` of 1 (linearisation does not decide).

    Examples
    --------
    >>> classify([0.5, -0.2]), classify([0.3 + 0.4j, 0.3 - 0.4j]), classify([2.0, 0.1])
    ('stable node', 'stable focus', 'saddle')
    >>> classify([1.5, -3.0]), classify([1.0, 0.5])
    ('unstable node', 'non-hyperbolic')
    >>> classify([0.5, 0.2j, -0.2j, 0.1]), classify([3.0, 2.0, 0.5, 0.1])
    ('stable focus', 'saddle')
    """
    moduli = [abs(complex(v)) for v in eigenvalues]
    if any(abs(m - 1.0) <= tol for m in moduli):
        return "non-hyperbolic"
    inside = sum(m < 1.0 for m in moduli)
    if 0 < inside < len(moduli):
        return "saddle"
    kind = "focus" if any(complex(v).imag != 0.0 for v in eigenvalues) else "node"
    return f"{'stable' if inside == len(moduli) else 'unstable'} {kind}"


def eigenvalues_2x2(J, det=None):
    """The two eigenvalues of a real 2x2 matrix, largest modulus first.

    A real pair comes as floats, a complex pair as complex numbers (conjugates).
    ``det``, where given, is the determinant known more accurately than
    ``J[0, 0] J[1, 1] - J[0, 1] J[1, 0]`` would compute it.

    >>> eigenvalues_2x2(np.array([[0.0, -1.0], [1.0, 0.0]]))
    (1j, -1j)

    A matrix with an entry beyond 2**256 (or all below 2**-256) is first
    scaled by a power of two near its largest entry, so tr**2 and det cannot
    overflow (or underflow) where the entries are near 1e300:

    >>> eigenvalues_2x2(np.array([[-1e300, 0.5], [-1e300, 0.5]]))
    (-1e+300, 0.0)
    """
    J = np.asarray(J, dtype=np.float64)
    peak = float(np.max(np.abs(J)))
    scale = 1.0
    if math.isfinite(peak) and peak != 0.0 and not 2.0 ** -256 <= peak <= 2.0 ** 256:
        scale = math.ldexp(1.0, math.frexp(peak)[1])  # a power of two just above the peak
    if det is not None:
        det = det / scale / scale
    pair = _eigenvalues_scaled(J / scale, det)
    return tuple(v * scale for v in pair)


def _eigenvalues_scaled(J, det=None):
    """The eigenvalues of a 2x2 matrix whose tr**2 and det stay finite, largest modulus first."""
    tr = J[0, 0] + J[1, 1]
    if det is None:
        det = J[0, 0] * J[1, 1] - J[0, 1] * J[1, 0]
    disc = tr * tr / 4.0 - det
    if disc >= 0.0:
        root = math.sqrt(disc)
        # the larger-modulus root first, the other from det without cancellation
        big = tr / 2.0 + math.copysign(root, tr) if tr != 0.0 else root
        small = det / big if big != 0.0 else -big
        pair = (float(big), float(small))
    else:
        root = math.sqrt(-disc)
        pair = (complex(tr / 2.0, root), complex(tr / 2.0, -root))
    return tuple(sorted(pair, key=lambda v: -abs(v)))
