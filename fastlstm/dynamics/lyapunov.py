"""Lyapunov exponents of a cell along a driven trajectory.

The compiled kernels are ``fastlstm._kernels.lyapunov`` for a scalar cell
(the tangent map with Gram-Schmidt re-orthonormalisation, SIMD across
cells; ``fl.sweep(..., record="lyapunov")`` runs the same kernel over a
parameter table, so its rows are these numbers bit for bit) and
``fastlstm._kernels.tangent`` for a vector cell (QR of the 2n x 2n tangent
map, modified Gram-Schmidt on k columns).  A 1-unit, 1-input ``LSTMCell``
is its ``ScalarLSTM``, and takes the scalar kernel.
"""

from __future__ import annotations

import numpy as np

from .._kernels.lyapunov import make_lyapunov_kernel
from .._kernels.tangent import tangent_spectrum
from .._validate import (TANGENT_LIMIT, finite_scalar, integer, lyapunov_steps, periodic_input,
                         preactivation_range, real_array, tangent_map_range)
from ..cell import LSTMCell
from ..params import as_cell
from ..semantics import Semantics
from ..vector import _state, preactivation_range_vector

__all__ = ["lyapunov", "lyapunov_rows"]


def lyapunov_rows(values, x, h0, c0, transient, steps, sem):
    """Both exponents of every row of a validated table (n, 12), largest first: (n, 2)."""
    lam = np.empty((2, values.shape[0]))
    make_lyapunov_kernel(sem.saturated, False)(values, sem.threshold, sem.inclusive,
                                        sem.round_feedback, x, h0, c0, transient, steps,
                                        lam[0], lam[1])
    return lam.T


