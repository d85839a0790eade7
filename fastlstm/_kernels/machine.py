"""Compiled Moore-machine runner (private: the public wrapper is ``MooreMachine``).

When a cell is finite-state on an alphabet, a run is a walk through its
transition table instead of five activations per step.  Two things make the
walk fast:

* **Blocks of k symbols.**  ``block_tables`` precomputes, for every state s
  and every word w of k symbols, the state reached (``jump[s, w]``) and the
  values of the k states passed on the way (``path[s, w, :]``).  The walk's
  only dependency chain, ``state -> jump[state, word] -> state``, then costs
  one load per k steps, and the per-step outputs are short contiguous copies.
  k is the largest of 4, 2, 1 whose tables fit in L1 (``block_length``); it is
  a compile-time constant of the kernels (``make_runners(k)``) so the inner
  loops unroll.  A final partial block is padded with symbol 0: the states
  along a word depend only on its prefix, so the padding is never reported.
* **Branch-free symbol lookup.**  Random inputs would make a branch
  unpredictable, so each symbol's alphabet index is a sum of comparisons
  (``word``; ``symbol_index``, a chain of selects, where one symbol is
  looked up).  The alphabet is passed as a tuple: its values stay in
  registers (an array would be reloaded every step, since the output stores
  might alias it), which took the walk from about 2x to about 1.3x the time
  of copying x into h and c.  The chain runs over flat tables as row
  offsets (next state * A**k): an add and a load per block.  An input outside the alphabet is counted, walked as index 0 so that nothing
  reads out of bounds, and located afterwards by ``first_miss`` (the wrappers
  raise; nothing is silently skipped).
* **Non-temporal stores for large outputs** (``stream``, a run-time flag of
  the same compiled kernel).  An ordinary store to a line that is not in
  cache first reads it (a read for ownership), so a walk into 160 MB of
  arrays already faulted in moves about twice the bytes it writes; a
  non-temporal store writes the line without reading it, and leaves it out
  of cache.  That pays only for outputs larger than the caches and already
  faulted in (``out=`` arrays): fresh memory comes from the kernel zeroed
  *through the cache*, and a non-temporal store to a cached line costs more
  than an ordinary one (measured in docs/bench.md); small outputs the caller
  reads next are better left in cache.  Values are stored as their int64
  bits (x86 has a non-temporal store from general registers, ``movnti``,
  but none for a scalar double without AMD's SSE4a), so every record is an
  integer copy.  After a streaming walk the caller runs ``drain()`` (a store
  fence) before other threads may read the arrays.

Kernels assume validated tables and float64 inputs, and write into arrays they
are given.
"""

from __future__ import annotations

import functools

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from .._config import INLINE_JIT, JIT, PARALLEL_JIT

#: Budget for the block tables (bytes): about an L1 data cache.
TABLE_BYTES = 32 * 1024
BLOCK_LENGTHS = (4, 2, 1)


class _VolatileStore(ir.instructions.StoreInstr):
    """``store volatile``: else LLVM merges the non-temporal store with the ordinary
    store on the other side of ``put``'s branch into one ordinary store."""

    def descr(self, buf):
        super().descr(buf)
        buf[-1] = buf[-1].replace("store ", "store volatile ", 1)


