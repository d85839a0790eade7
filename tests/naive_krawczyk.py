r"""The NumPy oracle of the Krawczyk test of fastlstm/dynamics/krawczyk.py: every interval in NumPy.

The package's implementation as it was before the Jacobian enclosure was
compiled (fastlstm/_kernels/krawczyk.py, midpoint-radius): here F' is
enclosed gate by gate in interval products and sums, each end widened
outward by 2**-50 relative plus 2**-1022 absolute; products of a point matrix
with a box are in midpoint-radius form with Higham's gamma_(q+2) bound.  The
activations come from the compiled sigmoid and tanh with their proved error
bound (fastlstm/_kernels/gate_bounds.py).  fastlstm/dynamics/krawczyk.py
documents the mathematics; only ``CellMap.enclose`` and ``krawczyk`` are used
by the tests (tests/dynamics/test_krawczyk_kernel.py).  ``minimise_q`` is the
NumPy Levenberg-Marquardt the search from starts ran before it was compiled.
"""


from __future__ import annotations

import numpy as np

_PAD = 2.0 ** -50
_TINY = 2.0 ** -1022  # the smallest normal: a subnormal costs a microcode assist
_U = 2.0 ** -53


def _down(x):
    return x - (np.abs(x) * _PAD + _TINY)


def _up(x):
    return x + (np.abs(x) * _PAD + _TINY)


def _clean(lo, hi):
    """NaN ends (inf - inf, 0 * inf) become the whole line."""
    bad = np.isnan(lo) | np.isnan(hi)
    if bad.any():
        lo = np.where(bad, -np.inf, lo)
        hi = np.where(bad, np.inf, hi)
    return lo, hi


def iadd(alo, ahi, blo, bhi):
    with np.errstate(invalid="ignore", over="ignore"):
        return _clean(_down(alo + blo), _up(ahi + bhi))


def isub(alo, ahi, blo, bhi):
    with np.errstate(invalid="ignore", over="ignore"):
        return _clean(_down(alo - bhi), _up(ahi - blo))


def imul(alo, ahi, blo, bhi):
    with np.errstate(invalid="ignore", over="ignore"):
        p = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
        lo = np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3]))
        hi = np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3]))
        bad = np.isnan(p[0]) | np.isnan(p[1]) | np.isnan(p[2]) | np.isnan(p[3])
        lo, hi = _down(lo), _up(hi)
    return np.where(bad, -np.inf, lo), np.where(bad, np.inf, hi)


