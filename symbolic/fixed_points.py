"""Fixed points of the step for a constant input, region by region, exactly where possible.

For a constant input x a fixed point (h, c) satisfies ``c = f c + i g`` and
``h = o act(c)``; with ``f < 1``, ``c = i g / (1 - f)`` and h solves
``h = o act(i g / (1 - f))``, all gates functions of h.  Every fixed point has
``|h| <= 1``.

Saturated semantics: each pre-activation is linear in h, so [-1, 1] is cut
(exactly, in rationals) where one reaches ``+-threshold``; on each open piece
and at each cut point the gate regimes are known exactly, and c is assumed
saturated high, low or in the band in turn.  Where everything is saturated
the fixed point is a Rational (``h = +-o``, ``c = i g / (1 - f)``); where h still
appears in the equation it is solved numerically on the piece with mpmath
interval arithmetic (bisection, uniqueness where the derivative's enclosure
excludes 0, a sign change at the ends), to 40 digits.  Each candidate is kept
only when it lies in the piece and its c in the regime assumed, decided
exactly for rationals.  This module shares no code with fastlstm.
"""

from __future__ import annotations

from typing import NamedTuple

import mpmath
from mpmath import iv
from sympy import Float, Integer, Rational, S

from .params import exact_number, exact_params
from .semantics import semantics as make_semantics

_GATES = ("f", "i", "o", "g")
DIGITS = 40
#: Sub-intervals one root search examines at most (then it reports what is left).
MAX_STEPS = 4000


class FixedPoint(NamedTuple):
    """A fixed point: ``h``, ``c`` (Rational when exact, else a 40-digit Float),
    ``regimes`` of f, i, o, g, c (``-`` smooth, ``H``/``L`` saturated), ``exact``,
    ``certified`` (False: a candidate whose existence and uniqueness were not
    proved) and, for a numeric one, ``enclosure``: the interval of h searched
    (for an uncertified one, where any fixed points there would lie)."""

    h: object
    c: object
    regimes: str
    exact: bool
    certified: bool = True
    enclosure: tuple = None


def fixed_points(params, x, activation="saturated", threshold=1, inclusive=True):
    """Every fixed point (h, c) of the step for the constant input ``x``, sorted by h.

    Parameters
    ----------
    params : mapping or object
        The twelve parameters (floats are taken at their exact binary value).
    x : number
    activation, threshold, inclusive
        As in docs/semantics.md.

    Raises
    ------
    NotImplementedError
        Where the forget gate saturates at 1 on a piece (fixed points need not
        be isolated there).

    Examples
    --------
    The parity cell reading 1: the candidate saturates for h <= 49/100 and
    h >= 51/100, where the map is constant (h = 1 and h = -1, both outside
    their piece); the one fixed point is in the band.

    >>> parity = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
    ...               W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)
    >>> [(round(float(p.h), 12), p.regimes, p.exact) for p in fixed_points(parity, 1)]
    [(0.493940649601, 'LHH--', False)]

    A cell whose map is constant: every gate saturated, the point is Rational.

    >>> const = dict(parity, W_ch=0, W_ix=0, W_ox=0, b_f=-2, b_i=3, b_o=5, b_c=-7)
    >>> fixed_points(const, 0)
    [FixedPoint(h=-1, c=-1, regimes='LHHLL', exact=True, certified=True, enclosure=None)]
    """
    sem = make_semantics(activation=activation, threshold=threshold, inclusive=inclusive)
    p = exact_params(params)
    x = exact_number(x, "x")
    # the candidate g has the parameters W_ch, W_cx, b_c
    lines = {k: (p[f"W_{n}h"], p[f"W_{n}x"] * x + p[f"b_{n}"])
             for k, n in zip(_GATES, ("f", "i", "o", "c"))}
    cuts = []
    if sem.saturating:
        cuts = sorted({v for a, b in lines.values() if a != 0 for side in (1, -1)
                       for v in [(side * sem.threshold - b) / a] if -1 < v < 1})
    found = []
    for lo, hi in _pieces(cuts):
        rep = (lo + hi) / 2
        regs = {k: (sem.regime(a * rep + b) if sem.saturating else 0)
                for k, (a, b) in lines.items()}
        if regs["f"] > 0:
            raise NotImplementedError("the forget gate saturates at 1 on the piece "
                                      f"[{lo}, {hi}]: fixed points need not be isolated")
        for rc in ((-1, 0, 1) if sem.saturating else (0,)):
            found += _solve_piece(lines, regs, rc, lo, hi, sem)
    return sorted(found, key=lambda q: q.h)


