"""Fixed points under saturated semantics: one smooth search per piece and regime of c.

The gate pre-activations ``z_k = W_kh h + (W_kx x + b_k)`` are linear in h,
so [-1, 1] is cut where some ``|z_k| = threshold``.  On an open piece between
cuts every gate has one regime; a fixed point's c is saturated high, low or
in the band, and each case is a smooth F with those regimes forced
(search.search_piece).  A root is kept when its enclosures lie inside
the piece and inside the regime of c assumed, dropped when they lie outside,
and reported uncertified when they straddle (within rounding of a cut or of
the threshold).  The cut points themselves are checked on their own.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .points import NonIsolated
from .search import search_piece

#: Relative distance to a cut under which a float64 cut (computed with two
#: roundings) cannot decide which side a root is on.
_CUT_MARGIN = 2.0 ** -48


def _regime(z, theta, inclusive):
    if inclusive:
        return 1 if z >= theta else (-1 if z <= -theta else 0)
    return 1 if z > theta else (-1 if z < -theta else 0)


def _offsets(params, x):
    return [params[3 * k + 1] * x + params[3 * k + 2] for k in range(4)]


def _cuts(params, x, theta):
    """The h in (-1, 1) where some gate pre-activation reaches +-theta (float64)."""
    cuts = set()
    for k, u in enumerate(_offsets(params, x)):
        a = params[3 * k]
        if a != 0.0:
            cuts.update(h for h in ((theta - u) / a, (-theta - u) / a) if -1.0 < h < 1.0)
    return sorted(cuts)


def _side(value, lo, hi, lo_open, hi_open):
    """+1 inside the set (lo, hi), -1 outside, 0 too close to tell (intervals with margins)."""
    vlo, vhi = value
    m_lo = _CUT_MARGIN * (1.0 + abs(lo)) if math.isfinite(lo) else 0.0
    m_hi = _CUT_MARGIN * (1.0 + abs(hi)) if math.isfinite(hi) else 0.0
    above_lo = vlo > lo + m_lo if lo_open else vlo >= lo + m_lo
    below_hi = vhi < hi - m_hi if hi_open else vhi <= hi - m_hi
    if above_lo and below_hi:
        return 1
    if vhi < lo - m_lo or vlo > hi + m_hi:
        return -1
    return 0


def _c_range(rc, theta, inclusive):
    """The set of c of regime rc, as (lo, hi, lo_open, hi_open)."""
    if rc > 0:
        return theta, math.inf, not inclusive, True
    if rc < 0:
        return -math.inf, -theta, True, not inclusive
    return -theta, theta, inclusive, inclusive


def saturated_points(params, x, sem):
    """(points, non_isolated) of the saturated step for input x (see the module docstring)."""
    theta, inclusive = sem.threshold, sem.inclusive
    cuts = _cuts(params, x, theta)
    offsets = _offsets(params, x)
    edges = [-math.inf] + cuts + [math.inf]
    points, non_isolated = [], []
    for a, b in zip(edges, edges[1:]):
        lo, hi = max(a, -1.0), min(b, 1.0)
        mid = lo + 0.5 * (hi - lo)
        regs = [_regime(params[3 * k] * mid + offsets[k], theta, inclusive) for k in range(4)]
        if regs[0] > 0:
            non_isolated += _forget_saturated(params, offsets, regs, lo, hi)
            continue
        for rc in (-1, 0, 1):
            def accept(p, rc=rc, a=a, b=b):
                where = _side(p.h_enclosure, a, b, True, True)
                regime = _side(p.c_enclosure, *_c_range(rc, theta, inclusive))
                if where < 0 or regime < 0:
                    return None
                if p.certified and (where == 0 or regime == 0):
                    return dataclasses.replace(p, certified=False,
                                               note="on a regime boundary")
                return p
            points += search_piece(params, x, regs + [rc], lo, hi, accept)
    # a cut already inside an uncertified enclosure is not reported a second time
    flagged = [p.h_enclosure for p in points if not p.certified]
    cuts_left = [hc for hc in cuts if not any(lo - _CUT_MARGIN <= hc <= hi + _CUT_MARGIN
                                             for lo, hi in flagged)]
    points += _at_cuts(params, x, cuts_left, offsets, theta, inclusive)
    return points, non_isolated


def _at_cuts(params, x, cuts, offsets, theta, inclusive):
    """Uncertified candidates where F may vanish exactly at a cut point."""
    from .._kernels.fixed_points import evaluate

    out = np.empty(6)
    found = []
    for hc in cuts:
        regs = []
        for k in range(4):
            z = params[3 * k] * hc + offsets[k]
            near = [s for s in (1, -1) if abs(z - s * theta) <= _CUT_MARGIN * (1.0 + abs(z))]
            regs.append((near[0] if inclusive else 0) if near else _regime(z, theta, inclusive))
        if regs[0] > 0:
            continue  # the forget gate at 1: covered by the pieces' non-isolated report
        width = _CUT_MARGIN * (1.0 + abs(hc))
        for rc in (-1, 0, 1):
            reg = np.array(regs + [rc], dtype=np.int64)
            evaluate(params, x, reg, hc - width, hc + width, out)
            if out[0] <= 0.0 <= out[1]:
                lo, hi, lo_open, hi_open = _c_range(rc, theta, inclusive)
                if _side((out[2], out[3]), lo, hi, lo_open, hi_open) >= 0:
                    found += search_piece(params, x, regs + [rc], hc - width, hc + width,
                                          lambda p: dataclasses.replace(
                                              p, certified=False, note="at a regime cut"))
    return found


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
