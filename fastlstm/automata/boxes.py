"""Boxes of (h, c) stepped by interval arithmetic: what the compiled step can reach.

``covers.py`` proves a vector cell's machine with boxes of the 2n numbers
(h, c) (h in the first n).  This module gives it the two enclosures it needs,
vectorised over boxes, both about the *compiled* arithmetic that ``fl.run``
runs (scalar or vector kernels alike: nothing depends on the order of a sum):

``BoxStep.image``: every (h', c') the compiled step computes from a point of
a box, on one symbol.

* z = W_hh h + W_ih x + b, a float dot product of q = n + m + 1 terms, in
  midpoint-radius form: the exact value is within |W_hh| rad of its value at
  the midpoint, and a float dot product of q terms, in any order, with or
  without fused multiply-adds, is within gamma_q = q u / (1 - q u) of the sum
  of its terms' magnitudes (Higham, *Accuracy and Stability of Numerical
  Algorithms*, 2002, section 3.1; u = 2**-53): gamma twice, for the compiled
  z and for the midpoint's own value, with q + 2 for margin.
* The gates: the compiled sigmoid and tanh are within the proved
  ``ACTIVATION_ERROR`` of the true, increasing functions
  (fastlstm/_kernels/intervals.py), so over [z_lo, z_hi] their values lie in
  the enclosures of ``gate_bounds.activation_bounds`` (twice that error
  beyond the values at the ends, which covers their non-monotone last bits),
  within [0, 1] and [-1, 1] (the compiled quotients' numerators are at most
  their denominators, and rounding is monotone).  Where the gate saturates
  they are *exactly* 1 (or -1): for z >= 40 the compiled sigmoid's
  denominator fma(S, p, 2**600 + S) has S = 2**(k + 600) <= 2**545 and
  |p| < 0.42, below half an ulp of 2**600 at both roundings, so it is 2**600,
  the numerator; tanh for |x| >= 20 likewise (``SIGMOID_ONE``, ``TANH_ONE``;
  tests/automata/test_boxes.py checks both on a grid).  So a memory kept by
  f = 1 stays exactly where it is, as it does in the kernels.  Under
  saturated activations a gate beyond the threshold is an end of its range,
  so an end of z beyond the band gives that end.
* c' = fma(f, c, fl(i g)) and h' = fl(o tanh(c')): an exact product or
  f c + p is extreme at a corner of its intervals and rounding to nearest is
  nondecreasing, so the float results at the corners, which NumPy computes
  with the same rounding, bound the compiled ones.  Where f c at the corner
  is not exact (Dekker's error-free product says), the float f c + p is
  widened by 2**-50 of |f c| + |p|.  A c end may be infinite (a drifting c,
  widened): the c of a state is finite, so 0 * inf counts as 0.
* Rounded feedback rounds h' half toward zero, a nondecreasing map: the
  rounded ends.

``box_labels``: the output on a box of h where it is the same at every point.
With a readout of k >= 2 outputs, the label is j when every difference
y_j - y_i (i != j) of the computed outputs is positive on the box (its exact
value within |W_j - W_i| rad of the midpoint's, each computed y within
gamma_{n+1} of its terms' magnitudes, three times for the two y's and the
midpoint's sum); a 1-output readout gives +1 or -1 where y > 0 or y < 0 (a
label 0, y = 0 exactly, is never proved); without a readout both ends must
round to the same h.
"""

from __future__ import annotations

import numpy as np

from .._kernels.gate_bounds import activation_bounds
from ..semantics import round_half_to_zero

__all__ = ["BoxStep", "box_labels"]

#: The compiled sigmoid is exactly 1 from here on, and the compiled tanh exactly +-1 beyond
#: +-TANH_ONE (module notes; tests/automata/test_boxes.py checks it).
SIGMOID_ONE = 40.0
TANH_ONE = 20.0

_U = 2.0 ** -53
_PAD = 2.0 ** -50
_TINY = 2.0 ** -1060


def _gamma(q):
    """gamma_q of a float sum of q terms (two more for the products and a final sum)."""
    return (q + 2) * _U / (1.0 - (q + 2) * _U)


def _upper(values, q):
    """An upper bound on the exact value of a float sum of q non-negative terms, as computed."""
    return values * (1.0 + 2.0 * _gamma(q)) + q * _TINY


def _ends(center, radius):
    """``[center - radius, center + radius]`` widened outward; NaN ends become the whole line."""
    with np.errstate(invalid="ignore", over="ignore"):
        lo = center - radius
        hi = center + radius
        lo, hi = lo - (np.abs(lo) * _PAD + _TINY), hi + (np.abs(hi) * _PAD + _TINY)
    bad = np.isnan(lo) | np.isnan(hi)
    return np.where(bad, -np.inf, lo), np.where(bad, np.inf, hi)


