r"""Every fixed point of a cell under a constant input, each in a certified enclosure.

Scalar cells are the subject of this docstring; cells of n >= 2 units
(``LSTMCell``) take the box search of networks.py and krawczyk.py.

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

from .._validate import finite_scalar, integer, preactivation_range, real_array
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


_SEARCHES = ("auto", "complete", "starts")


def fixed_points(cell, x, *, activation="exact", threshold=1.0, inclusive=True, search="auto",
                 starts=None, n_starts=None, seed=0, max_boxes=None,
                 slow_q=1e-4) -> FixedPoints:
    """The fixed points of the step for the constant input ``x``, certified.

    A scalar cell (or a 1-unit ``LSTMCell`` with one input, which gives the
    same result) takes the one-variable search of the module docstring,
    complete under both semantics.  An n-unit cell takes the search of
    ``fastlstm.dynamics.networks`` (exact semantics only; saturated semantics
    is refused for it with a ValueError): the fixed points are the zeros of
    ``F(h) = o tanh(c*(h)) - h`` on [-1, 1]^n, ``c* = i g / (1 - f)`` unit by
    unit.  Each point comes in a box proved by the Krawczyk test to hold
    exactly one (``certified``), with the 2n x 2n Jacobian of the step at it.
    ``complete`` is True only where a branch-and-prune over [-1, 1]^n proved
    there is no other point; slow points come from the starts.

    Parameters
    ----------
    cell : ScalarLSTM, mapping, 12 numbers, or LSTMCell
    x : float, or array_like of shape (m,)
        The constant input (a number when the cell has one input).
    activation, threshold, inclusive
        The semantics (docs/semantics.md); rounded feedback has no fixed
        points in this sense and is not accepted.
    search : {"auto", "complete", "starts"}
        n >= 2 only.  ``"complete"``: branch-and-prune over [-1, 1]^n (up to
        ``max_boxes`` boxes; if they run out the result is not complete),
        then the starts; ``"starts"``: only the starts; ``"auto"``:
        ``"complete"`` for n <= ``networks.COMPLETE_UP_TO``, else ``"starts"``.
    starts : array_like of shape (k, n) or (k, 2n), optional
        States to search from: h, or h and c side by side (c = 0 where only
        h is given); h within [-1, 1].  By default ``n_starts`` states sampled along
        trajectories of the cell driven by x from random states.  Each start
        minimises q until it ends, or until it comes within 1e-4 of a zero
        an earlier start reached and lies in that zero's certified box (it
        counts as reaching it; docs/dynamics.md).
    n_starts : int, optional
        How many starts to sample when ``starts`` is None (default 256;
        0 for none: then no slow points are searched).
    seed : int
        Seed of the sampled starts.
    max_boxes : int, optional
        Budget of the branch-and-prune (default ``networks.MAX_BOXES``).
    slow_q : float
        A local minimum of q with ``0 < q <= slow_q`` that is not a fixed
        point is reported in ``slow_points``.

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

    Two units, the second a copy of the first (block-diagonal weights): the
    fixed points are the pairs of the scalar cell's.

    >>> import numpy as np
    >>> one = fl.LSTMCell.from_scalar(fl.ScalarLSTM(W_ch=4.0, b_i=3.0, b_o=3.0, b_f=-1.0))
    >>> two = fl.LSTMCell(np.kron(one.W_ih, [[1.0], [1.0]]), np.kron(one.W_hh, np.eye(2)),
    ...                   np.kron(one.b_ih, [1.0, 1.0]))
    >>> fps = fl.fixed_points(two, 0.0)
    >>> len(fps), fps.complete, sorted({p.stability for p in fps})
    (9, True, ['saddle', 'stable node'])
    """
    from ..cell import LSTMCell

    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive)
    if search not in _SEARCHES:
        raise ValueError(f"search must be one of {_SEARCHES}, got {search!r}")
    if isinstance(cell, LSTMCell) and (cell.hidden_size > 1 or cell.input_size > 1):
        return _network(cell, x, sem, search, starts, n_starts, seed, max_boxes, slow_q)
    if isinstance(cell, LSTMCell) and np.ndim(x) == 1 and np.shape(x) == (1,):
        x = real_array(x, "x", 1)[0]
    cell = as_scalar_cell(cell)
    x = finite_scalar(x, "x")
    params = cell.to_array()
    preactivation_range(params, np.array([1.0]), np.array([x]))
    if sem.saturated:
        from .saturated import saturated_points
        points, non_isolated = saturated_points(params, x, sem)
    else:
        points, non_isolated = search_piece(params, x, (0, 0, 0, 0, 0), -1.0, 1.0), []
    points = sorted(points, key=lambda p: p.h)
    return FixedPoints(cell, x, sem, tuple(points), tuple(non_isolated))


def _network(cell, x, sem, search, starts, n_starts, seed, max_boxes, slow_q):
    """The n-unit path: validate, then ``networks.network_points``."""
    from ..vector import preactivation_range_vector
    from . import networks

    n, m = cell.hidden_size, cell.input_size
    if sem.saturated:
        raise ValueError(f"fixed points of an LSTMCell with hidden_size={n}, input_size={m} "
                         "are computed under activation='exact' only; saturated semantics is "
                         "supported for scalar cells (a ScalarLSTM or a 1-unit, 1-input LSTMCell)")
    if m == 1 and np.ndim(x) == 0:
        x = np.array([finite_scalar(x, "x")])
    else:
        x = real_array(x, "x", (0, 1))
        if x.shape != (m,):
            raise ValueError(f"x must have shape ({m},) for a cell with input_size {m}"
                             f"{' (or be a number)' if m == 1 else ''}, got shape {x.shape}")
    preactivation_range_vector(cell, np.zeros(n), x)
    seed = integer(seed, "seed")
    max_boxes = networks.MAX_BOXES if max_boxes is None else integer(max_boxes, "max_boxes", 1)
    n_starts = 256 if n_starts is None else integer(n_starts, "n_starts")
    slow_q = finite_scalar(slow_q, "slow_q")
    if slow_q < 0:
        raise ValueError(f"slow_q must be >= 0, got {slow_q}")
    if starts is not None:
        starts = _starts(starts, n)
    if search == "auto":
        search = "complete" if n <= networks.COMPLETE_UP_TO else "starts"
    points, slow, exhaustive, searched = networks.network_points(
        cell, x, complete=search == "complete", max_boxes=max_boxes, starts=starts,
        n_starts=n_starts, seed=seed, slow_q=slow_q)
    return FixedPoints(cell, x, sem, tuple(points), (), tuple(slow), exhaustive, searched)


def _starts(starts, n):
    """Starting states as (k, 2n): h in [-1, 1] (every step lands there), c given or 0."""
    arr = real_array(starts, "starts", 2)
    if arr.shape[1] not in (n, 2 * n):
        raise ValueError(f"starts must have shape (k, {n}) (states h) or (k, {2 * n}) (h and c) "
                         f"for a cell with hidden_size {n}, got shape {arr.shape}")
    if np.abs(arr[:, :n]).max(initial=0.0) > 1.0:
        raise ValueError("starts: every h must lie in [-1, 1] (the states a step reaches), got "
                         f"max |h| = {np.abs(arr[:, :n]).max():.6g}")
    if arr.shape[1] == n:
        arr = np.concatenate([arr, np.zeros_like(arr)], axis=1)
    return arr
