"""Orbit (bifurcation) diagrams: the attractor's h values along one parameter axis."""

from __future__ import annotations

import dataclasses

import numpy as np

from .._kernels.sequence import make_sequence_kernels
from .._validate import finite_scalar, integer, periodic_input, preactivation_range, real_array
from ..params import PARAM_NAMES, as_cell
from ..semantics import Semantics

__all__ = ["OrbitDiagram", "orbit_diagram"]

#: Steps of the transient per kernel call (rounded to whole periods of the
#: input): the transient's buffers do not grow with it, and Ctrl-C is
#: answered between calls.
TRANSIENT_STEPS = 2**18
#: The most bytes the kept steps may take: h of every value and kept step, and
#: the input and c of one row, float64 (a plot shows far fewer points).
MAX_KEPT_BYTES = 2**32


@dataclasses.dataclass(frozen=True, eq=False)
class OrbitDiagram:
    """The h values a cell visits after a transient, for each value of one parameter.

    Attributes
    ----------
    axis : str
        The parameter varied (a name of ``PARAM_NAMES``).
    values : numpy.ndarray, shape (V,)
        Its values.
    h : numpy.ndarray, shape (V, keep)
        Row v: h_t for the ``keep`` steps after the transient, of the cell
        with ``axis = values[v]`` (the other parameters those of the base).
    x : numpy.ndarray, shape (P,)
        One period of the input (P = 1: a constant).
    transient : int
    semantics : Semantics
    """

    axis: str
    values: np.ndarray
    h: np.ndarray
    x: np.ndarray
    transient: int
    semantics: Semantics

    def __repr__(self):
        return (f"OrbitDiagram(axis={self.axis!r}, {self.values.size} values in "
                f"[{self.values.min():g}, {self.values.max():g}], keep={self.h.shape[1]}, "
                f"input period {self.x.size})")

    def plot(self, ax=None, *, title=None, **scatter_kw):
        """Scatter every kept h over its parameter value (needs matplotlib).

        A fixed point is one dot per value, a cycle of period k (locked to
        the input, or not) k dots, chaos a smear.  ``**scatter_kw`` go to
        ``Axes.scatter``.  Returns the ``matplotlib.axes.Axes``.
        """
        from ..plot import _pyplot

        if ax is None:
            ax = _pyplot().figure(figsize=(7, 4)).add_subplot()
        opts = dict(s=0.2, c="k", marker=".", linewidths=0, rasterized=True)
        opts.update(scatter_kw)
        ax.scatter(np.repeat(self.values, self.h.shape[1]), self.h.ravel(), **opts)
        ax.set_xlabel(self.axis)
        ax.set_ylabel(f"h after {self.transient} steps")
        if title is not None:
            ax.set_title(title)
        return ax


def orbit_diagram(base_cell, axis, values, x, *, transient=500, keep=100, activation="exact",
                  threshold=1.0, inclusive=True, round_feedback=False, h0=0.0,
                  c0=0.0) -> OrbitDiagram:
    """The attractor's h values along one parameter axis (a bifurcation diagram).

    Each cell (``base_cell`` with ``axis`` set to one of ``values``) runs
    from (h0, c0) over the input repeated periodically, ``transient + keep``
    steps; the last ``keep`` values of h are kept.  Each row is the tail of
    ``fastlstm.run(cell, x repeated)``, computed by the same kernel.

    Parameters
    ----------
    base_cell : ScalarLSTM, mapping or 12 numbers
    axis : str
        The parameter to vary, one of ``PARAM_NAMES``.
    values : array_like, shape (V,)
        Its values (finite).
    x : float or array_like, shape (P,)
        A constant input or one period of a periodic one (step t reads
        ``x[t % P]``).
    transient : int >= 0
        Steps dropped before keeping.
    keep : int >= 1
        Steps kept per value.  The kept values, ``(len(values) + 2) *
        keep`` float64, may take at most ``MAX_KEPT_BYTES`` (4 GiB); the
        transient takes a fixed amount of memory, however long.
    activation, threshold, inclusive, round_feedback, h0, c0
        The semantics and the initial state (see ``fastlstm.run``).

    Returns
    -------
    OrbitDiagram

    Examples
    --------
    The parity cell reading ones settles on a cycle of period 2, h = +-tanh(1)
    (c alternates +-1); without its weight on h (W_ch = 0) it stays at
    h = tanh(tanh(50)) = tanh(1) for good:

    >>> import numpy as np, fastlstm as fl
    >>> d = fl.orbit_diagram(fl.presets.parity(), "W_ch", [-100.0, 0.0], 1, transient=10, keep=4)
    >>> d.h.round(4)
    array([[ 0.7616, -0.7616,  0.7616, -0.7616],
           [ 0.7616,  0.7616,  0.7616,  0.7616]])
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    base = as_cell(base_cell, "base_cell").to_array()
    if axis not in PARAM_NAMES:
        raise ValueError(f"axis must be one of {PARAM_NAMES}, got {axis!r}")
    values = real_array(values, "values", 1)
    if values.size == 0:
        raise ValueError("values must hold at least one value of the axis")
    x = periodic_input(x)
    transient = integer(transient, "transient", 0)
    keep = integer(keep, "keep", 1)
    h0 = finite_scalar(h0, "h0")
    c0 = finite_scalar(c0, "c0")
    need = 8 * keep * (values.size + 2)  # h kept; a row's x and c
    if need > MAX_KEPT_BYTES:
        raise ValueError(f"keep={keep} for {values.size} values needs {need} bytes "
                         f"({need / 2**30:.1f} GiB: h of every value and kept step, as float64), "
                         f"more than the {MAX_KEPT_BYTES} (4 GiB) orbit_diagram allows; keep "
                         f"fewer steps or use fewer values at a time")
    cells = np.repeat(base[None, :], values.size, axis=0)
    cells[:, PARAM_NAMES.index(axis)] = values
    for p in cells:
        preactivation_range(p, np.array([h0]), x)
    run = make_sequence_kernels(*sem.kernel_key())[0]
    # The transient in calls of whole periods, each from the last (h, c) of the one
    # before (the h fed back, rounded under round_feedback): the bits of one call.
    period = x.size
    xs = np.resize(x, min(transient, max(TRANSIENT_STEPS // period, 1) * period))
    h_buf, c_buf = np.empty(xs.size), np.empty(xs.size)
    x_keep = x[(transient % period + np.arange(keep)) % period]  # step t reads x[t % P]
    c_keep = np.empty(keep)
    h = np.empty((values.size, keep))
    for v, p in enumerate(cells):
        h_t, c_t = h0, c0
        for start in range(0, transient, max(xs.size, 1)):
            n = min(xs.size, transient - start)
            run(p, xs[:n], h_t, c_t, sem.threshold, h_buf[:n], c_buf[:n])
            h_t, c_t = float(h_buf[n - 1]), float(c_buf[n - 1])
        run(p, x_keep, h_t, c_t, sem.threshold, h[v], c_keep)
    return OrbitDiagram(axis=axis, values=values, h=h, x=x, transient=transient, semantics=sem)
