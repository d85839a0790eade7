"""The three shapes of plain vector kernel give the bits of the one traced kernel.

``fl.run`` on an ``LSTMCell`` picks its kernel by n at run time
(fastlstm/_kernels/vector.py): ``small_cell`` for n <= 4, the generic kernel
for 4 < n < ``WIDE_FROM``, the generic kernel compiled for 512-bit vectors
from ``WIDE_FROM`` on; a traced run always uses the generic traced kernel.
Every path sums each pre-activation in the same order and uses the same
activations, so:

* a plain run and a traced run of one cell agree bit for bit, under all 8
  semantics, on random cells and on cells whose pre-activations sit exactly on
  the boundary; batch rows are single runs bit for bit;
* ``small_cell.gate`` is ``sigmoid`` or ``tanh`` bit for bit, over every range
  (0, tiny, subnormal, the clamp at 1000, huge);
* both new paths follow the plain oracle tests/naive_vector.py within 1e-12:
  the oracle sums in the same order and its ``math.exp`` activations differ
  from the compiled ones by a few ulp, which 40 steps of these cells (weights
  scaled by 1/sqrt(n)) amplify far less than to 1e-12;
* the padded layout of ``small_cell.pad`` is the one its docstring derives, and
  the wide kernel's weights are 64-byte aligned;
* (the machine code of both shapes: tests/kernels/test_codegen.py).
"""

from __future__ import annotations

import itertools

import numba
import numpy as np
import pytest

import fastlstm as fl
from fastlstm._config import FASTMATH
from fastlstm._kernels import small_cell, unit_tiles
from fastlstm._kernels import vector as vk
from fastlstm._kernels.activations import sigmoid, tanh
from fastlstm.cell import LSTMCell
from tests import naive_vector

SEMANTICS = [dict(activation=a, inclusive=inc, round_feedback=rf)
             for a, inc, rf in itertools.product(("exact", "saturated"), (True, False),
                                                 (False, True))]
IDS = ["-".join(f"{k}={v}" for k, v in s.items()) for s in SEMANTICS]
TRACE = ("h_raw", "gates", "preactivations", "regimes", "boundary_hits")
#: (n, m) of each kernel shape: small (n = 1 with m > 1, n = 2 in 8 lanes, n = 3, 4 in
#: 16), generic, wide.
SHAPES = [(1, 2), (2, 1), (2, 3), (3, 2), (4, 1), (5, 2), (vk.WIDE_FROM - 1, 2),
          (vk.WIDE_FROM, 1), (vk.WIDE_FROM + 3, 2), (16, 3), (33, 1)]


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def random_cell(rng, n, m, scale=1.5):
    s = scale / np.sqrt(n)
    return LSTMCell(rng.normal(0, scale, (4 * n, m)), rng.normal(0, s, (4 * n, n)),
                    rng.normal(0, scale, 4 * n))


def boundary_cell(rng, n, m):
    """Integer weights and a shut forget gate: with 0/1 inputs and rounded feedback
    every pre-activation is an integer, many exactly on |z| = 1."""
    b = rng.integers(-1, 2, 4 * n).astype(float)
    b[n:2 * n] = -10 * n
    return LSTMCell(rng.integers(-1, 2, (4 * n, m)), rng.integers(-1, 2, (4 * n, n)), b)


@pytest.mark.parametrize("sem", SEMANTICS, ids=IDS)
@pytest.mark.parametrize("n, m", SHAPES, ids=[f"n={n},m={m}" for n, m in SHAPES])
def test_plain_runs_are_traced_runs_and_batch_rows_bit_for_bit(sem, n, m):
    rng = np.random.default_rng(10 * n + m)
    cells = [(random_cell(rng, n, m), rng.normal(0, 1.5, (6, 40, m)), rng.uniform(-1, 1, (6, n))),
             (boundary_cell(rng, n, m), rng.integers(0, 2, (6, 40, m)).astype(float),
              np.zeros((6, n)))]  # integral z from the first step on
    hits = 0
    for cell, X, h0 in cells:
        batch = fl.run_batch(cell, X, h0=h0, **sem)
        for s in range(6):
            plain = fl.run(cell, X[s], h0=h0[s], **sem)
            traced = fl.run(cell, X[s], h0=h0[s], trace=True, **sem)
            assert same_bits(plain.h, traced.h) and same_bits(plain.c, traced.c), s
            assert same_bits(batch.h[s], plain.h) and same_bits(batch.c[s], plain.c), s
            hits += int(traced.boundary_hits.sum())
    assert hits > 0  # the boundary cells do reach |z| = theta


