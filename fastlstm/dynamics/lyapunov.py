"""Lyapunov exponents of a scalar cell along a driven trajectory.

The compiled kernel is ``fastlstm._kernels.lyapunov`` (the tangent map with
Gram-Schmidt re-orthonormalisation, SIMD across cells); ``fl.sweep(...,
record="lyapunov")`` runs the same kernel over a parameter table, so its rows
are these numbers bit for bit.
"""

from __future__ import annotations

import numpy as np

from .._kernels.lyapunov import make_lyapunov_kernel
from .._validate import (finite_scalar, lyapunov_steps, periodic_input, preactivation_range,
                         tangent_map_range)
from ..params import as_cell
from ..semantics import Semantics

__all__ = ["lyapunov", "lyapunov_rows"]


def lyapunov_rows(values, x, h0, c0, transient, steps, sem):
    """Both exponents of every row of a validated table (n, 12), largest first: (n, 2)."""
    lam = np.empty((2, values.shape[0]))
    make_lyapunov_kernel(sem.saturated, False)(values, sem.threshold, sem.inclusive,
                                        sem.round_feedback, x, h0, c0, transient, steps,
                                        lam[0], lam[1])
    return lam.T


def lyapunov(cell, x, *, activation="exact", threshold=1.0, inclusive=True,
             round_feedback=False, h0=0.0, c0=0.0, transient=100, steps=1000) -> np.ndarray:
    """The Lyapunov spectrum of a scalar cell driven by a constant or periodic input.

    The cell is a map of the state (h, c); its Jacobian J_t at each step
    tells how it stretches a small perturbation.  The exponents are the mean
    logarithmic stretching rates along the trajectory, measured by the
    tangent map with Gram-Schmidt re-orthonormalisation (QR) in a compiled
    kernel: a positive largest exponent means chaos (nearby states part
    exponentially), a negative one a stable attractor (a fixed point or a
    cycle locked to the input).

    Parameters
    ----------
    cell : ScalarLSTM, mapping or 12 numbers
    x : float or array_like, shape (P,)
        A constant input, or one period of a periodic one: step t (t = 0 is
        the first step of the transient) reads ``x[t % P]``.
    activation, threshold, inclusive, round_feedback
        The semantics; see ``Semantics``.
    h0, c0 : float
        The state before the first step.
    transient : int >= 0
        Steps run before measuring (not measured), to reach the attractor.
    steps : int >= 1
        Steps measured: each exponent is a mean over these.  ``transient +
        steps`` is at most 2**52 (``MAX_LYAPUNOV_STEPS``: the products'
        int64 exponents and their float64 mean stay exact).  A long run goes
        in slices of steps, so Ctrl-C (``KeyboardInterrupt``) stops it at once.

    Returns
    -------
    numpy.ndarray, shape (2,)
        The two exponents, largest first (natural log per step): the first
        is the growth rate of a tangent direction (started at (cos 1,
        sin 1) in the (h, c) plane), which tends to the largest exponent;
        the second is the mean of log|det J_t| minus the first.  Where the
        two exponents are equal (complex eigenvalues: a focus or a
        rotation) their estimates differ by O(1/steps) in either order.

    Raises
    ------
    ValueError
        For a bad value, naming the argument (``transient + steps`` above
        2**52 included); also when a pre-activation could overflow (as
        ``fastlstm.run`` refuses) or when the Jacobian's entries could:
        (|W_fh| + |W_ih| + |W_oh| + |W_ch|) (|c0| + transient + steps + 1)
        must stay below 1e150.
    TypeError
        For an argument of the wrong type.

    Notes
    -----
    The derivatives are those of the semantics' own functions: exact
    activations have the slopes sigmoid' and tanh' (computed as
    e/(1+e)**2 with e = exp(-|z|), so a slope is 0 only where it underflows
    float64, beyond |z| ~ 745 for sigmoid and ~ 372 for tanh).  A saturated
    activation has slope 0 outside the band (the boundary point takes the
    slope of the side ``inclusive`` puts it on), and with ``round_feedback``
    the reported h is flat in both h and c (rounding is flat between its
    jumps), so J's first row is 0 and the second exponent is -inf.

    An exponent is -inf, reported as such, when the product of the
    Jacobians over the measured steps maps its direction to 0:

    * both are -inf when some step's J maps the tangent direction (started
      at (cos 1, sin 1) in the (h, c) plane) to 0, in particular when a
      step's J is 0 (every activation saturated, or flat, as for the
      saturated parity cell: the map is locally constant);
    * the second alone is -inf when some step's J is singular, det J = 0
      (a map that ignores h, such as a cell without weights on h, or
      ``round_feedback``).

    The estimates converge like 1/steps; the transient takes the
    dependence on (h0, c0) away once the trajectory is on its attractor.

    Examples
    --------
    A cell that ignores h: every gate is constant, c_t = f c_{t-1} + i g, so
    the exponents are log f and -inf (det J = 0), up to a term that fades
    like 1/steps:

    >>> import math, fastlstm as fl
    >>> cell = fl.ScalarLSTM(W_fx=0.5, b_f=1.0, W_ix=1.0, b_i=0.3, W_ox=0.2, b_o=0.1,
    ...                      W_cx=1.0, b_c=0.5)
    >>> lam = fl.lyapunov(cell, 0.7, steps=100_000)
    >>> float(lam[0]), math.log(1 / (1 + math.exp(-(0.5 * 0.7 + 1.0))))
    (-0.23051..., -0.23050857136387...)
    >>> float(lam[1])
    -inf

    The parity cell reading zeros from h = c = 0 stays at that fixed point,
    where J = [[-50, f/2], [-100, f]] (f = sigmoid(-100); the output gate is
    half open, the candidate's slope is -100): rank 1, eigenvalues -50 + f
    and 0.  So the exponents are log 50 and -inf; the first step, from the
    start direction, adds log(sqrt(5) cos 1) to the sum:

    >>> lam = fl.lyapunov(fl.presets.parity(), 0)
    >>> abs(float(lam[0]) - (math.log(50) + math.log(math.sqrt(5) * math.cos(1)) / 1000)) < 1e-12
    True
    >>> float(lam[1])
    -inf

    The saturated parity cell reading ones: every activation saturated, the
    map is locally constant, both exponents are -inf:

    >>> fl.lyapunov(fl.presets.parity(), 1, activation="saturated").tolist()
    [-inf, -inf]
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    values = as_cell(cell).to_array().reshape(1, 12)
    x = periodic_input(x)
    h0 = finite_scalar(h0, "h0")
    c0 = finite_scalar(c0, "c0")
    transient, steps = lyapunov_steps(transient, steps)
    preactivation_range(values[0], np.array([h0]), x)
    tangent_map_range(values, c0, transient + steps, name="cell")
    return lyapunov_rows(values, x, h0, c0, transient, steps, sem)[0]