def _pieces(cuts):
    """[-1, 1] as closed intervals (lo, hi): open pieces between cuts and the cut points."""
    ends = [Integer(-1)] + list(cuts) + [Integer(1)]
    return list(zip(ends, ends[1:])) + [(c, c) for c in cuts]


def _value(kind, reg):
    return S.One if reg > 0 else (S.Zero if kind != "g" else S.NegativeOne)


def _solve_piece(lines, regs, rc, lo, hi, sem):
    theta = sem.threshold
    point = lo == hi
    if point:  # a cut: the regimes at the cut itself
        regs = {k: (sem.regime(a * lo + b) if sem.saturating else 0)
                for k, (a, b) in lines.items()}
    c_constant = all(regs[k] for k in "fig")
    if c_constant:  # c is a constant Rational: its regime is decided
        g = {k: _value(k, regs[k]) for k in _GATES}
        c = g["i"] * g["g"] / (1 - g["f"])
        if sem.regime(c) != rc:
            return []
        if regs["o"] and rc:  # the map is constant: h = o act(c) exactly
            h = g["o"] * rc
            return [FixedPoint(h, c, _codes(regs, rc), True)] if _inside(h, lo, hi, point) \
                else []
    roots = []
    saved = mpmath.mp.dps, iv.dps
    mpmath.mp.dps = iv.dps = DIGITS + 20
    try:
        for h, certified, (a, b) in _roots(lines, regs, rc, lo, hi, point):
            c = _c_of(lines, regs, h)
            regime = rc if c_constant or not sem.saturating else _c_regime(c, theta)
            if regime is not None and regime != rc or not _inside(h, lo, hi, point):
                continue
            roots.append(FixedPoint(Float(h, DIGITS), Float(c, DIGITS), _codes(regs, rc),
                                    False, certified and regime is not None,
                                    (Float(a, DIGITS), Float(b, DIGITS))))
    finally:
        mpmath.mp.dps, iv.dps = saved
    return roots


def _inside(h, lo, hi, point):
    """h in the piece: the cut itself, or the open piece with the ends -1 and 1 included
    (they are not cuts: no regime changes there)."""
    if point:
        return h == lo
    return (lo < h or h == lo == -1) and (h < hi or h == hi == 1)


def _codes(regs, rc):
    return "".join("-HL"[r] for r in [regs[k] for k in _GATES] + [rc])


def _c_regime(c, theta):
    """Regime of a numeric c (an mpf at 60 digits); None within 1e-40 of +-theta."""
    t = mpmath.mpf(theta.p) / theta.q
    if abs(abs(c) - t) < mpmath.mpf(10) ** -DIGITS:
        return None
    return 1 if c > t else (-1 if c < -t else 0)


def _num(q, ctx):
    q = Rational(q)
    return ctx.mpf(int(q.p)) / ctx.mpf(int(q.q))


