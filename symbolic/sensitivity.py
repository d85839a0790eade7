r"""How a step stretches perturbations: the Jacobian, and its product along a trajectory.

A float64 run commits a rounding error of a few ulps at every step; the error
made at step ``s`` reaches step ``t`` multiplied by ``J_t J_{t-1} ... J_{s+1}``.
:func:`amplification` sums those products' norms, so
``1e-16 * (1 + amplification)`` is the size of the error a correct float64
implementation may show at each step, and ``16 - log10(1 + amplification)`` the
number of digits it can keep.

In saturated mode a saturated branch is constant (zero derivative) and an exact
boundary hit takes the saturated side, as the closed or open rule says; the map
is discontinuous there, which no derivative describes: callers treat values
within rounding distance of a threshold separately.  Rounding (``round_feedback``)
has derivative zero wherever it is continuous.
"""

from __future__ import annotations

import math

import numpy as np
from sympy import Matrix, Piecewise, S

from .reference import Reference, simulate
from .stepmap import _map_branches, step_map
from .symbols import GATE_PARAMS, c_prev, h_prev, x_t


def jacobian(params=None, x=x_t, **semantics):
    r"""The 2x2 Jacobian of ``(h_t, c_t)`` with respect to ``(h_{t-1}, c_{t-1})``.

    Parameters
    ----------
    params, x, **semantics
        As for :func:`symbolic.step_map`.

    Returns
    -------
    sympy.Matrix
        Rows ``h_t``, ``c_t``; columns ``h_{t-1}``, ``c_{t-1}``.  Piecewise
        where the step map is.

    Examples
    --------
    >>> parity = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
    ...               W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)
    >>> J = jacobian(parity, 1, activation="saturated")
    >>> J[1, 1], J[1, 0].subs(h_prev, 0)
    (0, 0)
    >>> J[1, 0].subs(h_prev, 0.5)
    -100
    """
    m = step_map(params, x, **semantics)
    # rounding (round_feedback) is flat between its jumps: the h row is zero
    h = S.Zero if semantics.get("round_feedback", False) else m["h"]
    return Matrix([[_derivative(f, v) for v in (h_prev, c_prev)] for f in (h, m["c"])])


def _derivative(f, v):
    """``df/dv``, a Piecewise branch by branch, keeping the step map's explicit intervals.

    Piecewise.diff would rebuild them as first-match upper bounds (the band printed as
    ``h_{t-1} < 51/100``, read as overlapping the piece before it).  The step map's
    branches cover the real line, so equal derivatives on all of them are one value.
    """
    d = _map_branches(f, lambda e: e.diff(v))
    if isinstance(d, Piecewise) and len({e for e, _ in d.args}) == 1:
        return d.args[0][0]
    return d


def step_jacobians(reference):
    """The numeric Jacobian of every step of a :class:`Reference`, as 2x2 float lists.

    Evaluated at the reference's own values with the formulas of
    :func:`jacobian`; float precision is ample for an error bound.
    """
    sem = reference.semantics
    p = {name: float(value) for name, value in reference.params.items()}
    c_before = [float(sem.c0)] + [float(c) for c in reference.c[:-1]]
    out = []
    for t, cp in enumerate(c_before):
        f, i, o, g = (float(v) for v in reference.gates[t])
        c = float(reference.c[t])
        band = [not (sem.saturating and r) for r in reference.regimes[t]]
        # d(gate)/d(h_prev): activation slope times recurrent weight; zero when saturated
        slopes = [band[k] * (v * (1 - v) if k < 3 else 1 - v * v) * p[GATE_PARAMS[gate][0]]
                  for k, (gate, v) in enumerate(zip("fiog", (f, i, o, g)))]
        df, di, do, dg = slopes
        squash = math.tanh(c) if band[4] else float(reference.regimes[t][4])
        dsquash = band[4] * (1 - squash * squash)
        dc_dh, dc_dc = df * cp + di * g + i * dg, f
        dh_dh, dh_dc = do * squash + o * dsquash * dc_dh, o * dsquash * dc_dc
        if sem.round_feedback:
            dh_dh = dh_dc = 0.0
        out.append([[dh_dh, dh_dc], [dc_dh, dc_dc]])
    return out


def amplification(params, xs=None, **semantics):
    r"""Per-step bound on how much float64 rounding errors can grow along a trajectory.

    ``A_t = sum_{s <= t} || J_t J_{t-1} ... J_{s+1} ||_inf`` (the empty product
    is the identity), where ``J_t`` is the step Jacobian at the reference
    trajectory: an error ``e`` committed at every step becomes at most
    ``e * A_t`` at step ``t``.

    Parameters
    ----------
    params : mapping, object, or Reference
        A :class:`Reference` from :func:`simulate` is used as it is (then give
        neither ``xs`` nor semantics); otherwise it is simulated first.
    xs, **semantics
        As for :func:`simulate`.

    Returns
    -------
    tuple of float
        One ``A_t`` per step (``inf`` beyond float range).

    Examples
    --------
    >>> parity = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
    ...               W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)
    >>> amplification(parity, [1, 1, 0, 1, 1], activation="saturated")  # t=3: in the band, slope -100
    (1.0, 1.0, 1.0, 101.0, 1.0)
    >>> [round(a) for a in amplification(parity, [1, 1, 0, 1, 1])]
    [1, 1, 1, 1, 1]
    """
    reference = given_or_simulated(params, xs, semantics, Reference, simulate, "amplification")
    return suffix_norm_sums(step_jacobians(reference))


def given_or_simulated(obj, xs, semantics, kind, simulate, name):
    """``obj`` if it is a reference of type ``kind`` (with no xs or semantics), else
    ``simulate(obj, xs, digits=20, **semantics)``: the first argument of the
    amplification functions."""
    if isinstance(obj, kind):
        if xs is not None or semantics:
            raise TypeError(f"{name}(reference) takes no xs or semantics")
        return obj
    if xs is None:
        raise TypeError(f"{name} needs xs, unless given a reference")
    return simulate(obj, xs, digits=20, **semantics)


def suffix_norm_sums(jacobians):
    """``A_t = sum_{s <= t} || J_t ... J_{s+1} ||_inf`` for square Jacobians of any size."""
    totals, products = [], None
    for J in jacobians:
        J = np.asarray(J, dtype=float)
        # every earlier error's product gains this step's Jacobian; a fresh one starts as I
        fresh = np.eye(len(J))[None]
        with np.errstate(over="ignore", invalid="ignore"):  # beyond float range: inf
            products = fresh if products is None else np.concatenate([J @ products, fresh])
            norms = np.abs(products).sum(axis=2).max(axis=1)
        totals.append(math.fsum(norms) if np.isfinite(norms).all() else math.inf)
    return tuple(totals)
