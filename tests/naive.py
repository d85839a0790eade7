"""Plain-Python oracle for the semantics of ``../shared/DESIGN.md``.

Nothing here is compiled, vectorised or clever: one step is written exactly as
DESIGN.md states it, with ``math.exp`` and ``math.tanh``.  The fast kernels are
checked against these functions (same signatures as the public ones), so keep
this file boring.
"""

from __future__ import annotations

import math

PARAM_NAMES = ("W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i",
               "W_oh", "W_ox", "b_o", "W_ch", "W_cx", "b_c")


def sigmoid(z):
    # Two branches so that exp never overflows.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def round_half_to_zero(v):
    """sign(v) * ceil(|v| - 1/2), keeping the sign of zero."""
    return math.copysign(math.ceil(abs(v) - 0.5), v)


def regime(z, threshold, inclusive):
    if inclusive:
        return 1 if z >= threshold else (-1 if z <= -threshold else 0)
    return 1 if z > threshold else (-1 if z < -threshold else 0)


def activate(kind, z, activation, threshold, inclusive):
    """sigmoid or tanh of z under the chosen semantics."""
    if activation == "saturated":
        r = regime(z, threshold, inclusive)
        if r == 1:
            return 1.0
        if r == -1:
            return 0.0 if kind == "sigmoid" else -1.0
    return sigmoid(z) if kind == "sigmoid" else math.tanh(z)


def params_dict(cell):
    if isinstance(cell, dict):
        return cell
    return {name: float(getattr(cell, name)) for name in PARAM_NAMES}


def step(p, h, c, x, activation="exact", threshold=1.0, inclusive=True,
         round_feedback=False):
    """One step; returns a dict with every intermediate value."""
    zf = p["W_fh"] * h + p["W_fx"] * x + p["b_f"]
    zi = p["W_ih"] * h + p["W_ix"] * x + p["b_i"]
    zo = p["W_oh"] * h + p["W_ox"] * x + p["b_o"]
    zg = p["W_ch"] * h + p["W_cx"] * x + p["b_c"]
    sem = (activation, threshold, inclusive)
    f = activate("sigmoid", zf, *sem)
    i = activate("sigmoid", zi, *sem)
    o = activate("sigmoid", zo, *sem)
    g = activate("tanh", zg, *sem)
    c_new = f * c + i * g
    h_raw = o * activate("tanh", c_new, *sem)
    h_new = round_half_to_zero(h_raw) if round_feedback else h_raw
    pre = (zf, zi, zo, zg, c_new)
    return {
        "h": h_new, "c": c_new, "h_raw": h_raw,
        "gates": (f, i, o, g),
        "preactivations": pre,
        "regimes": tuple(regime(z, threshold, inclusive) for z in pre),
        "boundary_hits": tuple(abs(z) == threshold for z in pre),
    }


def run(cell, x, activation="exact", threshold=1.0, inclusive=True,
        round_feedback=False, h0=0.0, c0=0.0):
    """Whole trajectory as a dict of lists (one entry per step)."""
    p = params_dict(cell)
    h, c = float(h0), float(c0)
    out = {k: [] for k in ("h", "c", "h_raw", "gates", "preactivations",
                           "regimes", "boundary_hits", "rounded")}
    for xt in x:
        s = step(p, h, c, float(xt), activation, threshold, inclusive,
                 round_feedback)
        h, c = s["h"], s["c"]
        for k in s:
            out[k].append(s[k])
        out["rounded"].append(int(round_half_to_zero(h)))
    return out