@intrinsic
def store_streaming(typingctx, array, index, value):
    """``array[index] = value`` as a non-temporal store (LLVM ``!nontemporal``).

    For C-contiguous 1-d arrays and an index in bounds (not checked).  x86
    lowers it to ``movnti`` for 4- and 8-byte integers (ordinary stores for
    other widths); aarch64 to ordinary or non-temporal pair stores.
    """
    if not (isinstance(array, types.Array) and array.ndim == 1 and array.layout == "C"
            and isinstance(array.dtype, types.Integer)):
        return None
    sig = types.void(array, types.intp, array.dtype)

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        value = context.cast(builder, args[2], signature.args[2], signature.args[0].dtype)
        store = _VolatileStore(builder.block, value, builder.gep(data, [args[1]]))
        store.align = signature.args[0].dtype.bitwidth // 8
        builder._insert(store)
        store.set_metadata("nontemporal", builder.module.add_metadata(
            [ir.Constant(ir.IntType(32), 1)]))
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def store_fence(typingctx):
    """A fence that orders the non-temporal stores before it: ``sfence`` on x86.

    LLVM lowers a sequentially consistent ``fence`` on x86-64 to a locked
    ``or`` on the stack, which is not documented to drain non-temporal
    stores, hence the x86 instruction; other targets take the ``fence``.
    """
    def codegen(context, builder, signature, args):
        if builder.module.triple.startswith(("x86_64", "i386", "i686")):
            fn = builder.module.declare_intrinsic("llvm.x86.sse.sfence", fnty=ir.FunctionType(
                ir.VoidType(), []))
            builder.call(fn, [])
        else:
            builder.fence("seq_cst")
        return context.get_dummy_value()

    return types.void(), codegen


@numba.njit(**JIT)
def drain():
    """Run by the thread that made a streaming walk, before others read its arrays."""
    store_fence()


@numba.njit(**INLINE_JIT)
def put(out, i, value, stream):
    """``out[i] = value``, non-temporal when ``stream``."""
    if stream:
        store_streaming(out, i, value)
    else:
        out[i] = value


@numba.njit(**INLINE_JIT)
def symbol_index(v, alphabet):
    """Index of ``v`` in ``alphabet`` (tuple or array), or -1; a select per symbol, no branch."""
    a = -1
    for k in range(len(alphabet)):
        a = k if v == alphabet[k] else a
    return a


@numba.njit(**JIT)
def first_miss(x, alphabet):
    """The first index t with ``x[t]`` outside ``alphabet``, or -1."""
    for t in range(x.shape[0]):
        if symbol_index(x[t], alphabet) < 0:
            return t
    return -1


def block_length(n_states, n_symbols, bytes_per_step):
    """The largest k in BLOCK_LENGTHS whose tables fit in TABLE_BYTES."""
    for k in BLOCK_LENGTHS:
        if n_states * n_symbols ** k * (k * bytes_per_step + 4) <= TABLE_BYTES:
            return k
    return 1


def block_tables(table, k, *values):
    """``(jump, path_0, path_1, ...)`` for words of k symbols.

    ``jump[s, w]`` (int32, shape (S, A**k)) is the state after reading word
    w from s; ``path_i[s, w, j]`` is ``values[i]`` at the state after its
    first j + 1 symbols (float64 values as their int64 bits: ``as_bits``).
    Words are numbered in base A, first symbol most significant.
    """
    table = np.asarray(table, dtype=np.int64)
    S, A = table.shape
    W = A ** k
    digits = np.stack(np.unravel_index(np.arange(W), (A,) * k), axis=1)   # (W, k)
    path = np.empty((S, W, k), dtype=np.int64)
    state = np.repeat(np.arange(S)[:, None], W, axis=1)
    for j in range(k):
        state = table[state, digits[None, :, j]]
        path[:, :, j] = state
    jump = np.ascontiguousarray(path[:, :, -1], dtype=np.int32)
    return (jump,) + as_bits(*(np.ascontiguousarray(np.asarray(v)[path]) for v in values))


@numba.njit(**INLINE_JIT)
def word(x, base, count, alphabet, k):
    """Index of the word x[base : base + count], padded with symbol 0 to k symbols.

    Returns ``(index, misses)``; misses counts symbols outside ``alphabet``.
    """
    A = len(alphabet)
    w = 0
    hits = 0
    for j in range(k):
        # Sums of comparisons (the symbols are distinct: at most one matches), not
        # symbol_index's chain of selects: fewer instructions on the walk's critical path.
        v = x[base + j] if j < count else alphabet[0]
        a = 0
        for i in range(A):
            hit = v == alphabet[i]
            a += i * hit
            hits += hit
        w = w * A + a
    return w, k - hits


