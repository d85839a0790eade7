r"""Certified fixed points of an n-unit cell: interval enclosures over boxes, the Krawczyk test.

For a constant input x the fixed points of the step are the zeros on
[-1, 1]^n of

.. math::  F(h) = o(h) \odot \tanh(c^*(h)) - h, \qquad
           c^*(h) = i(h) \odot g(h) / (1 - f(h))

(``fixed_points`` derives it).  Its Jacobian has one row per unit k,

.. math::  F'_{kj} = \alpha_k W^o_{kj} + \beta_k W^i_{kj} + \gamma_k W^g_{kj}
           + \delta_k W^f_{kj} - [k = j],

with :math:`\alpha = \sigma'(z_o) \tanh c^*`, :math:`P = o \tanh'(c^*)`,
:math:`\beta = P \sigma'(z_i) g / s`, :math:`\gamma = P i \tanh'(z_g) / s`,
:math:`\delta = P c^* \sigma'(z_f) / s` and :math:`s = 1 - f = \sigma(-z_f)`.

Interval arithmetic
-------------------
Boxes are arrays ``lo, hi`` of shape (B, n), processed together: NumPy
array code, and for F' (n**2 entries per box) one small compiled kernel
(fastlstm/_kernels/krawczyk.py, midpoint-radius form with the bound below
for q = 5 terms).  Every ``+ - * /`` is NumPy's IEEE float64 operation
(rounding to nearest, error <= 1/2 ulp, no fast-math), and each computed
end is widened outward by 2**-50 relative plus 2**-1022 absolute, as in
fastlstm/_kernels/intervals.py; a NaN end becomes the whole line.  A product of a point matrix A (p, q) with
a box is done in midpoint-radius form: for X = mid +- rad,
``A X`` lies in ``fl(A mid) +- |A| (gamma |mid| + rad)`` with
``gamma = (q + 2) u / (1 - (q + 2) u)`` (u = 2**-53), which bounds the error of
a float dot product of length q in any order of summation, with or without
fused multiply-adds (Higham, *Accuracy and Stability of Numerical
Algorithms*, 2002, section 3.1); the radius is itself a sum of non-negative
terms, computed and then scaled by ``(1 + 2 gamma)`` plus ``q`` times
2**-1022 for underflow.  The activations, their complements and their slopes
come from the compiled sigmoid and tanh with their *proved* error bound
(fastlstm/_kernels/gate_bounds.py, intervals.py).

The Krawczyk test
-----------------
For a box X with midpoint m, Y a float approximation to ``F'(m)^-1``:

.. math::  K(X) = m - Y F(m) + (I - Y F'(X)) (X - m).

Every zero of F in X lies in K(X); if K(X) is inside the interior of X, X
holds exactly one zero (Krawczyk 1969; Moore, Kearfott & Cloud, *Introduction
to Interval Analysis*, 2009, theorem 8.2 with its uniqueness corollary).  So a
box is *discarded* when F(X) excludes 0 in some unit or K(X) misses X,
*certified* when K(X) lies in its interior, and otherwise shrunk to
``K(X) & X`` and, if that did not shrink it enough, bisected.
"""

from __future__ import annotations

import functools

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


def _quiet(function):
    """Run ``function`` with NumPy's overflow, invalid and divide warnings off: the
    interval code handles inf and NaN ends itself (NaN -> the whole line).  Set
    once by the entry points (CellMap, krawczyk), not per operation (np.errstate
    costs a few microseconds a call); the helpers below assume it."""
    @functools.wraps(function)
    def quiet(*args, **kwargs):
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            return function(*args, **kwargs)
    return quiet


def iadd(alo, ahi, blo, bhi):
    return _clean(_down(alo + blo), _up(ahi + bhi))


def isub(alo, ahi, blo, bhi):
    return _clean(_down(alo - bhi), _up(ahi - blo))


def imul(alo, ahi, blo, bhi):
    p = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
    lo = np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3]))
    hi = np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3]))
    bad = np.isnan(p[0]) | np.isnan(p[1]) | np.isnan(p[2]) | np.isnan(p[3])
    lo, hi = _down(lo), _up(hi)
    return np.where(bad, -np.inf, lo), np.where(bad, np.inf, hi)


