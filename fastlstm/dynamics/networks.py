"""Fixed points and slow points of an n-unit cell (``LSTMCell``) under a constant input.

``network_points`` runs the certified branch-and-prune (krawczyk.py) where
it finishes within its budget, and a search from starting states as
FixedPointFinder does (Golub & Sussillo 2018): minimise
``q(h, c) = 1/2 |step(h, c) - (h, c)|**2`` over the whole state from each
start, here by Levenberg-Marquardt (compiled, the starts one after the
other, each stopping near a zero an earlier one reached:
fastlstm/_kernels/levenberg_marquardt.py).  The minima where
q vanishes are certified together by the Krawczyk test on small boxes around
them; a local minimum where q is small but not 0 is a *slow point*.  The Jacobians and eigenvalues are float
estimates at the certified point (not themselves certified).
"""

from __future__ import annotations

import numpy as np

from .krawczyk import CellMap, branch_and_prune, krawczyk, tighten
from .points import FixedPoint, SlowPoint
from .stability import classify

#: Largest n for which ``search="auto"`` runs the complete branch-and-prune
#: (measured on random cells, docs/dynamics.md).
COMPLETE_UP_TO = 8
#: Default budget of boxes for the branch-and-prune.
MAX_BOXES = 200_000
#: q below this at a minimum: a candidate fixed point (it goes to the Krawczyk test).
ZERO_Q = 1e-20
#: Starts whose minima are closer than this (max norm, in h and c) are one slow point.
UNIQUE = 1e-3
#: A start stops once its iterate is this close (x (1 + |s|), in every coordinate of h and c)
#: to a zero an earlier start reached (``minimise_q``).
NEAR = 1e-4


def _sigmoid(z):
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sech2(z):
    with np.errstate(over="ignore"):
        e = np.exp(-2.0 * np.abs(z))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def step_and_jacobian(cell, x, h, c):
    """One step from the rows of ``h, c`` (B, n): ``(h', c', J)``, J (B, 2n, 2n).

    J is the Jacobian of ``(h, c) -> (h', c')``: rows h', c', columns h, c, as
    for the scalar cell (stability.py), with ``c' = f c + i g``, ``h' = o tanh(c')``.
    """
    n = cell.hidden_size
    W = np.asarray(cell.W_hh, dtype=np.float64)
    u = np.asarray(cell.W_ih, dtype=np.float64) @ np.asarray(x, dtype=np.float64) + cell.bias()
    z = h @ W.T + u
    zi, zf, zg, zo = (z[:, k * n:(k + 1) * n] for k in range(4))
    Wi, Wf, Wg, Wo = (W[k * n:(k + 1) * n] for k in range(4))
    i, f, g, o = _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)
    c1 = f * c + i * g
    t = np.tanh(c1)
    h1 = o * t
    di, df, do = i * _sigmoid(-zi), f * _sigmoid(-zf), o * _sigmoid(-zo)
    dg, dt = _sech2(zg), _sech2(c1)
    dc_dh = ((df * c)[..., None] * Wf + (di * g)[..., None] * Wi + (i * dg)[..., None] * Wg)
    dh_dh = (do * t)[..., None] * Wo + (o * dt)[..., None] * dc_dh
    B = h.shape[0]
    J = np.zeros((B, 2 * n, 2 * n))
    J[:, :n, :n] = dh_dh
    J[:, n:, :n] = dc_dh
    idx = np.arange(n)
    J[:, idx, n + idx] = o * dt * f
    J[:, n + idx, n + idx] = f
    return h1, c1, J


