"""A cache of exact transitions (h, c, x) -> (h', c') for a run whose states repeat.

For a given cell and semantics a step is a pure function of the bits of
(h, c, x): the same float64 bit patterns always give the same (h', c').
A saturating cell, the kind that implements an automaton, lands on a handful
of exact float64 states within a few steps (the parity cell visits 5 states
in 10^6 random bits), so a run can replay a remembered transition instead of
recomputing it.  Replaying costs a hash of the key and one probe, about 20
cycles on the recurrence's critical path, against about 140 for a step of
exact arithmetic; the result is the same bits by construction.

The cache is two-way set-associative: a key's hash picks a set of two
slots, and a new key goes into the first slot, pushing the first one's entry
into the second (the second one's is forgotten).  Two keys whose hashes
collide therefore both stay, and are found without moving (a direct-mapped
cache would evict them in turn, forever).  An empty slot holds a NaN key,
which never equals the bits of a finite state.
"""

from __future__ import annotations

import numba
import numpy as np

from .._config import INLINE_JIT
from .activations import _float_to_bits

#: Slots of a cache (two per set): a power of two; 4096 x 40 bytes stay in the L2 cache.
SLOTS = 4096
_SLOT_SHIFT = 64 - 12  # log2(SLOTS) = 12: the slot is the hash's top 12 bits
_EMPTY = np.int64(0x7FF8_0000_DEAD_0001)  # a NaN's bits: no finite h has them
# Fibonacci hashing: the top bits of key * (2**64 / golden ratio), an odd
# multiplier, depend on every bit of the key.
_GOLDEN = np.int64(-7046029254386353131)  # 0x9E3779B97F4A7C15


@numba.njit(**INLINE_JIT)
def new_cache(slots):
    """``(keys, values)``: (slots, 3) int64 bit patterns, all empty, and (slots, 2) float64.

    ``slots`` is SLOTS, or 0 for a cache that is never probed.
    """
    return np.full((slots, 3), _EMPTY, dtype=np.int64), np.empty((slots, 2))


@numba.njit(**INLINE_JIT)
def key(h, c, x):
    """The bit patterns of (h, c, x): equal keys, equal transitions."""
    return _float_to_bits(h), _float_to_bits(c), _float_to_bits(x)


@numba.njit(**INLINE_JIT)
def slot(hb, cb, xb):
    """The first slot of the key's set: its words folded by shifts and xor, Fibonacci-hashed.

    The shifts keep sign flips apart: with plain sums of products, (h, c) and
    (-h, -c), the pairs a parity cell visits, differ by 2**63 + 2**63 = 0.
    Shifts are arithmetic (int64) and products wrap.
    """
    return (((hb ^ (cb >> 17) ^ (xb >> 34)) * _GOLDEN) >> _SLOT_SHIFT) & (SLOTS - 2)


@numba.njit(**INLINE_JIT)
def find(keys, s, hb, cb, xb):
    """The slot of the set at ``s`` that holds (hb, cb, xb): ``s``, ``s + 1``, or -1."""
    if (keys[s, 0] == hb) & (keys[s, 1] == cb) & (keys[s, 2] == xb):
        return s
    if (keys[s + 1, 0] == hb) & (keys[s + 1, 1] == cb) & (keys[s + 1, 2] == xb):
        return s + 1
    return -1


@numba.njit(**INLINE_JIT)
def insert(keys, values, s, hb, cb, xb, h_new, c_new):
    """Remember (hb, cb, xb) -> (h_new, c_new) in slot ``s``; its old entry moves to ``s + 1``."""
    for j in range(3):
        keys[s + 1, j] = keys[s, j]
    values[s + 1, 0] = values[s, 0]
    values[s + 1, 1] = values[s, 1]
    keys[s, 0] = hb
    keys[s, 1] = cb
    keys[s, 2] = xb
    values[s, 0] = h_new
    values[s, 1] = c_new
