"""The certified search against multi-start Newton (the benchmark's peer) on random cells.

bench/test_bench_fixed_points.py times the two on 10^3 cells; this checks, on 30, that they
do the same work: every point Newton finds is one of ours to 1e-12, and every point of ours
that Newton misses is a genuine root (a sign change of F at 50 digits, in mpmath).
"""

import mpmath
import numpy as np

import fastlstm as fl
from bench.fixed_point_newton import F_and_slope, newton_fixed_points


def F_mp(p, h, x):
    """F(h) = o tanh(i g / (1 - f)) - h in mpmath at the working precision."""
    p = [mpmath.mpf(float(v)) for v in p]
    sig = lambda z: 1 / (1 + mpmath.exp(-z))  # noqa: E731
    z = [p[3 * k] * h + (p[3 * k + 1] * x + p[3 * k + 2]) for k in range(4)]
    return sig(z[2]) * mpmath.tanh(sig(z[1]) * mpmath.tanh(z[3]) / sig(-z[0])) - h


def test_newton_finds_a_subset_and_misses_only_genuine_roots():
    missed = 0
    for p in fl.random_params(30, seed=12).values:
        ours = [q.h for q in fl.fixed_points(fl.ScalarLSTM.from_array(p), 0.5)]
        newton = newton_fixed_points(p, 0.5)
        for h in newton:
            assert min(abs(h - q) for q in ours) <= 1e-12, (p, h)
        extra = [q for q in ours if min(abs(newton - q), default=1.0) > 1e-12]
        with mpmath.workdps(50):
            for h in extra:
                lo, hi = mpmath.mpf(h) - mpmath.mpf("1e-12"), mpmath.mpf(h) + mpmath.mpf("1e-12")
                assert F_mp(p, lo, mpmath.mpf(0.5)) * F_mp(p, hi, mpmath.mpf(0.5)) < 0
        missed += len(extra)
    # one saddle in this sample sits where c = i g / (1 - f) swings through +-3e5 within
    # ~1e-7 of h: no start of the 10^4 lands in its basin
    assert missed == 1


def test_the_peer_solves_the_same_equation():
    # F and F' of the peer against the parity cell by hand: at h = 0, x = 0, F = 0 and
    # F' = o i g'(0) / (1 - f) - 1 = (1/2) sigmoid(100) (-100) / sigmoid(100) - 1 = -51
    value, slope = F_and_slope(fl.presets.parity().to_array(), 0.0, np.array([0.0]))
    assert value[0] == 0.0 and abs(slope[0] + 51.0) < 1e-12
