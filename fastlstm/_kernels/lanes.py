"""One step written for SIMD lanes: a loop over independent cells or sequences
whose body is ``step`` becomes vector code.

The arithmetic is that of ``sequence.step``, operation for operation (so a
lane gives the bits a scalar run gives); its branches are selects.  Used by
the sweep kernel (lanes = cells) and the batch kernel (lanes = sequences).
"""

from __future__ import annotations

import numba
import numpy as np

from .._config import INLINE_JIT
from .activations import _fma, sigmoid, sigmoid_f32, tanh, tanh_f32

#: Lanes per block of the sweep kernel: a multiple of the widest SIMD vector (16 float32).
LANES = 64


@numba.njit(**INLINE_JIT)
def lane(w, j):
    """The 12 parameters of lane j of a (12, LANES) block, as a tuple (registers, in the loop)."""
    return (w[0, j], w[1, j], w[2, j], w[3, j], w[4, j], w[5, j],
            w[6, j], w[7, j], w[8, j], w[9, j], w[10, j], w[11, j])


def make_squash(ftype):
    """``squash(z, theta, low, exact, saturated, inclusive)`` in precision ``ftype``.

    ``exact`` (the activation's value at z), or under saturated semantics 1
    above the band and ``low`` (0 or -1) below it; the boundary |z| = theta
    is saturated when ``inclusive``.  Written as selects, so loops over it
    vectorise; every kernel that saturates uses it.
    """
    one = ftype(1.0)

    @numba.njit(**INLINE_JIT)
    def squash(z, theta, low, exact, saturated, inclusive):
        if saturated:
            if (z >= theta) if inclusive else (z > theta):
                return one
            if (z <= -theta) if inclusive else (z < -theta):
                return low
        return exact

    return squash


squash_f64 = make_squash(np.float64)


@numba.njit(**INLINE_JIT)
def preactivations(w, h, x):
    """``(z_f, z_i, z_g, z_o)``: W_kh h + (W_kx x + b_k), each by two explicit fmas.

    Every step (scalar, lanes, the Lyapunov Jacobian) computes them here, so
    they round alike everywhere and LLVM sees one expression where a kernel
    needs them twice (the Jacobian reuses the step's instead of redoing them
    and the activations after them).  Any float type, as long as all agree.
    """
    return (_fma(w[0], h, _fma(w[1], x, w[2])), _fma(w[3], h, _fma(w[4], x, w[5])),
            _fma(w[9], h, _fma(w[10], x, w[11])), _fma(w[6], h, _fma(w[7], x, w[8])))


def _make_lane_step(ftype, sigmoid, tanh):
    """``(gates, update, step)`` for one cell in precision ``ftype``:

    * ``gates(w, h, x, theta, saturated, inclusive) -> (f, i, g, o)``;
    * ``update(f, i, g, o, c, theta, saturated, inclusive, round_feedback) -> (h, c)``;
    * ``step(w, h, c, x, theta, saturated, inclusive, round_feedback) -> (h, c)``, the two
      in turn.

    The arithmetic of ``sequence.step``, in the same order; its branches
    become selects, so a loop over cells vectorises.  A kernel may run
    ``gates`` and ``update`` in two loops over its lanes (the sweep kernel
    does: fewer live registers per loop) with the bits of ``step``.
    ``saturated`` is a compile-time constant in every caller, the other flags
    may be run-time values.
    """
    one, zero, half = ftype(1.0), ftype(0.0), ftype(0.5)
    squash = make_squash(ftype)

    @numba.njit(**INLINE_JIT)
    def gates(w, h, x, theta, saturated, inclusive):
        zf, zi, zg, zo = preactivations(w, h, x)
        return (squash(zf, theta, zero, sigmoid(zf), saturated, inclusive),
                squash(zi, theta, zero, sigmoid(zi), saturated, inclusive),
                squash(zg, theta, -one, tanh(zg), saturated, inclusive),
                squash(zo, theta, zero, sigmoid(zo), saturated, inclusive))

    @numba.njit(**INLINE_JIT)
    def update(f, i, g, o, c, theta, saturated, inclusive, round_feedback):
        c_new = _fma(i, g, f * c)
        h_raw = o * squash(c_new, theta, -one, tanh(c_new), saturated, inclusive)
        if round_feedback:
            return np.copysign(np.ceil(abs(h_raw) - half), h_raw), c_new
        return h_raw, c_new

    @numba.njit(**INLINE_JIT)
    def step(w, h, c, x, theta, saturated, inclusive, round_feedback):
        f, i, g, o = gates(w, h, x, theta, saturated, inclusive)
        return update(f, i, g, o, c, theta, saturated, inclusive, round_feedback)

    return gates, update, step


gates_f64, update_f64, step_f64 = _make_lane_step(np.float64, sigmoid, tanh)
gates_f32, update_f32, step_f32 = _make_lane_step(np.float32, sigmoid_f32, tanh_f32)
