"""Fixed points under saturated semantics: one smooth search per piece and regime of c.

The gate pre-activations ``z_k = W_kh h + (W_kx x + b_k)`` are linear in h,
so [-1, 1] is cut where some ``|z_k| = threshold``; the cuts are computed
exactly, as Fractions (exact.py).  On an open piece between cuts every gate
has one regime (decided exactly at the piece's rational middle); a fixed
point's c is saturated high, low or in the band, and each case is a smooth F
with those regimes forced (search.search_piece).  Where f, i and g are all
saturated, c = i g / (1 - f) is a constant Fraction and its regime is decided
exactly, so only that case is searched.

A root found by the float64 search is kept when it lies in its piece and its
c in the regime assumed.  Both are decided exactly, not within a margin: an
enclosure that holds a cut is settled by the sign of F at the cut (F is
monotone on a certified enclosure, so the sign says on which side its root
lies, and F = 0 there puts the root on the cut itself, which belongs to the
cut's own regimes); an enclosure of c that holds +-threshold is settled by
interval Newton in high precision (exact.ExactCell.root_c_regime).  The cut
points themselves are checked exactly, with the regimes at the cut: F(cut) =
0 is a certified fixed point; anything else is none.  Only what 1024-bit
interval arithmetic cannot settle is reported uncertified, with that reason.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np

from .exact import MAX_BITS, ExactCell, decide, sign
from .points import NonIsolated
from .search import point, search_piece


def _offsets(params, x):
    return [params[3 * k + 1] * x + params[3 * k + 2] for k in range(4)]


def _float_down(q):
    """The largest float <= the Fraction q."""
    f = float(q)
    return math.nextafter(f, -math.inf) if Fraction(f) > q else f


def _float_up(q):
    """The smallest float >= the Fraction q."""
    f = float(q)
    return math.nextafter(f, math.inf) if Fraction(f) < q else f


def _float_regime(lo, hi, theta, inclusive):
    """The regime of every c in [lo, hi] when they share one, else None (exact comparisons)."""
    if lo > theta or (inclusive and lo >= theta):
        return 1
    if hi < -theta or (inclusive and hi <= -theta):
        return -1
    if (-theta < lo and hi < theta) or (not inclusive and -theta <= lo and hi <= theta):
        return 0
    return None


def _compare(v, edge):
    """The sign of v - q for a float v and an edge (q, float below q, float above q)."""
    q, q_down, q_up = edge
    if v < q_down:
        return -1
    if v > q_up:
        return 1
    v = Fraction(v)
    return (v > q) - (v < q)


def _show(q):
    return f"{float(q):.17g}"


def saturated_points(params, x, sem):
    """(points, non_isolated) of the saturated step for input x (see the module docstring)."""
    exact = ExactCell(params, x, sem.threshold, sem.inclusive)
    cuts = exact.cuts()
    edges = [(q, _float_down(q), _float_up(q)) for q in [Fraction(-1)] + cuts + [Fraction(1)]]
    offsets = _offsets(params, x)
    points, non_isolated = [], []
    for a, b in zip(edges, edges[1:]):
        regs = exact.regimes_at((a[0] + b[0]) / 2)
        lo, hi = a[1], b[2]
        if regs[0] > 0:
            non_isolated += _forget_saturated(params, offsets, regs, lo, hi)
            continue
        c_fixed = bool(regs[0] and regs[1] and regs[3])  # f = 0: c = i g, a constant
        rcs = [exact.regime(Fraction(regs[1] > 0) * regs[3])] if c_fixed else [-1, 0, 1]
        for rc in rcs:
            def accept(p, rc=rc, a=a, b=b):
                return _accept(exact, regs, rc, a, b, c_fixed, p)
            points += search_piece(params, x, regs + [rc], lo, hi, accept)
    points += _at_cuts(params, x, exact, cuts)
    return points, non_isolated


def _accept(exact, regs, rc, a, b, c_fixed, p):
    """p if its root is in the open piece (a, b) with c in regime rc, None if not,
    an uncertified copy where that is not decided (see the module docstring).

    ``a`` and ``b`` are edges ``(q, float below q, float above q)``, q a Fraction.
    """
    lo, hi = p.h_enclosure
    # the piece is open at a cut, closed at -1 and 1 (no fixed point lies beyond them)
    below_a, above_b = _compare(hi, a), _compare(lo, b)
    if below_a < 0 or above_b > 0 or (below_a == 0 and a[0] > -1) or (above_b == 0 and b[0] < 1):
        return None
    if c_fixed:
        c_regime = rc
    else:
        c_regime = _float_regime(*p.c_enclosure, exact.theta_float, exact.inclusive)
        if c_regime is not None and c_regime != rc:
            return None
    if not p.certified:
        return p
    for edge, inside in ((a, 1), (b, -1)):
        end = edge[0]
        if -1 < end < 1 and _compare(lo, edge) <= 0 <= _compare(hi, edge):
            increasing = decide(lambda: sign(exact.evaluate(regs, rc, _interval(lo, hi),
                                                           slope=True)[2]))
            side = None if increasing is None else exact.side_of(regs, rc, end, increasing > 0)
            if side is None:
                return dataclasses.replace(p, certified=False, note=(
                    f"within 2**-{MAX_BITS} of the regime cut h = {_show(end)}: "
                    "on which side is not decided"))
            if side != inside:
                return None  # beyond the cut, or on it (the cut's own regimes decide there)
    if c_regime is None:
        c_regime = exact.root_c_regime(regs, rc, lo, hi)
        if c_regime is None:
            return dataclasses.replace(p, certified=False, note=(
                f"c is within 2**-{MAX_BITS} of +-threshold here: its regime is not decided"))
        if c_regime != rc:
            return None
    return p


def _interval(lo, hi):
    from mpmath import iv

    return iv.mpf([lo, hi])


def _at_cuts(params, x, exact, cuts):
    """The fixed points exactly on a cut, with the regimes at the cut, decided exactly.

    A float64 enclosure of F and c over the floats around the cut settles
    most cases first (F excludes 0, or c is in another regime); the rest are
    decided on Fractions and mpmath intervals.
    """
    from .._kernels.fixed_points import evaluate

    found, out = [], np.empty(6)
    for e in cuts:
        regs = exact.regimes_at(e)
        if regs[0] > 0:
            continue  # the forget gate at 1: covered by the pieces' non-isolated report
        lo, hi = _float_down(e), _float_up(e)
        open_rc = []
        for r in (-1, 0, 1):
            evaluate(params, x, np.array(regs + [r], dtype=np.int64), lo, hi, out)
            c_regime = _float_regime(out[2], out[3], exact.theta_float, exact.inclusive)
            if out[0] <= 0.0 <= out[1] and c_regime in (None, r):
                open_rc.append(r)
        if not open_rc:
            continue
        rc = decide(lambda: exact.regime_of(exact.evaluate(regs, 0, e)[1]))
        for r in ([rc] if rc in open_rc else [] if rc is not None else open_rc):
            s = decide(lambda: sign(exact.evaluate(regs, r, e)[0]))
            if s == 0 and rc is not None:
                found.append(_cut_point(params, x, exact, regs, r, e, True, ""))
            elif s is None or s == 0:
                why = [f"F is within 2**-{MAX_BITS} of 0" if s is None else "F = 0"]
                if rc is None:
                    why.append(f"c is within 2**-{MAX_BITS} of +-threshold")
                found.append(_cut_point(params, x, exact, regs, r, e, False, (
                    f"at the regime cut h = {_show(e)}: {' and '.join(why)}; not decided")))
    return found


def _cut_point(params, x, exact, regs, rc, e, certified, note):
    """The record of a fixed point at the cut e: h = e, c = i g / (1 - f) there."""
    lo, hi = _float_down(e), _float_up(e)
    p = point(params, x, regs + [rc], lo, hi, certified, note)
    c = decide(lambda: _c_value(exact.evaluate(regs, rc, e)[1]))
    h = float(e)
    return dataclasses.replace(p, h=h, c=p.c if c is None else c)


def _c_value(c):
    """c as the nearest float where known to that accuracy, else None."""
    if isinstance(c, Fraction):
        return float(c)
    lo, hi = float(c.a), float(c.b)
    return lo if lo == hi else None


def _forget_saturated(params, offsets, regs, lo, hi):
    """Non-isolated fixed points of a piece where f = 1: c' = c + i g."""
    if regs[1] < 0:
        return [NonIsolated((lo, hi), "f = 1 and i = 0: every c is kept; fixed where "
                                      "h = o act(c)")]
    if regs[3] == 0:
        w, u = params[9], offsets[3]
        if w == 0.0 and u == 0.0:
            return [NonIsolated((lo, hi), "f = 1 and g = 0: every c is kept; fixed where "
                                          "h = o act(c)")]
        if w != 0.0 and lo <= -u / w <= hi:
            h0 = -u / w
            return [NonIsolated((h0, h0), "f = 1 and g = 0 at this h: fixed points (h, c) "
                                          "for every c with o act(c) = h, if any")]
    return []  # i g has one sign on the piece: c' = c + i g moves every c