def _product(alo, ahi, blo, bhi):
    """Bounds of the compiled product fl(a b) over finite a in [alo, ahi], b in [blo, bhi].

    The exact product is extreme at the corners and rounding to nearest is nondecreasing,
    so fl of the corners' products, which NumPy computes, bound it: no widening needed.
    """
    p = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
    return (np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3])),
            np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3])))


_SPLIT = 2.0 ** 27 + 1.0


def _exact(a, b, p):
    """Whether ``p = a * b`` (as NumPy rounded it) is the exact product: Dekker's
    error-free product (Veltkamp's split) gives the error, 0 or not; out of its range
    (huge factors, an underflowing product) the answer is no.  Elementwise."""
    with np.errstate(invalid="ignore", over="ignore"):
        ca, cb = _SPLIT * a, _SPLIT * b
        ah, bh = ca - (ca - a), cb - (cb - b)
        al, bl = a - ah, b - bh
        e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
        safe = (np.abs(a) < 2.0 ** 995) & (np.abs(b) < 2.0 ** 995)
        return (safe & (e == 0) & ((np.abs(p) >= 2.0 ** -960) | (a == 0) | (b == 0))) \
            | (np.isinf(b) & (a != 0))


def _memory(flo, fhi, clo, chi, plo, phi):
    """Bounds of the compiled c' = fma(f, c, p) (p = fl(i g)) over the intervals, 0 <= f <= 1.

    c's ends may be infinite (a widened c; the c of a state is finite, so 0 * inf is 0).  The
    exact f c + p is extreme at a corner; where f c is exact there, fl(f c + p), which NumPy
    computes, bounds the compiled value (rounding to nearest is nondecreasing), so a c that
    a gate f = 1 keeps is kept exactly; elsewhere the float sum is widened by 2**-50 of
    |f c| + |p| (f c and the sum each round once).
    """
    ends = []
    for f, cend, p, sign in ((np.where(clo >= 0, flo, fhi), clo, plo, -1.0),
                             (np.where(chi >= 0, fhi, flo), chi, phi, 1.0)):
        with np.errstate(invalid="ignore", over="ignore"):
            fc = f * cend
            exact = _exact(f, cend, fc)
            fc = np.where(np.isnan(fc), 0.0, fc)
            total = fc + p
            ends.append(np.where(exact, total,
                                 total + sign * ((np.abs(fc) + np.abs(p)) * _PAD + _TINY)))
    return ends[0], ends[1]


def _midrad(lo, hi):
    with np.errstate(invalid="ignore", over="ignore"):
        mid = 0.5 * lo + 0.5 * hi
        rad = np.maximum(hi - mid, mid - lo)
        rad = rad + (rad * _PAD + _TINY)
    return mid, rad