@numba.njit(**INLINE_JIT)
def row_offsets(jump):
    """``jump`` flattened, as the next state's row offset in the flat tables (state * A**k)."""
    S, W = jump.shape
    offsets = np.empty(S * W, np.int64)
    for q in range(S * W):
        offsets[q] = jump[q // W, q % W] * W
    return offsets


@numba.njit(**INLINE_JIT)
def walk(jump, h_path, c_path, start, alphabet, x, h_out, c_out, k, stream):
    """Walk blocks of k symbols from ``start``; write the paths' values; return misses.

    ``stream``: non-temporal stores (the caller runs ``drain()`` after).
    """
    T = x.shape[0]
    S, W = jump.shape
    # Flat tables, and the chain as row offsets: a block costs an add and a load on the
    # chain; unsigned indices skip Numba's negative-index fix-up.
    offsets = row_offsets(jump)
    h_flat, c_flat = h_path.reshape(S * W * k), c_path.reshape(S * W * k)
    row = start * W
    misses = 0
    for base in range(0, T - T % k, k):
        w, m = word(x, base, k, alphabet, k)
        misses += m
        q = np.uint64(row + w)
        for j in range(k):
            put(h_out, base + j, h_flat[q * np.uint64(k) + np.uint64(j)], stream)
            put(c_out, base + j, c_flat[q * np.uint64(k) + np.uint64(j)], stream)
        row = offsets[q]
    base = T - T % k
    if base < T:
        w, m = word(x, base, T - base, alphabet, k)
        misses += m
        for j in range(T - base):
            h_out[base + j] = h_flat[(row + w) * k + j]
            c_out[base + j] = c_flat[(row + w) * k + j]
    return misses


@numba.njit(**JIT)
def lookup(states, values, out):
    """``out[t] = values[states[t]]`` over flat arrays: a state record's h or c.

    NumPy's ``values[states]`` first widens a uint8 record to an 8-byte index
    array (80 MB for 10^7 steps); this reads the record as it is.
    """
    for t in range(states.shape[0]):
        out[t] = values[states[t]]


#: Below this many symbols a walk stays on one thread (starting threads costs more).
PARALLEL_MIN = 1 << 16
#: Fewer threads than this walk in one pass: on a 2-core Xeon (AVX-512) the one-pass
#: walk of 10^7 symbols into fresh h and c took 37 ms of wall and CPU time against 49 ms
#: for ``walk_parallel`` on 2 threads (its serial phase 1 is most of a walk, and its
#: phase 2 did not share out the page faults); with more cores phase 2 is split further.
PARALLEL_THREADS = 3


def threads():
    """Numba's thread count now: an argument of ``values``."""
    return numba.get_num_threads()


#: From this many bytes of output on, a walk into the caller's arrays streams (non-temporal
#: stores).  On a 2-core Xeon (L2 2 MiB), walk then read h and c: ordinary stores 1.1 ms
#: against 1.5 at 8 MiB, even at 16 MiB (2.9 ms), streaming 5% ahead at 32 MiB and 16% on
#: the walk alone; a smaller last-level cache moves the crossing down.
STREAM_BYTES = 16 << 20


def as_bits(*arrays):
    """float64 arrays viewed as int64: the walk copies values as bits (no copy made)."""
    return tuple(a.view(np.int64) if a.dtype == np.float64 else a for a in arrays)


def streams(out):
    """Whether a walk into the caller's arrays ``out`` (already faulted in) should stream."""
    return sum(a.nbytes for a in out) >= STREAM_BYTES


def walk_one(values, args, stream):
    """``values(*args, threads(), stream)`` for one sequence, drained after streaming."""
    misses = values(*args, threads(), stream)
    if stream:
        drain()
    return misses
#: Blocks of k symbols per thread task in the second phase of ``walk_parallel``.
CHUNK_BLOCKS = 1 << 14


@numba.njit(**INLINE_JIT)
def walk_parallel(jump, h_path, c_path, start, alphabet, x, h_out, c_out, k):
    """``walk`` in two phases, for long sequences; returns misses.

    1. One thread follows the state from block to block and records, per
       block, the row of the flat tables that holds its steps (state * A**k
       + word): 4 bytes per block, the only record of this phase.  Nothing
       else is on the chain, and the table holds next-state *offsets*
       (state * A**k), so a block costs an add and a load.
    2. All threads write the values of the blocks' steps from those rows:
       the bulk of the memory traffic, and of the page faults of fresh
       output arrays, is shared out.
    """
    T = x.shape[0]
    S, W = jump.shape
    n_blocks = T // k
    offsets = row_offsets(jump)
    cells = np.empty(n_blocks, np.int32)  # S * W rows fit: the tables fit in L1
    misses = 0
    row = start * W
    for b in range(n_blocks):
        w, m = word(x, b * k, k, alphabet, k)
        misses += m
        cells[b] = row + w
        row = offsets[row + w]
    h_flat = h_path.reshape(S * W, k)
    c_flat = c_path.reshape(S * W, k)
    for chunk in numba.prange((n_blocks + CHUNK_BLOCKS - 1) // CHUNK_BLOCKS):
        for b in range(chunk * CHUNK_BLOCKS, min(n_blocks, (chunk + 1) * CHUNK_BLOCKS)):
            q = cells[b]
            for j in range(k):
                h_out[b * k + j] = h_flat[q, j]
                c_out[b * k + j] = c_flat[q, j]
    base = n_blocks * k
    if base < T:
        w, m = word(x, base, T - base, alphabet, k)
        misses += m
        for j in range(T - base):
            h_out[base + j] = h_flat[row + w, j]
            c_out[base + j] = c_flat[row + w, j]
    return misses


@functools.lru_cache(maxsize=None)
def make_runners(k: int):
    """``(values, values_batch)`` walking blocks of ``k`` symbols.

    values(jump, h_path, c_path, start, alphabet, x, h_out, c_out, threads, stream) -> misses
        one sequence (``stream``: non-temporal stores, then call ``drain()``;
        ignored by ``walk_parallel``); from ``PARALLEL_MIN`` symbols on and with at least
        ``PARALLEL_THREADS`` threads (pass ``numba.get_num_threads()``: read
        inside, it would keep the kernel out of the cache), ``walk_parallel``
        (unless the outputs are 1-byte state numbers)
    values_batch(jump, h_path, c_path, start, alphabet, x, h_out, c_out, misses)
        the same for each row of x (B, T), parallel over rows

    ``alphabet`` is a tuple of floats; ``misses`` counts inputs outside it
    (0 when all are valid).  For one output (the rounded h alone) pass its
    path and output array in both slots: the second store goes to the same
    address and costs next to nothing.  Tables must be C-contiguous.

    The kernels close over the integer k and nothing else (``walk`` is a
    module-level function inlined with k as a constant, so the block loops
    unroll): a closure over another compiled function would change Numba's
    on-disk cache key from one process to the next.
    """

    @numba.njit(**PARALLEL_JIT)
    def values(jump, h_path, c_path, start, alphabet, x, h_out, c_out, threads, stream):
        # A record of 1 byte a step (state numbers) costs less to write on the
        # walk than phase 1 of walk_parallel spends staging it for the threads;
        # on 2 threads the walk in one pass is faster for h and c too (see
        # PARALLEL_THREADS).
        if x.shape[0] < PARALLEL_MIN or h_out.itemsize == 1 \
                or threads < PARALLEL_THREADS:
            return walk(jump, h_path, c_path, start, alphabet, x, h_out, c_out, k, stream)
        return walk_parallel(jump, h_path, c_path, start, alphabet, x, h_out, c_out, k)

    @numba.njit(**PARALLEL_JIT)
    def values_batch(jump, h_path, c_path, start, alphabet, x, h_out, c_out, misses):
        for b in numba.prange(x.shape[0]):
            misses[b] = walk(jump, h_path, c_path, start, alphabet, x[b], h_out[b], c_out[b], k,
                            False)

    return values, values_batch