def idiv(alo, ahi, blo, bhi):
    """``a / b``; the whole line where b may be 0."""
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
    mid = 0.5 * lo + 0.5 * hi
    rad = _up(np.maximum(hi - mid, mid - lo))
    return _ends(*pmatmul_midrad(A, mid, rad))


def pmatmul_midrad(A, mid, rad):
    """``A @ X`` for X = mid +- rad (rad >= 0): ``(center, radius)``, the exact
    product of A with every matrix of X within ``center +- radius``."""
    q = A.shape[-1]
    center = A @ mid
    radius = _upper_sum(np.abs(A) @ (_up(_gamma(q) * np.abs(mid)) + rad), q)
    return center, radius


def _ends(center, radius):
    """``center +- radius`` as outward (lo, hi); the whole line where either is not finite."""
    out = _clean(_down(center - radius), _up(center + radius))
    bad = ~np.isfinite(center) | ~np.isfinite(radius)
    if bad.any():
        out = np.where(bad, -np.inf, out[0]), np.where(bad, np.inf, out[1])
    return out


class CellMap:
    """The fixed-point function F of one cell and constant input, over boxes of h.

    ``W_hh`` (4n, n) and the enclosure ``u`` of ``W_ih x + b`` (b = b_ih + b_hh
    as the step adds it, ``LSTMCell.bias``) define the pre-activations
    ``z = W_hh h + u``, rows i, f, g, o.
    """

    @_quiet
    def __init__(self, cell, x):
        self.n = cell.hidden_size
        self.W = np.ascontiguousarray(cell.W_hh, dtype=np.float64)
        b = cell.bias()
        x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
        ulo, uhi = pmatmul(np.asarray(cell.W_ih, dtype=np.float64), x, x)
        self.u = iadd(ulo[:, 0], uhi[:, 0], b, b)

    @_quiet
    def enclose(self, lo, hi, jacobian=True):
        """Enclosures over the boxes ``[lo, hi]`` (B, n): a dict with F, c and, if asked, J.

        F and c are pairs (lo, hi) of shape (B, n); J is in midpoint-radius form,
        a pair (mid, rad) of shape (B, n, n): F' over the box lies in mid +- rad
        (fastlstm/_kernels/krawczyk.py).
        """
        from .._kernels.krawczyk import jacobian_enclosure

        n = self.n
        zlo, zhi = pmatmul(self.W, lo[..., None], hi[..., None])
        zlo, zhi = iadd(zlo[..., 0], zhi[..., 0], self.u[0], self.u[1])
        sig = _activation(np.concatenate([zlo[:, :2 * n], zlo[:, 3 * n:]], axis=1),
                          np.concatenate([zhi[:, :2 * n], zhi[:, 3 * n:]], axis=1), False)
        tg = _activation(zlo[:, 2 * n:3 * n], zhi[:, 2 * n:3 * n], True)

        def part(values, k, j):  # unit block k of the sigmoid rows (i, f, o): ends j, j + 1
            return values[:, k * n:(k + 1) * n, j], values[:, k * n:(k + 1) * n, j + 1]

        i, s, o = part(sig, 0, 0), part(sig, 1, 2), part(sig, 2, 0)
        g = (tg[..., 0], tg[..., 1])
        c = idiv(*imul(*i, *g), *s)
        tc = _activation(c[0], c[1], True)
        t = (tc[..., 0], tc[..., 1])
        F = isub(*imul(*o, *t), lo, hi)
        out = {"F": F, "c": c}
        if not jacobian:
            return out
        di, df, do = part(sig, 0, 4), part(sig, 1, 4), part(sig, 2, 4)
        dg, dt = (tg[..., 4], tg[..., 5]), (tc[..., 4], tc[..., 5])

        def stack(*pairs):  # intervals of the same shape, stacked: fewer, larger operations
            return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])

        # P = o tanh'(c) and the W_o coefficient o' tanh(c); then P times i' g, c f', i g'
        # over 1 - f, the coefficients of W_i, W_f, W_g
        plo, phi = imul(*stack(o, do), *stack(dt, t))
        ratios = idiv(*imul(*stack(di, c, i), *stack(g, df, dg)), *s)
        clo, chi = imul(plo[0], phi[0], *ratios)
        Jm, Jr = np.empty((lo.shape[0], n, n)), np.empty((lo.shape[0], n, n))
        jacobian_enclosure(self.W, np.ascontiguousarray(np.stack([*clo, plo[1]], axis=1)),
                           np.ascontiguousarray(np.stack([*chi, phi[1]], axis=1)), Jm, Jr)
        out["J"] = (Jm, Jr)
        return out


