"""Exact decisions for the saturated fixed-point search, on rationals.

The float64 search (search.py) cannot tell on which side of a regime cut a
root lies when its enclosure holds the cut, in which regime its c is when the
enclosure of c holds +-threshold, nor whether a cut point itself is fixed.
Those questions are settled here on the exact numbers: the twelve parameters,
x and the threshold at their binary values as Fractions, so that a cut
``h = (+-threshold - (W_x x + b)) / W_h`` is a Fraction and a gate's regime
at a rational h is decided exactly.

At a rational h a saturated gate is 0, 1 or -1, and a smooth one is rational
exactly where its pre-activation is 0 (sigmoid(0) = 1/2, tanh(0) = 0); where
every part is, F(h) and c(h) are Fractions and every decision is exact.
Elsewhere they are enclosed by mpmath interval arithmetic (outward rounded),
at 64 bits and then at doubled precision up to ``MAX_BITS``: a sign is
decided as soon as an enclosure excludes 0.  What ``MAX_BITS`` does not
decide is reported undecided (None), never guessed.

``F(h) = o act(c) - h`` with ``c = i g / s``, ``s = 1 - f = sigmoid(-z_f)``,
the regimes of f, i, o, g (and of c, through ``act``) forced, as in the
kernel (fastlstm/_kernels/fixed_points.py).
"""

from __future__ import annotations

from fractions import Fraction

from mpmath import iv

#: Precisions tried in turn (bits) before a question is left undecided.
PRECISIONS = (64, 128, 256, 512, 1024)
MAX_BITS = PRECISIONS[-1]


def _iv(v):
    if isinstance(v, Fraction):
        return iv.mpf(v.numerator) / v.denominator
    return v


def _exact(*values):
    return all(isinstance(v, Fraction) for v in values)


def _add(a, b):
    return a + b if _exact(a, b) else _iv(a) + _iv(b)


def _sub(a, b):
    return a - b if _exact(a, b) else _iv(a) - _iv(b)


def _zero(v):
    return isinstance(v, Fraction) and v == 0


def _mul(a, b):
    if _zero(a) or _zero(b):  # an exact 0 stays exact: 0 * tanh(z) = 0
        return Fraction(0)
    return a * b if _exact(a, b) else _iv(a) * _iv(b)


def _div(a, b):
    if _zero(a):
        return Fraction(0)
    return a / b if _exact(a, b) else _iv(a) / _iv(b)


def _at(fn, e):
    """fn at one end e (an mpf) of an interval, as an interval."""
    return fn(iv.mpf(e))


def _sigmoid(z):
    """sigmoid(z): 1/2 for z = 0 (a Fraction), an interval otherwise.

    Increasing, so the ends of z give the ends of the image; beyond |z| =
    the precision in bits, e**-|z| < 2**-precision and the bound 0 or 1 is
    used instead (no exp of a huge argument).
    """
    if isinstance(z, Fraction):
        if z == 0:
            return Fraction(1, 2)
        z = _iv(z)
    limit = iv.prec

    def point(e):
        return 1 / (1 + iv.exp(-e))

    lo = iv.mpf(0) if z.a < -limit else _at(point, z.a)
    hi = iv.mpf(1) if z.b > limit else _at(point, z.b)
    return iv.mpf([lo.a, hi.b])


def _tanh(z):
    """tanh(z): 0 for z = 0 (a Fraction), an interval otherwise (as ``_sigmoid``).

    tanh(e) = expm1(2 e) / (expm1(2 e) + 2) keeps its relative accuracy near 0.
    """
    if isinstance(z, Fraction):
        if z == 0:
            return Fraction(0)
        z = _iv(z)
    limit = iv.prec

    def point(e):
        m = iv.expm1(2 * abs(e))
        t = m / (m + 2)
        return t if e >= 0 else -t

    lo = iv.mpf(-1) if z.a < -limit else _at(point, z.a)
    hi = iv.mpf(1) if z.b > limit else _at(point, z.b)
    return iv.mpf([lo.a, hi.b])


def _sigmoid_slope(z):
    """sigmoid'(z) = sigmoid(z) sigmoid(-z) (relative accuracy where sigmoid is near 1)."""
    return _mul(_sigmoid(z), _sigmoid(_mul(Fraction(-1), z)))


def _tanh_slope(z):
    """tanh'(z) = 4 sigmoid'(2 z)."""
    return _mul(Fraction(4), _sigmoid_slope(_mul(Fraction(2), z)))


def sign(v):
    """-1, 0 or +1 for a Fraction; for an interval -1 or +1 when it excludes 0, else None."""
    if isinstance(v, Fraction):
        return (v > 0) - (v < 0)
    if v.a > 0:
        return 1
    if v.b < 0:
        return -1
    return None


def decide(question):
    """``question()`` at each precision of PRECISIONS until it returns a value (not None)."""
    saved = iv.prec
    try:
        for bits in PRECISIONS:
            iv.prec = bits
            answer = question()
            if answer is not None:
                return answer
        return None
    finally:
        iv.prec = saved


