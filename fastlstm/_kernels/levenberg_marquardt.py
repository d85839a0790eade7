"""Levenberg-Marquardt on q(s) = 1/2 |step(s) - s|**2 from many starts of an n-unit cell (private).

The search of fastlstm/dynamics/networks.py (``minimise_q``): the state is
s = (h, c) (2n), the step ``c' = f c + i g``, ``h' = o tanh(c')`` with
``z = W_hh h + u`` (rows i, f, g, o; ``u = W_ih x + b``), and each iteration
solves the damped normal equations

    (A^T A + lam (diag(A^T A) + 1e-12 (1 + max diag))) delta = -A^T r,

A = J - I (J the step's Jacobian), r = step(s) - s.  Nothing here is
certified (the Krawczyk test is, fastlstm/_kernels/krawczyk.py): the step
uses ``math.exp`` and ``math.tanh``.

Structure, not a dense 2n x 2n solve: J's columns for c are diagonal
(``dh'/dc = diag(o tanh'(c') f)``, ``dc'/dc = diag(f)``), so with
G = [dh'/dh - I; dc'/dh] (2n x n) and K = [diag(d1); diag(e)], d1 = o tanh'(c') f,
e = f - 1, A = [G K], A^T A = [[G^T G, G^T K], [K^T G, diag(d1**2 + e**2)]].
The c block is diagonal, so c is eliminated unit by unit: the Schur complement
is ``G^T M G`` + damping with M = I - K D^-1 K^T made of 2 x 2 blocks
I - v v^T / D_k (v = (d1_k, e_k)), each the square of I - a v v^T, so it is
``H^T H`` with H = (I - a v v^T) G, row pairs k, n + k: about n**3 + n**3/3
multiply-adds a step (a Cholesky of n x n) instead of ~10 n**3 for the
dense 2n system.  A Cholesky that fails (not positive definite to float64)
takes the step ``-A^T r / (1 + lam)``.

One self-contained kernel (no calls to other fastlstm functions: same bits
whether compiled here or loaded from the cache); starts are independent, one
after the other.  Kernels assume clean input and write into arrays they are given.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .._config import JIT


@numba.njit(**JIT)
def minimise_q(W, u, s, q, iterations):
    """Levenberg-Marquardt from each row of ``s`` (B, 2n), in place; q at the minima into ``q``.

    ``W`` is W_hh (4n, n), ``u`` the constant part of z (4n,).  Per start, as
    networks.minimise_q documents: lam starts at 1e-3, is divided by 3 after a
    step that lowers q (to at least 1e-12) and multiplied by 4 after one that
    does not; h of a trial is clipped to [-1, 1]; a start stops when q < 1e-32,
    the step moved by at most 1e-15 (1 + max |s|), lam > 1e12, the gradient
    is below 1e-30, a step failed to lower a residual of at most
    1e-14 (1 + max |s|) (rounding level), or after ``iterations`` steps.
    """
    n = W.shape[1]
    n2 = 2 * n
    WT = np.ascontiguousarray(W.T)
    # per evaluation (index 0: current point, 1: trial): residual, G, K
    r = np.empty((2, n2))
    G = np.empty((2, n2, n))
    d1 = np.empty((2, n))
    e = np.empty((2, n))
    qq = np.empty(2)
    z = np.empty(4 * n)
    st = np.empty((2, n2))
    grad = np.empty(n2)
    diag = np.empty(n2)
    H = np.empty((n2, n))
    S = np.empty((n, n))
    w = np.empty((n, n))
    rhs = np.empty(n)
    delta = np.empty(n2)
    for b in range(s.shape[0]):
        for j in range(n2):
            st[0, j] = s[b, j]
        lam = 1e-3
        cur = 0
        for it in range(iterations + 1):
            # evaluate at st[ev]: ev = cur first, then the trial
            ev = cur if it == 0 else 1 - cur
            if it > 0:
                # the damped step from st[cur] into st[ev]
                dmax = 0.0
                for j in range(n2):
                    diag[j] = 0.0
                for rr in range(n2):
                    for j in range(n):
                        diag[j] += G[cur, rr, j] * G[cur, rr, j]
                for k in range(n):
                    diag[n + k] = d1[cur, k] * d1[cur, k] + e[cur, k] * e[cur, k]
                for j in range(n2):
                    dmax = max(dmax, diag[j])
                floor = 1e-12 * (1.0 + dmax)
                for j in range(n):
                    grad[j] = 0.0
                for rr in range(n2):
                    rv = r[cur, rr]
                    for j in range(n):
                        grad[j] += G[cur, rr, j] * rv
                gmax = 0.0
                for k in range(n):
                    grad[n + k] = d1[cur, k] * r[cur, k] + e[cur, k] * r[cur, n + k]
                for j in range(n2):
                    gmax = max(gmax, abs(grad[j]))
                # Schur complement on the diagonal c block: S = H^T H + damping
                for k in range(n):
                    Dk = diag[n + k] + lam * (diag[n + k] + floor)
                    a1, a2 = d1[cur, k], e[cur, k]
                    kk = diag[n + k]
                    alpha = 1.0 / (Dk * (1.0 + math.sqrt(max(0.0, 1.0 - kk / Dk))))
                    for j in range(n):
                        wj = a1 * G[cur, k, j] + a2 * G[cur, n + k, j]
                        w[k, j] = wj
                        H[k, j] = G[cur, k, j] - alpha * a1 * wj
                        H[n + k, j] = G[cur, n + k, j] - alpha * a2 * wj
                for j in range(n):
                    for l in range(j, n):
                        S[j, l] = 0.0
                    S[j, j] = lam * (diag[j] + floor)
                for rr in range(n2):
                    for j in range(n):
                        hj = H[rr, j]
                        for l in range(j, n):
                            S[j, l] += hj * H[rr, l]
                for j in range(n):
                    rhs[j] = -grad[j]
                for k in range(n):
                    Dk = diag[n + k] + lam * (diag[n + k] + floor)
                    gk = grad[n + k] / Dk
                    for j in range(n):
                        rhs[j] += w[k, j] * gk
                # Cholesky S = R^T R in the upper triangle, right-looking (the
                # updates run along rows: SIMD without reassociating sums)
                ok = True
                for j in range(n):
                    v = S[j, j]
                    if not v > 0.0 or not v < math.inf:
                        ok = False
                        break
                    v = math.sqrt(v)
                    S[j, j] = v
                    for l in range(j + 1, n):
                        S[j, l] /= v
                    for l in range(j + 1, n):
                        rjl = S[j, l]
                        for p in range(l, n):
                            S[l, p] -= rjl * S[j, p]
                if ok:
                    for j in range(n):      # R^T y = rhs
                        rhs[j] /= S[j, j]
                        yj = rhs[j]
                        for p in range(j + 1, n):
                            rhs[p] -= S[j, p] * yj
                    for j in range(n - 1, -1, -1):   # R x = y
                        t = rhs[j]
                        for p in range(j + 1, n):
                            t -= S[j, p] * rhs[p]
                        rhs[j] = t / S[j, j]
                    for j in range(n):
                        delta[j] = rhs[j]
                    for k in range(n):
                        Dk = diag[n + k] + lam * (diag[n + k] + floor)
                        t = -grad[n + k]
                        for j in range(n):
                            t -= w[k, j] * rhs[j]
                        delta[n + k] = t / Dk
                    for j in range(n2):
                        if not abs(delta[j]) < math.inf:
                            ok = False
                if not ok:
                    for j in range(n2):
                        delta[j] = -grad[j] / (1.0 + lam)
                for j in range(n2):
                    st[ev, j] = st[cur, j] + delta[j]
                for j in range(n):
                    st[ev, j] = min(1.0, max(-1.0, st[ev, j]))
            # step and Jacobian at st[ev]
            for k in range(4 * n):
                z[k] = u[k]
            for j in range(n):
                hj = st[ev, j]
                for k in range(4 * n):
                    z[k] += WT[j, k] * hj
            qv = 0.0
            for k in range(n):
                zi, zf, zg, zo = z[k], z[n + k], z[2 * n + k], z[3 * n + k]
                ei, ef, eo = math.exp(-abs(zi)), math.exp(-abs(zf)), math.exp(-abs(zo))
                i = 1.0 / (1.0 + ei) if zi >= 0.0 else ei / (1.0 + ei)
                f = 1.0 / (1.0 + ef) if zf >= 0.0 else ef / (1.0 + ef)
                o = 1.0 / (1.0 + eo) if zo >= 0.0 else eo / (1.0 + eo)
                ni = ei / (1.0 + ei) if zi >= 0.0 else 1.0 / (1.0 + ei)   # sigmoid(-z)
                nf = ef / (1.0 + ef) if zf >= 0.0 else 1.0 / (1.0 + ef)
                no = eo / (1.0 + eo) if zo >= 0.0 else 1.0 / (1.0 + eo)
                g = math.tanh(zg)
                eg = math.exp(-2.0 * abs(zg))
                dg = 4.0 * eg / ((1.0 + eg) * (1.0 + eg))
                c0 = st[ev, n + k]
                c1 = f * c0 + i * g
                t = math.tanh(c1)
                ec = math.exp(-2.0 * abs(c1))
                dt = 4.0 * ec / ((1.0 + ec) * (1.0 + ec))
                h1 = o * t
                r0 = h1 - st[ev, k]
                r1 = c1 - c0
                r[ev, k] = r0
                r[ev, n + k] = r1
                qv += r0 * r0 + r1 * r1
                cf, ci, cg = f * nf * c0, i * ni * g, i * dg   # dc'/dh = cf Wf + ci Wi + cg Wg
                P = o * dt
                co = o * no * t                                # dh'/dh = co Wo + P dc'/dh
                for j in range(n):
                    dc = cf * W[n + k, j] + ci * W[k, j] + cg * W[2 * n + k, j]
                    G[ev, n + k, j] = dc
                    G[ev, k, j] = co * W[3 * n + k, j] + P * dc
                G[ev, k, k] -= 1.0
                d1[ev, k] = P * f
                e[ev, k] = f - 1.0
            qq[ev] = 0.5 * qv
            if it == 0:
                continue
            moved = 0.0
            smax = 0.0
            rmax = 0.0
            better = qq[ev] < qq[cur]
            if better:
                cur = ev
                lam = max(lam / 3.0, 1e-12)
            else:
                lam *= 4.0
            for j in range(n2):
                moved = max(moved, abs(delta[j]))
                smax = max(smax, abs(st[cur, j]))
                rmax = max(rmax, abs(r[cur, j]))
            # a step that does not lower a residual already at float64's rounding
            # level ends the start (damping it more only repeats the point)
            stalled = not better and rmax <= 1e-14 * (1.0 + smax)
            if (qq[cur] < 1e-32 or moved <= 1e-15 * (1.0 + smax) or lam > 1e12
                    or gmax < 1e-30 or stalled):
                break
        for j in range(n2):
            s[b, j] = st[cur, j]
        q[b] = qq[cur]
