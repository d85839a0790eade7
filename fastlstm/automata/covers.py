"""Covers of boxes of (h, c): ``prove_by_abstraction`` for a cell whose state is more than c.

``prove_by_abstraction`` hands a cell here when the interval proof of c
(``abstraction.py``) does not apply: an ``LSTMCell`` of n >= 2 units or
m >= 2 inputs, or any cell with a readout.  For every machine state q it
keeps a *cover*, a few boxes of (h, c) whose union holds the state the cell
reaches after every input leading the machine to q, and checks for every box
B of q and symbol a that the compiled step maps all of B into one box of the
cover of delta(q, a), with the output (the readout's label, or the rounded
h) proved equal to delta(q, a)'s on all of that image (``boxes.py``).  The
start state (h0, c0) is a box of one point of the start state's cover.  When
every check passes, induction on the length of the input proves that the
machine's output is the cell's after every input, of every length.

Finding the cover: the states the cell reaches on sampled inputs (every
string up to a depth, and random strings) are grouped by the machine state
they lead to, and clustered (within ``EPS`` in (h, tanh c)); each cluster's
hull is a first box, a c beyond +-``C_FAR`` going to +-inf.  A sample whose
output differs from the machine's is a true counterexample (the cell
computed it).  Then, for at most ``ROUNDS`` rounds, every box is stepped on
every symbol; a failing image is stepped again from halves of its box
(bisected where the width widens the image most), up to 4 times; an image
still outside the successor's boxes grows the nearest of them to hold it
(or becomes a box of its own when farther than ``EPS``), and the round is
redone.  A c end that moved in 6 rounds goes to +-inf (a drifting memory).
A round that grows nothing is the proof.  Interval boxes of matrix-vector
products wrap (a box's image is the box around a parallelogram), so the
cover closes only where the step contracts in the boxes' own coordinates:
saturated gates do; trained networks, with gates in their bands, often not.
"""

from __future__ import annotations

import numpy as np

from .boxes import BoxStep, box_labels
from .cells import state_outputs

__all__ = ["Cover", "first_boxes", "prove_cover", "reached_states"]


def _outputs_match(labels, known, expected):
    """Boxes whose output is proved equal to ``expected`` (rows of a vector output compared whole)."""
    same = labels == expected
    if same.ndim == 2:
        same = same.all(axis=1)
    return known & same


def _inside(ilo, ihi, LO, HI, owner, targets):
    """For each image k, a box of the cover of state ``targets[k]`` holding it (the first
    such box), or -1.  Images are compared with their own state's boxes only."""
    found = np.full(len(ilo), -1, dtype=np.int64)
    for q in np.unique(targets).tolist():
        rows, boxes = np.flatnonzero(targets == q), np.flatnonzero(owner == q)
        if not boxes.size:
            continue
        lo, hi = LO[boxes].T.copy(), HI[boxes].T.copy()   # (2n, boxes): a row per coordinate
        for start in range(0, rows.size, 512):
            sl = rows[start:start + 512]
            a, b = ilo[sl].T, ihi[sl].T
            holds = (lo[0] <= a[0][:, None]) & (b[0][:, None] <= hi[0])
            for d in range(1, lo.shape[0]):   # coordinate by coordinate: (images, boxes) arrays
                holds &= lo[d] <= a[d][:, None]
                holds &= b[d][:, None] <= hi[d]
            has = holds.any(axis=1)
            found[sl] = np.where(has, boxes[holds.argmax(axis=1)], -1)
    return found


