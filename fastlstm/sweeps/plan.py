"""The input plan of a sweep: the sequences as a prefix tree in depth-first order.

``make_plan`` turns B sequences of T steps into the node arrays the sweep
kernel walks (see ``fastlstm._kernels.sweep``).  Two sequences share a node where
they share the whole prefix up to that step, initial state included: the
step from the same state with the same input gives the same numbers, so it
is computed once.  Inputs are compared by their bits in the kernel's dtype,
so sharing never changes a result (not even the sign of a zero).
"""

from __future__ import annotations

import dataclasses

import numpy as np

#: Kernel arguments of a plan, in order.
FIELDS = ("x_node", "src", "dst", "init_h", "init_c", "n_slots", "counts",
          "fin_ptr", "fin_seq", "occ_ptr", "occ_flat")


@dataclasses.dataclass(frozen=True, eq=False)
class Plan:
    """Node arrays for the sweep kernel (K nodes, B sequences, T steps)."""

    x_node: np.ndarray    # (K,) input fed at the node, kernel dtype
    src: np.ndarray       # (K,) -2 initial state, -1 state of node k-1, s >= 0 slot s
    dst: np.ndarray       # (K,) slot to save the node's state in, or -1
    init_h: np.ndarray    # (K,) initial state where src == -2
    init_c: np.ndarray
    n_slots: int
    counts: np.ndarray    # (K, L) steps of the node whose target is each label (-1, 0, +1)
    fin_ptr: np.ndarray   # (K + 1,) CSR: sequences ending at the node
    fin_seq: np.ndarray
    occ_ptr: np.ndarray   # (K + 1,) CSR: flat steps b*T + t the node stands for
    occ_flat: np.ndarray
    shape: tuple          # (B, T)

    def args(self) -> tuple:
        return tuple(getattr(self, name) for name in FIELDS)

    @property
    def nodes(self) -> int:
        return self.x_node.shape[0]


def plan_bytes(B: int, T: int, steps: bool) -> int:
    """Upper bound of the memory ``make_plan`` needs (its temporaries included)."""
    return B * T * (8 * 12 + (16 if steps else 0))


def _bits(a, dtype):
    dtype = np.dtype(dtype)
    return np.ascontiguousarray(a, dtype).view(np.int64 if dtype.itemsize == 8 else np.int32)


def _renumber(key, size):
    """``np.unique(key, return_inverse=True)[1]`` for integer keys in [0, size).

    Keys that are dense (size not much above their count) are renumbered
    with one pass over a table of flags instead of a sort.
    """
    if size <= 4 * key.size + 1024:
        seen = np.zeros(size, bool)
        seen[key] = True
        return (np.cumsum(seen) - 1)[key]
    return np.unique(key, return_inverse=True)[1].reshape(-1)


def _pair_ids(a, b):
    """Ids of the distinct pairs (a[i], b[i]), numbered in sorted order."""
    ua, ia = np.unique(a, return_inverse=True)
    ub, ib = np.unique(b, return_inverse=True)
    return _renumber(ia.reshape(-1) * ub.size + ib.reshape(-1), ua.size * ub.size)


def _level_ids(X, h0, c0, dtype, share):
    """ids[b, t]: node of sequence b at step t, numbered per step.

    Two sequences get the same id at step t when they have the same id at
    step t - 1 and the same input bits at t: one pass over the keys per step
    (``_renumber``), no sort of rows.  Ids are numbered in sorted order of
    (previous id, input), so the last column alone orders the sequences by
    their whole path.
    """
    B, T = X.shape
    ids = np.empty((B, T), np.int64)
    if not share:
        ids[:] = np.arange(B)[:, None]
        return ids
    prev = _pair_ids(_bits(h0, dtype), _bits(c0, dtype))
    xbits = _bits(X, dtype)
    for t in range(T):
        n_prev = int(prev.max()) + 1
        if n_prev == B:  # all prefixes distinct: nothing left to share
            ids[:, t:] = (prev if t else np.arange(B))[:, None]
            break
        values, xid = np.unique(xbits[:, t], return_inverse=True)
        prev = _renumber(prev * values.size + xid.reshape(-1), n_prev * values.size)
        ids[:, t] = prev
    return ids


def make_plan(X, h0, c0, target, dtype, *, share=True, finals=True, steps=False,
              labels=(-1, 0, 1)) -> Plan:
    """The plan for inputs ``X`` (B, T), initial states ``h0``, ``c0`` (B,).

    ``target`` (B, T) or None fills ``counts`` (column l: the node's steps
    whose target is ``labels[l]``); ``finals`` fills the CSR of final
    states, ``steps`` the CSR of every step (for trajectories).
    """
    B, T = X.shape
    ids = _level_ids(X, h0, c0, dtype, share)
    order = np.argsort(ids[:, -1], kind="stable")  # sequences sorted by their path
    path = ids[order]
    new = np.ones((B, T), bool)  # (sorted row, t) is a node's first visit
    new[1:] = path[1:] != path[:-1]
    del ids, path
    rows, depth = np.nonzero(new)  # row-major order is depth-first pre-order
    K = rows.size
    node = np.full((B, T), -1, np.int64)
    node[rows, depth] = np.arange(K)
    node = np.maximum.accumulate(node, axis=0)  # node of every (sorted row, t)
    seq = order[rows]

    parent = np.full(K, -1, np.int64)
    inner = depth > 0
    parent[inner] = node[rows[inner], depth[inner] - 1]
    branching = np.bincount(parent[inner], minlength=K) >= 2
    # A branching node saves its state for its later children, in the slot
    # numbered by how many branching ancestors it has: a subtree only ever
    # writes deeper slots, so the slot survives until the last child.
    slot = np.zeros(K, np.int64)
    for t in range(1, T):
        at = np.flatnonzero(depth == t)
        up = parent[at]
        slot[at] = slot[up] + branching[up]
    follows = parent == np.arange(K) - 1
    src = np.where(depth == 0, -2, np.where(follows, -1, slot[np.maximum(parent, 0)]))
    dst = np.where(branching, slot, -1)
    n_slots = int(slot[branching].max()) + 1 if branching.any() else 0

    counts = np.zeros((K, len(labels)), np.int32)
    if target is not None:
        tgt = np.asarray(target)[order]
        for col, value in enumerate(labels):
            counts[:, col] = np.bincount(node[tgt == value], minlength=K)
    fin_ptr = np.zeros(K + 1, np.int64)
    fin_seq = np.zeros(0, np.int64)
    if finals:
        fin_ptr[1:] = np.cumsum(np.bincount(node[:, -1], minlength=K))
        fin_seq = order.astype(np.int64)  # leaves increase with the sorted row
    occ_ptr = np.zeros(K + 1, np.int64)
    occ_flat = np.zeros(0, np.int64)
    if steps:
        flat = order[:, None] * T + np.arange(T)
        by_node = np.argsort(node, axis=None, kind="stable")
        occ_flat = flat.ravel()[by_node]
        occ_ptr[1:] = np.cumsum(np.bincount(node.ravel(), minlength=K))
    return Plan(x_node=np.ascontiguousarray(X[seq, depth], dtype),
                src=src, dst=dst,
                init_h=np.ascontiguousarray(h0[seq], dtype),
                init_c=np.ascontiguousarray(c0[seq], dtype),
                n_slots=n_slots, counts=counts, fin_ptr=fin_ptr, fin_seq=fin_seq,
                occ_ptr=occ_ptr, occ_flat=occ_flat, shape=(B, T))