@pytest.mark.parametrize("activation", ["exact", "saturated"])
@pytest.mark.parametrize("n, m", [(2, 3), (4, 2), (vk.WIDE_FROM + 1, 2), (35, 3)])
def test_small_and_wide_cells_follow_the_oracle(activation, n, m):
    rng = np.random.default_rng(7 * n + m)
    for theta in (1.0, 2.5):
        cell = random_cell(rng, n, m)
        x = rng.normal(0, 1.5, (40, m))
        h0, c0 = rng.uniform(-1, 1, (2, n))
        got = fl.run(cell, x, activation=activation, threshold=theta, h0=h0, c0=c0)
        want = naive_vector.run(cell, x, activation, theta, True, False, h0, c0)
        np.testing.assert_allclose(got.h, want["h"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(got.c, want["c"], rtol=0, atol=1e-12)


@numba.njit(fastmath=set(FASTMATH), error_model="numpy")  # the package's flags, uncached
def _gates(z, out):
    for k in range(z.shape[0]):  # a loop over lanes, as in the kernel: vectorised
        out[k] = small_cell.gate(z[k], (k & 1) == 1)


def test_gate_is_sigmoid_or_tanh_bit_for_bit():
    rng = np.random.default_rng(1)
    special = [0.0, 5e-324, 1e-300, 1e-17, 2.0 ** -28, 0.35, np.log(2) / 2, 1.0, 3.0, 18.0,
               19.5, 37.0, 350.0, 499.9, 500.0, 500.1, 709.8, 745.2, 999.0, 1000.0, 1000.5,
               1e5, 1e300, np.finfo(float).max]
    z = np.concatenate([rng.normal(0, 3, 4000), rng.normal(0, 300, 1000),
                        np.repeat(np.array(special), 2), -np.repeat(np.array(special), 2)])
    out = np.empty_like(z)
    _gates(z, out)
    want = np.array([tanh(v) if k & 1 else sigmoid(v) for k, v in enumerate(z.tolist())])
    assert same_bits(out, want)


def test_pad_puts_gate_q_of_unit_u_in_lane_U_q_plus_u():
    # n = 1 (U = 2): rows i, f, g, o go to lanes 0, 2, 4, 6; lanes of the missing unit are 0,
    # and so are the rows of W_hhT beyond n (it has 4 rows always)
    W_ihT = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    W_hhT = np.array([[9.0, 10.0, 11.0, 12.0]])
    p_ih, p_hh, p_b = small_cell.pad(W_ihT, W_hhT, np.array([-1.0, -2.0, -3.0, -4.0]))
    assert p_ih.tolist() == [[1, 0, 2, 0, 3, 0, 4, 0], [5, 0, 6, 0, 7, 0, 8, 0]]
    assert p_hh.tolist() == [[9, 0, 10, 0, 11, 0, 12, 0]] + [[0] * 8] * 3
    assert p_b.tolist() == [-1, 0, -2, 0, -3, 0, -4, 0]
    # n = 2 (U = 2): row q n + u = 2 q + u already
    W = np.arange(16.0).reshape(2, 8)
    p_ih, p_hh, p_b = small_cell.pad(W[:1], W, W[0])
    assert p_ih.tolist() == W[:1].tolist() and p_b.tolist() == W[0].tolist()
    assert p_hh.tolist() == W.tolist() + [[0] * 8] * 2
    # n = 3 (U = 4): rows 0-2 (i) -> lanes 0-2, 3-5 (f) -> 4-6, 6-8 (g) -> 8-10, 9-11 (o) -> 12-14
    b = np.arange(1.0, 13.0)
    assert small_cell.pad(b[None], np.tile(b, (3, 1)), b)[2].tolist() == [
        1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 10, 11, 12, 0]


def test_aligned_copies_only_what_is_misaligned():
    base = np.arange(40.0)
    for start in range(8):
        a = base[start:start + 30].reshape(5, 6)
        b = vk._aligned(a)
        assert b.ctypes.data % 64 == 0 and b.tolist() == a.tolist() and b.shape == a.shape
        assert (b is a) == (a.ctypes.data % 64 == 0)




def test_panels_put_column_j_of_tile_t_in_gate_major_rows():
    # n = 3 units in tiles of 2 (the second tile half empty), m = 1: entry (t, j, q U + u) is
    # the weight of row q n + t U + u of the cell on column j (x first, then h), 0 beyond n
    n, m, units = 3, 1, 2
    W_ihT = np.arange(1.0, 13.0).reshape(m, 4 * n)
    W_hhT = 100 + np.arange(36.0).reshape(n, 4 * n)
    b = -np.arange(1.0, 13.0)
    P, B = unit_tiles.panels(W_ihT, W_hhT, b, units)
    assert P.shape == (2, (m + n) * 4 * units) and B.shape == (2, 4 * units)
    cols = np.concatenate((W_ihT, W_hhT))
    for t in range(2):
        for j in range(m + n):
            for q in range(4):
                for u in range(units):
                    unit = t * units + u
                    want = cols[j, q * n + unit] if unit < n else 0.0
                    assert P[t, j * 4 * units + q * units + u] == want, (t, j, q, u)
    # the bias: tile 0 holds units 0, 1 of each gate, tile 1 unit 2 and a zero
    assert B.tolist() == [[-1, -2, -4, -5, -7, -8, -10, -11], [-3, 0, -6, 0, -9, 0, -12, 0]]


@pytest.mark.parametrize("sem", SEMANTICS, ids=IDS)
def test_tiles_of_8_units_give_the_traced_bits_over_several_tiles(sem):
    # fl.run picks 8-unit tiles only below WIDE_FROM on AVX-512 hosts (one tile): here
    # the 256-bit kernel runs 2 and 3 tiles, the last one partial, on every host (and reads
    # strided x and h0: a batch kernel's rows need not be contiguous)
    rng = np.random.default_rng(3)
    theta = 1.0
    for n, m in ((9, 2), (19, 1), (24, 3)):
        cell = random_cell(rng, n, m)
        x = rng.normal(0, 1.5, (60, 2 * m))[:, ::2]  # the kernel reads x and h0 by stride
        h0, c0 = rng.uniform(-1, 1, (n, 2)).T
        W_ihT, W_hhT = np.array(cell.W_ih.T, order="C"), np.array(cell.W_hh.T, order="C")
        P, B = unit_tiles.panels(W_ihT, W_hhT, cell.bias(), unit_tiles.UNITS_YMM)
        h, c = np.empty((2, 1, 60, n))
        kernel = unit_tiles.batch_kernel(sem["activation"] == "saturated", False)
        kernel(0, 1, sem["inclusive"], sem["round_feedback"], P, B, x[None], h0[None],
               c0[None], theta, h, c)
        traced = fl.run(cell, x, h0=h0, c0=c0, threshold=theta, trace=True, **sem)
        assert same_bits(h[0], traced.h) and same_bits(c[0], traced.c), n
