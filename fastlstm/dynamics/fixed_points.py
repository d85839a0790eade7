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
interval Newton or by a sign change where F' excludes 0, to hold exactly
one; a root it cannot certify (a tangency, where F and F' vanish together,
or a root too steep for float64 intervals) is reported as *uncertified*,
never dropped, with the reason in its ``note``.

Saturated semantics
-------------------
Each gate pre-activation is linear in h, so [-1, 1] is cut at the points
where one reaches ``+-threshold``; on each open piece between cuts the gate
regimes are constant, and a fixed point's ``c`` is saturated high, low or in
the band: three smooth functions per piece (the same search, regimes forced),
whose roots are kept where they lie in the piece and their ``c`` is in the
regime assumed.  Those two questions, and whether a cut point itself is
fixed, are decided exactly, on the parameters as Fractions (saturated.py,
exact.py); only what 1024-bit interval arithmetic cannot settle is reported
uncertified.  Where the forget gate saturates at 1, ``c = c + i g`` fixes
every c where ``i g = 0``: such non-isolated fixed points are reported in
``FixedPoints.non_isolated``.
"""

from __future__ import annotations

import numpy as np

from .._validate import finite_scalar, preactivation_range
from ..params import as_cell
from ..semantics import Semantics
from .points import FixedPoints
from .search import search_piece


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
