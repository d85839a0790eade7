"""A vector cell's step in tiles of units, the tile's pre-activations in registers (private).

``vector.step`` (the traced kernel's) computes a step's product as passes over all 4n rows of z,
four state terms a pass, z through memory, and only then the 5n activations.
Here (every n > ``small_cell.MAX_UNITS``, plain runs) the units are cut into
tiles of U units (4U rows: the i, f, g, o rows of those units) and a step
runs tile by tile:

* the tile's 4U pre-activations are accumulated in registers (``product``: one
  LLVM vector of 4U doubles, 8 ymm or 8 zmm registers: eight independent fma
  chains, no loads or stores of z), from the bias, then the m input terms,
  then the n state terms, left to right: each row gets the fmas of
  ``vector.preactivations`` in the same order, so the same bits;
* then the tile's activations and the c, h updates of its units, on short
  vectorised loops of U and 2U rows.

This cut the step by 10-40% against the z-through-memory passes (docs/bench.md,
"Roofline: vector cells", tenth session).  Interleaving the next tile's product
with this tile's activations in program order, in five pieces, was slower.

The state terms read h of the previous step from the output row written at
that step (``h_out[t - 1]``, or ``h0``), so no tile overwrites an h another
tile still needs.  ``panels`` lays the weights out once per cell (kept in
``vector.Weights``): for each tile, for each column (the m inputs, then the n
states), the tile's 4U weights contiguous, so a tile's weights are one
contiguous stream; rows of units beyond n (the last tile) are zero, their
activations computed and dropped.
"""

from __future__ import annotations

import functools

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .._config import INLINE_JIT, JIT
from .activations import sigmoid, tanh
from .lanes import squash_f64 as squash
from .small_cell import unit
from .simd_width import wide_vectors

#: Units per tile: 8 (32 rows, 8 ymm accumulators) in 256-bit code, 16 (64 rows,
#: 8 zmm accumulators) in the 512-bit kernel (``vector.WIDE_FROM`` units on).
UNITS_YMM, UNITS_ZMM = 8, 16


def panels(W_ihT, W_hhT, b, units):
    """``(P, B)``: P (tiles, (m + n) 4 units) holds, for each tile and each column j
    (inputs, then states), the weights of the tile's rows in the order i, f, g, o
    of its units; B (tiles, 4 units) the bias the same way.  Units beyond n: zero.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.arange(1.0, 13.0)                     # n = 3: rows i0 i1 i2 f0 f1 f2 ...
    >>> P, B = panels(b[None], np.zeros((3, 12)), b, 2)  # tiles of 2 units
    >>> B.tolist()                                   # tile 0: units 0, 1; tile 1: unit 2
    [[1.0, 2.0, 4.0, 5.0, 7.0, 8.0, 10.0, 11.0], [3.0, 0.0, 6.0, 0.0, 9.0, 0.0, 12.0, 0.0]]
    >>> P.shape                                      # (m + n) columns of 4 x 2 rows a tile
    (2, 32)
    """
    m, n = W_ihT.shape[0], W_hhT.shape[0]
    tiles = -(-n // units)
    cols = m + n
    W = np.zeros((cols, 4, tiles * units))
    W[:, :, :n] = np.concatenate((W_ihT, W_hhT)).reshape(cols, 4, n)
    P = W.reshape(cols, 4, tiles, units).transpose(2, 0, 1, 3).reshape(tiles, cols * 4 * units)
    B = np.zeros((4, tiles * units))
    B[:, :n] = b.reshape(4, n)
    return (np.ascontiguousarray(P),
            np.ascontiguousarray(B.reshape(4, tiles, units).transpose(1, 0, 2).reshape(tiles, -1)))


def _make_product(rows):
    """An intrinsic ``product(P_tile, B_tile, x_t, h, z)``: z[:rows] = the tile's
    pre-activations, a vector of ``rows`` doubles kept in registers: the bias, then
    an fma by x_t[j] for each input j, then by h[j] for each state j, in order."""

    @intrinsic
    def product(typingctx, P, B, x_t, h, z):
        arrays = (P, B, x_t, h, z)
        if not all(isinstance(a, types.Array) and a.ndim == 1 and a.dtype == types.float64
                   for a in arrays) or not all(a.layout == "C" for a in (P, B, z)):
            return None  # x_t and h may be strided (read by their stride)
        sig = types.void(*arrays)

        def codegen(context, builder, signature, args):
            vec = ir.VectorType(ir.DoubleType(), rows)
            i64 = ir.IntType(64)
            fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vec, [vec] * 3),
                                                 f"llvm.fma.v{rows}f64")
            P_, B_, x_, h_, z_ = (context.make_array(ty)(context, builder, a)
                                  for ty, a in zip(signature.args, args))
            zeros = ir.Constant(ir.VectorType(ir.IntType(32), rows), [0] * rows)
            acc = cgutils.alloca_once(builder, vec)  # promoted to registers by LLVM

            def at(ptr, index):
                return builder.bitcast(builder.gep(ptr, [index]), vec.as_pointer())

            builder.store(builder.load(at(B_.data, i64(0)), align=8), acc)
            weights = P_.data
            for source in (x_, h_):
                count = builder.extract_value(source.shape, 0)
                with cgutils.for_range(builder, count) as loop:
                    stride = builder.extract_value(source.strides, 0)
                    address = builder.add(builder.ptrtoint(source.data, i64),
                                          builder.mul(loop.index, stride))
                    s = builder.load(builder.inttoptr(address, source.data.type))
                    one = builder.insert_element(ir.Constant(vec, ir.Undefined), s,
                                                 ir.Constant(ir.IntType(32), 0))
                    splat = builder.shuffle_vector(one, ir.Constant(vec, ir.Undefined), zeros)
                    w = builder.load(at(weights, builder.mul(loop.index, i64(rows))), align=8)
                    builder.store(builder.call(fma, [w, splat, builder.load(acc)]), acc)
                weights = builder.gep(weights, [builder.mul(count, i64(rows))])
            builder.store(builder.load(acc), at(z_.data, i64(0)), align=8)
            return context.get_dummy_value()

        return sig, codegen

    return product


