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


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def step_jacobians(cell, x, h0=None, c0=None):
    """The 2n x 2n Jacobians of the exact-semantics steps along the float64 trajectory of x
    (rows h_t then c_t, columns h_{t-1} then c_{t-1}), as ``symbolic.vector_step_jacobians``
    lays them out, derived by hand and evaluated in NumPy (any n, any length)::

        dc/dh = diag(c f (1 - f)) W_f + diag(g i (1 - i)) W_i + diag(i (1 - g^2)) W_g
        dc/dc = diag(f)
        dh/dh = diag(tanh(c') o (1 - o)) W_o + diag(o (1 - tanh(c')^2)) dc/dh
        dh/dc = diag(o (1 - tanh(c')^2)) diag(f)

    with W_* the rows of W_hh of each gate, c the previous memory and c' the new one.
    """
    n = cell.hidden_size
    W_i, W_f, W_g, W_o = (np.asarray(cell.W_hh[k * n:(k + 1) * n]) for k in range(4))
    b = cell.b_ih + cell.b_hh
    h = np.zeros(n) if h0 is None else np.array(h0, dtype=float)
    c = np.zeros(n) if c0 is None else np.array(c0, dtype=float)
    jacobians = []
    for x_t in np.asarray(x, dtype=float).reshape(len(x), -1):
        z = cell.W_ih @ x_t + cell.W_hh @ h + b
        i, f, g, o = _sigmoid(z[:n]), _sigmoid(z[n:2 * n]), np.tanh(z[2 * n:3 * n]), \
            _sigmoid(z[3 * n:])
        c_new = f * c + i * g
        t = np.tanh(c_new)
        dc_dh = ((c * f * (1 - f))[:, None] * W_f + (g * i * (1 - i))[:, None] * W_i
                 + (i * (1 - g * g))[:, None] * W_g)
        squash = o * (1 - t * t)
        dh_dh = (t * o * (1 - o))[:, None] * W_o + squash[:, None] * dc_dh
        jacobians.append(np.block([[dh_dh, np.diag(squash * f)], [dc_dh, np.diag(f)]]))
        h, c = o * t, c_new
    return jacobians


def amplification(cell, x, h0=None, c0=None):
    """``A_t = sum_{s <= t} ||J_t ... J_{s+1}||_inf`` of ``step_jacobians``: the rule's
    measure of how far float64 rounding errors can grow by step t (as
    ``symbolic.vector_amplification``, measured on the float64 trajectory, for cells
    and lengths the symbolic engine does not take).  A NumPy array of shape (T,)."""
    from symbolic.sensitivity import suffix_norm_sums

    return np.array(suffix_norm_sums(step_jacobians(cell, x, h0, c0)))


#: The rule of tests/test_agreement.py: 1e-12 per unit of amplification.
EPS = 1e-12


def assert_within_amplification(got, want, A, what="h"):
    """``|got - want| <= EPS (1 + A_t) max(1, |want|)`` at every step t (axis 0 of got,
    want and A; trailing axes are units)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    A = np.asarray(A, dtype=float).reshape(len(A), *([1] * (want.ndim - 1)))
    tol = EPS * (1 + A) * np.maximum(1.0, np.abs(want))
    bad = np.argwhere(~(np.abs(got - want) <= tol))
    assert bad.size == 0, (f"{what}: step {bad[0][0]}: |{got[tuple(bad[0])]!r} - "
                           f"{want[tuple(bad[0])]!r}| > {tol[tuple(bad[0])]:.3g} (A_t = "
                           f"{float(A[bad[0][0]].ravel()[0]):.3g})")
