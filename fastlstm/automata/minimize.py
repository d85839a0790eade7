"""Minimisation of Moore machines: partition refinement with a canonical numbering.

Works on plain arrays (a complete transition table, one output per state, a
start state), so the regex synthesis and the machine class share it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["minimal_form", "reachable_order"]


def reachable_order(table, start):
    """States reachable from ``start``, in breadth-first order (alphabet order).

    Examples
    --------
    >>> reachable_order(np.array([[2, 0], [1, 1], [2, 0]]), 0).tolist()
    [0, 2]
    """
    seen = np.zeros(table.shape[0], dtype=bool)
    seen[start] = True
    order = [start]
    i = 0
    while i < len(order):
        for q in table[order[i]].tolist():
            if not seen[q]:
                seen[q] = True
                order.append(q)
        i += 1
    return np.array(order, dtype=np.int64)


def minimal_form(table, outputs, start):
    """The minimal machine equivalent to ``(table, outputs, start)``.

    Returns ``(table, outputs, block)``: the minimal machine with its start
    state numbered 0 and the others in breadth-first order (so equivalent
    machines get identical arrays), and for each original state its minimal
    state (-1 where unreachable).

    Examples
    --------
    States 1 and 2 have the same output and the same future; 3 is unreachable:

    >>> t, out, block = minimal_form([[1, 2], [0, 0], [0, 0], [3, 3]], [0, 1, 1, 5], 0)
    >>> t.tolist(), out.tolist(), block.tolist()
    ([[1, 1], [0, 0]], [0, 1], [0, 1, 1, -1])
    """
    table = np.asarray(table)
    outputs = np.asarray(outputs)
    order = reachable_order(table, start)
    renum = np.full(table.shape[0], -1, dtype=np.int64)
    renum[order] = np.arange(order.size)
    tab = renum[table[order]]
    out = outputs[order]
    block = np.unique(out, return_inverse=True)[1].reshape(-1)
    n_blocks = int(block.max()) + 1
    while True:
        signature = np.column_stack([block, block[tab]])
        block = np.unique(signature, axis=0, return_inverse=True)[1].reshape(-1)
        if int(block.max()) + 1 == n_blocks:
            break
        n_blocks = int(block.max()) + 1
    rep = np.zeros(n_blocks, dtype=np.int64)
    rep[block[::-1]] = np.arange(block.size)[::-1]   # first member of each block
    block_table = block[tab[rep]]
    canon = reachable_order(block_table, int(block[0]))
    rank = np.empty(n_blocks, dtype=np.int64)
    rank[canon] = np.arange(n_blocks)
    min_table = rank[block_table[canon]].astype(np.int32)
    min_out = out[rep[canon]]
    full_block = np.full(table.shape[0], -1, dtype=np.int64)
    full_block[order] = rank[block]
    return min_table, min_out, full_block
