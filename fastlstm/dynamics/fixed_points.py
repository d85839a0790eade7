r"""Every fixed point of a scalar cell under a constant input, each in a certified enclosure.

The reduction to one variable
-----------------------------
For a constant input x, (h, c) is a fixed point of the step when
``c = f(h) c + i(h) g(h)`` and ``h = o(h) act(c)``.  Under exact semantics
``f < 1``, so the first equation gives ``c = i g / (1 - f)`` and the fixed
points are exactly the pairs ``(h, c(h))`` with h a root of

.. math::  F(h) = o(h)\,\tanh\!\Big(\frac{i(h)\,g(h)}{1 - f(h)}\Big) - h .

Every fixed point has ``|h| = |o act(c)| <= 1``, so the roots of F in
[-1, 1] are all of them (and with them ``|c| = |i g| / (1 - f) <= 1 / (1 -
max f)``, the bound of the reachable box): searching [-1, 1] is complete.
``F(-1) >= 0 >= F(1)``, so there is always at least one.

The search (fastlstm/_kernels/fixed_points.py) proves every other part of
[-1, 1] free of roots and encloses each root in an interval shown, by
interval Newton, to hold exactly one; a root it cannot certify (a tangency,
where F and F' vanish together) is reported as *uncertified*, never dropped.

Saturated semantics
-------------------
Each gate pre-activation is linear in h, so [-1, 1] is cut at the points
where one reaches ``+-threshold``; on each open piece between cuts the gate
regimes are constant, and a fixed point's ``c`` is saturated high, low or in
the band: three smooth functions per piece (the same search, regimes forced),
whose roots are kept where their ``c`` is in the regime assumed.  A root
whose enclosure straddles a cut or the threshold of ``c`` is reported
uncertified; so is a cut point itself where F may vanish (the exact
arithmetic of ``symbolic.fixed_points`` decides those).  Where the forget gate
saturates at 1, ``c = c + i g`` fixes every c where ``i g = 0``: such
non-isolated fixed points are reported in ``FixedPoints.non_isolated``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validate import finite_scalar, preactivation_range
from ..params import ScalarLSTM, as_cell
from ..semantics import Semantics
from .stability import classify, eigenvalues_2x2, jacobian_at

#: Most roots or unresolved clusters one search keeps (the kernel counts past it).
MAX_ROOTS = 64


@dataclasses.dataclass(frozen=True)
class FixedPoint:
    """One fixed point (h, c) of the step for a constant input.

    Attributes
    ----------
    h, c : float
        The point (midpoints of the enclosures).
    h_enclosure, c_enclosure : tuple of float
        Intervals ``(lo, hi)``; when ``certified``, proved to contain exactly
        one fixed point (the same one).
    jacobian : tuple of tuple of float
        The 2x2 Jacobian of the step at the point (rows h', c'; columns h, c).
    eigenvalues : tuple
        Its eigenvalues, largest modulus first (complex for a focus).
    stability : str
        One of ``STABILITY_CLASSES``; ``"non-hyperbolic"`` when an eigenvalue
        lies within ``UNIT_CIRCLE_TOL`` of the unit circle.
    certified : bool
        False for a candidate the search could not prove (a tangency, or a
        point on a regime boundary): its enclosure may hold one, several or no
        fixed point, and ``note`` says why.  Every fixed point outside the
        enclosures of ``points`` is ruled out either way.
    regimes : str
        The regimes of f, i, o, g and c at the point: ``-`` smooth, ``H``/``L``
        saturated high/low (``-----`` under exact semantics).
    note : str
        Empty for a certified point.
    """

    h: float
    c: float
    h_enclosure: tuple
    c_enclosure: tuple
    jacobian: tuple
    eigenvalues: tuple
    stability: str
    certified: bool = True
    regimes: str = "-----"
    note: str = ""

    @property
    def stable(self) -> bool:
        """True for a stable node or focus (both eigenvalues inside the unit circle)."""
        return self.stability.startswith("stable")


@dataclasses.dataclass(frozen=True)
class NonIsolated:
    """A set of fixed points that is not isolated (the forget gate saturated at 1).

    ``h_range`` is the piece of h where it lies; ``reason`` says what fixes c.
    """

    h_range: tuple
    reason: str


@dataclasses.dataclass(frozen=True)
class FixedPoints:
    """The fixed points of one cell for one constant input.

    ``points`` lists every fixed point in increasing h, certified or not;
    ``complete`` is True when all are certified and none is non-isolated: then
    the list is provably every fixed point, each in its own enclosure.
    """

    cell: ScalarLSTM
    x: float
    semantics: Semantics
    points: tuple
    non_isolated: tuple = ()

    def __len__(self):
        return len(self.points)

    def __iter__(self):
        return iter(self.points)

    def __getitem__(self, k):
        return self.points[k]

    @property
    def complete(self) -> bool:
        return all(p.certified for p in self.points) and not self.non_isolated

    def to_table(self, digits=6) -> str:
        """A plain-text table: one row per fixed point."""
        rows = [("h*", "c*", "eigenvalues", "stability", "certified")]
        for p in self.points:
            eig = ", ".join(_show(v, digits) for v in p.eigenvalues)
            rows.append((f"{p.h:.{digits}g}", f"{p.c:.{digits}g}", eig, p.stability,
                         "yes" if p.certified else f"no ({p.note})"))
        widths = [max(len(r[k]) for r in rows) for k in range(5)]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
        for n in self.non_isolated:
            lines.append(f"non-isolated fixed points for h in [{n.h_range[0]:.{digits}g}, "
                         f"{n.h_range[1]:.{digits}g}]: {n.reason}")
        return "\n".join(lines)

    def __repr__(self):
        head = (f"FixedPoints(x={self.x:g}, {self.semantics.describe()}: {len(self.points)} "
                f"point{'s' if len(self.points) != 1 else ''}"
                f"{'' if self.complete else ', not complete'})")
        return head + "\n" + self.to_table()


def _show(v, digits):
    v = complex(v) + 0.0  # + 0.0: no -0 in a table
    if v.imag == 0:
        return f"{v.real:.{digits}g}"
    return f"{v.real:.{digits}g}{v.imag:+.{digits}g}j"


def as_scalar_cell(cell, name="cell"):
    """A ScalarLSTM from a cell, a mapping, 12 numbers or an LSTMCell of size 1."""
    from ..cell import LSTMCell

    if isinstance(cell, LSTMCell):
        if cell.hidden_size != 1 or cell.input_size != 1:
            raise ValueError(f"{name}: fixed points are computed for scalar cells; got an "
                             f"LSTMCell with hidden_size={cell.hidden_size}, input_size={cell.input_size} "
                             "(only hidden_size = input_size = 1 converts to a scalar cell)")
        return cell.to_scalar()
    return as_cell(cell, name)


def fixed_points(cell, x, *, activation="exact", threshold=1.0, inclusive=True) -> FixedPoints:
    """Every fixed point of the step for the constant input ``x``, certified.

    Parameters
    ----------
    cell : ScalarLSTM, mapping, 12 numbers, or LSTMCell of size 1
    x : float
        The constant input.
    activation, threshold, inclusive
        The semantics (docs/semantics.md); rounded feedback has no fixed
        points in this sense and is not accepted.

    Returns
    -------
    FixedPoints
        Sorted by h; see the module docstring for what "certified" proves.

    Examples
    --------
    The parity cell reading 1 has one fixed point, a saddle (its runs of ones
    alternate h around it instead):

    >>> import fastlstm as fl
    >>> fps = fl.fixed_points(fl.presets.parity(), 1)
    >>> len(fps), fps.complete, fps[0].stability
    (1, True, 'saddle')
    >>> round(fps[0].h, 6), round(fps[0].c, 6)
    (0.493941, 0.541259)
    >>> lo, hi = fps[0].h_enclosure
    >>> lo <= fps[0].h <= hi and hi - lo < 1e-14
    True
    """
    cell = as_scalar_cell(cell)
    x = finite_scalar(x, "x")
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive)
    params = cell.to_array()
    preactivation_range(params, np.array([1.0]), np.array([x]))
    if sem.saturated:
        from .saturated import saturated_points
        points, non_isolated = saturated_points(params, x, sem)
    else:
        points, non_isolated = search_piece(params, x, (0, 0, 0, 0, 0), -1.0, 1.0), []
    points = sorted(points, key=lambda p: p.h)
    return FixedPoints(cell, x, sem, tuple(points), tuple(non_isolated))


def search_piece(params, x, regimes, lo, hi, accept=None):
    """FixedPoint records of the roots of F on [lo, hi] with the regimes forced.

    ``accept(point)`` may return None (drop: the root is outside the regimes
    assumed), the point, or an uncertified copy of it.
    """
    from .._kernels.fixed_points import isolate

    reg = np.asarray(regimes, dtype=np.int64)
    roots = np.empty((MAX_ROOTS, 2))
    unresolved = np.empty((MAX_ROOTS, 2))
    n, u = isolate(params, x, reg, lo, hi, roots, unresolved)
    if n > MAX_ROOTS or u > MAX_ROOTS:
        raise ValueError(f"the cell has more than {MAX_ROOTS} fixed points or unresolved "
                         f"clusters for x={x}; refusing to report an incomplete list")
    points = [_point(params, x, reg, *roots[k], True, "") for k in range(n)]
    points += [_point(params, x, reg, *unresolved[k], False, "tangency or F' = 0")
               for k in range(u)]
    points = _merge(points)
    if accept is not None:
        points = [q for q in (accept(p) for p in points) if q is not None]
    return points


def _point(params, x, reg, lo, hi, certified, note):
    from .._kernels.fixed_points import evaluate

    out = np.empty(6)
    evaluate(params, x, reg, lo, hi, out)
    h = lo + 0.5 * (hi - lo)
    mid = np.empty(6)
    evaluate(params, x, reg, h, h, mid)
    c = 0.5 * (mid[2] + mid[3])
    J = jacobian_at(params, x, h, c, tuple(int(r) for r in reg))
    eig = eigenvalues_2x2(J)
    return FixedPoint(h=float(h), c=float(c), h_enclosure=(float(lo), float(hi)),
                      c_enclosure=(float(out[2]), float(out[3])),
                      jacobian=tuple(map(tuple, J.tolist())), eigenvalues=eig,
                      stability=classify(eig), certified=certified,
                      regimes="".join("-HL"[int(r)] for r in reg), note=note)


def _merge(points):
    """One record per root: certified enclosures that overlap hold the same root.

    (F' has one sign on each and F is monotone on their union.)  Their
    intersection is kept.
    """
    certified = sorted((p for p in points if p.certified), key=lambda p: p.h_enclosure)
    merged = []
    for p in certified:
        if merged and merged[-1].h_enclosure[1] >= p.h_enclosure[0]:
            q = merged[-1]
            lo = max(q.h_enclosure[0], p.h_enclosure[0])
            hi = min(q.h_enclosure[1], p.h_enclosure[1])
            clo = max(q.c_enclosure[0], p.c_enclosure[0])
            chi = min(q.c_enclosure[1], p.c_enclosure[1])
            merged[-1] = dataclasses.replace(q, h_enclosure=(lo, hi), c_enclosure=(clo, chi))
        else:
            merged.append(p)
    return merged + [p for p in points if not p.certified]
