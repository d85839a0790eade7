"""The peer of the fixed-point benchmark: multi-start Newton, vectorised in NumPy.

What a fixed-point finder without certification does: start Newton's method
from many points and keep the distinct limits.  It solves the same reduced
equation as ``fl.fixed_points`` (fastlstm/dynamics/fixed_points.py):
F(h) = o tanh(i g / (1 - f)) - h = 0 on [-1, 1], from ``starts`` evenly
spaced starts at once (one NumPy array), for ``iterations`` steps; limits in
[-1, 1] with a last step below 1e-13 are kept and merged within 1e-9.  It
proves nothing: a root no start converges to is missed silently.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for any z


def F_and_slope(params, x, h):
    """F(h) and F'(h) for an array of h (exact semantics)."""
    w = [float(v) for v in params]
    z = [w[3 * k] * h + (w[3 * k + 1] * x + w[3 * k + 2]) for k in range(4)]
    f, i, o = (_sigmoid(z[k]) for k in range(3))
    s = _sigmoid(-z[0])  # 1 - f without cancellation
    g = np.tanh(z[3])
    c = i * g / s
    t = np.tanh(c)
    dc = (w[3] * i * (1 - i) * g + i * w[9] * (1 - g * g)) / s + c * w[0] * f
    return o * t - h, w[6] * o * (1 - o) * t + o * (1 - t * t) * dc - 1.0


def newton_fixed_points(params, x, starts=10_000, iterations=60):
    """Sorted distinct roots of F in [-1, 1] reached from ``starts`` Newton starts."""
    h = np.linspace(-1.0, 1.0, starts)
    step = np.zeros_like(h)
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            value, slope = F_and_slope(params, x, h)
            step = value / slope
            h = h - step
        ok = np.isfinite(h) & (np.abs(h) <= 1.0) & (np.abs(step) <= 1e-13)
    roots = np.sort(h[ok])
    if roots.size == 0:
        return roots
    groups = np.split(roots, np.flatnonzero(np.diff(roots) > 1e-9) + 1)
    return np.array([g[len(g) // 2] for g in groups])