def lyapunov(cell, x, *, activation="exact", threshold=1.0, inclusive=True,
             round_feedback=False, h0=0.0, c0=0.0, transient=100, steps=1000,
             k=None) -> np.ndarray:
    """The Lyapunov spectrum of a cell driven by a constant or periodic input.

    The cell is a map of the state (h, c); its Jacobian J_t at each step
    tells how it stretches a small perturbation.  The exponents are the mean
    logarithmic stretching rates along the trajectory, measured by the
    tangent map with Gram-Schmidt re-orthonormalisation (QR) in a compiled
    kernel: a positive largest exponent means chaos (nearby states part
    exponentially), a negative one a stable attractor (a fixed point or a
    cycle locked to the input).

    Parameters
    ----------
    cell : ScalarLSTM, mapping or 12 numbers, or LSTMCell
        A scalar cell has 2 exponents; an ``LSTMCell`` of hidden size n has
        2n (its state is (h, c), 2n numbers).  A 1-unit, 1-input
        ``LSTMCell`` gives what its ``to_scalar()`` gives, bit for bit.
    x : float or array_like
        A constant input, or one period of a periodic one: step t (t = 0 is
        the first step of the transient) reads ``x[t % P]``.  Scalar cell
        (or input size m = 1): a number or shape (P,) (also (P, 1) for an
        ``LSTMCell``).  ``LSTMCell`` with m > 1: shape (m,) (constant) or
        (P, m).
    activation, threshold, inclusive, round_feedback
        The semantics; see ``Semantics``.
    h0, c0 : float, or array_like of shape (n,) for an LSTMCell
        The state before the first step (a number fills every unit).
    transient : int >= 0
        Steps run before measuring (not measured), to reach the attractor.
    steps : int >= 1
        Steps measured: each exponent is a mean over these.  ``transient +
        steps`` is at most 2**52 (``MAX_LYAPUNOV_STEPS``: the products'
        int64 exponents and their float64 mean stay exact).  A long run goes
        in slices of steps, so Ctrl-C (``KeyboardInterrupt``) stops it at once.
    k : int, optional
        How many exponents, 1 <= k <= 2n (default all 2n; 2 for a scalar
        cell): the first k columns of the QR frame, which tend to the k
        largest.  Column i never depends on the columns after it, so the
        result is the first k of the full spectrum, bit for bit, for k
        times less QR work.

    Returns
    -------
    numpy.ndarray, shape (k,)
        The exponents in frame order, largest first up to the estimates'
        noise (natural log per step).  Scalar cell: the first is the growth
        rate of a tangent direction (started at (cos 1, sin 1) in the (h,
        c) plane), which tends to the largest exponent; the second is the
        mean of log|det J_t| minus the first.  Where two exponents are
        equal (complex eigenvalues: a focus or a rotation) their estimates
        differ by O(1/steps) in either order.

    Raises
    ------
    ValueError
        For a bad value, naming the argument (``transient + steps`` above
        2**52 included, k out of range, x of the wrong shape); also when a
        pre-activation could overflow (as ``fastlstm.run`` refuses) or when
        the Jacobian's entries could: (|W_fh| + |W_ih| + |W_oh| + |W_ch|)
        (|c0| + transient + steps + 1) must stay below 1e150, for an
        ``LSTMCell`` sum |W_hh| (max|c0| + transient + steps + 1).
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
    jumps), so J's h rows are 0: the second exponent of a scalar cell, and
    exponents n + 1 .. 2n of an ``LSTMCell``, are -inf.

    An exponent is -inf, reported as such, when the product of the
    Jacobians over the measured steps maps its direction to 0:

    * both are -inf when some step's J maps the tangent direction (started
      at (cos 1, sin 1) in the (h, c) plane) to 0, in particular when a
      step's J is 0 (every activation saturated, or flat, as for the
      saturated parity cell: the map is locally constant);
    * the second alone is -inf when some step's J is singular, det J = 0
      (a map that ignores h, such as a cell without weights on h, or
      ``round_feedback``).

    ``LSTMCell``: the frame's k columns start as the first k columns of a
    fixed orthonormal matrix with no zero entry (``_kernels.tangent.
    start_frame``) and are re-orthonormalised by modified Gram-Schmidt at
    every measured step; the r_ii are multiplied up exactly but for one
    rounding a step (a mantissa and a binary exponent, one log at the end).
    A column that maps exactly to 0 makes its exponent, and all after it,
    -inf.  A singular J that does not map a column exactly to 0 (a cell
    with W_hh's o rows 0, say) leaves rounding noise there instead: its
    lowest exponents come out near log(2**-52) ~ -36, not -inf, as in any
    floating-point QR method.

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

    A vector cell has 2n exponents; ``k`` asks for the first k, the same
    bits as the first k of the whole spectrum.  Their sum is the mean of
    log|det J_t|.  A 1-unit, 1-input cell is its scalar cell:

    >>> import numpy as np
    >>> from fastlstm.cell import LSTMCell
    >>> rng = np.random.default_rng(0)
    >>> net = LSTMCell(rng.normal(0, 1, (32, 2)), rng.normal(0, 0.5, (32, 8)))
    >>> lam = fl.lyapunov(net, [0.5, -0.5], steps=2000)
    >>> lam.shape, bool(lam[0] < 0)        # 16 exponents; a stable attractor
    ((16,), True)
    >>> fl.lyapunov(net, [0.5, -0.5], steps=2000, k=3).tolist() == lam[:3].tolist()
    True
    >>> one = LSTMCell.from_scalar(cell)
    >>> a, b = fl.lyapunov(one, 0.7, steps=1000), fl.lyapunov(cell, 0.7, steps=1000)
    >>> a.tobytes() == b.tobytes()
    True
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    if isinstance(cell, LSTMCell):
        return _cell_lyapunov(cell, x, sem, h0, c0, transient, steps, k)
    values = as_cell(cell).to_array().reshape(1, 12)
    k = _count(k, 1)
    x = periodic_input(x)
    h0 = finite_scalar(h0, "h0")
    c0 = finite_scalar(c0, "c0")
    transient, steps = lyapunov_steps(transient, steps)
    preactivation_range(values[0], np.array([h0]), x)
    tangent_map_range(values, c0, transient + steps, name="cell")
    return lyapunov_rows(values, x, h0, c0, transient, steps, sem)[0][:k]


def _count(k, n):
    """k exponents of a state of 2n numbers: 1 <= k <= 2n, all 2n for None."""
    return 2 * n if k is None else integer(k, "k", 1, 2 * n)


def _cell_input(x, m):
    """x for a cell of input size m: one period of the input as C-contiguous (P, m)."""
    wanted = ("a number or one period of the input, shape (P,) or (P, 1)" if m == 1 else
              f"a constant input of shape ({m},) or one period of the input, shape (P, {m})")
    try:
        arr = real_array(x, "x", (0, 1, 2))
    except ValueError as exc:
        if "must have shape" not in str(exc):
            raise
        arr = None
    if arr is not None and m == 1 and arr.ndim < 2:
        arr = arr.reshape(-1, 1)
    elif arr is not None and arr.ndim == 1 and arr.shape[0] == m:
        arr = arr.reshape(1, m)
    if arr is None or arr.ndim != 2 or arr.shape[1] != m or arr.shape[0] == 0:
        raise ValueError(f"x must be {wanted} for a cell with input_size {m}, got shape "
                         f"{np.shape(x)}")
    return arr


def _cell_lyapunov(cell, x, sem, h0, c0, transient, steps, k):
    """``lyapunov`` of an ``LSTMCell``: validated, then the tangent kernel (or, for
    n = m = 1, the scalar cell's own path)."""
    n, m = cell.hidden_size, cell.input_size
    k = _count(k, n)
    x = _cell_input(x, m)
    h0, c0 = _state(h0, "h0", n), _state(c0, "c0", n)
    transient, steps = lyapunov_steps(transient, steps)
    if n == 1 and m == 1:  # the scalar cell, bit for bit
        return lyapunov(cell.to_scalar(), x[:, 0], activation=sem.activation,
                        threshold=sem.threshold, inclusive=sem.inclusive,
                        round_feedback=sem.round_feedback, h0=float(h0[0]), c0=float(c0[0]),
                        transient=transient, steps=steps, k=k)
    preactivation_range_vector(cell, h0, x)
    with np.errstate(over="ignore"):
        bound = float(np.abs(cell.W_hh).sum()) * (float(np.abs(c0).max()) + transient + steps
                                                   + 1.0)
    if not bound <= TANGENT_LIMIT:
        raise ValueError(f"cell: the weights on h are too large for the tangent map: "
                         f"sum |W_hh| * (max|c0| + transient + steps + 1) = {bound:.2e} "
                         f"exceeds 1e150")
    # transposed, writable copies: the layout of the vector kernels, one compiled kernel
    weights = (np.array(cell.W_ih.T, order="C"), np.array(cell.W_hh.T, order="C"), cell.bias())
    return tangent_spectrum(*weights, x, sem.threshold, sem.saturated, sem.inclusive,
                            sem.round_feedback, h0, c0, transient, steps, k)[0]
