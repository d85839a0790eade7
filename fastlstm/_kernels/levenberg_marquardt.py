"""Levenberg-Marquardt on q(s) = 1/2 |step(s) - s|**2 over many starts of an n-unit cell (private).

The search of fastlstm/dynamics/networks.py (``minimise_q``) is one kernel,
``minimise``, that runs the starts one after the other, each to its end
(the step, its residual and Jacobian at the trial; keep it if it lowers q,
adjust the damping, end a converged start; the damped step), so a start can
stop as soon as it comes near a zero an earlier one reached.  It is
self-contained (it calls nothing of fastlstm's: the same bits compiled here
or loaded from the cache), with one specialisation (float64, C-ordered),
and written without slices but in the Cholesky (Numba's slices cost compile
time; there they keep the row updates vectorised).  A start's iterations do
the same arithmetic whatever the other starts do.
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
def minimise(W, WT, u, s, run, share, near, zero_q, iterations, q, reach):
    """Levenberg-Marquardt from each row of ``s`` (B, 2n) with ``run`` set, start after
    start: ``s`` becomes the state reached, ``q`` its q, ``reach`` -1 or (with ``share``)
    the row of an earlier start whose zero (q <= ``zero_q``) this one's iterate came
    within ``near`` (1 + |s|) of, unit by unit, in h and c: it stops there.

    Each start (module docstring): lam starts at 1e-3 and becomes lam / 3 (at
    least 1e-12; 1e-12 at once where q <= 1e-10) after a step that lowers q, lam
    * 4 after one that does not; it ends after ``iterations`` steps, or when
    q < 1e-32, its step was at most 1e-15 (1 + max |s|), lam > 1e12, the gradient
    is below 1e-30, or a step failed to lower a residual already at rounding level,
    at most 1e-14 (1 + max |s|) (damping it more only repeats the point).
    ``W`` is W_hh (4n, n), ``WT`` its transpose (C-ordered), ``u`` the constant part of z.
    """
    n = W.shape[1]
    n2 = 2 * n
    z = np.empty(4 * n)
    cur = np.empty(n2)      # the state kept, its residual, G and d (module docstring)
    r = np.empty(n2)
    G = np.empty((n2, n))
    d = np.empty((2, n))
    trial = np.empty(n2)    # the same at the trial
    rt = np.empty(n2)
    Gt = np.empty((n2, n))
    dt2 = np.empty((2, n))
    grad = np.empty(n2)
    diag = np.empty(n2)
    H = np.empty((n2, n))
    S = np.empty((n, n))
    w = np.empty((n, n))
    x = np.empty(n)
    delta = np.empty(n2)
    zeros = np.empty(s.shape[0], dtype=np.int64)   # rows of the zeros reached so far
    nz = 0
    for b in range(s.shape[0]):
        reach[b] = -1
        if not run[b]:
            continue
        for j in range(n2):
            trial[j] = s[b, j]
        lam = 1e-3
        qb = 0.0
        moved = 0.0
        gmax = 0.0
        for it in range(iterations + 1):
            # the step, its residual and G, d at the trial
            for k in range(4 * n):
                z[k] = u[k]
            for j in range(n):
                hj = trial[j]
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
                c0 = trial[n + k]
                c1 = f * c0 + i * g
                ec = math.exp(-2.0 * abs(c1))
                t = math.copysign((1.0 - ec) / (1.0 + ec), c1)
                dt = 4.0 * ec / ((1.0 + ec) * (1.0 + ec))
                r0 = o * t - trial[k]
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
            better = it == 0 or qv < qb
            if better:    # loops, not slices: slice assignment compiles slowly
                for j in range(n2):
                    cur[j] = trial[j]
                    r[j] = rt[j]
                    for k in range(n):
                        G[j, k] = Gt[j, k]
                for k in range(n):
                    d[0, k] = dt2[0, k]
                    d[1, k] = dt2[1, k]
                qb = qv
            if it > 0:
                if better:
                    # near a zero (q <= 1e-10) the damping goes to its floor: Gauss-Newton steps,
                    # quadratic convergence instead of a linear tail (a minimum with q above
                    # 1e-10, a slow point, is reached exactly as with lam / 3)
                    lam = max(lam / 3.0, 1e-12) if qv > 1e-10 else 1e-12
                else:
                    lam *= 4.0
                smax = 0.0
                rmax = 0.0
                for j in range(n2):
                    smax = max(smax, abs(cur[j]))
                    rmax = max(rmax, abs(r[j]))
                stalled = not better and rmax <= 1e-14 * (1.0 + smax)
                if (qb < 1e-32 or moved <= 1e-15 * (1.0 + smax) or lam > 1e12
                        or gmax < 1e-30 or stalled or it == iterations):
                    break
            if share and better:
                for m in range(nz):
                    e = zeros[m]
                    close = True
                    for j in range(n2):
                        v = s[e, j]
                        if not abs(cur[j] - v) <= near * (1.0 + abs(v)):
                            close = False
                            break
                    if close:
                        reach[b] = e
                        break
                if reach[b] >= 0:
                    break
            # the damped step from cur (module docstring)
            for j in range(n):
                diag[j] = 0.0
                grad[j] = 0.0
            for rr in range(n2):
                rv = r[rr]
                for j in range(n):
                    gv = G[rr, j]
                    diag[j] += gv * gv
                    grad[j] += gv * rv
            for k in range(n):
                a1, a2 = d[0, k], d[1, k]
                diag[n + k] = a1 * a1 + a2 * a2
                grad[n + k] = a1 * r[k] + a2 * r[n + k]
            dmax = 0.0
            gmax = 0.0
            for j in range(n2):
                dmax = max(dmax, diag[j])
                gmax = max(gmax, abs(grad[j]))
            floor = 1e-12 * (1.0 + dmax)
            # Schur complement on the diagonal c block: S = H^T H + damping
            for k in range(n):
                a1, a2 = d[0, k], d[1, k]
                kk = diag[n + k]
                Dk = kk + lam * (kk + floor)
                alpha = 1.0 / (Dk * (1.0 + math.sqrt(max(0.0, 1.0 - kk / Dk))))
                for j in range(n):
                    wj = a1 * G[k, j] + a2 * G[n + k, j]
                    w[k, j] = wj
                    H[k, j] = G[k, j] - alpha * a1 * wj
                    H[n + k, j] = G[n + k, j] - alpha * a2 * wj
            # S: the whole square (fixed-length rows vectorise; the Cholesky reads the upper half)
            for j in range(n):
                for l in range(n):
                    S[j, l] = 0.0
                S[j, j] = lam * (diag[j] + floor)
                x[j] = -grad[j]
            for rr in range(n2):
                for j in range(n):
                    hj = H[rr, j]
                    for l in range(n):
                        S[j, l] += hj * H[rr, l]
            for k in range(n):
                gk = grad[n + k] / (diag[n + k] + lam * (diag[n + k] + floor))
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
                    delta[n + k] = t / (diag[n + k] + lam * (diag[n + k] + floor))
                    delta[k] = x[k]
                for j in range(n2):
                    if not abs(delta[j]) < math.inf:
                        ok = False
            if not ok:
                for j in range(n2):
                    delta[j] = -grad[j] / (1.0 + lam)
            moved = 0.0
            for j in range(n2):
                v = cur[j] + delta[j]
                if j < n:
                    v = min(1.0, max(-1.0, v))
                trial[j] = v
                moved = max(moved, abs(delta[j]))
        for j in range(n2):
            s[b, j] = cur[j]
        q[b] = qb
        if reach[b] < 0 and qb <= zero_q:
            zeros[nz] = b
            nz += 1
