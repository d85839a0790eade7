r"""The 2n x 2n Jacobian of a vector cell's step, and error growth along a trajectory.

The vector counterpart of :mod:`symbolic.sensitivity`, with the same conventions:
rows ``h_{t,0..n-1}`` then ``c_{t,0..n-1}``, columns ``h_{t-1,0..n-1}`` then
``c_{t-1,0..n-1}``; a saturated branch is constant (zero derivative), an exact
boundary hit takes the side the closed or open rule gives, and rounded
feedback makes the h rows zero.  For n = 1 the matrix is the scalar
:func:`symbolic.jacobian`.

Every unit reads every h_{t-1,j} through W_hh, but only its own c_{t-1,u}
(``c_{t,u} = f_{t,u} c_{t-1,u} + i_{t,u} g_{t,u}``): the c columns are diagonal.
"""

from __future__ import annotations

import math

import numpy as np
from sympy import Matrix, S

from .sensitivity import given_or_simulated, suffix_norm_sums
from .vector_cell import exact_vector
from .vector_equations import c_prev_, h_prev_, step_arguments, step_expressions
from .vector_reference import VectorReference, simulate_vector


def vector_jacobian(cell, x=None, h=None, c=None, **semantics):
    r"""The Jacobian of ``(h_t, c_t)`` with respect to ``(h_{t-1}, c_{t-1})``, 2n x 2n.

    Parameters
    ----------
    cell, x, **semantics
        As for :func:`symbolic.vector_step_map`.
    h, c : number or sequence of n numbers, optional
        A state ``(h_{t-1}, c_{t-1})`` to evaluate at (both or neither).  The
        regimes there are decided on the exact values (to 50 digits where they
        are irrational) and the branches taken are differentiated, so the
        result is a matrix of numbers, exact where the derivative is rational;
        ``.evalf(digits)`` gives decimals.

    Returns
    -------
    sympy.Matrix

    Examples
    --------
    Two parity cells side by side (block-diagonal weights): the Jacobian is
    block diagonal too.  Reading 1 from ``h = (1/2, 0)``, saturated: unit 0's
    candidate is in the band (``z_g = 0``, slope -100 through ``tanh'(0) = 1``),
    and so is ``c_{t,0} = 0``, passed on to ``h_{t,0}`` with ``o = 1``; unit 1's
    candidate is saturated (slope 0).

    >>> import numpy as np
    >>> eye = np.eye(2)
    >>> two = {"W_ih": np.kron([[100], [0], [50], [100]], eye),
    ...        "W_hh": np.kron([[0], [0], [-100], [0]], eye),
    ...        "b_ih": np.repeat([100, -100, 0, 0], 2)}
    >>> vector_jacobian(two, [1, 1], h=[0.5, 0], c=0, activation="saturated")
    Matrix([
    [-100, 0, 0, 0],
    [   0, 0, 0, 0],
    [-100, 0, 0, 0],
    [   0, 0, 0, 0]])
    """
    if (h is None) != (c is None):
        raise TypeError("vector_jacobian evaluates at a state given by both h and c")
    cell, xs, sem = step_arguments(cell, x, semantics)
    n = cell.hidden_size
    state = [h_prev_(u) for u in range(n)] + [c_prev_(u) for u in range(n)]
    point = None
    if h is not None:
        # differentiate the branches taken at the state, not the whole Piecewise (far faster)
        point = dict(zip(state, exact_vector(h, "h", n) + exact_vector(c, "c", n)))
    m = step_expressions(cell, xs, sem, point)
    # rounding (round_feedback) is flat between its jumps: the h rows are zero
    hs = (S.Zero,) * n if sem.round_feedback else m["h"]
    J = Matrix([*hs, *m["c"]]).jacobian(state)
    return J if point is None else J.xreplace(point)


def vector_step_jacobians(reference):
    """The numeric Jacobian of every step of a :class:`VectorReference`, shape (T, 2n, 2n).

    Evaluated at the reference's own values with the formulas of
    :func:`vector_jacobian`; float precision is ample for an error bound.
    """
    sem, cell = reference.semantics, reference.cell
    n = cell.hidden_size
    W_hh = np.array(cell.W_hh, dtype=float)
    c_before = np.array([[float(v) for v in sem.c0]] + [[float(v) for v in c]
                                                          for c in reference.c[:-1]])
    out = np.zeros((len(reference), 2 * n, 2 * n))
    for t in range(len(reference)):
        for u in range(n):
            f, i, o, g = (float(v) for v in reference.gates[t][u])
            regimes = reference.regimes[t][u]
            band = [not (sem.saturating and r) for r in regimes]
            # d(gate)/d(h_prev): activation slope times the gate's row of W_hh; zero if saturated
            slope = [band[k] * (v * (1 - v) if k < 3 else 1 - v * v) * W_hh[cell.row(gate, u)]
                     for k, (gate, v) in enumerate(zip("fiog", (f, i, o, g)))]
            df, di, do, dg = slope
            c = float(reference.c[t][u])
            squash = math.tanh(c) if band[4] else float(regimes[4])
            dsquash = band[4] * (1 - squash * squash)
            dc_dh = df * c_before[t, u] + di * g + i * dg
            out[t, n + u, :n] = dc_dh
            out[t, n + u, n + u] = f
            if not sem.round_feedback:
                out[t, u, :n] = do * squash + o * dsquash * dc_dh
                out[t, u, n + u] = o * dsquash * f
    return out


def vector_amplification(cell, xs=None, **semantics):
    r"""Per-step bound on how much float64 rounding errors can grow along a trajectory.

    ``A_t = sum_{s <= t} || J_t J_{t-1} ... J_{s+1} ||_inf`` with the 2n x 2n
    step Jacobians, exactly as :func:`symbolic.amplification` for the scalar
    cell: an error ``e`` committed at every step (in every unit) becomes at
    most ``e * A_t`` at step ``t``.

    Parameters
    ----------
    cell : VectorCell, mapping, object, or VectorReference
        A :class:`VectorReference` is used as it is (then give neither ``xs``
        nor semantics); otherwise it is simulated first.
    xs, **semantics
        As for :func:`simulate_vector`.

    Returns
    -------
    tuple of float
        One ``A_t`` per step (``inf`` beyond float range).
    """
    reference = given_or_simulated(cell, xs, semantics, VectorReference, simulate_vector,
                                   "vector_amplification")
    return suffix_norm_sums(vector_step_jacobians(reference))
