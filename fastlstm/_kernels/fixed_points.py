"""Certified isolation of the roots of the fixed-point function (private).

For a constant input x a fixed point (h, c) of the step has
``c = f c + i g``, so ``c = i g / (1 - f)``, and ``h = o act(c)``: the fixed
points are the roots of the one-variable function

    F(h) = o(h) act(c(h)) - h,   c(h) = i(h) g(h) / s(h),   s = 1 - f = sigmoid(-z_f)

(fastlstm/dynamics/fixed_points.py derives it and handles the saturated
pieces).  Every pre-activation's regime is *forced* by the caller: code 0 is
the smooth formula (sigmoid or tanh), +1 the saturated high value, -1 the
saturated low one.  Exact semantics forces 0 everywhere; saturated semantics
calls the search once per piece of h on which the regimes are constant.

``evaluate`` encloses F, c and F' over an interval of h (intervals.py).
``isolate`` covers ``[lo, hi]`` by interval Newton with bisection: a
sub-interval is discarded when the enclosure of F excludes 0 or the Newton
step leaves it empty (no root there), and *certified* when F' excludes 0 and
the Newton image lies inside it (exactly one root there).  Where F' excludes
0 but Newton does not contract (F too steep for its interval slope), the
signs of F at the two ends decide instead: F is strictly monotone there, so
equal signs mean no root and opposite signs exactly one, bracketed further
by bisection on signs.  A piece that is neither is bisected, down to pieces
no float splits, except where F is flat to float64 (the enclosures of F at
its ends and middle all hold 0, on a piece narrower than ``FLAT_WIDTH``):
such pieces are merged into clusters, which are certified once more with
epsilon-inflation (an enclosure centred on a float Newton estimate, wide
enough to hold the cluster); what still fails is reported as unresolved (a
tangency, two roots closer than float64 separates, or a root where F' is
below what float64 resolves).  So the certified roots and the unresolved
clusters between them account for every root in ``[lo, hi]``.

Kernels assume clean input and write into arrays they are given.
"""

from __future__ import annotations

import numba
import numpy as np

from .._config import JIT
from .intervals import add, div, itanh, mul, sigmoid_parts, sub, tanh_slope

#: Below this width an undecided piece where F is flat to float64 (``_flat``) is a
#: cluster; any other undecided piece is bisected until no float splits it.
#: Clusters closer than this (absolute, in h) are merged into one.
FLAT_WIDTH = 2.0 ** -20
#: Most sub-intervals examined in one search; the rest are reported unresolved.
MAX_STEPS = 200_000
#: Split point of a bisection, a little off centre, so that a root at a simple
#: number (0, say) is not on a cut.
_SPLIT = 0.4921875


@numba.njit(**JIT)
def _preactivation(p, k, xlo, xhi, hlo, hhi):
    """z_k = W_kh h + (W_kx x + b_k) over h in [hlo, hhi], grouped as the step groups it."""
    ulo, uhi = mul(p[3 * k + 1], p[3 * k + 1], xlo, xhi)
    ulo, uhi = add(ulo, uhi, p[3 * k + 2], p[3 * k + 2])
    vlo, vhi = mul(p[3 * k], p[3 * k], hlo, hhi)
    return add(vlo, vhi, ulo, uhi)


@numba.njit(**JIT)
def _gate(p, k, xlo, xhi, reg, hlo, hhi, is_tanh):
    """(value, d value / dh, 1 - value) of gate k (0 f, 1 i, 2 o, 3 g) over h in [hlo, hhi].

    1 - value is enclosed without cancellation (sigmoid(-z), ``sigmoid_parts``)
    for a sigmoid gate; it is not computed for g.
    """
    if reg != 0:
        low = -1.0 if is_tanh else 0.0
        v = 1.0 if reg > 0 else low
        return v, v, 0.0, 0.0, 1.0 - v, 1.0 - v
    wh = p[3 * k]
    zlo, zhi = _preactivation(p, k, xlo, xhi, hlo, hhi)
    if is_tanh:
        vlo, vhi = itanh(zlo, zhi)
        slo, shi = tanh_slope(zlo, zhi)
        clo, chi = 0.0, 0.0
    else:
        vlo, vhi, clo, chi, slo, shi = sigmoid_parts(zlo, zhi)
    dlo, dhi = mul(wh, wh, slo, shi)
    return vlo, vhi, dlo, dhi, clo, chi


