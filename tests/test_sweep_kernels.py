"""The sweep kernel's building blocks: the float32 activations (within a few
ulp of numpy) and the SIMD code LLVM makes of the loop over cells.  (In
float64 the kernel calls the activations of ``fastlstm.run``; tests/test_sweep.py
checks that sweeps and runs agree bit for bit.)"""

import platform
import re

import numba
import numpy as np
import pytest

from fastlstm import _activations as act
from fastlstm import _sweep_kernels as sk
from fastlstm._config import JIT

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


@pytest.mark.parametrize("name, ref, lo, hi, ulps", [
    ("exp_f32", np.exp, -103.0, 88.7, 2.0),   # float32 subnormals to the largest finite
    ("sigmoid_f32", sigmoid64, -100.0, 100.0, 3.0),
    ("sigmoid_f32", sigmoid64, -10.0, 10.0, 3.0),
    ("tanh_f32", np.tanh, -12.0, 12.0, 2.0),
    ("tanh_f32", np.tanh, -0.7, 0.7, 2.0),    # both sides of the 0.625 switch
])
def test_float32_versions_within_a_few_ulp_of_numpy(name, ref, lo, hi, ulps):
    x = samples(lo, hi).astype(np.float32)
    got = compiled(name, x)
    assert got.dtype == np.float32
    exact = ref(x.astype(np.float64))  # numpy float64: ~2**-29 float32 ulp off
    spacing = np.spacing(np.abs(exact.astype(np.float32))).astype(np.float64)
    spacing = np.maximum(spacing, np.float64(2.0**-149))  # float32 subnormal spacing
    err = np.abs(got.astype(np.float64) - exact) / spacing
    assert err.max() <= ulps, f"{name}: {err.max():.2f} ulp at x={x[err.argmax()]}"


def test_float32_special_values():
    x = np.array([-1e30, -200.0, -104.0, 0.0, -0.0, 89.0, 200.0, 1e30], np.float32)
    np.testing.assert_array_equal(compiled("exp_f32", x), [0, 0, 0, 1, 1, np.inf, np.inf, np.inf])
    np.testing.assert_array_equal(compiled("sigmoid_f32", x), [0, 0, 0, 0.5, 0.5, 1, 1, 1])
    t = compiled("tanh_f32", x)
    np.testing.assert_array_equal(t, [-1, -1, -1, 0, 0, 1, 1, 1])
    assert np.signbit(t[4])  # tanh(-0.0) = -0.0
    tiny = np.array([1e-30, -1e-40], np.float32)
    np.testing.assert_array_equal(compiled("tanh_f32", tiny), tiny)


# --- the loop over cells is SIMD code ----------------------------------------

def _loop_over_cells(step):
    @numba.njit(**UNCACHED)
    def cells(w, h, c, x, theta):
        for j in range(h.shape[0]):
            h[j], c[j] = step((w[0, j], w[1, j], w[2, j], w[3, j], w[4, j], w[5, j], w[6, j],
                               w[7, j], w[8, j], w[9, j], w[10, j], w[11, j]),
                              h[j], c[j], x, theta, False, True, False)
    return cells


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="checks x86 machine code")
@pytest.mark.parametrize("dtype, step, packed", [
    (np.float64, sk.step_f64, "pd"), (np.float32, sk.step_f32, "ps")])
def test_loop_over_cells_vectorises(dtype, step, packed):
    cells = _loop_over_cells(step)
    w = np.ones((12, sk.LANES), dtype)
    h, c = np.zeros(sk.LANES, dtype), np.zeros(sk.LANES, dtype)
    cells(w, h, c, dtype(1.0), dtype(1.0))
    asm = cells.inspect_asm(cells.signatures[0])
    # Packed division (the five activations' 1/(1+e)) and packed multiplies on
    # vector registers: the cells are SIMD lanes.  (Scalar code would use
    # divsd/divss only.)
    assert re.search(rf"\bv?div{packed}\b", asm), "the loop over cells did not vectorise"
    assert re.search(rf"\bv?(mul|fmadd\d+){packed}\s+%[xyz]mm", asm)
    expected = np.empty(sk.LANES, dtype)
    h2, c2 = np.zeros(1, dtype), np.zeros(1, dtype)
    cells(w[:, :1], h2, c2, dtype(1.0), dtype(1.0))
    np.testing.assert_array_equal(h, np.full_like(expected, h2[0]))
