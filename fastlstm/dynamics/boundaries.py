"""Where along one parameter axis the fixed-point structure of a cell changes.

The *structure* of a cell at a parameter value is the list of its fixed
points' stability classes in increasing h (``fl.fixed_points``), with an
uncertified point marked as such.  The axis is sampled; between two samples
of different structure the change is located by bisection on that structure
to within ``tol``.  A saddle-node (two points appear or vanish together), a
point changing stability (an eigenvalue crossing the unit circle) or a point
crossing a regime cut all show up as a change; two changes closer than the
sampling step that cancel each other do not.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._validate import finite_scalar, integer
from ..params import PARAM_NAMES
from .fixed_points import as_scalar_cell, fixed_points


@dataclasses.dataclass(frozen=True)
class Boundary:
    """A change of the fixed-point structure along an axis.

    ``value`` is the middle of ``bracket`` (width <= tol), ``before`` and
    ``after`` the structures on either side (tuples of stability classes in
    increasing h); at the boundary itself a point is non-hyperbolic or
    uncertified (``"?"``).
    """

    axis: str
    value: float
    bracket: tuple
    before: tuple
    after: tuple

    def describe(self) -> str:
        """The change in words.

        >>> Boundary("b_c", 0.5, (0.5, 0.5), ("stable node",) * 3, ("stable node",)).describe()
        'b_c = 0.5: 3 fixed points (stable node, stable node, stable node) -> 1 (stable node)'
        """
        def show(s):
            return f"{len(s)} ({', '.join(s)})" if s else "0"
        before = show(self.before)
        before = before.replace(" (", " fixed points (", 1) if len(self.before) != 1 else \
            before.replace(" (", " fixed point (", 1)
        return f"{self.axis} = {self.value:.10g}: {before} -> {show(self.after)}"


def structure(cell, x, **semantics):
    """The stability classes of ``cell``'s fixed points for input ``x``, in increasing h."""
    return tuple(p.stability if p.certified else "?"
                 for p in fixed_points(cell, x, **semantics))


def fixed_point_boundaries(base_cell, axis, lo, hi, x, *, samples=65, tol=1e-9,
                           activation="exact", threshold=1.0, inclusive=True):
    """Every change of the fixed-point structure of ``base_cell`` with ``axis`` in [lo, hi].

    Parameters
    ----------
    base_cell : ScalarLSTM (or what ``fl.fixed_points`` accepts)
    axis : str
        One of ``PARAM_NAMES``; the others stay as in ``base_cell``.
    lo, hi : float
        The range, ``lo < hi`` (any finite floats; ``hi - lo`` may overflow).
        The cells at both ends must pass ``fl.fixed_points``' checks (a
        ValueError names the bound that does not).
    x : float
        The constant input.
    samples : int
        Points of the initial scan (>= 2), evenly spaced, ends included.
    tol : float
        Width to which each boundary is bracketed (> 0).
    activation, threshold, inclusive
        The semantics.

    Returns
    -------
    tuple of Boundary, in increasing value.

    Examples
    --------
    The parity cell reading 0 has one fixed point, h = 0, with eigenvalues 0 and
    ``W_ch o i + f ~ W_ch / 2``: stable while ``W_ch > -2``, a saddle below.

    >>> import fastlstm as fl
    >>> (b,) = fl.fixed_point_boundaries(fl.presets.parity(), "W_ch", -3, -1, 0)
    >>> print(b.describe())
    W_ch = -2: 1 fixed point (saddle) -> 1 (stable node)
    """
    cell = as_scalar_cell(base_cell, "base_cell")
    if not isinstance(axis, str):
        raise TypeError(f"axis must be a parameter name (str), got {type(axis).__name__}")
    if axis not in PARAM_NAMES:
        raise ValueError(f"axis must be one of {PARAM_NAMES}, got {axis!r}")
    lo, hi = finite_scalar(lo, "lo"), finite_scalar(hi, "hi")
    if not lo < hi:
        raise ValueError(f"lo must be < hi, got lo={lo}, hi={hi}")
    samples = integer(samples, "samples", minimum=2)
    tol = finite_scalar(tol, "tol")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    semantics = dict(activation=activation, threshold=threshold, inclusive=inclusive)

    def at(value):
        return structure(cell.replace(**{axis: float(value)}), x, **semantics)

    # Every cell along the axis passes the pre-activation check when both ends do (the
    # bound grows with |value|), so a refusal is made here, naming the bound that caused it.
    ends = {}
    for name, end in (("lo", lo), ("hi", hi)):
        try:
            ends[end] = at(end)
        except ValueError as exc:
            raise ValueError(f"{name}={end!r}: the cell with {axis}={end!r} is refused: "
                             f"{exc}") from None
    # samples on a boundary itself (a non-hyperbolic or uncertified point) are left out:
    # the structures on either side are what a boundary separates
    scan = [(v, ends[v] if v in ends else at(v)) for v in _samples(lo, hi, samples)]
    scan = [(v, s) for v, s in scan if not _transitional(s)]
    found = []
    for (a, sa), (b, sb) in zip(scan, scan[1:]):
        if sa != sb:
            found.append(_bisect(at, axis, a, b, sa, sb, tol))
    return tuple(found)


def _samples(lo, hi, n):
    """``n`` evenly spaced floats from ``lo`` to ``hi``, ends exact, also when ``hi - lo``
    overflows float64 (then spaced between the halves, which are exact, and doubled)."""
    if math.isfinite(hi - lo):
        return np.linspace(lo, hi, n).tolist()
    return (2 * np.linspace(lo / 2, hi / 2, n)).tolist()


def _midpoint(a, b):
    """The middle of [a, b]; ``b - a`` may overflow float64 (a and b cannot)."""
    return a + 0.5 * (b - a) if math.isfinite(b - a) else 0.5 * a + 0.5 * b


def _transitional(shape):
    return "?" in shape or "non-hyperbolic" in shape


def _bisect(at, axis, a, b, sa, sb, tol):
    """Narrow [a, b] (structure sa at a, not sa at b) to a bracket of width <= tol."""
    while b - a > tol:  # inf when the width overflows: still wider than tol
        m = _midpoint(a, b)
        if m <= a or m >= b:  # the float grid is exhausted
            break
        sm = at(m)
        if sm == sa:
            a = m
        else:  # the change lies in [a, m]; a transitional structure is no side of it
            b = m
            sb = sb if _transitional(sm) else sm
    return Boundary(axis, _midpoint(a, b), (a, b), sa, sb)
