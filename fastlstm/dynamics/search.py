"""One certified root search of the fixed-point function with the regimes forced.

Runs the kernel ``isolate`` (fastlstm/_kernels/fixed_points.py) on one
interval of h and turns its enclosures into FixedPoint records: c from the
enclosure of c = i g / (1 - f), the Jacobian, its eigenvalues and class.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .points import FixedPoint
from .stability import classify, eigenvalues_2x2, jacobian_at

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
