"""Interval enclosures of the fixed-point function of an n-unit cell over boxes, and the Krawczyk test (private).

The compiled form of the interval code documented in
fastlstm/dynamics/krawczyk.py (which keeps the NumPy version's description;
tests/naive_krawczyk.py is that NumPy version, the oracle): the same
operations in the same order, each end widened outward as intervals.py does
(intervals.py's ``add``, ``sub``, ``mul``, ``div``: 2**-50 relative plus
2**-1022 absolute; NaN -> the whole line), the activations from the compiled sigmoid and tanh with
their proved error bound (``sigmoid_parts``, ``itanh``, ``tanh_slope``), and
point-matrix-times-box products in midpoint-radius form with Higham's
gamma_(q+2) bound, which holds for any order of summation with or without
fused multiply-adds (Numba's ``contract``) and so for LLVM's code.

One kernel, ``boxes``, self-contained (the interval helpers are small and
LLVM inlines them; each activation has one call site): for every box it runs
one operation, ``KRAWCZYK`` (the test), ``NEWTON`` (float Newton steps on the
midpoint of the enclosures at a point) or ``ENCLOSE`` (F and c over the box).
The inverse of the midpoint Jacobian is a float approximation (Gauss-Jordan
with partial pivoting; 0 where singular, then K = X): Krawczyk's theorem
holds for any matrix Y.  Kernels assume clean input and write into arrays
they are given.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .._config import JIT
from .intervals import add, div, down, itanh, mul, sigmoid_parts, sub, tanh_slope, up

KRAWCZYK = 0
NEWTON = 1
ENCLOSE = 2

_PAD = 2.0 ** -50
_TINY = 2.0 ** -1022     # intervals.py's absolute widening (a normal float: no microcode assists)
_U = 2.0 ** -53
_INF = math.inf


@numba.njit(**JIT)
def _gamma(q):
    return (q + 2) * _U / (1.0 - (q + 2) * _U)


@numba.njit(**JIT)
def _inverse(A, Y, work):
    """Y = a float inverse of A (n, n) by Gauss-Jordan with partial pivoting; 0 if singular.

    Returns False where singular (or not finite).
    """
    n = A.shape[0]
    for j in range(n):
        for k in range(n):
            work[j, k] = A[j, k]
            Y[j, k] = 1.0 if j == k else 0.0
    for col in range(n):
        piv = col
        best = abs(work[col, col])
        for r in range(col + 1, n):
            if abs(work[r, col]) > best:
                best = abs(work[r, col])
                piv = r
        if not best > 0.0 or not best < _INF:
            Y[:, :] = 0.0
            return False
        if piv != col:
            for k in range(n):
                work[col, k], work[piv, k] = work[piv, k], work[col, k]
                Y[col, k], Y[piv, k] = Y[piv, k], Y[col, k]
        inv = 1.0 / work[col, col]
        for k in range(n):
            work[col, k] *= inv
            Y[col, k] *= inv
        for r in range(n):
            if r != col:
                a = work[r, col]
                if a != 0.0:
                    for k in range(n):
                        work[r, k] -= a * work[col, k]
                        Y[r, k] -= a * Y[col, k]
    for j in range(n):
        for k in range(n):
            if not abs(Y[j, k]) < _INF:
                Y[:, :] = 0.0
                return False
    return True


@numba.njit(**JIT)
def boxes(W, ulo, uhi, lo, hi, op, steps, state, out_lo, out_hi, c_lo, c_hi):
    """One operation on every box ``[lo[b], hi[b]]`` (B, n) of h.

    ``W`` is W_hh (4n, n), ``[ulo, uhi]`` the enclosure of ``W_ih x + b`` (4n,).

    * ``op == KRAWCZYK``: ``state[b]`` 0 (no zero in the box: F excludes 0 in
      some unit, or K misses the box), 1 (exactly one: K inside the interior),
      2 (undecided); ``out`` = K & X.
    * ``op == NEWTON``: at most ``steps`` float Newton steps on the midpoints of
      F and F' from ``lo[b]`` (``hi`` unused), fewer where a step moves by at
      most 1e-16 (1 + max |h|) or the Jacobian is singular; ``out_lo`` = the
      point reached.
    * ``op == ENCLOSE``: ``out`` = the enclosure of F over the box, ``c`` that
      of c = i g / (1 - f).
    """
    n = W.shape[1]
    rows = 4 * n
    WT = np.ascontiguousarray(W.T)          # (n, 4n): the loops over rows run on contiguous memory
    absWT = np.abs(WT)
    xlo = np.empty(n)
    xhi = np.empty(n)
    mid = np.empty(n)
    rad = np.empty(n)
    zc = np.empty(rows)
    zr = np.empty(rows)
    alo = np.empty(5 * n)                   # activation inputs: z (4n), then c (n)
    ahi = np.empty(5 * n)
    act = np.empty((5 * n, 6))              # value lo, hi, complement lo, hi, slope lo, hi
    Flo = np.empty((2, n))                  # [0]: over the box, [1]: at the midpoint
    Fhi = np.empty((2, n))
    Jlo = np.empty((2, n, n))
    Jhi = np.empty((2, n, n))
    clo = np.empty(n)
    chi = np.empty(n)
    coef = np.empty((4, 2, n))              # per gate (i, f, g, o): the interval factor of W
    Jm = np.empty((n, n))
    Y = np.empty((n, n))
    work = np.empty((n, n))
    m = np.empty(n)
    Mc = np.empty(n)
    Mr = np.empty(n)
    g = _gamma(n)
    for b in range(lo.shape[0]):
        evals = 2 if op == KRAWCZYK else (steps if op == NEWTON else 1)
        if op == NEWTON:
            for j in range(n):
                m[j] = lo[b, j]
        for ev in range(evals):
            slot = 1 if (op == KRAWCZYK and ev == 1) or op == NEWTON else 0
            for j in range(n):
                if op == NEWTON:
                    xlo[j] = m[j]
                    xhi[j] = m[j]
                elif ev == 1:   # the Krawczyk test's midpoint, clipped into the box
                    v = min(max(0.5 * lo[b, j] + 0.5 * hi[b, j], lo[b, j]), hi[b, j])
                    m[j] = v
                    xlo[j] = v
                    xhi[j] = v
                else:
                    xlo[j] = lo[b, j]
                    xhi[j] = hi[b, j]
            # z = W x + u in midpoint-radius form, then + u outward
            for j in range(n):
                mid[j] = 0.5 * xlo[j] + 0.5 * xhi[j]
                rad[j] = up(max(xhi[j] - mid[j], mid[j] - xlo[j]), _PAD)
            for k in range(rows):
                zc[k] = 0.0
                zr[k] = 0.0
            for j in range(n):
                mj = mid[j]
                wj = up(g * abs(mj), _PAD) + rad[j]
                for k in range(rows):
                    zc[k] += WT[j, k] * mj
                    zr[k] += absWT[j, k] * wj
            for k in range(rows):
                radius = zr[k] * (1.0 + 2.0 * g) + n * _TINY
                if not abs(zc[k]) < _INF or not radius < _INF:
                    zl, zh = -_INF, _INF
                else:
                    zl = down(zc[k] - radius, _PAD)
                    zh = up(zc[k] + radius, _PAD)
                    if zl != zl or zh != zh:
                        zl, zh = -_INF, _INF
                alo[k], ahi[k] = add(zl, zh, ulo[k], uhi[k])
            # the activations, one call site each: rows of z, then (k = 4n) c
            for k in range(5 * n):
                if k == rows:
                    for u in range(n):   # c = i g / (1 - f)
                        ig = mul(act[u, 0], act[u, 1], act[2 * n + u, 0], act[2 * n + u, 1])
                        cl, ch = div(ig[0], ig[1], act[n + u, 2], act[n + u, 3])
                        clo[u] = cl
                        chi[u] = ch
                        alo[rows + u] = cl
                        ahi[rows + u] = ch
                zl = alo[k]
                zh = ahi[k]
                if (2 * n <= k < 3 * n) or k >= rows:
                    if zl != zl or zh != zh:
                        act[k, 0], act[k, 1], act[k, 4], act[k, 5] = -1.0, 1.0, 0.0, 1.0
                    else:
                        act[k, 0], act[k, 1] = itanh(zl, zh)
                        act[k, 4], act[k, 5] = tanh_slope(zl, zh)
                    act[k, 2] = 0.0
                    act[k, 3] = 0.0
                else:
                    parts = sigmoid_parts(zl, zh)
                    for p in range(6):
                        act[k, p] = parts[p]
            for u in range(n):
                t0, t1 = act[rows + u, 0], act[rows + u, 1]
                o0, o1 = act[3 * n + u, 0], act[3 * n + u, 1]
                ot = mul(o0, o1, t0, t1)
                Flo[slot, u], Fhi[slot, u] = sub(ot[0], ot[1], xlo[u], xhi[u])
                s0, s1 = act[n + u, 2], act[n + u, 3]
                i0, i1 = act[u, 0], act[u, 1]
                g0, g1 = act[2 * n + u, 0], act[2 * n + u, 1]
                P = mul(o0, o1, act[rows + u, 4], act[rows + u, 5])
                coef[3, 0, u], coef[3, 1, u] = mul(act[3 * n + u, 4], act[3 * n + u, 5], t0, t1)
                a = mul(act[u, 4], act[u, 5], g0, g1)                  # di g
                q = div(a[0], a[1], s0, s1)
                coef[0, 0, u], coef[0, 1, u] = mul(P[0], P[1], q[0], q[1])
                a = mul(i0, i1, act[2 * n + u, 4], act[2 * n + u, 5])  # i dg
                q = div(a[0], a[1], s0, s1)
                coef[2, 0, u], coef[2, 1, u] = mul(P[0], P[1], q[0], q[1])
                a = mul(clo[u], chi[u], act[n + u, 4], act[n + u, 5])  # c df
                q = div(a[0], a[1], s0, s1)
                coef[1, 0, u], coef[1, 1, u] = mul(P[0], P[1], q[0], q[1])
            # J = sum over gates (o, i, g, f) of coef * W_gate - I, rows by unit
            for u in range(n):
                for j in range(n):
                    w = W[3 * n + u, j]
                    jl, jh = mul(coef[3, 0, u], coef[3, 1, u], w, w)
                    for gate in (0, 2, 1):
                        w = W[gate * n + u, j]
                        tl, th = mul(coef[gate, 0, u], coef[gate, 1, u], w, w)
                        jl, jh = add(jl, jh, tl, th)
                    e = 1.0 if u == j else 0.0
                    Jlo[slot, u, j], Jhi[slot, u, j] = sub(jl, jh, e, e)
            if op == NEWTON:
                # h -= F'(h)^-1 F(h) on the midpoints; stop where singular
                for u in range(n):
                    for j in range(n):
                        Jm[u, j] = 0.5 * Jlo[1, u, j] + 0.5 * Jhi[1, u, j]
                if not _inverse(Jm, Y, work):
                    break
                for u in range(n):
                    Mc[u] = 0.5 * Flo[1, u] + 0.5 * Fhi[1, u]
                for u in range(n):
                    t = 0.0
                    for j in range(n):
                        t += Y[u, j] * Mc[j]
                    rad[u] = t
                moved = 0.0
                size = 0.0
                for u in range(n):
                    m[u] -= rad[u]
                    moved = max(moved, abs(rad[u]))
                    size = max(size, abs(m[u]))
                if moved <= 1e-16 * (1.0 + size):   # converged to rounding level
                    break
        if op == NEWTON:
            for j in range(n):
                out_lo[b, j] = m[j]
                out_hi[b, j] = m[j]
            continue
        if op == ENCLOSE:
            for j in range(n):
                out_lo[b, j] = Flo[0, j]
                out_hi[b, j] = Fhi[0, j]
                c_lo[b, j] = clo[j]
                c_hi[b, j] = chi[j]
            continue
        # the Krawczyk test: K = m - Y F(m) + (I - Y F'(X)) (X - m)
        empty = False
        for u in range(n):
            if Flo[0, u] > 0.0 or Fhi[0, u] < 0.0:
                empty = True
        for u in range(n):
            for j in range(n):
                Jm[u, j] = 0.5 * Jlo[1, u, j] + 0.5 * Jhi[1, u, j]
        _inverse(Jm, Y, work)
        # Y F(m): midpoint-radius, q = n
        for j in range(n):
            mid[j] = 0.5 * Flo[1, j] + 0.5 * Fhi[1, j]
            rad[j] = up(max(Fhi[1, j] - mid[j], mid[j] - Flo[1, j]), _PAD)
        for u in range(n):
            t = 0.0
            r = 0.0
            for j in range(n):
                t += Y[u, j] * mid[j]
                r += abs(Y[u, j]) * (up(g * abs(mid[j]), _PAD) + rad[j])
            r = r * (1.0 + 2.0 * g) + n * _TINY
            if not abs(t) < _INF or not r < _INF:
                Mc[u], Mr[u] = -_INF, _INF
            else:
                Mc[u] = down(t - r, _PAD)
                Mr[u] = up(t + r, _PAD)
                if Mc[u] != Mc[u] or Mr[u] != Mr[u]:
                    Mc[u], Mr[u] = -_INF, _INF
        # I - Y F'(X): midpoint-radius, its magnitude into work
        for u in range(n):
            for j in range(n):
                Jm[u, j] = 0.5 * Jlo[0, u, j] + 0.5 * Jhi[0, u, j]   # now F'(X)'s midpoint
                Jlo[1, u, j] = up(max(Jhi[0, u, j] - Jm[u, j], Jm[u, j] - Jlo[0, u, j]), _PAD)
                Jhi[1, u, j] = up(g * abs(Jm[u, j]), _PAD) + Jlo[1, u, j]
        for u in range(n):
            for j in range(n):
                work[u, j] = 0.0
                Jlo[0, u, j] = 0.0       # the radius sums
            for p in range(n):
                y = Y[u, p]
                ay = abs(y)
                for j in range(n):
                    work[u, j] += y * Jm[p, j]
                    Jlo[0, u, j] += ay * Jhi[1, p, j]
        for u in range(n):
            for j in range(n):
                r = Jlo[0, u, j] * (1.0 + 2.0 * g) + n * _TINY
                t = work[u, j]
                if not abs(t) < _INF or not r < _INF:
                    work[u, j] = _INF
                    continue
                yl = down(t - r, _PAD)
                yh = up(t + r, _PAD)
                if yl != yl or yh != yh:
                    work[u, j] = _INF
                    continue
                e = 1.0 if u == j else 0.0
                ml, mh = sub(e, e, yl, yh)
                work[u, j] = max(abs(ml), abs(mh))
        # R = |I - Y F'(X)| r, an upper bound of the float sum; K = m - Y F(m) +- R
        inside = True
        miss = False
        for j in range(n):
            rad[j] = max(up(hi[b, j] - m[j], _PAD), up(m[j] - lo[b, j], _PAD))
        for u in range(n):
            t = 0.0
            for j in range(n):
                t += work[u, j] * rad[j]
            R = t * (1.0 + 2.0 * g) + n * _TINY
            kl, kh = sub(m[u], m[u], Mc[u], Mr[u])
            kl = down(kl - R, _PAD)
            kh = up(kh + R, _PAD)
            if kl != kl or kh != kh:
                kl, kh = -_INF, _INF
            if not (kl > lo[b, u] and kh < hi[b, u]):
                inside = False
            if kl > hi[b, u] or kh < lo[b, u]:
                miss = True
            out_lo[b, u] = max(kl, lo[b, u])
            out_hi[b, u] = min(kh, hi[b, u])
        state[b] = 0 if (miss or empty) else (1 if inside else 2)