class BoxStep:
    """Enclosures of the compiled step of an ``LSTMCell`` over boxes of (h, c), per symbol.

    Parameters
    ----------
    cell : LSTMCell
    inputs : numpy.ndarray, shape (A, m)
        The symbols' input vectors.
    semantics : Semantics
    """

    def __init__(self, cell, inputs, semantics):
        self.n = n = cell.hidden_size
        self.W = np.array(cell.W_hh, dtype=np.float64)                       # (4n, n)
        self.absW = np.abs(self.W)
        b = np.array(cell.bias(), dtype=np.float64)
        W_ih = np.array(cell.W_ih, dtype=np.float64)
        self.cx = inputs @ W_ih.T + b                                         # (A, 4n)
        self.sx = np.abs(inputs) @ np.abs(W_ih).T + np.abs(b)                 # magnitudes
        self.q = n + inputs.shape[1] + 1
        self.sem = semantics
        # how much a unit of width in each coordinate of (h, c) can widen the image:
        # the columns of |W_hh| for h (each gate's slope is at most 1), 1 for c (f <= 1)
        self.reach = np.concatenate([self.absW.sum(axis=0), np.ones(n)])

    def image(self, lo, hi, a):
        """The enclosure ``(lo', hi')`` (K, 2n) of the compiled step on symbol ``a`` from every
        (h, c) in the boxes ``[lo, hi]`` (K, 2n): h in the first n columns, c in the last n."""
        n, g = self.n, _gamma(self.q)
        hmid, hrad = _midrad(lo[:, :n], hi[:, :n])
        with np.errstate(invalid="ignore", over="ignore"):
            center = hmid @ self.W.T + self.cx[a]
            at_mid = np.abs(hmid) @ self.absW.T + self.sx[a]
            spread = hrad @ self.absW.T
            # |z(h) - center| <= |W_hh| rad + gamma (terms at the midpoint), and the compiled
            # z within gamma (terms at h) of z(h): |terms at h| <= at_mid + spread
            radius = _upper(spread + g * (2.0 * at_mid + spread), self.q)
        zlo, zhi = _ends(center, radius)
        sig = self._activation(np.concatenate([zlo[:, :2 * n], zlo[:, 3 * n:]], axis=1),
                               np.concatenate([zhi[:, :2 * n], zhi[:, 3 * n:]], axis=1), False)
        tg = self._activation(zlo[:, 2 * n:3 * n], zhi[:, 2 * n:3 * n], True)
        i = sig[0][:, :n], sig[1][:, :n]
        f = sig[0][:, n:2 * n], sig[1][:, n:2 * n]
        o = sig[0][:, 2 * n:], sig[1][:, 2 * n:]
        c = _memory(*f, lo[:, n:], hi[:, n:], *_product(*i, *tg))
        h = _product(*o, *self._activation(*c, True))
        if self.sem.round_feedback:   # nondecreasing: the rounded ends
            h = round_half_to_zero(h[0]), round_half_to_zero(h[1])
        return np.concatenate([h[0], c[0]], axis=1), np.concatenate([h[1], c[1]], axis=1)

    def _activation(self, zlo, zhi, is_tanh):
        """Bounds of the compiled (saturated) sigmoid or tanh over [zlo, zhi], elementwise."""
        out = np.empty((zlo.size, 6))
        activation_bounds(np.ascontiguousarray(zlo, dtype=np.float64).ravel(),
                          np.ascontiguousarray(zhi, dtype=np.float64).ravel(), is_tanh, out)
        vlo, vhi = out[:, 0].reshape(zlo.shape), out[:, 1].reshape(zlo.shape)
        # where the compiled function is exactly +-1 (module notes)
        if is_tanh:
            vlo = np.where(zlo >= TANH_ONE, 1.0, vlo)
            vhi = np.where(zhi <= -TANH_ONE, -1.0, vhi)
        else:
            vlo = np.where(zlo >= SIGMOID_ONE, 1.0, vlo)
        if self.sem.saturated:
            # beyond the band a gate takes an end of its range; at z = +-theta it is that
            # end (closed boundary) or the compiled value (open): bounds valid for both
            theta, low = self.sem.threshold, -1.0 if is_tanh else 0.0
            vlo = np.where(zlo > theta, 1.0, np.where(zlo <= -theta, low, vlo))
            vhi = np.where(zhi < -theta, low, np.where(zhi >= theta, 1.0, vhi))
        return vlo, vhi


def box_labels(readout, lo, hi):
    """The output on each box of h ``[lo, hi]`` (K, n), where it is the same at every point.

    Returns ``(labels, known)``: int64 labels (K,) (the rounded h (K, n) without a readout,
    or (K,) when n = 1) and a bool mask (K,) of the boxes where the output is proved constant.
    """
    if readout is None:
        rlo, rhi = round_half_to_zero(lo), round_half_to_zero(hi)
        with np.errstate(invalid="ignore"):
            known = ((rlo == rhi) & np.isfinite(rlo)).all(axis=1)
        labels = np.where(np.isfinite(rlo), rlo, 0).astype(np.int64)
        return (labels[:, 0] if lo.shape[1] == 1 else labels), known
    W, b = readout.weight, readout.bias
    k, n = W.shape
    g = 3.0 * _gamma(n + 1)   # each computed y, the difference of weights, the midpoint's sum
    mid, rad = _midrad(lo, hi)
    with np.errstate(invalid="ignore", over="ignore"):
        top = np.abs(mid) + rad
        if k == 1:
            center = mid @ W[0] + b[0]
            radius = _upper(rad @ np.abs(W[0]) + g * (top @ np.abs(W[0]) + abs(b[0])), n + 1)
            ylo, yhi = _ends(center, radius)
            labels = np.where(ylo > 0, 1, -1).astype(np.int64)
            return labels, (ylo > 0) | (yhi < 0)
        best = np.zeros(len(lo), dtype=np.int64)
        known = np.zeros(len(lo), dtype=bool)
        for j in range(k):
            wins = np.ones(len(lo), dtype=bool)
            for i in range(k):
                if i == j:
                    continue
                D = W[j] - W[i]
                center = mid @ D + (b[j] - b[i])
                size = top @ (np.abs(W[j]) + np.abs(W[i])) + abs(b[j]) + abs(b[i])
                radius = _upper(rad @ np.abs(D) + g * size, n + 2)
                dlo, _ = _ends(center, radius)
                wins &= dlo > 0
            best[wins] = j
            known |= wins
    if readout.labels is not None:
        best = np.asarray(readout.labels, dtype=np.int64)[best]
    return best, known
