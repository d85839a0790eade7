"""The results of a fixed-point search: one point, a non-isolated set, and the list."""

from __future__ import annotations

import dataclasses

from ..params import ScalarLSTM
from ..semantics import Semantics


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
        False for a candidate the search could not prove (a tangency, a root
        too steep for float64 intervals, or a regime question 1024 bits did
        not settle): its enclosure may hold one, several or no fixed point,
        and ``note`` says why.  Outside the enclosures of ``points`` (and the
        ``non_isolated`` sets) there is no fixed point.
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
