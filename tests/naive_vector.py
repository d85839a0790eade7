"""Plain-Python oracle for a vector cell (hidden size n, input size m): docs/semantics.md per unit.

Nothing compiled or vectorised: the pre-activations are summed in Python in
the grouping both engines use, ``W_hh[k, :] h + (W_ih[k, :] x + b[k])`` left
to right, and each unit's gates go through ``naive.activate`` (``math.exp``,
``math.tanh``).  Rows of the weights are stacked by gate i, f, g, o (PyTorch);
trace columns follow GATE_NAMES (f, i, o, g) and PREACTIVATION_NAMES
(f, i, o, g, c), as in ``naive.step``.
"""

from __future__ import annotations

import numpy as np

from tests.naive import activate, regime, round_half_to_zero

#: Row block of each gate in PyTorch's stacking, in GATE_NAMES order (f, i, o, g).
BLOCKS = {"f": 1, "i": 0, "o": 3, "g": 2}


def preactivations(cell, h, x):
    """z[k] = W_hh[k, :] h + (W_ih[k, :] x + b[k]) for every row k, as Python floats."""
    b = (cell.b_ih + cell.b_hh).tolist()
    z = []
    for k, (w_x, w_h) in enumerate(zip(cell.W_ih.tolist(), cell.W_hh.tolist())):
        zx = b[k]
        for w, v in zip(w_x, x):
            zx = w * v + zx
        acc = zx
        for w, v in zip(w_h, h):
            acc = w * v + acc
        z.append(acc)
    return z


def run(cell, x, activation="exact", threshold=1.0, inclusive=True, round_feedback=False,
        h0=None, c0=None):
    """The whole trajectory of one sequence x (T, m) as arrays of the trace's shapes."""
    n = cell.hidden_size
    h = [0.0] * n if h0 is None else [float(v) for v in h0]
    c = [0.0] * n if c0 is None else [float(v) for v in c0]
    sem = (activation, threshold, inclusive)
    out = {k: [] for k in ("h", "c", "h_raw", "gates", "preactivations", "regimes",
                           "boundary_hits")}
    for x_t in np.asarray(x, dtype=float).reshape(len(x), -1).tolist():
        z = preactivations(cell, h, x_t)
        step = {k: [] for k in out}
        for u in range(n):
            pre = {g: z[BLOCKS[g] * n + u] for g in "fiog"}
            act = {g: activate("tanh" if g == "g" else "sigmoid", pre[g], *sem) for g in "fiog"}
            c_u = act["f"] * c[u] + act["i"] * act["g"]
            h_raw = act["o"] * activate("tanh", c_u, *sem)
            zs = [pre[g] for g in "fiog"] + [c_u]
            step["h"].append(round_half_to_zero(h_raw) if round_feedback else h_raw)
            step["c"].append(c_u)
            step["h_raw"].append(h_raw)
            step["gates"].append([act[g] for g in "fiog"])
            step["preactivations"].append(zs)
            step["regimes"].append([regime(v, threshold, inclusive) for v in zs])
            step["boundary_hits"].append([abs(v) == threshold for v in zs])
        h, c = step["h"], step["c"]
        for k in out:
            out[k].append(step[k])
    shapes = {"h": (n,), "c": (n,), "h_raw": (n,), "gates": (n, 4)}
    return {k: np.array(v, dtype=np.int8 if k == "regimes" else None).reshape(
        (-1,) + shapes.get(k, (n, 5))) for k, v in out.items()}