def _gates(lines, regs, h, ctx):
    """(f, i, o, g, s = 1 - f) and slopes at h (an mpf or an interval) in context ctx."""
    vals, slopes = {}, {}
    for k, (a, b) in lines.items():
        if regs[k]:
            vals[k], slopes[k] = _num(_value(k, regs[k]), ctx), ctx.mpf(0)
            continue
        z = _num(a, ctx) * h + _num(b, ctx)
        if k == "g":
            v = 1 - 2 / (ctx.exp(2 * z) + 1)
            vals[k], slopes[k] = v, _num(a, ctx) * (1 - v * v)
        else:
            v = 1 / (1 + ctx.exp(-z))
            vals[k], slopes[k] = v, _num(a, ctx) * v * (1 - v)
    if regs["f"]:
        s = ctx.mpf(1)
    else:
        a, b = lines["f"]
        s = 1 / (1 + ctx.exp(_num(a, ctx) * h + _num(b, ctx)))
    return vals, slopes, s


def _c_of(lines, regs, h):
    vals, _, s = _gates(lines, regs, h, mpmath.mp)
    return vals["i"] * vals["g"] / s


def _G(lines, regs, rc, h, ctx):
    """(G, G') at h for G(h) = o act(c(h)) - h."""
    v, d, s = _gates(lines, regs, h, ctx)
    c = v["i"] * v["g"] / s
    dc = (d["i"] * v["g"] + v["i"] * d["g"]) / s + c * d["f"] / s
    if rc:
        t, dt = ctx.mpf(rc), ctx.mpf(0)
    else:
        t = 1 - 2 / (ctx.exp(2 * c) + 1)
        dt = 1 - t * t
    return v["o"] * t - h, d["o"] * t + v["o"] * dt * dc - 1


def _roots(lines, regs, rc, lo, hi, point):
    """Roots of G on [lo, hi] (rationals): (mpf, certified, (a, b)) with a <= root <= b.

    Sub-intervals where G excludes 0 are dropped; where G' excludes 0 and G
    changes sign at the ends there is exactly one root (refined by mpmath's
    findroot).  Pieces narrower than 1e-30 that stay undecided, or all that
    is left after MAX_STEPS sub-intervals (near a root of high multiplicity
    the undecided pieces multiply), are merged into clusters (gaps under
    1e-12 closed), each reported by its middle as an uncertified root.
    """
    if point:
        g, _ = _G(lines, regs, rc, _num(lo, iv), iv)
        h = _num(lo, mpmath.mp)
        return [(h, False, (h, h))] if g.a <= 0 <= g.b else []
    stack = [(mpmath.mpf(_num(lo, iv).a), mpmath.mpf(_num(hi, iv).b))]
    width = mpmath.mpf(10) ** -30
    out, small, steps = [], [], 0
    while stack:
        a, b = stack.pop()
        steps += 1
        if steps > MAX_STEPS or b - a < width:
            small.append((a, b))
            continue
        X = iv.mpf([a, b])
        g, dg = _G(lines, regs, rc, X, iv)
        if g.a > 0 or g.b < 0:
            continue
        if dg.a > 0 or dg.b < 0:  # monotone on [a, b]: a root iff the ends differ in sign
            ga, _ = _G(lines, regs, rc, iv.mpf(a), iv)
            gb, _ = _G(lines, regs, rc, iv.mpf(b), iv)
            if (ga.a > 0 and gb.b < 0) or (ga.b < 0 and gb.a > 0):
                f = lambda t: _G(lines, regs, rc, t, mpmath.mp)[0]  # noqa: E731
                out.append((mpmath.findroot(f, (a, b), solver="anderson"), True, (a, b)))
                continue
            if (ga.a > 0 and gb.a > 0) or (ga.b < 0 and gb.b < 0):
                continue
        m = a + (b - a) * mpmath.mpf(0.4921875)
        stack += [(a, m), (m, b)]
    clusters = []  # pieces closer than 1e-12 are one cluster
    for a, b in sorted(small):
        if clusters and a <= clusters[-1][1] + mpmath.mpf(10) ** -12:
            clusters[-1][1] = max(clusters[-1][1], b)
        else:
            clusters.append([a, b])
    return out + [((a + b) / 2, False, (a, b)) for a, b in clusters]