@numba.njit(**JIT)
def evaluate(p, x, reg, hlo, hhi, out):
    """Enclosures over h in [hlo, hhi]: out = (F lo, F hi, c lo, c hi, F' lo, F' hi).

    ``p`` the 12 parameters (PARAM_NAMES order), ``reg`` the forced regimes of
    f, i, o, g, c (int64, codes as in the module docstring).  Requires
    ``reg[0] != 1`` (with f = 1 there is no c = i g / (1 - f)).
    """
    # s = 1 - f = sigmoid(-z_f), without the cancellation of 1 - f
    # gate numbers as int64 values, not literals: one compiled _gate, not four
    f_, i_, o_, g_ = np.int64(0), np.int64(1), np.int64(2), np.int64(3)
    flo, fhi, dflo, dfhi, slo, shi = _gate(p, f_, x, x, reg[0], hlo, hhi, f_ == g_)
    ilo, ihi, dilo, dihi, _, _ = _gate(p, i_, x, x, reg[1], hlo, hhi, i_ == g_)
    olo, ohi, dolo, dohi, _, _ = _gate(p, o_, x, x, reg[2], hlo, hhi, o_ == g_)
    glo, ghi, dglo, dghi, _, _ = _gate(p, g_, x, x, reg[3], hlo, hhi, g_ == g_)
    iglo, ighi = mul(ilo, ihi, glo, ghi)
    clo, chi = div(iglo, ighi, slo, shi)
    if reg[4] == 0:
        tlo, thi = itanh(clo, chi)
        dtlo, dthi = tanh_slope(clo, chi)
    else:
        tlo = thi = 1.0 if reg[4] > 0 else -1.0
        dtlo = dthi = 0.0
    hnlo, hnhi = mul(olo, ohi, tlo, thi)
    Flo, Fhi = sub(hnlo, hnhi, hlo, hhi)
    # c' = (i' g + i g') / s + c W_fh f   (f' = W_fh f s, so c f' / s = c W_fh f)
    alo, ahi = mul(dilo, dihi, glo, ghi)
    blo, bhi = mul(ilo, ihi, dglo, dghi)
    alo, ahi = add(alo, ahi, blo, bhi)
    dclo, dchi = div(alo, ahi, slo, shi)
    if reg[0] == 0:
        alo, ahi = mul(clo, chi, p[0], p[0])
        alo, ahi = mul(alo, ahi, flo, fhi)
        dclo, dchi = add(dclo, dchi, alo, ahi)
    # F' = o' act(c) + o act'(c) c' - 1
    alo, ahi = mul(dolo, dohi, tlo, thi)
    blo, bhi = mul(olo, ohi, dtlo, dthi)
    blo, bhi = mul(blo, bhi, dclo, dchi)
    alo, ahi = add(alo, ahi, blo, bhi)
    dlo, dhi = sub(alo, ahi, 1.0, 1.0)
    out[0] = Flo
    out[1] = Fhi
    out[2] = clo
    out[3] = chi
    out[4] = dlo
    out[5] = dhi


@numba.njit(**JIT)
def _newton(p, x, reg, lo, hi, scratch):
    """(N lo, N hi, ok): the interval Newton image of [lo, hi]; ok False if F' may vanish."""
    evaluate(p, x, reg, lo, hi, scratch)
    dlo, dhi = scratch[4], scratch[5]
    if dlo <= 0.0 <= dhi or dlo != dlo or dhi != dhi:
        return lo, hi, False
    m = lo + 0.5 * (hi - lo)
    evaluate(p, x, reg, m, m, scratch)
    qlo, qhi = div(scratch[0], scratch[1], dlo, dhi)
    nlo, nhi = sub(m, m, qlo, qhi)
    return nlo, nhi, True


@numba.njit(**JIT)
def _sign_at(p, x, reg, h, scratch):
    """The sign of F(h) where its enclosure excludes 0, else 0."""
    evaluate(p, x, reg, h, h, scratch)
    if scratch[0] > 0.0:
        return 1
    if scratch[1] < 0.0:
        return -1
    return 0