class Cover:
    """The boxes of every machine state and the rounds that grow them until the step closes.

    ``LO``, ``HI`` (N, 2n): the boxes of (h, c); ``owner`` (N,): the machine state of each;
    ``point`` (N,): boxes that are one start state (never grown).
    """

    def __init__(self, step, table, outputs, readout, LO, HI, owner, point, *, near,
                 max_depth=4, max_pieces=1 << 13, max_boxes=4096, widen_after=6):
        self.step, self.table, self.outputs, self.readout = step, table, outputs, readout
        self.LO, self.HI, self.owner, self.point = LO, HI, owner, point
        self.moves = np.zeros((len(LO), 2, LO.shape[1]), dtype=np.int64)   # rounds an end moved
        self.moved = np.zeros((len(LO), 2, LO.shape[1]), dtype=bool)       # ... in this round
        self.near, self.max_depth, self.max_pieces = near, max_depth, max_pieces
        self.max_boxes, self.widen_after = max_boxes, widen_after
        self.pieces = 0      # the pieces stepped in the last round

    def round(self):
        """Step every box on every symbol (halving the boxes whose image fails).

        Returns ``(grown, failure)``: the boxes grown this round, and None or a sentence (why
        the proof fails: an image whose output is not the successor's even from the smallest
        pieces).
        """
        n, grown, self.pieces = self.step.n, 0, 0
        for a in range(self.table.shape[1]):
            lo, hi, src = self.LO.copy(), self.HI.copy(), np.arange(len(self.LO))
            for depth in range(self.max_depth + 1):
                ilo, ihi = self.step.image(lo, hi, a)
                self.pieces += len(lo)
                targets = self.table[self.owner[src], a]
                labels, known = box_labels(self.readout, ilo[:, :n], ihi[:, :n])
                right = _outputs_match(labels, known, self.outputs[targets])
                where = _inside(ilo, ihi, self.LO, self.HI, self.owner, targets)
                bad = ~right | (where < 0)
                if not bad.any():
                    break
                last = depth == self.max_depth or 2 * bad.sum() + self.pieces > self.max_pieces
                if last:
                    wrong = np.flatnonzero(~right)
                    if wrong.size:
                        k = int(wrong[0])
                        q = int(self.owner[src[k]])
                        return grown, (f"the output after state q{q} on symbol {a} is not proved "
                                       f"to be q{int(targets[k])}'s on the image of a box of "
                                       f"q{q} (h width {float((hi[k, :n] - lo[k, :n]).max()):.3g}, "
                                       f"halved {depth} times)")
                    # one growth per box stepped: the hull of its pieces' failing images
                    k = np.flatnonzero(bad)
                    k = k[np.argsort(src[k], kind="stable")]
                    first = np.flatnonzero(np.diff(src[k], prepend=-1))
                    glo = np.minimum.reduceat(ilo[k], first, axis=0)
                    ghi = np.maximum.reduceat(ihi[k], first, axis=0)
                    for j, t in enumerate(targets[k[first]].tolist()):
                        grown += self._grow(t, glo[j], ghi[j])
                    if len(self.LO) > self.max_boxes:
                        return grown, f"the cover needs more than {self.max_boxes} boxes"
                    break
                lo, hi, src = self._halves(lo[bad], hi[bad], src[bad])
        self._widen()
        return grown, None

    def _halves(self, lo, hi, src):
        """Each box cut in two along the coordinate whose width widens the image most."""
        with np.errstate(invalid="ignore"):
            width = (hi - lo) * self.step.reach
        d = np.argmax(np.where(np.isfinite(width), width, 0.0), axis=1)   # never an infinite end
        rows = np.arange(len(lo))
        mid = 0.5 * lo[rows, d] + 0.5 * hi[rows, d]
        lo2, hi1 = lo.copy(), hi.copy()
        hi1[rows, d] = mid
        lo2[rows, d] = mid
        return (np.concatenate([lo, lo2]), np.concatenate([hi1, hi]),
                np.concatenate([src, src]))

    def _grow(self, q, ilo, ihi):
        """Grow the box of state q nearest to the image to hold it, or add the image as a box
        of q when it is farther than ``eps`` from all of them (in (h, tanh c)).  A c end
        that moved ``widen_after`` times goes to +-inf (a drifting c: every c is finite)."""
        mine = np.flatnonzero((self.owner == q) & ~self.point)
        if mine.size:
            gap = np.maximum(_squashed(self.LO[mine], self.step.n) - _squashed(ihi, self.step.n),
                             _squashed(ilo, self.step.n) - _squashed(self.HI[mine], self.step.n))
            gap = gap.max(axis=1)
        if mine.size == 0 or (gap.min() > self.near and len(self.LO) < self.max_boxes):
            self.LO = np.vstack([self.LO, ilo])
            self.HI = np.vstack([self.HI, ihi])
            self.owner = np.append(self.owner, q)
            self.point = np.append(self.point, False)
            self.moves = np.concatenate([self.moves, np.zeros((1, 2, len(ilo)), np.int64)])
            self.moved = np.concatenate([self.moved, np.zeros((1, 2, len(ilo)), bool)])
            return 1
        j = int(mine[np.argmin(gap)])
        lower, higher = ilo < self.LO[j], ihi > self.HI[j]
        if not (lower.any() or higher.any()):
            return 0     # an earlier growth this round already holds it
        lo, hi = np.minimum(self.LO[j], ilo), np.maximum(self.HI[j], ihi)
        with np.errstate(invalid="ignore"):
            margin = np.nan_to_num(0.01 * (hi - lo), posinf=0.0)   # beyond the hull: fewer rounds
        self.LO[j] = np.where(lower, lo - margin, lo)
        self.HI[j] = np.where(higher, hi + margin, hi)
        self.moved[j, 0] |= lower
        self.moved[j, 1] |= higher
        return 1

    def _widen(self):
        """After a round: a c end that moved in ``widen_after`` rounds, or beyond +-C_FAR,
        goes to +-inf (a drifting c; every c a run reaches is finite)."""
        n = self.step.n
        self.moves += self.moved
        far = (self.moves > self.widen_after) | (np.abs(np.stack([self.LO, self.HI], 1)) > C_FAR)
        far &= self.moved
        far[:, :, :n] = False                 # h lies in [-1, 1]
        self.LO[far[:, 0]] = -np.inf
        self.HI[far[:, 1]] = np.inf
        self.moved[:] = False


