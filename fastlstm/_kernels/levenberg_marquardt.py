"""Levenberg-Marquardt on q(s) = 1/2 |step(s) - s|**2 over many starts of an n-unit cell (private).

The search of fastlstm/dynamics/networks.py (``minimise_q``) runs one
iteration over every live start per call of two small kernels, in a Python
loop (a few dozen iterations): ``propose`` (the damped step) and
``evaluate`` (the step, its residual and Jacobian at the trial; keep it if
it lowers q, adjust the damping, end converged starts).  Small
kernels compile fast (one monolith of the same code took 3 s); each is
self-contained (it calls nothing of fastlstm's: the same bits compiled here
or loaded from the cache), with one specialisation (float64, C-ordered).
Nothing here is certified (the Krawczyk test is): the step uses ``math.exp``
(five per unit: tanh and its slope come from one).

The state is s = (h, c) (2n), the step ``c' = f c + i g``, ``h' = o tanh(c')``
with ``z = W_hh h + u`` (rows i, f, g, o; ``u = W_ih x + b``).  Each iteration
solves the damped normal equations

    (A^T A + lam (diag(A^T A) + 1e-12 (1 + max diag))) delta = -A^T r,

A = J - I (J the step's Jacobian), r = step(s) - s, with structure rather
than a dense 2n x 2n solve: J's columns for c are diagonal
(``dh'/dc = diag(o tanh'(c') f)``, ``dc'/dc = diag(f)``), so with
G = [dh'/dh - I; dc'/dh] (2n x n) and K = [diag(d1); diag(e)], d1 = o tanh'(c') f,
e = f - 1, A = [G K], A^T A = [[G^T G, G^T K], [K^T G, diag(d1**2 + e**2)]].
The c block is diagonal, so c is eliminated unit by unit: the Schur complement
is ``G^T M G`` + damping with M = I - K D^-1 K^T made of 2 x 2 blocks
I - v v^T / D_k (v = (d1_k, e_k)), each the square of I - a v v^T, so it is
``H^T H`` with H = (I - a v v^T) G, row pairs k, n + k: about n**3 + n**3/3
multiply-adds a step (a Cholesky of n x n) instead of ~10 n**3 for the dense
2n system.  A Cholesky that fails (not positive definite to float64) takes
the step ``-A^T r / (1 + lam)``.

Kernels assume clean input and write into arrays they are given.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .._config import JIT


@numba.njit(**JIT)
def evaluate(W, WT, u, trial, first, live, s, r, G, d, q, lam, moved, gmax):
    """The step at each live row of ``trial`` (B, 2n), kept where it lowers q; returns how
    many starts are still live.

    Kept means: ``s = trial``, ``r = step(s) - s`` (B, 2n), ``q = |r|**2 / 2``,
    G (B, 2n, n) and ``d`` (B, 2, n) = (d1, e) of the module docstring.  With
    ``first`` every row is kept and nothing else changes.  Otherwise lam
    becomes lam / 3 (at least 1e-12) after a kept trial, lam * 4 after one
    that is not, and a start ends when q < 1e-32, its step (``moved``) was at
    most 1e-15 (1 + max |s|), lam > 1e12, the gradient (``gmax``) is below
    1e-30, or a step failed to lower a residual already at rounding level, at
    most 1e-14 (1 + max |s|) (damping it more only repeats the point).
    ``W`` is W_hh (4n, n), ``WT`` its transpose (C-ordered), ``u`` the constant part of z.
    """
    n = W.shape[1]
    n2 = 2 * n
    z = np.empty(4 * n)
    rt = np.empty(n2)
    Gt = np.empty((n2, n))
    dt2 = np.empty((2, n))
    left = 0
    for b in range(trial.shape[0]):
        if not live[b]:
            continue
        for k in range(4 * n):
            z[k] = u[k]
        for j in range(n):
            hj = trial[b, j]
            for k in range(4 * n):
                z[k] += WT[j, k] * hj
        qv = 0.0
        for k in range(n):
            zi, zf, zg, zo = z[k], z[n + k], z[2 * n + k], z[3 * n + k]
            ei, ef, eo = math.exp(-abs(zi)), math.exp(-abs(zf)), math.exp(-abs(zo))
            # sigmoid(z) and sigmoid(-z), each without cancellation
            i, ni = (1.0 / (1.0 + ei), ei / (1.0 + ei)) if zi >= 0.0 else (ei / (1.0 + ei), 1.0 / (1.0 + ei))
            f, nf = (1.0 / (1.0 + ef), ef / (1.0 + ef)) if zf >= 0.0 else (ef / (1.0 + ef), 1.0 / (1.0 + ef))
            o, no = (1.0 / (1.0 + eo), eo / (1.0 + eo)) if zo >= 0.0 else (eo / (1.0 + eo), 1.0 / (1.0 + eo))
            # tanh and its slope from one exp: e = exp(-2|z|), tanh = sign(z) (1 - e) / (1 + e)
            # (absolute error ~1e-16, all the residual needs), tanh' = 4 e / (1 + e)**2
            eg = math.exp(-2.0 * abs(zg))
            g = math.copysign((1.0 - eg) / (1.0 + eg), zg)
            dg = 4.0 * eg / ((1.0 + eg) * (1.0 + eg))
            c0 = trial[b, n + k]
            c1 = f * c0 + i * g
            ec = math.exp(-2.0 * abs(c1))
            t = math.copysign((1.0 - ec) / (1.0 + ec), c1)
            dt = 4.0 * ec / ((1.0 + ec) * (1.0 + ec))
            r0 = o * t - trial[b, k]
            r1 = c1 - c0
            rt[k] = r0
            rt[n + k] = r1
            qv += r0 * r0 + r1 * r1
            cf, ci, cg = f * nf * c0, i * ni * g, i * dg   # dc'/dh = cf W_f + ci W_i + cg W_g
            P = o * dt
            co = o * no * t                                # dh'/dh = co W_o + P dc'/dh
            for j in range(n):
                dc = cf * W[n + k, j] + ci * W[k, j] + cg * W[2 * n + k, j]
                Gt[n + k, j] = dc
                Gt[k, j] = co * W[3 * n + k, j] + P * dc
            Gt[k, k] -= 1.0
            dt2[0, k] = P * f
            dt2[1, k] = f - 1.0
        qv *= 0.5
        better = first or qv < q[b]
        if better:
            for j in range(n2):     # loops, not slices: slice assignment compiles slowly
                s[b, j] = trial[b, j]
                r[b, j] = rt[j]
                for k in range(n):
                    G[b, j, k] = Gt[j, k]
            for k in range(n):
                d[b, 0, k] = dt2[0, k]
                d[b, 1, k] = dt2[1, k]
            q[b] = qv
        if first:
            left += 1
            continue
        if better:
            # near a zero (q <= 1e-10) the damping goes to its floor: Gauss-Newton steps,
            # quadratic convergence instead of a linear tail (a minimum with q above
            # 1e-10, a slow point, is reached exactly as with lam / 3)
            lam[b] = max(lam[b] / 3.0, 1e-12) if qv > 1e-10 else 1e-12
        else:
            lam[b] *= 4.0
        smax = 0.0
        rmax = 0.0
        for j in range(n2):
            smax = max(smax, abs(s[b, j]))
            rmax = max(rmax, abs(r[b, j]))
        stalled = not better and rmax <= 1e-14 * (1.0 + smax)
        if (q[b] < 1e-32 or moved[b] <= 1e-15 * (1.0 + smax) or lam[b] > 1e12
                or gmax[b] < 1e-30 or stalled):
            live[b] = False
        else:
            left += 1
    return left


@numba.njit(**JIT)
def propose(G, d, r, lam, live, s, trial, moved, gmax):
    """The damped step from each live row of ``s``: ``trial = s + delta`` (h clipped to
    [-1, 1]), ``moved = max |delta|``, ``gmax = max |A^T r|`` (module docstring)."""
    n = G.shape[2]
    n2 = 2 * n
    grad = np.empty(n2)
    diag = np.empty(n2)
    H = np.empty((n2, n))
    S = np.empty((n, n))
    w = np.empty((n, n))
    x = np.empty(n)
    delta = np.empty(n2)
    for b in range(s.shape[0]):
        if not live[b]:
            continue
        lb = lam[b]
        for j in range(n):
            diag[j] = 0.0
            grad[j] = 0.0
        for rr in range(n2):
            rv = r[b, rr]
            for j in range(n):
                gv = G[b, rr, j]
                diag[j] += gv * gv
                grad[j] += gv * rv
        for k in range(n):
            a1, a2 = d[b, 0, k], d[b, 1, k]
            diag[n + k] = a1 * a1 + a2 * a2
            grad[n + k] = a1 * r[b, k] + a2 * r[b, n + k]
        dmax = 0.0
        gm = 0.0
        for j in range(n2):
            dmax = max(dmax, diag[j])
            gm = max(gm, abs(grad[j]))
        gmax[b] = gm
        floor = 1e-12 * (1.0 + dmax)
        # Schur complement on the diagonal c block: S = H^T H + damping
        for k in range(n):
            a1, a2 = d[b, 0, k], d[b, 1, k]
            kk = diag[n + k]
            Dk = kk + lb * (kk + floor)
            alpha = 1.0 / (Dk * (1.0 + math.sqrt(max(0.0, 1.0 - kk / Dk))))
            for j in range(n):
                wj = a1 * G[b, k, j] + a2 * G[b, n + k, j]
                w[k, j] = wj
                H[k, j] = G[b, k, j] - alpha * a1 * wj
                H[n + k, j] = G[b, n + k, j] - alpha * a2 * wj
        # S: the whole square for small n (cheaper than slices there); the Cholesky reads the upper half
        for j in range(n):
            for l in range(n):
                S[j, l] = 0.0
            S[j, j] = lb * (diag[j] + floor)
            x[j] = -grad[j]
        if n < 64:
            for rr in range(n2):
                for j in range(n):
                    hj = H[rr, j]
                    for l in range(n):
                        S[j, l] += hj * H[rr, l]
        else:   # the upper half only, along row slices (these vectorise; S[j, l] from l = j does not)
            for rr in range(n2):
                Hr = H[rr]
                for j in range(n):
                    hj = Hr[j]
                    Sj = S[j, j:]
                    Hs = Hr[j:]
                    for l in range(Sj.shape[0]):
                        Sj[l] += hj * Hs[l]
        for k in range(n):
            gk = grad[n + k] / (diag[n + k] + lb * (diag[n + k] + floor))
            for j in range(n):
                x[j] += w[k, j] * gk
        # Cholesky S = R^T R in the upper triangle, right-looking (the updates
        # run along rows: SIMD without reassociating sums), then two solves
        ok = True
        for j in range(n):
            v = S[j, j]
            if not (v > 0.0 and v < math.inf):
                ok = False
                break
            v = math.sqrt(v)
            S[j, j] = v
            for l in range(j + 1, n):
                S[j, l] /= v
            for l in range(j + 1, n):
                rjl = S[j, l]
                Sl = S[l, l:]
                Rj = S[j, l:]
                for p in range(Sl.shape[0]):
                    Sl[p] -= rjl * Rj[p]
        if ok:
            for j in range(n):          # R^T y = rhs
                x[j] /= S[j, j]
                for p in range(j + 1, n):
                    x[p] -= S[j, p] * x[j]
            for j in range(n - 1, -1, -1):   # R x = y
                t = x[j]
                for p in range(j + 1, n):
                    t -= S[j, p] * x[p]
                x[j] = t / S[j, j]
            for k in range(n):
                t = -grad[n + k]
                for j in range(n):
                    t -= w[k, j] * x[j]
                delta[n + k] = t / (diag[n + k] + lb * (diag[n + k] + floor))
                delta[k] = x[k]
            for j in range(n2):
                if not abs(delta[j]) < math.inf:
                    ok = False
        if not ok:
            for j in range(n2):
                delta[j] = -grad[j] / (1.0 + lb)
        mv = 0.0
        for j in range(n2):
            v = s[b, j] + delta[j]
            if j < n:
                v = min(1.0, max(-1.0, v))
            trial[b, j] = v
            mv = max(mv, abs(delta[j]))
        moved[b] = mv