def _make_sequence(product):
    @numba.njit(**INLINE_JIT)
    def sequence(P, B, x, h0, c0, theta, saturated, inclusive, round_feedback, h_out, c_out):
        """Run one sequence x (T, m) from (h0, c0), writing h_out, c_out (T, n)."""
        n = h0.shape[0]
        tiles, rows = B.shape
        units = rows // 4  # read at run time: LLVM vectorises the loops over units
        c = c0.copy()
        z = np.empty(rows)
        a = np.empty(rows)
        h = h0
        for t in range(x.shape[0]):
            x_t = x[t]
            h_row = h_out[t]
            c_row = c_out[t]
            for tile in range(tiles):
                product(P[tile], B[tile], x_t, h, z)
                for k in range(2 * units):  # i, f
                    a[k] = squash(z[k], theta, 0.0, sigmoid(z[k]), saturated, inclusive)
                for k in range(2 * units, 3 * units):  # g
                    a[k] = squash(z[k], theta, -1.0, tanh(z[k]), saturated, inclusive)
                for k in range(3 * units, rows):  # o
                    a[k] = squash(z[k], theta, 0.0, sigmoid(z[k]), saturated, inclusive)
                first = tile * units
                for u in range(min(units, n - first)):
                    hu, cu = unit(a[u], a[units + u], a[2 * units + u], a[3 * units + u],
                                  c[first + u], theta, saturated, inclusive, round_feedback)
                    c[first + u] = cu
                    c_row[first + u] = cu
                    h_row[first + u] = hu
            h = h_row  # the state terms of the next step read this step's h

    return sequence


ROWS_YMM, ROWS_ZMM = 4 * UNITS_YMM, 4 * UNITS_ZMM
sequence_ymm = _make_sequence(_make_product(ROWS_YMM))
sequence_zmm = _make_sequence(_make_product(ROWS_ZMM))


@functools.lru_cache(maxsize=None)
def batch_kernel(saturated: bool, wide: bool):
    """The compiled run over a span of a batch (``small_cell._batch``'s signature, with
    the weights ``(P, B)`` of ``panels``): tiles of ``UNITS_ZMM`` units in 512-bit
    vectors when ``wide``, else of ``UNITS_YMM`` in 256-bit ones.  It closes over
    bools only, so Numba's on-disk cache key stays the same across processes."""
    if wide:
        @numba.njit(**JIT)
        def batch(first, last, inclusive, round_feedback, P, B, x, h0, c0, theta, h_out,
                  c_out):
            wide_vectors()
            for s in range(first, last):
                sequence_zmm(P, B, x[s], h0[s], c0[s], theta, saturated, inclusive,
                             round_feedback, h_out[s], c_out[s])

        return batch

    @numba.njit(**JIT)
    def batch(first, last, inclusive, round_feedback, P, B, x, h0, c0, theta, h_out, c_out):
        for s in range(first, last):
            sequence_ymm(P, B, x[s], h0[s], c0[s], theta, saturated, inclusive,
                         round_feedback, h_out[s], c_out[s])

    return batch
