"""Certified numbers: exact where the value is rational, a rigorous enclosure otherwise.

The reference must decide regimes (``z >= theta``?) and rounding ties exactly,
yet ``sigmoid`` and ``tanh`` of a nonzero rational are transcendental.  A
:class:`Num` therefore carries

- ``iv``: an mpmath interval that provably contains the value (outward
  rounding at the working precision), and
- ``expr``: the exact value as a SymPy expression while it is cheap to keep: a
  Rational, or a polynomial with rational coefficients in atoms ``sigmoid(r)``,
  ``tanh(r)`` with ``r`` rational.  ``None`` once an activation is applied to an
  irrational argument.

A comparison is decided by the exact Rational when there is one, else by the
interval when it lies on one side.  When the interval straddles the point, the
exact expression is tested for being a rational number (:func:`rational_value`):
identities such as ``sigmoid(a) + sigmoid(-a) = 1`` are found and the value
becomes exact.  Otherwise :class:`Undecided` is raised and the caller retries at
a higher precision; a value that is irrational is separated from a rational
threshold at some precision.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from fractions import Fraction

import mpmath
import sympy
from mpmath import iv
from mpmath.libmp import (dps_to_prec, fhalf, fone, from_int, from_rational, fzero, mpf_abs,
                          mpf_add, mpf_cmp, mpf_exp, mpf_mul, mpf_neg, mpf_shift, mpf_sign,
                          mpf_sub, round_ceiling, round_floor, round_nearest, to_float)
from sympy import Dummy, Integer, Rational, expand, fraction, together

from .functions import sigmoid, tanh  # noqa: F401  (tanh: used by the doctests)

#: The exact test gives up on expressions with more atoms than this: its cost
#: grows like 2**atoms, and such values only arise in long saturated runs.
MAX_ATOMS = 10


class Undecided(ArithmeticError):
    """A comparison the enclosure cannot decide at the working precision."""


@contextmanager
def working_precision(bits):
    """Set mpmath's interval precision (global to ``mpmath.iv``) for a block."""
    old = iv.prec
    iv.prec = bits
    try:
        yield
    finally:
        iv.prec = old


def _enclose(q):
    return iv.mpf(int(q.p)) / iv.mpf(int(q.q))