class ExactCell:
    """A scalar cell and a constant input, on Fractions (see the module docstring).

    ``params`` the 12 parameters (PARAM_NAMES order), ``x`` the input,
    ``theta`` and ``inclusive`` the saturated semantics.
    """

    def __init__(self, params, x, theta, inclusive):
        p = [Fraction(float(v)) for v in params]
        x = Fraction(float(x))
        # gate k: z_k = a_k h + u_k, u_k = W_kx x + b_k
        self.lines = [(p[3 * k], p[3 * k + 1] * x + p[3 * k + 2]) for k in range(4)]
        self.floats = [(float(a), float(u)) for a, u in self.lines]
        self.theta = Fraction(float(theta))
        self.theta_float = float(theta)
        self.inclusive = inclusive

    def cuts(self):
        """The h in (-1, 1) where some pre-activation is +-theta, sorted (Fractions)."""
        found = set()
        for a, u in self.lines:
            if a != 0:
                found.update(h for side in (1, -1) for h in [(side * self.theta - u) / a]
                             if -1 < h < 1)
        return sorted(found)

    def regime(self, z):
        """The regime (-1, 0, +1) of an exact pre-activation (or c)."""
        t = self.theta
        if self.inclusive:
            return 1 if z >= t else (-1 if z <= -t else 0)
        return 1 if z > t else (-1 if z < -t else 0)

    def regimes_at(self, h):
        """The regimes of f, i, o, g at the rational h.

        In floats where z = a h + u is clearly away from +-theta (its float
        error is below 2**-50 (|a h| + |u|), far inside the margin 2**-30),
        in Fractions otherwise.
        """
        hf, t = float(h), float(self.theta)
        regs = []
        for (a, u), (af, uf) in zip(self.lines, self.floats):
            z = af * hf + uf
            if abs(abs(z) - t) > 2.0 ** -30 * (abs(af * hf) + abs(uf) + t):
                regs.append(1 if z > t else (-1 if z < -t else 0))
            else:
                regs.append(self.regime(a * h + u))
        return regs

    def regime_of(self, c):
        """The regime of c, a Fraction or an interval; None where an interval does not decide."""
        if isinstance(c, Fraction):
            return self.regime(c)
        above, below = sign(_sub(c, self.theta)), sign(_add(c, self.theta))
        if above is None or below is None:
            return None  # c may be +-theta, where the boundary rule decides
        return 1 if above > 0 else (-1 if below < 0 else 0)

    def evaluate(self, regs, rc, h, slope=False):
        """(F, c) at h (a Fraction or an interval), or (F, c, F') with ``slope``.

        ``regs`` the forced regimes of f, i, o, g, ``rc`` that of c.  Parts are
        Fractions where exact, intervals at the current precision otherwise.
        """
        values, slopes, zs = [], [], []
        for k, (a, u) in enumerate(self.lines):
            z = _add(_mul(a, h), u)
            zs.append(z)
            if regs[k]:
                values.append(Fraction(1 if regs[k] > 0 else (-1 if k == 3 else 0)))
                slopes.append(Fraction(0))
                continue
            values.append(_tanh(z) if k == 3 else _sigmoid(z))
            if slope:
                d = _tanh_slope(z) if k == 3 else _sigmoid_slope(z)
                slopes.append(_mul(a, d))
        f, i, o, g = values
        s = 1 - f if regs[0] else _sigmoid(_mul(Fraction(-1), zs[0]))
        c = _div(_mul(i, g), s)
        act = Fraction(rc) if rc else _tanh(c)
        F = _sub(_mul(o, act), h)
        if not slope:
            return F, c
        df, di, do, dg = slopes
        dc = _div(_add(_mul(di, g), _mul(i, dg)), s)
        if not regs[0]:  # c f' / s = c W_fh f
            dc = _add(dc, _mul(_mul(c, self.lines[0][0]), f))
        dact = Fraction(0) if rc else _tanh_slope(c)
        dF = _sub(_add(_mul(do, act), _mul(_mul(o, dact), dc)), Fraction(1))
        return F, c, dF

    def side_of(self, regs, rc, e, increasing):
        """Where the one root of F in an enclosure holding the rational e lies.

        F strictly monotone on the enclosure (``increasing`` or not): -1 below
        e, 0 at e, +1 above, None undecided (F(e) within 2**-MAX_BITS of 0).
        """
        s = decide(lambda: sign(self.evaluate(regs, rc, e)[0]))
        if s is None or s == 0:
            return s
        return -1 if (s > 0) == increasing else 1

    def root_c_regime(self, regs, rc, lo, hi):
        """The regime of c at the one root of F in [lo, hi] (floats), or None.

        Interval Newton (F' excludes 0 there) shrinks [lo, hi] at each
        precision until the enclosure of c over it is on one side of
        +-theta.
        """
        def question():
            X = iv.mpf([lo, hi])
            for _ in range(4 * iv.prec):
                regime = self.regime_of(self.evaluate(regs, rc, X)[1])
                if regime is not None:
                    return regime
                m = iv.mpf(X.mid.a)
                Fm = _iv(self.evaluate(regs, rc, m)[0])
                dF = _iv(self.evaluate(regs, rc, X, slope=True)[2])
                if sign(dF) is None:
                    return None
                N = m - Fm / dF
                new_lo, new_hi = max(X.a, N.a), min(X.b, N.b)
                if new_lo > new_hi or (new_lo == X.a and new_hi == X.b):
                    return None  # no progress at this precision
                X = iv.mpf([new_lo, new_hi])
            return None

        return decide(question)