def _activation(zlo, zhi, is_tanh):
    """Enclosures of an activation over ``[zlo, zhi]`` (B, k): (B, k, 6), each row
    (value lo, hi, complement lo, hi, slope lo, hi) (gate_bounds.activation_bounds)."""
    from .._kernels.gate_bounds import activation_bounds

    out = np.empty(zlo.shape + (6,))
    activation_bounds(np.ascontiguousarray(zlo, dtype=np.float64).ravel(),
                      np.ascontiguousarray(zhi, dtype=np.float64).ravel(), is_tanh,
                      out.reshape(-1, 6))
    return out


@_quiet
def krawczyk(cmap, lo, hi, inflate=0.0, points=None, owner=None):
    """The Krawczyk test on boxes ``[lo, hi]`` (B, n).

    The test's point m of box b is its middle, or ``points[owner[b]]`` when
    given (each inside its boxes: Krawczyk's theorem holds for any m in X and
    any Y, and boxes sharing a point share F(m) and Y, computed once).

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
    if points is None:
        points, owner = np.clip(0.5 * lo + 0.5 * hi, lo, hi), slice(None)
    m = points[owner]
    e = cmap.enclose(np.concatenate([lo, points]), np.concatenate([hi, points]))  # boxes, points
    Flo, Fhi = e["F"][0][:B], e["F"][1][:B]
    empty = ((Flo > 0.0) | (Fhi < 0.0)).any(axis=1)
    Y = _inverses(e["J"][0][B:])
    YFlo, YFhi = pmatmul(Y, e["F"][0][B:, :, None], e["F"][1][B:, :, None])
    Y, YFlo, YFhi = Y[owner], YFlo[owner], YFhi[owner]
    # I - Y F'(X): the product in midpoint-radius form, then I minus it, outward
    Mlo, Mhi = _ends(*pmatmul_midrad(Y, e["J"][0][:B], e["J"][1][:B]))
    eye = np.eye(n)
    Mlo, Mhi = isub(eye, eye, Mlo, Mhi)
    mag = np.maximum(np.abs(Mlo), np.abs(Mhi))
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


#: A box narrower than this in every unit, still undecided, is reported unresolved.
MIN_WIDTH = 1e-11
#: Widening of a box for its Krawczyk test, relative to its largest width.
INFLATE = 1e-3
#: Boxes examined per round of the branch-and-prune.
BATCH = 2048
#: Split point of a bisection, off centre (a zero at 0, common by symmetry, is not on a cut).
_SPLIT = 0.4921875


def branch_and_prune(cmap, max_boxes):
    """Cover [-1, 1]^n: ``(certified, unresolved, examined, left)``.

    ``certified`` and ``unresolved`` are lists of boxes (lo, hi); every zero of
    F in [-1, 1]^n lies in one of them, each certified box holding exactly one,
    unless ``left`` (boxes not examined when ``max_boxes`` ran out) is not 0.
    """
    n = cmap.n
    queue_lo, queue_hi = [-np.ones((1, n))], [np.ones((1, n))]
    certified, unresolved, examined = [], [], 0
    while examined < max_boxes:
        lo, hi = np.concatenate(queue_lo), np.concatenate(queue_hi)
        if lo.shape[0] == 0:
            break
        take = min(BATCH, max_boxes - examined, lo.shape[0])
        queue_lo, queue_hi = [lo[take:]], [hi[take:]]
        lo, hi = lo[:take], hi[:take]
        examined += take
        state, klo, khi = krawczyk(cmap, lo, hi, inflate=INFLATE)
        certified += [(klo[k].copy(), khi[k].copy()) for k in np.flatnonzero(state == 1)]
        keep = state == 2
        lo, hi, klo, khi = lo[keep], hi[keep], klo[keep], khi[keep]
        width, kwidth = hi - lo, khi - klo
        shrunk = (kwidth.max(axis=1) <= 0.5 * width.max(axis=1))
        tiny = kwidth.max(axis=1) < MIN_WIDTH
        unresolved += [(klo[k].copy(), khi[k].copy()) for k in np.flatnonzero(tiny)]
        again = shrunk & ~tiny
        queue_lo.append(klo[again])
        queue_hi.append(khi[again])
        split = ~shrunk & ~tiny
        slo, shi = klo[split], khi[split]
        if slo.shape[0]:
            axis = np.argmax(shi - slo, axis=1)
            rows = np.arange(slo.shape[0])
            cut = slo[rows, axis] + _SPLIT * (shi[rows, axis] - slo[rows, axis])
            left_hi, right_lo = shi.copy(), slo.copy()
            left_hi[rows, axis] = cut
            right_lo[rows, axis] = cut
            queue_lo += [slo, right_lo]
            queue_hi += [left_hi, shi]
    left = sum(q.shape[0] for q in queue_lo)
    return certified, unresolved, examined, left


def tighten(cmap, lo, hi, guess, polish=True):
    """Small certified boxes around the zeros in the certified boxes ``[lo, hi]`` (K, n).

    Float Newton from ``guess`` (K, n) (unless ``polish`` is False: the
    guess is a Newton point already), then boxes of growing radius around
    each point reached (epsilon-inflation), intersected with its box, all in
    one Krawczyk call: the first one certified holds the same zero (it is
    inside [lo, hi], where the zero is unique).  Returns (lo, hi) (K, n),
    the box itself where none is certified.
    """
    h = np.clip(guess, lo, hi)
    if polish:
        h = newton(cmap, h)
    ok = np.isfinite(h).all(axis=1)
    h = np.clip(np.where(ok[:, None], h, lo), lo, hi)
    tlo, thi = lo.copy(), hi.copy()
    todo = np.flatnonzero(ok)
    # the smallest radii first (most zeros certify there), the others only where they failed;
    # each box is tested at its point h (inside it), so F(h) and Y are computed once per zero
    for radii in ([1e-15, 1e-13], [1e-11, 1e-9, 1e-7]):
        if todo.size == 0:
            break
        r = np.array(radii)[:, None, None] * (1.0 + np.abs(h[todo]))
        boxes_lo = np.maximum(lo[todo], h[todo] - r).reshape(-1, lo.shape[1])
        boxes_hi = np.minimum(hi[todo], h[todo] + r).reshape(-1, lo.shape[1])
        owner = np.tile(np.arange(todo.size), len(radii))
        state, _, _ = krawczyk(cmap, boxes_lo, boxes_hi, points=h[todo], owner=owner)
        good = state.reshape(len(radii), todo.size) == 1
        first = np.argmax(good, axis=0)
        won = good.any(axis=0)
        pick = first[won] * todo.size + np.flatnonzero(won)
        tlo[todo[won]], thi[todo[won]] = boxes_lo[pick], boxes_hi[pick]
        todo = todo[~won]
    return tlo, thi


def newton(cmap, h, steps=8):
    """Float Newton iterations on F (midpoints of its enclosures at points) from the rows
    of ``h`` (B, n); fewer once no row moves by more than 1e-15 (1 + max |h|) (a few
    ulps: the noise of the midpoints, below the smallest box ``tighten`` tries)."""
    for _ in range(steps):
        e = cmap.enclose(h, h)
        F = 0.5 * e["F"][0] + 0.5 * e["F"][1]
        try:
            step = np.linalg.solve(e["J"][0], F[..., None])[..., 0]
        except np.linalg.LinAlgError:
            break
        h = h - step
        if not (np.abs(step).max(axis=1) > 1e-15 * (1.0 + np.abs(h).max(axis=1))).any():
            break
    return h