def minimise_q(cell, x, starts, iterations=200, share=False, near=None):
    """Levenberg-Marquardt on ``q = 1/2 |step(s) - s|**2`` from each row of ``starts`` (B, 2n).

    Returns ``(s, q, reach)``: the minima reached (h kept in [-1, 1], where
    every step lands), q there, and for each start -1 or, with ``share``, the
    row of an earlier start whose zero (q <= ZERO_Q) its iterate came within
    ``near`` (default NEAR) x (1 + |s|) of in every coordinate: it stopped
    there, at a state that is not a minimum.  One compiled kernel runs the starts one after the other
    (fastlstm/_kernels/levenberg_marquardt.py documents the step and when a
    start ends): lam starts at 1e-3, is divided by 3 after a step that lowers
    q (down to 1e-12 at once when q <= 1e-10) and multiplied by 4 after one
    that does not.
    """
    from .._kernels.levenberg_marquardt import minimise

    W = np.ascontiguousarray(cell.W_hh, dtype=np.float64)
    u = np.ascontiguousarray(np.asarray(cell.W_ih, dtype=np.float64)
                             @ np.asarray(x, dtype=np.float64) + cell.bias())
    s = np.array(starts, dtype=np.float64, order="C")
    B = s.shape[0]
    q, reach = np.empty(B), np.empty(B, dtype=np.int64)
    minimise(W, np.ascontiguousarray(W.T), u, s, np.ones(B, dtype=np.bool_), share,
             NEAR if near is None else near, ZERO_Q, iterations, q, reach)
    return s, q, reach


def _records(cell, x, boxes, certified, note, cmap):
    """The FixedPoint records of the zeros in the boxes ``[(lo, hi), ...]`` of h."""
    if not boxes:
        return []
    lo = np.array([b[0] for b in boxes])
    hi = np.array([b[1] for b in boxes])
    h = 0.5 * lo + 0.5 * hi
    K = lo.shape[0]
    both = cmap.enclose(np.concatenate([lo, h]), np.concatenate([hi, h]), jacobian=False)["c"]
    wide = both[0][:K], both[1][:K]
    c = 0.5 * both[0][K:] + 0.5 * both[1][K:]
    _, _, J = step_and_jacobian(cell, x, h, c)
    eigs = np.linalg.eigvals(J)
    out = []
    for k in range(len(boxes)):
        eig = _sorted_eigenvalues(eigs[k])
        out.append(FixedPoint(h=_frozen(h[k]), c=_frozen(c[k]),
                              h_enclosure=(_frozen(lo[k]), _frozen(hi[k])),
                              c_enclosure=(_frozen(wide[0][k]), _frozen(wide[1][k])),
                              jacobian=_frozen(J[k]), eigenvalues=_frozen(eig),
                              stability=classify(eig), certified=certified, note=note))
    return out


def _sorted_eigenvalues(eig):
    """Eigenvalues (of ``np.linalg.eigvals``) by modulus, largest first; real when all are."""
    if np.all(eig.imag == 0.0):
        eig = eig.real
    return eig[np.argsort(-np.abs(eig), kind="stable")]