class Num:
    """A real number known exactly (``expr``) and/or by an enclosure (``iv``).

    Examples
    --------
    >>> with working_precision(80):
    ...     a = Num.exact(Rational(3)).activation(sigmoid)
    ...     b = Num.exact(Rational(-3)).activation(sigmoid)
    ...     total = a + b
    ...     total.compare(1), total.expr, a.compare(Rational(95, 100))
    (0, 1, 1)
    """

    __slots__ = ("expr", "iv", "_irrational")

    def __init__(self, expr, enclosure):
        self.expr = expr
        self.iv = enclosure
        self._irrational = False

    @classmethod
    def exact(cls, q):
        """The rational ``q`` (a SymPy Rational)."""
        return cls(q, _enclose(q))

    @property
    def is_exact(self):
        """True when the value is a known Rational (``self.expr``)."""
        return self.expr is not None and self.expr.is_Rational

    def _combine(self, other, op):
        if not isinstance(other, Num):
            other = Num.exact(Rational(other))
        expr = None
        if self.expr is not None and other.expr is not None:
            expr = op(self.expr, other.expr)
            if expr.is_Rational:
                return Num.exact(expr)
        return Num(expr, op(self.iv, other.iv))

    def __add__(self, other):
        return self._combine(other, lambda a, b: a + b)

    __radd__ = __add__

    def __mul__(self, other):
        if _is_zero(self) or _is_zero(other):
            return Num.exact(Integer(0))  # exact even when the other factor is not
        return self._combine(other, lambda a, b: a * b)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def activation(self, func):
        """``sigmoid(self)`` or ``tanh(self)``."""
        expr = func(self.expr) if self.is_exact else None
        if expr is not None and expr.is_Rational:
            return Num.exact(expr)
        if func is sigmoid:
            return Num(expr, 1 / (1 + _exp(-self.iv)))
        return Num(expr, 1 - 2 / (_exp(2 * self.iv) + 1))

    def bounds(self):
        """The enclosure's endpoints as exact Fractions.

        Beware: an endpoint such as ``e**-1e8`` is a Fraction with a
        denominator of 1.4e8 bits.  The methods here never call this; they
        compare and round the binary endpoints themselves (:meth:`endpoints`).
        """
        return tuple(Fraction(*mpmath.libmp.to_rational(end)) for end in self.iv._mpi_)

    def endpoints(self):
        """The enclosure's endpoints as raw mpmath mpf tuples (cheap at any magnitude)."""
        return self.iv._mpi_

    def compare(self, t):
        """Sign of ``self - t`` for a rational ``t``; may raise :class:`Undecided`.

        Decided on the binary endpoints: ``lo > p/q`` exactly when
        ``lo * q > p``, a product of a few hundred bits whatever the
        endpoint's exponent (converting ``e**-1e8`` to a Fraction would not
        finish).
        """
        t = Rational(t)
        if self.is_exact:
            return int(sympy.sign(self.expr - t))
        lo, hi = self.endpoints()
        if _cmp_rational(lo, t) > 0:
            return 1
        if _cmp_rational(hi, t) < 0:
            return -1
        if self.resolve():
            return self.compare(t)
        raise Undecided(f"cannot tell a value in [{_show(lo)}, {_show(hi)}] from {t}")

    def resolve(self):
        """Make the value exact if it is rational; return ``self.is_exact``."""
        if self.is_exact or self.expr is None or self._irrational:
            return self.is_exact
        value = rational_value(self.expr)
        if value is None:
            self._irrational = True
            return False
        self.expr, self.iv = value, _enclose(value)
        return True

    def value(self, digits):
        """The Rational, or a Float with ``digits`` digits from the enclosure.

        Raises :class:`Undecided` if the enclosure is wider than
        ``10**-digits * max(1, |value|)``.
        """
        if self.is_exact:
            return self.expr
        lo, hi = self.endpoints()
        prec = dps_to_prec(digits)
        # width rounded up, tolerance rounded down: never a too-wide enclosure reported
        width = mpf_sub(hi, lo, _CHECK_BITS, round_ceiling)
        smallest = _min_abs(lo, hi)  # |midpoint| >= smallest
        scale = smallest if mpf_cmp(smallest, fone) > 0 else fone
        tolerance = mpf_mul(from_rational(1, 10 ** digits, _CHECK_BITS, round_floor), scale,
                            _CHECK_BITS, round_floor)
        if mpf_cmp(width, tolerance) > 0:
            raise Undecided(f"enclosure of width {_show(width)} is too wide for {digits} digits")
        # The midpoint rounded once to the Float's precision: (lo + hi) rounded, then
        # halved exactly (a shift), as Float(exact midpoint, digits) would round it.
        mid = mpf_shift(mpf_add(lo, hi, prec, round_nearest), -1)
        return sympy.Float._new(mid, prec, zero=False)


def _exp(x):
    """``iv.exp(x)``, without mpmath's slow path for huge integer-valued endpoints.

    Above 600 bits mpmath computes ``e**n`` for an integer-valued ``n`` as a
    power of ``e``: some ``log2|n|`` squarings, each carrying ``1.45 * log2|n|``
    extra bits, which takes seconds for ``|n| ~ 2**4096`` where its argument
    reduction (the path of every other argument) takes milliseconds.  Such an
    endpoint is computed as ``e**(n + 1/2) * e**(-1/2)`` instead (``n + 1/2`` is
    exact and not an integer), each factor rounded outward.
    """
    lo, hi = x._mpi_
    return iv.make_mpf((_exp_end(lo, round_floor), _exp_end(hi, round_ceiling)))


def _exp_end(end, rnd):
    prec = iv.prec
    sign, man, exp, bc = end
    if man and exp >= 0 and bc + exp > 64 and prec > 600:
        # both factors are positive: rounding each toward rnd bounds the product
        wp = prec + 10
        shifted = mpf_exp(mpf_add(end, fhalf), wp, rnd)
        return mpf_mul(shifted, mpf_exp(mpf_neg(fhalf), wp, rnd), prec, rnd)
    return mpf_exp(end, prec, rnd)