@numba.njit(**JIT)
def _bracket(p, x, reg, a, b, sa, scratch):
    """Shrink [a, b] around its one root by bisection on signs (F monotone, F(a) of sign sa).

    Where Newton cannot contract (F so steep that F' spans decades over
    [a, b], as where tanh(W h) jumps across a float-sized interval), the
    signs still can.  0 is tried first when inside (a root there is common
    and has no float neighbours to converge through); the loop ends where F
    at the midpoint is not decided or [a, b] holds no float between its ends.
    """
    for _ in range(4200):  # > 2 * 2098, the floats' binary exponents across [-1, 1]
        m = 0.0 if a < 0.0 < b else a + 0.5 * (b - a)
        if not a < m < b:
            break
        s = _sign_at(p, x, reg, m, scratch)
        if s == 0:
            break
        if s == sa:
            a = m
        else:
            b = m
    return a, b


@numba.njit(**JIT)
def _refine(p, x, reg, lo, hi, scratch):
    """Shrink a certified enclosure by Newton steps until it stops shrinking."""
    for _ in range(60):
        nlo, nhi, ok = _newton(p, x, reg, lo, hi, scratch)
        if not ok:
            break
        nlo, nhi = max(lo, nlo), min(hi, nhi)
        if nlo > nhi or (nlo == lo and nhi == hi):
            break
        lo, hi = nlo, nhi
    return lo, hi


@numba.njit(**JIT)
def _inflate(p, x, reg, a, b, scratch):
    """(lo, hi, ok): an enclosure of exactly one root holding [a, b], by epsilon-inflation."""
    m = a + 0.5 * (b - a)
    for _ in range(8):  # float Newton from the middle of the cluster, kept near it
        evaluate(p, x, reg, m, m, scratch)
        d = 0.5 * (scratch[4] + scratch[5])
        if d == 0.0 or d != d:
            break
        step = 0.5 * (scratch[0] + scratch[1]) / d
        m = min(max(m - step, a - (b - a)), b + (b - a))
    r = 1.5 * max(b - m, m - a) + 4e-16 * max(abs(m), 1e-300)
    for _ in range(12):
        lo, hi = m - r, m + r
        nlo, nhi, ok = _newton(p, x, reg, lo, hi, scratch)
        if ok and lo < nlo and nhi < hi:
            rlo, rhi = _refine(p, x, reg, nlo, nhi, scratch)
            return rlo, rhi, True
        if ok:  # F monotone on [lo, hi]: opposite signs at its ends also prove one root
            sa = _sign_at(p, x, reg, lo, scratch)
            if sa != 0 and _sign_at(p, x, reg, hi, scratch) == -sa:
                ra, rb = _bracket(p, x, reg, lo, hi, sa, scratch)
                rlo, rhi = _refine(p, x, reg, ra, rb, scratch)
                return rlo, rhi, True
        r *= 4.0
        if r > 1e-6:
            break
    return a, b, False


@numba.njit(**JIT)
def _flat(p, x, reg, a, m, b, scratch):
    """True where the enclosures of F at a, m and b all hold 0: F is flat to float64 there.

    Bisecting such a piece further resolves nothing (a tangency, roots closer
    than float64 separates, or a root where F' is below what it resolves); a
    piece that is only undecided because its interval enclosure is too wide
    (a steep root, F' huge beside a point where F' = 0) is not flat at its
    ends and is bisected on, down to a few floats if need be.
    """
    for h in (a, m, b):
        evaluate(p, x, reg, h, h, scratch)
        if scratch[0] > 0.0 or scratch[1] < 0.0:
            return False
    return True


@numba.njit(**JIT)
def _sort_by_start(rows, n):
    """Sort ``rows[:n]`` by their first column, in place (Shell sort: a few lines
    to compile, where ``np.argsort``'s quicksort costs most of a second)."""
    gap = n // 2
    while gap > 0:
        for j in range(gap, n):
            a, b = rows[j, 0], rows[j, 1]
            k = j
            while k >= gap and rows[k - gap, 0] > a:
                rows[k, 0], rows[k, 1] = rows[k - gap, 0], rows[k - gap, 1]
                k -= gap
            rows[k, 0], rows[k, 1] = a, b
        gap //= 2


@numba.njit(**JIT)
def _compact(small, n):
    """Sort the first n pieces and merge those within FLAT_WIDTH of each other; the new count.

    The order of pieces with equal starts does not matter: merging keeps the
    largest end.  Row k <= j is written only after row j was read.
    """
    _sort_by_start(small, n)
    k = 0
    for j in range(n):
        if k > 0 and small[j, 0] <= small[k - 1, 1] + FLAT_WIDTH:
            small[k - 1, 1] = max(small[k - 1, 1], small[j, 1])
        else:
            small[k, 0], small[k, 1] = small[j, 0], small[j, 1]
            k += 1
    return k


