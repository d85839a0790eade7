"""The results of a fixed-point search: one point, a non-isolated set, a slow point, and the list.

One set of types for every cell: for a scalar cell (or a 1-unit LSTMCell) h,
c and their enclosures are floats and the Jacobian a 2x2 tuple of tuples, as
they always were; for an n-unit cell (n >= 2) they are read-only NumPy
arrays of shape (n,) and (2n, 2n).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..semantics import Semantics


@dataclasses.dataclass(frozen=True)
class FixedPoint:
    """One fixed point (h, c) of the step for a constant input.

    Attributes
    ----------
    h, c : float, or ndarray of shape (n,) for an n-unit cell
        The point (midpoints of the enclosures).
    h_enclosure, c_enclosure : tuple
        ``(lo, hi)`` (floats, or arrays of shape (n,): a box); when
        ``certified``, the box of h is proved to contain exactly one fixed
        point, whose c lies in the box of c.
    jacobian : tuple of tuple of float, or ndarray of shape (2n, 2n)
        The Jacobian of the step at the point (rows h', c'; columns h, c).
    eigenvalues : tuple, or ndarray
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
        """True for a stable node or focus (every eigenvalue inside the unit circle)."""
        return self.stability.startswith("stable")

    @property
    def unstable_dims(self) -> int:
        """How many eigenvalues lie outside the unit circle (a saddle's index)."""
        return int(sum(abs(complex(v)) > 1.0 for v in np.ravel(self.eigenvalues)))

    def __eq__(self, other):
        return type(other) is type(self) and _fields_equal(self, other)


def _fields_equal(a, b):
    for field in dataclasses.fields(a):
        u, v = getattr(a, field.name), getattr(b, field.name)
        if isinstance(u, np.ndarray) or isinstance(v, np.ndarray) or (
                isinstance(u, tuple) and any(isinstance(e, np.ndarray) for e in u)):
            if isinstance(u, tuple) and isinstance(v, tuple):
                if len(u) != len(v) or not all(np.array_equal(p, q) for p, q in zip(u, v)):
                    return False
            elif not np.array_equal(u, v):
                return False
        elif u != v:
            return False
    return True


@dataclasses.dataclass(frozen=True, eq=False)
class SlowPoint:
    """A local minimum of ``q(h, c) = 1/2 |step(h, c) - (h, c)|**2`` where q is small but not 0.

    Found from a start, as FixedPointFinder (Golub & Sussillo 2018) reports
    slow points: the state moves by about ``sqrt(2 q)`` per step there.  Not
    certified; the Jacobian (2n x 2n, rows h', c'), its eigenvalues (largest
    modulus first) and class are those of the step at the point.
    """

    h: np.ndarray
    c: np.ndarray
    q: float
    jacobian: np.ndarray
    eigenvalues: np.ndarray
    stability: str

    def __eq__(self, other):
        return type(other) is type(self) and _fields_equal(self, other)


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

    ``points`` lists the fixed points found in increasing h (lexicographic
    for n >= 2), certified or not; ``complete`` is True when the search
    covered every state (``exhaustive``), all are certified and none is
    non-isolated: then the list is provably every fixed point, each in its
    own enclosure.  ``slow_points`` (n >= 2) are the slow points found from
    the starts, smallest q first; ``searched`` says what was searched.
    """

    cell: object
    x: object
    semantics: Semantics
    points: tuple
    non_isolated: tuple = ()
    slow_points: tuple = ()
    exhaustive: bool = True
    searched: str = ""

    def __len__(self):
        return len(self.points)

    def __iter__(self):
        return iter(self.points)

    def __getitem__(self, k):
        return self.points[k]

    @property
    def complete(self) -> bool:
        return (self.exhaustive and all(p.certified for p in self.points)
                and not self.non_isolated)

    @property
    def hidden_size(self) -> int:
        """n, the number of units of the cell."""
        return int(getattr(self.cell, "hidden_size", 1))

    def to_table(self, digits=6, entries=4) -> str:
        """A plain-text table: one row per fixed point (then the slow points, for n >= 2).

        For n >= 2, h* shows its first ``entries`` units and the
        eigenvalues the three of largest modulus, with ``...`` where more follow.
        """
        if self.hidden_size == 1 and not any(isinstance(p.h, np.ndarray) for p in self.points):
            return self._scalar_table(digits)
        rows = [("h*", "|h*|", "largest eigenvalues", "stability", "unstable", "certified")]
        for p in self.points:
            rows.append((_vector(p.h, digits, entries), f"{np.linalg.norm(p.h):.{digits}g}",
                         _eigs(p.eigenvalues, digits), p.stability, str(p.unstable_dims),
                         "yes" if p.certified else f"no ({p.note})"))
        lines = _aligned(rows)
        if self.slow_points:
            rows = [("slow point h", "q", "largest eigenvalues", "stability")]
            rows += [(_vector(s.h, digits, entries), f"{s.q:.3g}", _eigs(s.eigenvalues, digits),
                      s.stability) for s in self.slow_points]
            lines += [""] + _aligned(rows)
        if self.searched:
            lines.append(f"searched: {self.searched}")
        return "\n".join(lines)

    def _scalar_table(self, digits):
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
        x = f"{self.x:g}" if np.ndim(self.x) == 0 else np.array2string(np.asarray(self.x),
                                                                       precision=4)
        head = (f"FixedPoints(x={x}, {self.semantics.describe()}: {len(self.points)} "
                f"point{'s' if len(self.points) != 1 else ''}"
                f"{'' if self.complete else ', not complete'})")
        return head + "\n" + self.to_table()


def _show(v, digits):
    v = complex(v) + 0.0  # + 0.0: no -0 in a table
    if v.imag == 0:
        return f"{v.real:.{digits}g}"
    return f"{v.real:.{digits}g}{v.imag:+.{digits}g}j"


def _vector(v, digits, entries):
    shown = ", ".join(f"{float(e) + 0.0:.{digits}g}" for e in v[:entries])
    return f"[{shown}{', ...' if len(v) > entries else ''}]"


def _eigs(values, digits, k=3):
    values = np.ravel(values)
    shown = ", ".join(_show(v, digits) for v in values[:k])
    return shown + (", ..." if len(values) > k else "")


def _aligned(rows):
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
