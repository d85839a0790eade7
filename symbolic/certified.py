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
from sympy import Dummy, Integer, Rational, expand, fraction, together

from .functions import sigmoid, tanh  # tanh: used by the doctests

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
            return Num(expr, 1 / (1 + iv.exp(-self.iv)))
        return Num(expr, 1 - 2 / (iv.exp(2 * self.iv) + 1))

    def bounds(self):
        """The enclosure's endpoints as exact Fractions."""
        return tuple(Fraction(*mpmath.libmp.to_rational(end)) for end in self.iv._mpi_)

    def compare(self, t):
        """Sign of ``self - t`` for a rational ``t``; may raise :class:`Undecided`."""
        t = Rational(t)
        if self.is_exact:
            return int(sympy.sign(self.expr - t))
        lo, hi = self.bounds()
        point = Fraction(int(t.p), int(t.q))
        if lo > point:
            return 1
        if hi < point:
            return -1
        if self.resolve():
            return self.compare(t)
        raise Undecided(f"cannot tell a value in [{float(lo)!r}, {float(hi)!r}] from {t}")

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
        lo, hi = self.bounds()
        mid = (lo + hi) / 2
        if hi - lo > Fraction(1, 10 ** digits) * max(1, abs(mid)):
            raise Undecided(f"enclosure of width {float(hi - lo):.3g} is too wide for {digits} digits")
        return sympy.Float(Rational(mid.numerator, mid.denominator), digits)


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