def _frozen(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def network_points(cell, x, *, complete, max_boxes, starts, n_starts, seed, slow_q):
    """(points, slow points, exhaustive, what was searched) for an n-unit cell."""
    cmap = CellMap(cell, x)
    boxes, unresolved, searched, exhaustive = [], [], [], False
    if complete:
        boxes, unresolved, examined, left = branch_and_prune(cmap, max_boxes)
        exhaustive = left == 0
        searched.append(f"branch-and-prune over [-1, 1]^{cell.hidden_size}: {examined} boxes"
                        + ("" if exhaustive else f", stopped with {left} boxes left "
                           f"(max_boxes={max_boxes})"))
        if boxes:
            lo, hi = np.array([b[0] for b in boxes]), np.array([b[1] for b in boxes])
            tlo, thi = tighten(cmap, lo, hi, 0.5 * lo + 0.5 * hi)
            boxes = list(zip(tlo, thi, lo, hi))
    if starts is None and n_starts:
        starts, how = sampled_starts(cell, x, n_starts, seed)
    else:
        how = "given"
    slow = []
    if starts is not None and len(starts):
        found, slow = _from_starts(cell, x, cmap, starts, boxes, slow_q)
        boxes += found
        searched.append(f"{len(starts)} starts ({how}), Levenberg-Marquardt on q")
    boxes = _distinct(cmap, boxes)
    if _may_share_a_zero(boxes):
        # two certified boxes overlap and no test proved one zero or two: the
        # list may count a point twice, so it is not claimed complete
        exhaustive = False
        searched.append("two certified boxes overlap without a proof that their zeros differ")
    points = _records(cell, x, [b[:2] for b in boxes], True, "", cmap)
    points += _records(cell, x, _clusters(unresolved), False, "the Krawczyk test did not "
                       "decide this box (a tangency, or zeros too close to separate)", cmap)
    points.sort(key=lambda p: tuple(p.h.tolist()))
    return points, slow, exhaustive, "; ".join(searched)


def _from_starts(cell, x, cmap, starts, boxes, slow_q):
    """Certified boxes of the zeros reached from the starts that no box in ``boxes``
    holds, and the slow points (SlowPoint records, smallest q first).

    The starts run one after the other; one whose iterate comes within NEAR of
    a zero an earlier start reached stops there (``minimise_q``) and counts as
    reaching it if it lies in that zero's certified box of radius NEAR, which
    holds no other zero (the few that do not run again without stopping).  The minima with
    q <= ZERO_Q are certified together: one per group that agrees to ~1e-8
    (the one of smallest q; the others lie in its wide box, which holds
    exactly one zero, so they reach the same one), in one Krawczyk call with
    the small boxes around the same points (``tighten`` takes the few whose
    small boxes fail).  Minima outside every box so far (where that failed)
    are tried one by one, smallest q first, as are the slow points.
    """
    n = cell.hidden_size
    s, q, reach = minimise_q(cell, x, starts, share=True)
    h = s[:, :n]
    stopped = reach >= 0
    tight_lo = np.array([b[0] for b in boxes]).reshape(-1, n)
    tight_hi = np.array([b[1] for b in boxes]).reshape(-1, n)
    wide_lo = [np.array([b[2] for b in boxes]).reshape(-1, n)]
    wide_hi = [np.array([b[3] for b in boxes]).reshape(-1, n)]
    todo = ~stopped & ~_in_any(h, tight_lo, tight_hi)
    cand = np.flatnonzero(todo & (q <= ZERO_Q))
    cand = cand[np.argsort(q[cand], kind="stable")]
    found = []
    if cand.size:
        # rows as single byte strings: np.unique on them is 6x faster than with axis=0
        # (a -0 and a 0 fall in two groups: one more box to test, merged by _distinct)
        key = np.ascontiguousarray(np.round(h[cand] * 1e8))
        key = key.view(np.dtype((np.void, 8 * n))).reshape(-1)
        _, first, group = np.unique(key, return_index=True, return_inverse=True)
        at = h[cand[first]]
        K = at.shape[0]
        # one Krawczyk call for each group's boxes of radius NEAR and 1e-6 (x (1 + |h|)) and,
        # inside them, 1e-15 and 1e-13 around the same point, all tested at that point
        r = np.array([NEAR, 1e-6, 1e-15, 1e-13])[:, None, None] * (1.0 + np.abs(at))
        blo = np.maximum(at - r, -1.0).reshape(-1, n)
        bhi = np.minimum(at + r, 1.0).reshape(-1, n)
        state, klo, khi = krawczyk(cmap, blo, bhi, points=at, owner=np.tile(np.arange(K), 4))
        state = state.reshape(4, K) == 1
        # each group's wide box: the larger one certified (the starts stopped near its zero
        # lie in it), holding exactly one zero
        ok = state[0] | state[1]
        wide = np.where(state[0], 0, K) + np.arange(K)
        lo, hi = blo[wide], bhi[wide]
        small = state[2:]
        # a minimum in the certified wide box of its group's first is that zero
        g = group.reshape(-1)
        held = ok[g] & ((lo[g] <= h[cand]) & (h[cand] <= hi[g])).all(axis=1)
        todo[cand[held]] = False
        if ok.any():
            tlo, thi = lo.copy(), hi.copy()
            pick = np.argmax(small, axis=0) * K + np.arange(K)
            won = small.any(axis=0) & ok
            tlo[won], thi[won] = blo[2 * K:][pick[won]], bhi[2 * K:][pick[won]]
            rest = ok & ~won
            if rest.any():
                # K(X), inside a certified X, is centred on a Newton step from the point
                tlo[rest], thi[rest] = tighten(cmap, lo[rest], hi[rest],
                                               0.5 * klo[wide][rest] + 0.5 * khi[wide][rest],
                                               polish=False)
            order = np.argsort(first[ok], kind="stable")       # the groups in order of q
            lo, hi, tlo, thi = lo[ok][order], hi[ok][order], tlo[ok][order], thi[ok][order]
            found = list(zip(tlo, thi, lo, hi))
            wide_lo.append(lo)
            wide_hi.append(hi)
            tight_lo, tight_hi = np.concatenate([tight_lo, tlo]), np.concatenate([tight_hi, thi])
            left = np.flatnonzero(todo)
            todo[left] = ~_in_any(h[left], tight_lo, tight_hi)
    if stopped.any():
        # a stopped start in a certified box counts as reaching its zero; the others
        # (their zero was not certified, or they lie just outside its box) run again
        redo = np.flatnonzero(stopped)
        redo = redo[~_in_any(h[redo], np.concatenate(wide_lo), np.concatenate(wide_hi))]
        if redo.size:
            s[redo], q[redo], _ = minimise_q(cell, x, starts[redo])
            todo[redo] = ~_in_any(h[redo], tight_lo, tight_hi)
    slow = []
    rest = np.flatnonzero(todo & (q <= max(slow_q, ZERO_Q)))
    for k in rest[np.argsort(q[rest], kind="stable")]:
        if _in_any(h[k:k + 1], tight_lo, tight_hi)[0]:
            continue
        if q[k] <= ZERO_Q:
            lo, hi = _wide_boxes(h[k:k + 1])
            state, klo, khi = krawczyk(cmap, lo, hi)
            if state[0] == 1:
                tlo, thi = tighten(cmap, lo, hi, 0.5 * klo + 0.5 * khi, polish=False)
                found.append((tlo[0], thi[0], lo[0], hi[0]))
                tight_lo, tight_hi = np.concatenate([tight_lo, tlo]), np.concatenate([tight_hi, thi])
                continue
        if all(np.abs(s[k] - np.concatenate([p.h, p.c])).max() > UNIQUE for p in slow):
            _, _, J = step_and_jacobian(cell, x, s[k:k + 1, :n], s[k:k + 1, n:])
            eig = _sorted_eigenvalues(np.linalg.eigvals(J[0]))
            slow.append(SlowPoint(h=_frozen(h[k]), c=_frozen(s[k, n:]), q=float(q[k]),
                                  jacobian=_frozen(J[0]), eigenvalues=_frozen(eig),
                                  stability=classify(eig)))
    return found, slow


def _wide_boxes(h):
    """The boxes of radius 1e-6 (1 + |h|) around the rows of h, within [-1, 1]."""
    r = 1e-6 * (1.0 + np.abs(h))
    return np.maximum(h - r, -1.0), np.minimum(h + r, 1.0)


def _in_any(h, lo, hi):
    """For each row of h (B, n): whether it lies in one of the boxes [lo, hi] (K, n)."""
    if lo.shape[0] == 0:
        return np.zeros(h.shape[0], dtype=bool)
    return ((lo[None] <= h[:, None]) & (h[:, None] <= hi[None])).all(axis=2).any(axis=1)


def _distinct(cmap, boxes):
    """One box per zero: boxes (tight lo, hi, wide lo, wide hi) whose zeros coincide merge.

    Two certified boxes share their zero when one's tight box lies in the
    other's wide box (its zero is then in the other, where the zero is unique).
    """
    if len(boxes) < 2:
        return list(boxes)
    tlo, thi, wlo, whi = (np.array([b[j] for b in boxes]) for j in range(4))
    # inside[a, b]: a's tight box lies in b's wide box; overlap[a, b]: the tight boxes meet
    inside = ((wlo[None] <= tlo[:, None]) & (thi[:, None] <= whi[None])).all(axis=2)
    same = inside | inside.T
    overlap = _overlaps(tlo, thi)
    kept = np.zeros(len(boxes), dtype=bool)
    for a in range(len(boxes)):
        if same[a, kept].any():
            continue
        if not any(_same_by_hull(cmap, boxes[a], boxes[k])
                   for k in np.flatnonzero(kept & overlap[a])):
            kept[a] = True
    return [boxes[k] for k in np.flatnonzero(kept)]


def _overlaps(lo, hi):
    """(K, K): whether boxes a and b of ``[lo, hi]`` meet."""
    return ((lo[:, None] <= hi[None]) & (lo[None] <= hi[:, None])).all(axis=2)


def _may_share_a_zero(boxes):
    """True if two kept tight boxes overlap: each holds exactly one zero, so disjoint
    ones hold different zeros, but overlapping ones (that ``_distinct`` could not
    merge) may hold the same one."""
    if len(boxes) < 2:
        return False
    meet = _overlaps(np.array([b[0] for b in boxes]), np.array([b[1] for b in boxes]))
    return bool(np.triu(meet, 1).any())


def _same_by_hull(cmap, a, b):
    """Tight boxes that overlap hold the same zero if their hull holds exactly one."""
    if not (np.all(a[0] <= b[1]) and np.all(b[0] <= a[1])):
        return False
    lo, hi = np.minimum(a[0], b[0]), np.maximum(a[1], b[1])
    state, _, _ = krawczyk(cmap, lo[None], hi[None])
    return bool(state[0] == 1)


def _clusters(boxes):
    """Unresolved boxes that touch, merged into their hulls."""
    hulls = []
    for lo, hi in boxes:
        for k, (a, b) in enumerate(hulls):
            if np.all(lo <= b + 1e-9) and np.all(a - 1e-9 <= hi):
                hulls[k] = (np.minimum(a, lo), np.maximum(b, hi))
                break
        else:
            hulls.append((lo, hi))
    return hulls


def sampled_starts(cell, x, count, seed, steps=64):
    """States (h, c) along trajectories of the cell driven by x from random states.

    ``count`` trajectories of ``steps`` steps from h, c uniform in [-1, 1]^n;
    one state is taken from each, at a random time.  The steps are NumPy's
    (starts need no bit-exact run, and no compiled kernel keeps the first call fast).
    """
    n = cell.hidden_size
    rng = np.random.default_rng(seed)
    h = rng.uniform(-1.0, 1.0, (count, n))
    c = rng.uniform(-1.0, 1.0, (count, n))
    t = rng.integers(0, steps, count)
    W = np.asarray(cell.W_hh, dtype=np.float64)
    u = np.asarray(cell.W_ih, dtype=np.float64) @ np.asarray(x, dtype=np.float64) + cell.bias()
    states = np.empty((count, 2 * n))
    for k in range(steps):
        z = h @ W.T + u
        c = _sigmoid(z[:, n:2 * n]) * c + _sigmoid(z[:, :n]) * np.tanh(z[:, 2 * n:3 * n])
        h = _sigmoid(z[:, 3 * n:]) * np.tanh(c)
        states[t == k] = np.concatenate([h, c], axis=1)[t == k]
    return states, (f"sampled from {count} trajectories of {steps} steps driven by x from "
                    f"random states, seed={seed}")
