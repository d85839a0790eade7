"""Plain-Python oracle for the semantics of ``docs/semantics.md``.

Nothing here is compiled, vectorised or clever: one step is written exactly as
docs/semantics.md states it, with ``math.exp`` and ``math.tanh``.  The fast kernels are
checked against these functions (same signatures as the public ones), so keep
this file boring.
"""

from __future__ import annotations

import math
from fractions import Fraction

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


def preactivation(p, gate, h, x):
    """W_kh h + (W_kx x + b_k): the grouping both engines use."""
    return p[f"W_{gate}h"] * h + (p[f"W_{gate}x"] * x + p[f"b_{gate}"])


def step(p, h, c, x, activation="exact", threshold=1.0, inclusive=True,
         round_feedback=False):
    """One step; returns a dict with every intermediate value."""
    zf = preactivation(p, "f", h, x)
    zi = preactivation(p, "i", h, x)
    zo = preactivation(p, "o", h, x)
    zg = preactivation(p, "c", h, x)
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


# --------------------------------------------------------------------------
# How far apart may two correct float64 engines be?
#
# Both engines round every operation and use activations accurate to a few
# ulp, so after t steps they may differ by the local rounding errors carried
# forward through the step Jacobians.  ``error_bounds`` propagates a
# first-order bound on that difference alongside an oracle trajectory:
#
#   E_z   = |W_kh| E_h + 4u (|W_kh h| + |W_kx x| + |b_k|)     (2 roundings, FMA or not)
#   E_act = act'(z) E_z + 7u |act(z)|          (activation <= 3 ulp <= 6u relative, + 1)
#   E_c   = f E_c + |c| E_f + i E_g + |g| E_i + 2u (|f c| + |i g|)
#   E_h   = o E_tanh(c) + |tanh c| E_o + u |h|
#
# A rounding term is dropped where the float result equals the exact result
# (checked with Fractions: saturated trajectories are often exact), and so is
# an activation's own error where its value is exact (0 or 1/2 at z = 0).
# A saturated activation contributes no error unless its pre-activation lies
# strictly within E_z of the threshold; then the two engines may legitimately take
# different branches ("fragile" step).  Likewise, rounded feedback resets
# E_h to 0 unless |h_raw| is within E_h of a half-integer.  Comparisons stop
# at the first fragile step.
# --------------------------------------------------------------------------

U = 2.0 ** -53
#: An activation's own relative error: 3 ulp (the tested bound) is at most 6u, + 1 rounding.
ACT_ERR = 7 * U


def _fragile(z, err, threshold):
    return abs(abs(z) - threshold) < err


def _inexact(result, *terms):
    """1 if float ``result`` differs from the exact sum of products ``terms``."""
    exact = sum(Fraction(a) * Fraction(b) for a, b in terms)
    return 0.0 if Fraction(result) == exact else 1.0


def error_bounds(cell, x, activation="exact", threshold=1.0, inclusive=True,
                 round_feedback=False, h0=0.0, c0=0.0):
    """Per-step bounds (E_h, E_c) on |engine - oracle|, and the first fragile step.

    Returns ``(E_h list, E_c list, first_fragile)`` with ``first_fragile``
    the index of the first step whose outcome may differ between correct
    engines (``len(x)`` when there is none).
    """
    p = params_dict(cell)
    run_ = run(p, x, activation, threshold, inclusive, round_feedback, h0, c0)
    sat = activation == "saturated"
    eh, ec = 0.0, 0.0
    h, c = float(h0), float(c0)
    out_h, out_c = [], []
    for t, xt in enumerate(x):
        xt = float(xt)
        f, i, o, g = run_["gates"][t]
        zs = run_["preactivations"][t]
        errs = []
        for gate, z, val, kind in zip("fioc", zs[:4], (f, i, o, g),
                                      ("sigmoid",) * 3 + ("tanh",)):
            W, Wx, b = p[f"W_{gate}h"], p[f"W_{gate}x"], p[f"b_{gate}"]
            ez = abs(W) * eh + 4 * U * (abs(W * h) + abs(Wx * xt) + abs(b)) * _inexact(
                z, (W, h), (Wx, xt), (b, 1))
            if sat and _fragile(z, ez, threshold):
                return out_h, out_c, t
            if sat and regime(z, threshold, inclusive) != 0:
                errs.append(0.0)
                continue
            deriv = val * (1 - val) if kind == "sigmoid" else 1 - val * val
            errs.append(deriv * ez + (ACT_ERR * abs(val) if z != 0 else 0.0))
        e_f, e_i, e_o, e_g = errs
        c_new = run_["c"][t]
        ec = f * ec + abs(c) * e_f + i * e_g + abs(g) * e_i + 2 * U * (
            abs(f * c) + abs(i * g)) * _inexact(c_new, (f, c), (i, g))
        tc = activate("tanh", c_new, activation, threshold, inclusive)
        if sat and _fragile(c_new, ec, threshold):
            return out_h, out_c, t
        if sat and regime(c_new, threshold, inclusive) != 0:
            e_tc = 0.0
        else:
            e_tc = (1 - tc * tc) * ec + (ACT_ERR * abs(tc) if c_new != 0 else 0.0)
        h_raw = run_["h_raw"][t]
        eh = o * e_tc + abs(tc) * e_o + U * abs(h_raw) * _inexact(h_raw, (o, tc))
        if round_feedback:
            if abs(abs(h_raw) - math.floor(abs(h_raw)) - 0.5) <= eh:
                return out_h, out_c, t
            eh = 0.0
        h, c = run_["h"][t], c_new
        out_h.append(eh)
        out_c.append(ec)
    return out_h, out_c, len(x)
