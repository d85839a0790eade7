"""The sweep kernel's building blocks: the float32 activations (within a few
ulp of numpy) and the lanes of the SIMD code LLVM makes of the loop over cells
(its machine code: tests/kernels/test_codegen.py).  (In
float64 the kernel calls the activations of ``fastlstm.run``; tests/sweeps/test_sweep.py
checks that sweeps and runs agree bit for bit.)"""

import numba
import numpy as np
import pytest

from fastlstm._config import JIT
from fastlstm._kernels import activations as act
from fastlstm._kernels import lanes
from fastlstm._kernels import sweep as sk

#: Test-only: inspecting machine code needs a function that is not cached.
UNCACHED = dict(JIT, cache=False)


def _loop(fn):
    # A loop over independent values, as in the sweep kernel.
    @numba.njit(**JIT)
    def apply(x, out):
        for k in range(x.size):
            out[k] = fn(x[k])
    return apply


LOOPS = {name: _loop(getattr(act, name)) for name in ("exp_f32", "sigmoid_f32", "tanh_f32")}


def compiled(name, x):
    out = np.empty_like(x)
    LOOPS[name](x, out)
    return out


def samples(lo, hi, n=200_000, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(lo, hi, n), rng.uniform(-1, 1, n // 4),
                           rng.standard_normal(n // 4) * 1e-3, [0.0, -0.0, 0.625, -0.625]])


def sigmoid64(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


#: float32's least normal number: smaller results are flushed to 0 (never subnormal)
NORMAL32 = 2.0**-126


@pytest.mark.parametrize("name, ref, lo, hi, ulps", [
    ("exp_f32", np.exp, -103.0, 88.7, 2.0),   # flushed to 0, normal, to the largest finite
    ("sigmoid_f32", sigmoid64, -100.0, 100.0, 3.0),
    ("sigmoid_f32", sigmoid64, -10.0, 10.0, 3.0),
    ("tanh_f32", np.tanh, -12.0, 12.0, 2.0),
    ("tanh_f32", np.tanh, -0.7, 0.7, 2.0),    # near 0, where 1 - e cancels
])
def test_float32_versions_within_a_few_ulp_of_numpy(name, ref, lo, hi, ulps):
    x = samples(lo, hi).astype(np.float32)
    got = compiled(name, x)
    assert got.dtype == np.float32
    exact = ref(x.astype(np.float64))  # numpy float64: ~2**-29 float32 ulp off
    # Results below float32's normal range are 0, by contract (subnormal
    # arithmetic is ~100 cycles per operation on x86); all others within ulps.
    flushed = np.abs(exact) < NORMAL32
    assert (got[flushed] == 0).all(), f"{name}: not flushed at x={x[flushed][got[flushed] != 0]}"
    assert not (np.abs(got[~flushed]) < NORMAL32).any(), f"{name}: flushed a normal result"
    spacing = np.spacing(np.abs(exact.astype(np.float32))).astype(np.float64)
    err = np.abs(got.astype(np.float64) - exact)[~flushed] / spacing[~flushed]
    where = x[~flushed]
    assert err.max() <= ulps, f"{name}: {err.max():.2f} ulp at x={where[err.argmax()]}"


def test_float32_flush_boundary_is_the_normal_range():
    # Every float32 within 1e-3 of -126 ln 2, where e**x crosses 2**-126:
    # exp_f32 (and sigmoid_f32, e**z / (1 + e**z) there) is 0 exactly where
    # e**x is below the normal range, else normal.  Decided by mpmath at 50 digits.
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    edge = np.float32(-87.33654475)
    x = np.arange(-3000, 3000, dtype=np.int32) + edge.view(np.int32)
    x = x.view(np.float32)
    below = np.array([mpmath.exp(mpmath.mpf(float(v))) < mpmath.mpf(2)**-126 for v in x])
    assert below.any() and not below.all()
    for name in ("exp_f32", "sigmoid_f32"):
        got = compiled(name, x)
        np.testing.assert_array_equal(got == 0, below, err_msg=name)
        assert (got[~below] >= NORMAL32).all(), name


def test_float32_special_values():
    x = np.array([-1e30, -200.0, -104.0, 0.0, -0.0, 89.0, 200.0, 1e30], np.float32)
    np.testing.assert_array_equal(compiled("exp_f32", x), [0, 0, 0, 1, 1, np.inf, np.inf, np.inf])
    np.testing.assert_array_equal(compiled("sigmoid_f32", x), [0, 0, 0, 0.5, 0.5, 1, 1, 1])
    t = compiled("tanh_f32", x)
    np.testing.assert_array_equal(t, [-1, -1, -1, 0, 0, 1, 1, 1])
    assert np.signbit(t[4])  # tanh(-0.0) = -0.0
    tiny = np.array([1e-30, -1e-40], np.float32)
    np.testing.assert_array_equal(compiled("tanh_f32", tiny), tiny)
    nan = np.array([np.nan], np.float32)
    for name in LOOPS:
        assert np.isnan(compiled(name, nan)).all(), name


# --- the loop over cells: SIMD code on every target (tests/kernels/test_codegen.py), and ---
# --- every lane computes what one cell does ---


def test_vectorised_lanes_equal_one_cell():
    # Runs on the host: every lane of the vector code computes what a
    # one-cell loop (no vector body) computes.
    @numba.njit(**UNCACHED)
    def cells(w, h, c, x, theta):
        for j in range(h.shape[0]):
            h[j], c[j] = lanes.step_f64((w[0, j], w[1, j], w[2, j], w[3, j], w[4, j], w[5, j],
                                         w[6, j], w[7, j], w[8, j], w[9, j], w[10, j], w[11, j]),
                                        h[j], c[j], x, theta, False, True, False)
    rng = np.random.default_rng(3)
    w = np.repeat(rng.uniform(-3, 3, (12, 1)), sk.LANES, axis=1)
    h, c = np.full(sk.LANES, 0.25), np.full(sk.LANES, -0.5)
    h1, c1 = h[:1].copy(), c[:1].copy()
    for x in rng.standard_normal(20):
        cells(w, h, c, x, 1.0)
        cells(w[:, :1].copy(), h1, c1, x, 1.0)
    np.testing.assert_array_equal(h, np.full(sk.LANES, h1[0]))
    np.testing.assert_array_equal(c, np.full(sk.LANES, c1[0]))
