"""Reference trajectories at a requested precision, with exact regime decisions.

Arithmetic is exact (SymPy Rationals) wherever the value is rational: the
inputs, the parameters (floats at their binary value), saturated activation
values, ``sigmoid(0)``, ``tanh(0)`` and everything built from them by ``+`` and
``*``.  Everything else is carried as a rigorous interval enclosure
(:mod:`symbolic.certified`), so every regime decision, boundary hit and rounding
is *proved*, not estimated:

- a rational pre-activation is compared with the threshold exactly, so an exact
  boundary hit is reported only for ``|z| == theta`` exactly;
- an irrational one is compared through its enclosure; if the enclosure still
  contains the threshold, the value is first tested for being a disguised
  rational (e.g. ``sigmoid(a) + sigmoid(-a) = 1``, decided exactly by
  :func:`symbolic.certified.rational_value`), and otherwise the whole trajectory
  is recomputed at twice the precision, up to ``2**MAX_DOUBLINGS`` times the
  initial one.  A value that stays indistinguishable from the threshold after
  that raises :class:`PrecisionError` rather than guessing a side.

A reported Float has ``digits`` significant digits, rounded from an enclosure
narrower than ``10**-digits * max(1, |value|)`` (else the precision is raised too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from mpmath.libmp import (dps_to_prec, fhalf, mpf_abs, mpf_add, mpf_cmp, mpf_shift, mpf_sub,
                          round_ceiling, round_nearest, to_int)
from sympy import Integer, Rational

from .certified import Num, Undecided, working_precision
from .functions import round_half_to_zero, sigmoid, tanh
from .params import exact_inputs, exact_params
from .semantics import Semantics, semantics as make_semantics
from .symbols import GATE_PARAMS, PARAM_NAMES

#: Extra bits carried beyond the requested digits.
GUARD_BITS = 64
#: How many times an undecided trajectory is recomputed at twice the precision.
MAX_DOUBLINGS = 4
#: Largest ``digits`` accepted: the work grows with the precision, up to
#: ``2**MAX_DOUBLINGS`` times ``digits`` decimal digits.
MAX_DIGITS = 1000
#: Largest numerator or denominator, in bits, of a parameter, input, threshold,
#: h0 or c0 (every float64 needs at most 1075).  It bounds the exact
#: arithmetic and the argument reduction of every exp (a pre-activation stays
#: below about 2**(2 * MAX_BITS + 2)).
MAX_BITS = 8192

PREACTIVATION_NAMES = ("z_f", "z_i", "z_o", "z_g", "c")
GATE_NAMES = ("f", "i", "o", "g")


class PrecisionError(ArithmeticError):
    """A regime or rounding decision that no precision tried could settle."""


@dataclass(frozen=True)
class Steps:
    """What every reference trajectory holds: its inputs, semantics, precision and the
    per-step fields (their entries are described by :class:`Reference` and
    :class:`symbolic.VectorReference`)."""

    xs: tuple
    semantics: Semantics
    digits: int
    precision: int
    h: tuple = field(repr=False)
    c: tuple = field(repr=False)
    h_raw: tuple = field(repr=False)
    rounded: tuple = field(repr=False)
    gates: tuple = field(repr=False)
    preactivations: tuple = field(repr=False)
    regimes: tuple = field(repr=False)
    boundary_hits: tuple = field(repr=False)

    def __len__(self):
        return len(self.xs)


@dataclass(frozen=True)
class Reference(Steps):
    """A reference trajectory; one entry per step in every per-step field.

    Numbers are SymPy Rationals where the value is rational and SymPy Floats
    with ``digits`` significant digits otherwise.

    Attributes
    ----------
    h, c : tuple
        Reported state (``h`` is rounded under ``round_feedback``).
    h_raw : tuple
        ``o_t * tanh(c_t)`` before rounding.
    rounded : tuple of int
        ``round_half_to_zero(h)``.
    gates : tuple of (f, i, o, g)
    preactivations : tuple of (z_f, z_i, z_o, z_g, c)
    regimes : tuple of 5-tuples of int
        -1, 0, +1 for each pre-activation (computed in exact mode too).
    boundary_hits : tuple of 5-tuples of bool
        ``|z| == threshold`` exactly.
    precision : int
        Working precision in bits that settled every decision.
    """

    params: MappingProxyType

    def as_arrays(self):
        """The per-step fields as NumPy arrays, shaped like a compiled trace.

        ``h``, ``c``, ``h_raw``: float64 ``(T,)``; ``rounded``: int64 ``(T,)``;
        ``gates``: ``(T, 4)``; ``preactivations``: ``(T, 5)``; ``regimes``: int8
        ``(T, 5)``; ``boundary_hits``: bool ``(T, 5)``.
        """
        n = len(self)

        def floats(values, width=None):
            shape = (n,) if width is None else (n, width)
            return np.array(values, dtype=float).reshape(shape)

        return {
            "h": floats(self.h), "c": floats(self.c), "h_raw": floats(self.h_raw),
            "rounded": np.array(self.rounded, dtype=np.int64).reshape(n),
            "gates": floats(self.gates, 4),
            "preactivations": floats(self.preactivations, 5),
            "regimes": np.array(self.regimes, dtype=np.int8).reshape(n, 5),
            "boundary_hits": np.array(self.boundary_hits, dtype=bool).reshape(n, 5),
        }


def simulate(params, xs, digits=50, **semantics):
    r"""Run the cell on ``xs`` exactly / at ``digits`` digits, deciding every regime exactly.

    Parameters
    ----------
    params : mapping or object
        The twelve parameters (see :func:`symbolic.params.exact_params`).
    xs : sequence of numbers
        The inputs ``x_0, x_1, ...``.
    digits : int
        Significant digits of each reported irrational value, at most
        ``MAX_DIGITS`` (1000).
    **semantics
        ``activation``, ``threshold``, ``inclusive``, ``round_feedback``,
        ``h0``, ``c0`` as defined in docs/semantics.md.

    Returns
    -------
    Reference

    Raises
    ------
    ValueError
        Up front, for a number whose numerator or denominator has more than
        ``MAX_BITS`` (8192) bits (every float64 has at most 1075), or for
        ``digits`` beyond ``MAX_DIGITS``: the work is bounded by these.
    PrecisionError
        If a value stays indistinguishable from a threshold (or a rounding tie)
        at ``2**MAX_DOUBLINGS`` times the initial precision and is not found to
        be rational.

    Examples
    --------
    The parity cell on ``1 1 0 1 1``, saturated with a closed boundary: at
    ``t = 3`` the candidate's pre-activation is exactly 0.

    >>> parity = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
    ...               W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)
    >>> ref = simulate(parity, [1, 1, 0, 1, 1], activation="saturated")
    >>> ref.h, ref.rounded
    ((1, -1, 1/2, 0, 1), (1, -1, 0, 0, 1))
    >>> ref.preactivations[3][3], ref.regimes[3], ref.boundary_hits[0]
    (0, (-1, 1, 1, 0, 0), (False, False, False, False, True))
    >>> simulate(parity, [1, 1], digits=20).h
    (0.76159415595576488812, -0.76159415595576488812)
    """
    digits = check_digits(digits)
    p = exact_params(params)
    xs = exact_inputs(xs)
    sem = make_semantics(**semantics)
    numbers = [*p.items(), *((f"xs[{k}]", x) for k, x in enumerate(xs)),
               ("threshold", sem.threshold), ("h0", sem.h0), ("c0", sem.c0)]
    for name, q in numbers:
        check_size(q, name)
    return _reference(tuple(p[name] for name in PARAM_NAMES), xs, sem, digits)


def check_digits(digits):
    """``digits`` as an int in [1, MAX_DIGITS]; TypeError/ValueError otherwise."""
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)):
        raise TypeError(f"digits must be an int, got {type(digits).__name__}")
    if not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"digits must be in [1, {MAX_DIGITS}], got {digits}")
    return int(digits)


def check_size(q, name):
    """Refuse, up front, a number whose exact arithmetic would not be bounded."""
    bits = max(int(q.p).bit_length(), int(q.q).bit_length())
    if bits > MAX_BITS:
        part = "numerator" if int(q.p).bit_length() >= int(q.q).bit_length() else "denominator"
        raise ValueError(f"{name} is too large for the reference: its {part} has {bits} bits, "
                         f"more than MAX_BITS = {MAX_BITS} (every float64 needs at most 1075); "
                         "the exact arithmetic and the exp of such a pre-activation would not "
                         "be bounded")


@lru_cache(maxsize=512)
def _reference(values, xs, sem, digits):
    # cached: agreement tests and tables ask for the same trajectories again
    params = dict(zip(PARAM_NAMES, values))
    return with_doubling(lambda bits: _run(params, xs, sem, digits, bits), digits)


def with_doubling(run, digits):
    """``run(bits)`` at the first precision, from ``digits``, that decides everything.

    ``run`` raises :class:`Undecided` when its enclosures are too wide; it is
    then called again at twice the precision, at most ``MAX_DOUBLINGS`` times.
    """
    bits = dps_to_prec(digits) + GUARD_BITS
    for _ in range(MAX_DOUBLINGS + 1):
        try:
            with working_precision(bits):
                return run(bits)
        except Undecided as exc:
            reason, bits = exc, 2 * bits
    raise PrecisionError(f"{reason} (tried up to {bits // 2} bits): the value is not known to be "
                         "rational and no precision separated it; increase digits") from reason


def _regime(z, sem):
    """(regime, boundary hit) of a certified pre-activation."""
    above, below = z.compare(sem.threshold), z.compare(-sem.threshold)
    hit = above == 0 or below == 0
    if sem.inclusive:
        return (1 if above >= 0 else -1 if below <= 0 else 0), hit
    return (1 if above > 0 else -1 if below < 0 else 0), hit


def _activate(func, z, regime, sem):
    if sem.saturating and regime:
        low = 0 if func is sigmoid else -1
        return Num.exact(Integer(1 if regime > 0 else low))
    return z.activation(func)


def _rounded(v):
    """round_half_to_zero of a certified value, proved, as an Integer."""
    if not v.is_exact:
        m = _midpoint_rounding(v)
        # m is right iff v lies in m's rounding cell; both ends may resolve v exactly
        above, below = v.compare(m - Rational(1, 2)), v.compare(m + Rational(1, 2))
        if not v.is_exact:
            if above <= 0 or below >= 0:  # pragma: no cover - mid lies inside the enclosure
                raise Undecided("rounding cell of the enclosure midpoint does not hold it")
            return m
    return round_half_to_zero(v.expr)


def _midpoint_rounding(v):
    """round_half_to_zero of the enclosure's midpoint (a candidate, checked by the caller).

    Computed on the binary endpoints: the midpoint of an enclosure such as
    [0, e**-1e8] is never turned into an exact fraction (that would not finish).
    """
    lo, hi = v.endpoints()
    mid = mpf_shift(mpf_add(lo, hi, max(lo[3], hi[3]) + 64, round_nearest), -1)
    size = mpf_abs(mid)
    if mpf_cmp(size, fhalf) <= 0:
        return Integer(0)
    if size[2] >= 0:  # an integer already
        m = to_int(size)
    else:  # 1/2 < size: the exact difference has at most size's bits plus one
        m = to_int(mpf_sub(size, fhalf), round_ceiling)
    return Integer(-m if mid[0] else m)


def unit_step(zs, c_prev, sem):
    """One unit's step from its certified gate pre-activations ``zs`` (f, i, o, g).

    Returns ``(h, c, h_raw, rounded, gates, preactivations, decisions)``: the
    new state as :class:`Num`, the rounded h as an Integer, the gates (f, i, o,
    g), the five pre-activations (z_f, z_i, z_o, z_g, c) and their
    (regime, boundary hit) pairs.  May raise :class:`Undecided`.
    """
    decisions = [_regime(z, sem) for z in zs]
    gates = [_activate(sigmoid if k < 3 else tanh, z, r, sem)
             for k, (z, (r, _)) in enumerate(zip(zs, decisions))]
    f, i, o, g = gates
    c = f * c_prev + i * g
    decisions.append(_regime(c, sem))
    h_raw = o * _activate(tanh, c, decisions[-1][0], sem)
    h = Num.exact(_rounded(h_raw)) if sem.round_feedback else h_raw
    return h, c, h_raw, _rounded(h), gates, list(zs) + [c], decisions


def _run(params, xs, sem, digits, bits):
    h, c = Num.exact(sem.h0), Num.exact(sem.c0)
    steps = []
    for t, x in enumerate(xs):
        try:
            step = unit_step([h * params[w_h] + (params[w_x] * x + params[b])
                              for w_h, w_x, b in GATE_PARAMS.values()], c, sem)
        except Undecided as exc:
            raise Undecided(f"step {t}: {exc}") from None
        h, c = step[0], step[1]
        steps.append(step)

    def values(nums):
        return tuple(num.value(digits) for num in nums)

    return Reference(
        params=MappingProxyType(params), xs=xs, semantics=sem, digits=digits, precision=bits,
        h=values(s[0] for s in steps), c=values(s[1] for s in steps),
        h_raw=values(s[2] for s in steps), rounded=tuple(int(s[3]) for s in steps),
        gates=tuple(values(s[4]) for s in steps),
        preactivations=tuple(values(s[5]) for s in steps),
        regimes=tuple(tuple(r for r, _ in s[6]) for s in steps),
        boundary_hits=tuple(tuple(hit for _, hit in s[6]) for s in steps),
    )
