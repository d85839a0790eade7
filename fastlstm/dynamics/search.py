"""One certified root search of the fixed-point function with the regimes forced.

Runs the kernel ``isolate`` (fastlstm/_kernels/fixed_points.py) on one
interval of h and turns its enclosures into FixedPoint records: c from the
enclosure of c = i g / (1 - f), the Jacobian, its eigenvalues and class.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .points import FixedPoint
from .stability import classify, eigenvalues_2x2, jacobian_and_det

#: Most roots or unresolved clusters one search keeps (the kernel counts past it).
MAX_ROOTS = 64


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
    points = [point(params, x, reg, *roots[k], True, "") for k in range(n)]
    points += [point(params, x, reg, *unresolved[k], False, _why(params, x, reg, *unresolved[k]))
               for k in range(u)]
    points = _merge(points)
    if accept is not None:
        points = [q for q in (accept(p) for p in points) if q is not None]
    return points


def _why(params, x, reg, lo, hi):
    """The note of a cluster the search left unresolved: why it could not certify it.

    F is flat to float64 there: its enclosures at points hold 0.  The
    enclosure of F' at the middle tells why: clearly away from 0, the bounds
    of F are too wide to isolate a root (e.g. c = i g / (1 - f) with 1 - f
    tiny magnifies the rounding of every gate); holding 0 but spanning
    decades, F changes faster than float64 resolves (its slope swings
    between a huge value and about -1 within an ulp of h); holding 0 and
    narrow, F and F' vanish together (a tangency, or roots too close to
    separate).
    """
    from .._kernels.fixed_points import evaluate

    reg = np.asarray(reg, dtype=np.int64)  # an array, as the kernel is compiled for
    out = np.empty(6)
    h = lo + 0.5 * (hi - lo)
    evaluate(params, x, reg, h, h, out)
    dlo, dhi = out[4], out[5]
    if dlo > 0.0 or dhi < 0.0:
        return (f"F' is about {0.5 * (dlo + dhi):.3g} here, not 0, but the float64 interval "
                "bounds of F are too wide to isolate a root")
    if dhi - dlo <= 1e-6:
        return "F and F' vanish together to float64 precision (a tangency, or roots too " \
               "close to separate)"
    return (f"F' lies somewhere in [{dlo:.3g}, {dhi:.3g}] here: F changes faster than float64 "
            "resolves, and its interval bounds are too wide to isolate a root")


def point(params, x, reg, lo, hi, certified, note):
    """The FixedPoint record of a root of F in [lo, hi] with the regimes ``reg`` forced.

    h is the middle of [lo, hi], c the middle of its enclosure there; the
    enclosure of c is over [lo, hi]; the Jacobian is taken at (h, c).
    """
    from .._kernels.fixed_points import evaluate

    reg = np.asarray(reg, dtype=np.int64)  # an array, as the kernel is compiled for
    out = np.empty(6)
    evaluate(params, x, reg, lo, hi, out)
    h = lo + 0.5 * (hi - lo)
    mid = np.empty(6)
    evaluate(params, x, reg, h, h, mid)
    c = 0.5 * (mid[2] + mid[3])
    J, det = jacobian_and_det(params, x, h, c, tuple(int(r) for r in reg))
    eig = eigenvalues_2x2(J, det)
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