def _unique_rows(a):
    """``(first, inverse)`` of ``np.unique(a, axis=0, return_index=True,
    return_inverse=True)`` for a float array (N, d) without NaN: the distinct rows in
    lexicographic order, each one's first row, and each row's distinct row.  One stable
    sort per column (``np.lexsort``) instead of a sort of whole rows, several times faster."""
    order = np.lexsort(a.T[::-1])   # the first column is the primary key
    ranked = a[order]
    new = np.ones(len(a), dtype=bool)
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    inverse = np.empty(len(a), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse


def _squashed(x, n):
    """(h, tanh c): the coordinates in which boxes are near or far."""
    return np.concatenate([x[..., :n], np.tanh(x[..., n:])], axis=-1)


def reached_states(stepper, table, start, outputs, readout, h0, c0, *, depth, random_tests,
                   length, seed):
    """The states the cell reaches on sampled inputs, grouped by the machine's state.

    Every string of length ``depth`` (every prefix) and ``random_tests`` random strings of
    ``length``, from (h0, c0) (arrays (n,)).  Returns ``(points, states, counterexample)``:
    the (h, c) rows (P, 2n), the machine state each leads to (P,), and the shortest sampled
    input (symbol indices) after which the cell's output is not the machine's, or None.
    """
    A = table.shape[1]
    rng = np.random.default_rng(seed)
    batches = [np.indices((A,) * depth).reshape(depth, -1).T if depth else None,
               rng.integers(0, A, size=(random_tests, length)) if random_tests and length
               else None]
    points, states, worst = [], [], None
    for words in batches:
        if words is None or not words.size:
            continue
        B, T = words.shape
        H, C = stepper.run(words, np.repeat(h0[None], B, axis=0), np.repeat(c0[None], B, axis=0))
        Q = np.empty((B, T), dtype=np.int64)
        q = np.full(B, start, dtype=np.int64)
        for t in range(T):
            q = table[q, words[:, t]]
            Q[:, t] = q
        got = state_outputs(H.reshape(B * T, -1), readout)
        same = got == outputs[Q.reshape(-1)]
        same = (same.all(axis=1) if same.ndim == 2 else same).reshape(B, T)
        if not same.all():
            b, t = min(zip(*np.nonzero(~same)), key=lambda bt: bt[1])
            word = tuple(int(v) for v in words[b, :t + 1])
            if worst is None or len(word) < len(worst):
                worst = word
        points.append(np.concatenate([H, C], axis=2).reshape(B * T, -1))
        states.append(Q.reshape(-1))
    return np.concatenate(points), np.concatenate(states), worst


#: A c beyond this magnitude is widened to +-inf in a first box (tanh(c) is then 1 - 2e-7
#: or nearer, and a c that far out is most often a drifting one).
C_FAR = 8.0
#: A first box reaches this many times ``eps`` beyond the hull of its points.
MARGIN = 0.2


def first_boxes(points, states, n, eps):
    """The first cover: the points of each machine state clustered (a point within ``eps`` of
    a cluster's first point, in (h, tanh c), joins it) and each cluster's hull.

    Returns ``(LO, HI, owner)``.
    """
    LO, HI, owner = [], [], []
    for q in np.unique(states).tolist():
        P = points[states == q]
        S = _squashed(P, n)
        # one point per cell of a grid of eps / 2 first: the leaders come from few rows
        first, which = _unique_rows(np.floor(S / (0.5 * eps)))
        rows = S[first]
        leaders = np.empty_like(rows)    # the first len(found) rows are the leaders so far
        found, label = 0, np.empty(len(first), dtype=np.int64)
        for r, row in enumerate(rows):
            if found:
                near = np.flatnonzero(np.abs(leaders[:found] - row).max(axis=1) <= eps)
                if near.size:
                    label[r] = near[0]
                    continue
            label[r] = found
            leaders[found] = row
            found += 1
        member = label[which.reshape(-1)]
        for k in range(found):
            mine = P[member == k]
            lo, hi = mine.min(axis=0) - MARGIN * eps, mine.max(axis=0) + MARGIN * eps
            lo[n:] = np.where(lo[n:] < -C_FAR, -np.inf, lo[n:])
            hi[n:] = np.where(hi[n:] > C_FAR, np.inf, hi[n:])
            LO.append(lo)
            HI.append(hi)
            owner.append(q)
    return np.array(LO), np.array(HI), np.array(owner, dtype=np.int64)


#: Rounds of growing the cover before the proof gives up.
ROUNDS = 30
#: Clusters of reached states are at most this far apart (in (h, tanh c)) in a first box.
EPS = 0.05
#: An image farther than this from every box of its state (in (h, tanh c)) becomes a box.
NEAR = 0.005


def prove_cover(stepper, symbols, machine, readout, sem, h0, c0, *, rounds=ROUNDS, eps=EPS, near=NEAR,
                seed=0):
    """The proof of ``prove_by_abstraction`` for a cell stepped by ``stepper`` (see the module
    notes).  Returns ``(proved, boxes, reason, counterexample)``: per machine state a tuple of
    boxes ``(lo, hi)`` of (h, c) (arrays (2n,)), why it failed, and a word of symbols after
    which the cell's output is not the machine's (found among the sampled inputs) or None.
    """
    from ..cell import LSTMCell
    from ..params import ScalarLSTM

    table, outputs, start = machine.transitions, machine.outputs, machine.start
    n, A = stepper.units, table.shape[1]
    cell = LSTMCell.from_scalar(stepper.cell) if isinstance(stepper.cell, ScalarLSTM) \
        else stepper.cell
    first = state_outputs(h0[None], readout)[0]
    if not np.array_equal(first, outputs[start]):
        return False, None, (f"the start state carries {outputs[start].tolist()}, not the output "
                             f"of h0, {first.tolist()}"), ()
    depth = 1
    while depth < 10 and A ** (depth + 1) <= 1024:
        depth += 1
    P, S, word = reached_states(stepper, table, start, outputs, readout, h0, c0, depth=depth,
                                random_tests=200, length=50, seed=seed)
    if word is not None:
        return False, None, (f"the cell's output after {len(word)} symbols differs from the "
                             "machine's (a sampled input)"), tuple(symbols[a] for a in word)
    LO, HI, owner = first_boxes(P, S, n, eps)
    x0 = np.concatenate([h0, c0])[None]
    cover = Cover(BoxStep(cell, stepper.inputs, sem), table, outputs, readout,
                  np.vstack([LO, x0]), np.vstack([HI, x0]), np.append(owner, start),
                  np.append(np.zeros(len(LO), dtype=bool), True), near=near)
    reason = f"the boxes still grew after {rounds} rounds"
    for _ in range(rounds):
        grown, failure = cover.round()
        if failure is not None:
            reason = failure
            break
        if not grown:
            reason = None
            break
    boxes = tuple(tuple((cover.LO[j].copy(), cover.HI[j].copy())
                        for j in np.flatnonzero(cover.owner == q).tolist())
                  for q in range(len(table)))
    return reason is None, boxes, reason, None