#: Bits of the directed-rounding arithmetic of the width test in ``Num.value``.
_CHECK_BITS = 64


def _cmp_rational(end, t):
    """Sign of ``end - t``, exactly, for an mpf ``end`` and a SymPy Rational ``t``."""
    # q > 0: end - p/q has the sign of end * q - p; the product is exact and small.
    return mpf_cmp(mpf_mul(end, from_int(int(t.q))), from_int(int(t.p)))


def _min_abs(lo, hi):
    """The smallest |v| for v in [lo, hi] (a lower bound of |midpoint|)."""
    if mpf_sign(lo) <= 0 <= mpf_sign(hi):
        return fzero
    return mpf_abs(lo) if mpf_sign(lo) > 0 else mpf_abs(hi)


def _show(end):
    """An mpf endpoint in a message: a float, or its power of two beyond float range."""
    value = to_float(end)
    if value == 0 and end != fzero or math.isinf(value):
        sign, man, exp, bc = end
        return f"{'-' if sign else ''}~2**{exp + bc}"
    return repr(value)


def _is_zero(v):
    return v.is_exact and v.expr == 0 if isinstance(v, Num) else v == 0


def rational_value(expr):
    """The Rational that ``expr`` equals, or None if it is irrational (or too large to tell).

    ``expr`` is a polynomial with rational coefficients in atoms ``sigmoid(r)``
    and ``tanh(r)``, ``r`` rational.  With ``N`` a common denominator of the
    ``r`` and ``U = e**(1/N)``, every atom is a rational function of ``U``
    (``sigmoid(r) = U**(rN) / (U**(rN) + 1)``), so ``expr = P(U)/Q(U)``.  ``U`` is
    transcendental (Lindemann), hence ``expr`` equals a rational ``q`` exactly when
    ``P - q*Q`` is the zero polynomial; otherwise it is irrational.  Exponents can
    be huge (float inputs), so the polynomials are kept sparse.

    Examples
    --------
    >>> from sympy import Rational as R
    >>> rational_value(sigmoid(R(7, 3)) + sigmoid(R(-7, 3)))
    1
    >>> rational_value(2 * sigmoid(R(2)) - tanh(R(1)))   # tanh(a) = 2 sigmoid(2a) - 1
    1
    >>> rational_value(sigmoid(R(2)) - tanh(R(1))) is None
    True
    """
    atoms = expr.atoms(sigmoid, sympy.tanh)
    if not atoms:
        return expr if expr.is_Rational else None
    if len(atoms) > MAX_ATOMS:
        return None
    n = math.lcm(*(int(a.args[0].q) for a in atoms))
    u = Dummy("U", positive=True)
    as_u = {}
    for atom in atoms:
        k = int(atom.args[0] * n * (1 if isinstance(atom, sigmoid) else 2))
        power = u ** abs(k)
        if isinstance(atom, sigmoid):  # e^r = U^k
            as_u[atom] = (power if k >= 0 else 1) / (power + 1)
        else:  # e^(2r) = U^k
            as_u[atom] = (power - 1 if k >= 0 else 1 - power) / (power + 1)
    numer, denom = (expand(part) for part in fraction(together(expr.xreplace(as_u))))
    p_coeffs, q_coeffs = (_coefficients(part, u) for part in (numer, denom))
    top = max(q_coeffs)
    q = p_coeffs.get(top, Integer(0)) / q_coeffs[top]
    if all(p_coeffs.get(e, 0) == q * q_coeffs.get(e, 0) for e in set(p_coeffs) | set(q_coeffs)):
        return q
    return None


def _coefficients(poly, u):
    # {exponent: coefficient} of an expanded sparse polynomial in u
    coeffs = {}
    for term, coeff in poly.as_coefficients_dict().items():
        base, exponent = term.as_base_exp()
        exponent = int(exponent) if base == u else 0  # sympy.degree would go dense
        coeffs[exponent] = coeffs.get(exponent, 0) + coeff
    return coeffs