def idiv(alo, ahi, blo, bhi):
    """``a / b``; the whole line where b may be 0."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        q = (alo / blo, alo / bhi, ahi / blo, ahi / bhi)
        lo = np.minimum(np.minimum(q[0], q[1]), np.minimum(q[2], q[3]))
        hi = np.maximum(np.maximum(q[0], q[1]), np.maximum(q[2], q[3]))
        bad = (blo <= 0.0) & (bhi >= 0.0)
        for v in q:
            bad = bad | np.isnan(v)
        lo, hi = _down(lo), _up(hi)
    return np.where(bad, -np.inf, lo), np.where(bad, np.inf, hi)


def _gamma(q):
    return (q + 2) * _U / (1.0 - (q + 2) * _U)


def _upper_sum(products, q):
    """An upper bound on the exact value of a float matmul of non-negative factors."""
    g = _gamma(q)
    return products * (1.0 + 2.0 * g) + q * _TINY


def pmatmul(A, lo, hi):
    """``A @ X`` for a point matrix A (p, q) and intervals ``lo, hi`` of shape (..., q, r)."""
    q = A.shape[-1]
    with np.errstate(invalid="ignore", over="ignore"):
        mid = 0.5 * lo + 0.5 * hi
        rad = _up(np.maximum(hi - mid, mid - lo))
        center = A @ mid
        radius = _upper_sum(np.abs(A) @ (_up(_gamma(q) * np.abs(mid)) + rad), q)
        out = _clean(_down(center - radius), _up(center + radius))
    bad = ~np.isfinite(center) | ~np.isfinite(radius)
    if bad.any():
        out = np.where(bad, -np.inf, out[0]), np.where(bad, np.inf, out[1])
    return out


def _activation(zlo, zhi, is_tanh):
    """Enclosures (value, complement, slope; each lo, hi) of an activation, elementwise."""
    from fastlstm._kernels.gate_bounds import activation_bounds

    shape = zlo.shape
    out = np.empty((zlo.size, 6))
    activation_bounds(np.ascontiguousarray(zlo, dtype=np.float64).ravel(),
                      np.ascontiguousarray(zhi, dtype=np.float64).ravel(), is_tanh, out)
    return [out[:, j].reshape(shape) for j in range(6)]


class CellMap:
    """The fixed-point function F of one cell and constant input, over boxes of h.

    ``W_hh`` (4n, n) and the enclosure ``u`` of ``W_ih x + b`` (b = b_ih + b_hh
    as the step adds it, ``LSTMCell.bias``) define the pre-activations
    ``z = W_hh h + u``, rows i, f, g, o.
    """

    def __init__(self, cell, x):
        self.n = n = cell.hidden_size
        self.W = np.ascontiguousarray(cell.W_hh, dtype=np.float64)
        b = cell.bias()
        x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
        ulo, uhi = pmatmul(np.asarray(cell.W_ih, dtype=np.float64), x, x)
        self.u = iadd(ulo[:, 0], uhi[:, 0], b, b)
        self.blocks = [self.W[k * n:(k + 1) * n] for k in range(4)]  # i, f, g, o

    def enclose(self, lo, hi, jacobian=True):
        """Enclosures over the boxes ``[lo, hi]`` (B, n): a dict with F, c and, if asked, J.

        Each value is a pair (lo, hi); J has shape (B, n, n).
        """
        n = self.n
        zlo, zhi = pmatmul(self.W, lo[..., None], hi[..., None])
        zlo, zhi = iadd(zlo[..., 0], zhi[..., 0], self.u[0], self.u[1])
        sig = _activation(np.concatenate([zlo[:, :2 * n], zlo[:, 3 * n:]], axis=1),
                          np.concatenate([zhi[:, :2 * n], zhi[:, 3 * n:]], axis=1), False)
        tg = _activation(zlo[:, 2 * n:3 * n], zhi[:, 2 * n:3 * n], True)

        def part(values, k, j):  # unit block k of the sigmoid rows (i, f, o) as (lo, hi)
            return values[j][:, k * n:(k + 1) * n], values[j + 1][:, k * n:(k + 1) * n]

        i, s, o = part(sig, 0, 0), part(sig, 1, 2), part(sig, 2, 0)
        g = (tg[0], tg[1])
        c = idiv(*imul(*i, *g), *s)
        tc = _activation(c[0], c[1], True)
        t = (tc[0], tc[1])
        F = isub(*imul(*o, *t), lo, hi)
        out = {"F": F, "c": c}
        if not jacobian:
            return out
        di, df, do = part(sig, 0, 4), part(sig, 1, 4), part(sig, 2, 4)
        dg, dt = (tg[4], tg[5]), (tc[4], tc[5])
        P = imul(*o, *dt)
        coef = {3: imul(*do, *t),                                       # W_o
                0: imul(*P, *idiv(*imul(*di, *g), *s)),                 # W_i
                2: imul(*P, *idiv(*imul(*i, *dg), *s)),                 # W_g
                1: imul(*P, *idiv(*imul(*c, *df), *s))}                 # W_f
        Jlo = Jhi = None
        for k, (alo, ahi) in coef.items():
            W = self.blocks[k][None]
            tlo, thi = imul(alo[..., None], ahi[..., None], W, W)
            Jlo, Jhi = (tlo, thi) if Jlo is None else iadd(Jlo, Jhi, tlo, thi)
        eye = np.eye(n)
        out["J"] = isub(Jlo, Jhi, eye, eye)
        return out


def krawczyk(cmap, lo, hi, inflate=0.0):
    """The Krawczyk test on boxes ``[lo, hi]`` (B, n).

    Returns ``(state, klo, khi)``: state 0 no zero in the box, 1 exactly one
    (K inside the interior), 2 undecided; ``K & X`` for the undecided.  With
    ``inflate`` > 0 the test runs on the box widened in every unit by that
    fraction of its largest width (and a few ulps): a box that contraction has
    flattened to a few ulps in some unit cannot hold K strictly inside, the
    widened one can; state 1 then says the *widened* box, returned as
    ``(klo, khi)``, holds exactly one zero, and states 0 and 2 are about it
    too (so about the box).
    """
    if inflate:
        pad = inflate * (hi - lo).max(axis=1, keepdims=True) + 1e-15 * (1.0 + np.abs(lo)
                                                                         + np.abs(hi))
        wlo, whi = _down(lo - pad), _up(hi + pad)
        state, klo, khi = krawczyk(cmap, wlo, whi)
        one = state == 1
        klo[one], khi[one] = wlo[one], whi[one]
        other = ~one
        klo[other], khi[other] = np.maximum(klo[other], lo[other]), np.minimum(khi[other],
                                                                               hi[other])
        return state, klo, khi
    B, n = lo.shape
    state = np.full(B, 2)
    wide = cmap.enclose(lo, hi)
    Flo, Fhi = wide["F"]
    empty = ((Flo > 0.0) | (Fhi < 0.0)).any(axis=1)
    m = np.clip(0.5 * lo + 0.5 * hi, lo, hi)
    at_m = cmap.enclose(m, m)
    Y = _inverses(0.5 * at_m["J"][0] + 0.5 * at_m["J"][1])
    YFlo, YFhi = pmatmul(Y, at_m["F"][0][..., None], at_m["F"][1][..., None])
    Mlo, Mhi = pmatmul(Y, *wide["J"])
    eye = np.eye(n)
    Mlo, Mhi = isub(eye, eye, Mlo, Mhi)
    mag = np.maximum(np.abs(Mlo), np.abs(Mhi))
    with np.errstate(invalid="ignore", over="ignore"):
        r = np.maximum(_up(hi - m), _up(m - lo))
        R = _upper_sum(mag @ r[..., None], n)[..., 0]
        klo, khi = isub(m, m, YFlo[..., 0], YFhi[..., 0])  # m - Y F(m)
        klo, khi = _clean(_down(klo - R), _up(khi + R))
    inside = ((klo > lo) & (khi < hi)).all(axis=1)
    miss = ((klo > hi) | (khi < lo)).any(axis=1)
    state[inside] = 1
    state[miss | empty] = 0
    return state, np.maximum(klo, lo), np.minimum(khi, hi)


def _inverses(J):
    """Float inverses of a stack of matrices; 0 for one that is singular (then K = X)."""
    try:
        Y = np.linalg.inv(J)
        if np.isfinite(Y).all():
            return Y
    except np.linalg.LinAlgError:
        pass
    Y = np.zeros_like(J)
    for k in range(J.shape[0]):
        try:
            inv = np.linalg.inv(J[k])
        except np.linalg.LinAlgError:
            continue
        if np.isfinite(inv).all():
            Y[k] = inv
    return Y


def minimise_q(cell, x, starts, iterations=200):
    """Levenberg-Marquardt on ``q = 1/2 |step(s) - s|**2`` from each row of ``starts`` (B, 2n),
    dense 2n x 2n normal equations in NumPy: the oracle of the compiled search
    (fastlstm/_kernels/levenberg_marquardt.py, which eliminates c and ends a start
    whose step fails at rounding level as well).

    Returns ``(s, q)``: the minima reached (h kept in [-1, 1]) and q there.
    """
    from fastlstm.dynamics.networks import step_and_jacobian

    n = cell.hidden_size
    s = np.array(starts, dtype=np.float64)
    lam = np.full(s.shape[0], 1e-3)
    active = np.ones(s.shape[0], dtype=bool)
    eye = np.eye(2 * n)

    def residual(states):
        h1, c1, J = step_and_jacobian(cell, x, states[:, :n], states[:, n:])
        return np.concatenate([h1, c1], axis=1) - states, J - eye

    r, A = residual(s)
    q = 0.5 * (r * r).sum(axis=1)
    for _ in range(iterations):
        k = np.flatnonzero(active)
        if k.size == 0:
            break
        Ak, rk = A[k], r[k]
        AtA = np.swapaxes(Ak, 1, 2) @ Ak
        grad = (np.swapaxes(Ak, 1, 2) @ rk[..., None])[..., 0]
        diag = np.einsum("bii->bi", AtA)
        damping = lam[k][:, None] * (diag + 1e-12 * (1.0 + diag.max(axis=1, keepdims=True)))
        system = AtA + damping[..., None] * eye
        try:
            delta = np.linalg.solve(system, -grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            delta = -grad / (1.0 + lam[k])[:, None]
        trial = s[k] + delta
        trial[:, :n] = np.clip(trial[:, :n], -1.0, 1.0)
        rt, At = residual(trial)
        qt = 0.5 * (rt * rt).sum(axis=1)
        better = qt < q[k]
        b = k[better]
        s[b], r[b], A[b], q[b] = trial[better], rt[better], At[better], qt[better]
        lam[b] = np.maximum(lam[b] / 3.0, 1e-12)
        lam[k[~better]] *= 4.0
        moved = np.abs(delta).max(axis=1)
        done = ((q[k] < 1e-32) | (moved <= 1e-15 * (1.0 + np.abs(s[k]).max(axis=1)))
                | (lam[k] > 1e12) | (np.abs(grad).max(axis=1) < 1e-30))
        active[k[done]] = False
    return s, q
