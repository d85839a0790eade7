"""The float64 interval arithmetic encloses the exact results (checked in mpmath at 40 digits)."""

import math

import mpmath
import numba
import numpy as np

from fastlstm._kernels import fixed_points as fp
from fastlstm._kernels import intervals as iv


@numba.njit
def _ops(a, b, out):
    """Each operation on the intervals a[k], b[k]: out[k, op] = (lo, hi)."""
    for k in range(a.shape[0]):
        alo, ahi, blo, bhi = a[k, 0], a[k, 1], b[k, 0], b[k, 1]
        out[k, 0] = iv.add(alo, ahi, blo, bhi)
        out[k, 1] = iv.sub(alo, ahi, blo, bhi)
        out[k, 2] = iv.mul(alo, ahi, blo, bhi)
        out[k, 3] = iv.div(alo, ahi, blo, bhi)
        out[k, 4] = iv.isigmoid(alo, ahi)
        out[k, 5] = iv.itanh(alo, ahi)
        out[k, 6] = iv.square(alo, ahi)


def _random_intervals(rng, n, scale):
    ends = np.sort(rng.normal(0, scale, (n, 2)) * rng.choice([1e-3, 1, 30], (n, 1)), axis=1)
    ends[: n // 8, 1] = ends[: n // 8, 0]  # some points (zero width)
    return ends


def test_operations_enclose_the_exact_result():
    rng = np.random.default_rng(1)
    a, b = _random_intervals(rng, 400, 3.0), _random_intervals(rng, 400, 3.0)
    out = np.empty((400, 7, 2))
    _ops(a, b, out)
    exact = {
        0: lambda x, y: x + y, 1: lambda x, y: x - y, 2: lambda x, y: x * y,
        3: lambda x, y: x / y, 4: lambda x, y: 1 / (1 + mpmath.exp(-x)),
        5: lambda x, y: mpmath.tanh(x), 6: lambda x, y: x * x,
    }
    with mpmath.workdps(40):
        for k in range(400):
            # sample the corners and the middle: every exact value there must be enclosed
            for s in (0.0, 0.3, 1.0):
                for t in (0.0, 0.7, 1.0):
                    x = mpmath.mpf(a[k, 0]) + s * (mpmath.mpf(a[k, 1]) - mpmath.mpf(a[k, 0]))
                    y = mpmath.mpf(b[k, 0]) + t * (mpmath.mpf(b[k, 1]) - mpmath.mpf(b[k, 0]))
                    for op, f in exact.items():
                        lo, hi = out[k, op]
                        if op == 3 and b[k, 0] <= 0 <= b[k, 1]:
                            assert (lo, hi) == (-math.inf, math.inf)
                            continue
                        assert lo <= f(x, y) <= hi, (op, a[k], b[k])


def test_F_and_its_slope_are_enclosed():
    # F(h) = o tanh(i g / (1 - f)) - h and F'(h) in mpmath, at points of the interval
    rng = np.random.default_rng(2)
    reg = np.zeros(5, dtype=np.int64)
    out = np.empty(6)
    for _ in range(60):
        p = rng.uniform(-6, 6, 12)
        x = float(rng.uniform(-1, 1))
        lo = float(rng.uniform(-1, 1))
        hi = lo + float(rng.choice([0.0, 1e-6, 0.1]))
        fp.evaluate(p, x, reg, lo, hi, out)
        with mpmath.workdps(40):
            P = [mpmath.mpf(v) for v in p]
            for s in (0.0, 0.5, 1.0):
                h = mpmath.mpf(lo) + s * (mpmath.mpf(hi) - mpmath.mpf(lo))

                def F(h):
                    z = [P[3 * k] * h + (P[3 * k + 1] * x + P[3 * k + 2]) for k in range(4)]
                    sig = [1 / (1 + mpmath.exp(-v)) for v in z[:3]]
                    c = sig[1] * mpmath.tanh(z[3]) / (1 - sig[0])
                    return sig[2] * mpmath.tanh(c) - h, c

                value, c = F(h)
                slope = mpmath.diff(lambda t: F(t)[0], h)
                assert out[0] <= value <= out[1]
                assert out[2] <= c <= out[3]
                assert out[4] <= slope <= out[5]