@numba.njit(**JIT)
def isolate(p, x, reg, lo, hi, roots, unresolved):
    """Isolate the roots of F in [lo, hi]; returns (number of roots, number unresolved).

    ``roots`` (K, 2) receives certified enclosures (exactly one root each),
    ``unresolved`` (K, 2) the clusters that could not be decided.  More than K
    of either: the count returned exceeds K and the caller must refuse.
    """
    scratch = np.empty(6)
    stack = np.empty((4400, 2))  # depth: bisection down to single floats near 0
    small = np.empty((4096, 2))
    nstack, nroots, nunres, steps = 1, 0, 0, 0
    nsmall = np.int64(0)  # a value, not the literal 0: one compiled _compact, not two
    stack[0, 0], stack[0, 1] = lo, hi
    while nstack > 0:
        nstack -= 1
        a, b = stack[nstack, 0], stack[nstack, 1]
        steps += 1
        if steps > MAX_STEPS or nstack >= stack.shape[0] - 2:
            if nsmall == small.shape[0]:
                nsmall = _compact(small, nsmall)
            if nsmall < small.shape[0]:
                small[nsmall, 0], small[nsmall, 1] = a, b
                nsmall += 1
            else:
                unresolved[0, 0], unresolved[0, 1] = lo, hi
                return nroots, 1
            continue
        while True:
            evaluate(p, x, reg, a, b, scratch)
            if scratch[0] > 0.0 or scratch[1] < 0.0:
                break  # F excludes 0: no root
            nlo, nhi, ok = _newton(p, x, reg, a, b, scratch)
            if ok:
                if a < nlo and nhi < b:  # exactly one root in [a, b]
                    rlo, rhi = _refine(p, x, reg, nlo, nhi, scratch)
                    if nroots < roots.shape[0]:
                        roots[nroots, 0], roots[nroots, 1] = rlo, rhi
                    nroots += 1
                    break
                nlo, nhi = max(a, nlo), min(b, nhi)
                if nlo > nhi:
                    break  # every root of [a, b] lies in the empty Newton image
                if nhi - nlo < 0.5 * (b - a):  # the rest of [a, b] is root-free
                    a, b = nlo, nhi
                    continue
                # Newton stalls, but F is strictly monotone on [a, b]: the signs at its
                # ends decide
                sa = _sign_at(p, x, reg, a, scratch)
                sb = _sign_at(p, x, reg, b, scratch)
                if sa != 0 and sb == sa:
                    break  # no root
                if sa != 0 and sb == -sa:  # exactly one root, inside (a, b)
                    ra, rb = _bracket(p, x, reg, a, b, sa, scratch)
                    rlo, rhi = _refine(p, x, reg, ra, rb, scratch)
                    if nroots < roots.shape[0]:
                        roots[nroots, 0], roots[nroots, 1] = rlo, rhi
                    nroots += 1
                    break
            mid = a + _SPLIT * (b - a)
            if not a < mid < b or (b - a < FLAT_WIDTH and _flat(p, x, reg, a, mid, b, scratch)):
                if nsmall == small.shape[0]:
                    nsmall = _compact(small, nsmall)
                if nsmall < small.shape[0]:
                    small[nsmall, 0], small[nsmall, 1] = a, b
                    nsmall += 1
                else:  # thousands of separate clusters: one cluster of everything
                    unresolved[0, 0], unresolved[0, 1] = lo, hi
                    return nroots, 1
                break
            stack[nstack, 0], stack[nstack, 1] = a, mid
            stack[nstack + 1, 0], stack[nstack + 1, 1] = mid, b
            nstack += 2
            break
    nsmall = _compact(small, nsmall)
    for k in range(nsmall):
        ca, cb = small[k, 0], small[k, 1]
        rlo, rhi, ok = _inflate(p, x, reg, ca, cb, scratch)
        if ok:
            if nroots < roots.shape[0]:
                roots[nroots, 0], roots[nroots, 1] = rlo, rhi
            nroots += 1
        else:
            if nunres < unresolved.shape[0]:
                unresolved[nunres, 0], unresolved[nunres, 1] = ca, cb
            nunres += 1
    return nroots, nunres

