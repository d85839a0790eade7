"""``sweep`` over a table of vector cells (``CellTable``, or a list of ``LSTMCell`` s).

``sweep`` hands a table of cells here (``prepare``) and runs what comes back.  The work goes
through the machinery of scalar sweeps: a ``chunks.Work`` whose rows are
the table's cells (``CellRows``), whose plan is the prefix plan of
``plan.make_plan`` over the inputs' row numbers (``CellPlan``; for
``record="lyapunov"`` a drive, ``CellDrive``) and whose kernel
(``CellKernel``) runs the compiled kernels of
``fastlstm._kernels.cell_sweep`` on a chunk, in this process (threads) or
on Dask workers: the same bits either way.

A table of 1-unit, 1-input cells is a table of scalar cells: unless a
``Readout`` scores it, it goes to the scalar sweep, whose numbers it gives
bit for bit (with the unit axis kept).  A ``Readout`` on such a table runs
the cell kernel with the scalar step's memory update (``scalar_order``), so
its h is still that of ``fastlstm.run``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._kernels.cell_sweep import make_cell_lyapunov_kernel, make_cell_sweep_kernel
from .._kernels.tangent import start_frame
from .._validate import TANGENT_LIMIT, as_real, lyapunov_steps, periodic_input, real_array
from ..readout import Readout
from .cell_tables import WEIGHTS, as_cell_table
from .checks import MAX_STEPS, _copy_bytes, refuse
from .chunks import Kernel, Work
from .memory import memory_limit
from .plan import make_plan

__all__ = ["CellRows", "CellPlan", "CellDrive", "CellKernel", "ScalarRoute", "prepare"]


@dataclasses.dataclass(frozen=True)
class CellRows:
    """Rows of a cell table as the kernels read them (``Work.values`` of a cell sweep)."""

    W_ih: np.ndarray
    W_hh: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray

    @property
    def shape(self) -> tuple:
        """(cells, floats per cell): what ``Work`` sizes chunks by."""
        return (self.W_ih.shape[0], sum(a[0].size for a in self.arrays()))

    def arrays(self) -> tuple:
        return self.W_ih, self.W_hh, self.b_ih, self.b_hh

    def __getitem__(self, span):
        return CellRows(*(a[span] for a in self.arrays()))


def _cost(n, m):
    """Work of a cell-step relative to a scalar one (sizes chunks)."""
    return max(1, (n * (n + m + 3)) // 2)


@dataclasses.dataclass(frozen=True, eq=False)
class CellPlan:
    """The prefix plan over row numbers, with the rows, the labelling and the units."""

    plan: object          # plan.Plan over row numbers of x_rows and of the states
    x_rows: np.ndarray    # (U, m) distinct input vectors
    h_rows: np.ndarray    # (S, n) distinct initial states
    c_rows: np.ndarray
    R_W: np.ndarray       # (k, n) readout (or unit 0 for a rounding score)
    R_b: np.ndarray       # (k,)
    mode: int             # -1 not scored, 0 one output against cut, 1 argmax
    cut: float
    cost: int

    def args(self) -> tuple:
        return (self.x_rows, self.h_rows, self.c_rows, self.R_W, self.R_b, self.mode,
                self.cut, *self.plan.args())

    @property
    def nodes(self) -> int:
        return self.plan.nodes * self.cost

    @property
    def shape(self) -> tuple:
        return self.plan.shape


@dataclasses.dataclass(frozen=True, eq=False)
class CellDrive:
    """What every cell of a Lyapunov sweep is run over."""

    x: np.ndarray     # (P, m) one period of the input
    h0: np.ndarray    # (n,)
    c0: np.ndarray
    q0: np.ndarray    # (2n,) the tangent vector's start
    transient: int
    steps: int
    cost: int

    def args(self) -> tuple:
        return self.x, self.h0, self.c0, self.q0, self.transient, self.steps

    @property
    def nodes(self) -> int:
        return (self.transient + self.steps) * self.cost

    @property
    def shape(self) -> tuple:
        return (1, self.x.shape[0])


@dataclasses.dataclass(frozen=True)
class CellKernel(Kernel):
    """``chunks.Kernel`` for cell tables: key ("cells" or "cell lyapunov", saturated);
    ``scalars`` (threshold, inclusive, round_feedback[, scalar_order]); ``units`` n."""

    units: int = 1

    def outputs(self, n, shape) -> tuple:
        if self.record == "lyapunov":
            return (np.empty(n),)
        B, T = shape
        u = self.units
        none = np.empty((0, 0, 0))
        h = np.empty((n, B, u)) if self.record == "final" else none
        c = np.empty((n, B, u)) if self.record == "final" else none
        traj = np.empty((n, B * T, u)) if self.record == "trajectory" else none
        rnd = np.empty((n, B * T, u) if self.record == "rounded" else (0, 0, 0), np.int8)
        return h, c, traj, rnd, np.zeros(n, np.int64)

    def run(self, p, plan, outputs=None) -> tuple:
        if outputs is None:
            outputs = self.outputs(p.shape[0], plan.shape)
        make = make_cell_lyapunov_kernel if self.key[0] == "cell lyapunov" else \
            make_cell_sweep_kernel
        make(self.key[1])(*p.arrays(), *self.scalars, *plan.args(), *outputs)
        return outputs


# --- inputs --------------------------------------------------------------------------

def _inputs(x, m):
    """x as an array (B, T, m), not converted yet, and whether it was one sequence."""
    arr = as_real(x, "x")
    if m == 1 and arr.ndim in (1, 2):
        arr = arr[..., None]
    if arr.ndim not in (2, 3) or arr.shape[-1] != m:
        wanted = ("(T,), (B, T) or (B, T, 1)" if m == 1 else f"(T, {m}) or (B, T, {m})")
        raise ValueError(f"x must have shape {wanted} for cells with input_size {m}, got "
                         f"shape {np.shape(x)}")
    if arr.size == 0 or arr.size // m > MAX_STEPS:
        raise ValueError(f"x must hold at least one step, and fewer than 2**31 in all, got "
                         f"shape {np.shape(x)}")
    return arr.reshape((-1,) + arr.shape[-2:]), arr.ndim == 2


def _states(value, name, n, B):
    """An initial state as (B, n): a number, (n,) shared, or (B, n) one per sequence."""
    if np.ndim(value) == 0:
        arr = real_array(value, name, 0, bools=False)
        return np.full((B, n), float(arr))
    arr = real_array(value, name, (1, 2), bools=False)
    if arr.shape == (n,):
        return np.repeat(arr[None], B, axis=0)
    if arr.shape != (B, n):
        raise ValueError(f"{name} must be a number or have shape ({n},) or ({B}, {n}), got "
                         f"shape {arr.shape}")
    return arr


def _row_ids(rows):
    """(distinct rows, id of every row), rows compared by their bits."""
    rows = np.ascontiguousarray(rows)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, ids = np.unique(keys, return_index=True, return_inverse=True)
    return rows[first], ids.reshape(-1).astype(np.float64)


def _labelling(readout, n, target):
    """(R_W, R_b, mode, cut, labels) for the score (mode -1 without a target)."""
    if target is None:
        return np.zeros((1, n)), np.zeros(1), -1, 0.0, (-1, 0, 1)
    if readout is None:  # round_half_to_zero of the one unit
        return np.ones((1, 1)), np.zeros(1), 0, 0.5, (-1, 0, 1)
    W, b = np.array(readout.weight), np.array(readout.bias)
    if readout.output_size == 1:
        return W, b, 0, 0.0, (-1, 0, 1)
    labels = readout.labels if readout.labels is not None else range(readout.output_size)
    return W, b, 1, 0.0, tuple(labels)


def _target(target, shape):
    tgt = as_real(target, "target")
    if tgt.shape != shape:
        raise ValueError(f"target must have the shape of x without its input axis, {shape}, "
                         f"got shape {tgt.shape}")
    if tgt.dtype.kind == "f" and not (np.isfinite(tgt) & (tgt == np.round(tgt))).all():
        raise ValueError("target must hold labels (finite integers, e.g. -1, 0, 1)")
    return tgt.reshape(-1, shape[-1])


def preactivation_range_cells(table, h0, x, *, h_name="h0", x_name="x"):
    """``vector.preactivation_range_vector`` for every cell; the error names the cell."""
    from ..vector import _screen, preactivation_range_vector

    n, m = table.hidden_size, table.input_size
    h_max = max(1.0, float(np.abs(h0).max()))
    x_max = float(np.abs(x).max())
    with np.errstate(over="ignore", invalid="ignore"):
        estimate = (np.abs(table.W_hh).sum(axis=2) * h_max
                    + np.abs(table.W_ih).sum(axis=2) * x_max
                    + np.abs(table.b_ih + table.b_hh))
    # ~(<=): a NaN estimate (an infinite row sum times x = 0) is decided exactly, not passed
    for k in np.flatnonzero((~(estimate <= _screen(n, m))).any(axis=1)).tolist():
        try:
            preactivation_range_vector(table.cell(k), h0, x, h_name=h_name, x_name=x_name)
        except ValueError as exc:
            raise ValueError(f"params[{k}]: {exc}") from None


# --- the sweep -----------------------------------------------------------------------

def prepare(params, x, *, record, target, readout, dtype, sem, h0, c0, chunk_size,
            max_bytes, share_prefixes, transient, steps):
    """A sweep of a table of vector cells, validated and ready for a backend:
    ``(work, fields)``, ``fields()`` the ``SweepResult`` fields of the rows done so
    far; or, for a 1-unit, 1-input table not scored by a readout, ``ScalarRoute``.
    (``sweep`` has checked the other arguments.)"""
    table = as_cell_table(params)
    n, m = table.hidden_size, table.input_size
    if readout is not None:
        if not isinstance(readout, Readout):
            raise TypeError(f"readout must be a fastlstm.Readout, got {type(readout).__name__}")
        if readout.input_size != n:
            raise ValueError(f"readout must read the cells' {n} units, got a readout with "
                             f"input_size {readout.input_size}")
        if target is None:
            raise ValueError("readout= labels h to score it against a target=: give one")
    if n == 1 and m == 1 and readout is None:
        return ScalarRoute.of(table, x, h0, c0)
    if dtype != "float64":
        raise ValueError(f"dtype={dtype!r}: tables of vector cells run in float64 (float32 "
                         f"only for 1-unit, 1-input cells)")
    rows = CellRows(*(getattr(table, w) for w in WEIGHTS))
    fields = dict(params=None, table=table, record=record, dtype=dtype, semantics=sem)
    if record == "lyapunov":
        kernel = CellKernel(("cell lyapunov", sem.saturated), (sem.threshold, sem.inclusive,
                            sem.round_feedback), record, dtype, units=n)
        work = Work.create(kernel, rows, _drive(table, x, target, h0, c0, transient, steps),
                           chunk_size)
        return work, lambda: dict(fields, h=None, c=None, rounded=None, accuracy=None,
                                  lyapunov=work.outputs[0])
    X, single = _inputs(x, m)
    B, T = X.shape[:2]
    lead = (T,) if single else (B, T)
    tgt = None if target is None else _target(target, lead)
    if record is None and tgt is None:
        raise ValueError("record=None records nothing: give a target= to score against, "
                         "or ask for record='final'")
    if tgt is not None and readout is None and n > 1:
        raise ValueError(f"a target for cells of hidden size {n} needs readout= (a "
                         f"fastlstm.Readout) to label h")
    refuse(len(table), B, T, record, 8, tgt is not None, memory_limit(max_bytes),
           {"x as float64": _copy_bytes(X),
            "x rows and their ids": 8 * B * T * (m + 2), "h0 and c0": 32 * B * n}, units=n)
    X = real_array(X, "x", 3)
    H0, C0 = _states(h0, "h0", n, B), _states(c0, "c0", n, B)
    preactivation_range_cells(table, H0, X, x_name="x")
    R_W, R_b, mode, cut, labels = _labelling(readout, n, tgt)
    x_rows, x_ids = _row_ids(X.reshape(-1, m))
    states, state_ids = _row_ids(np.concatenate([H0, C0], axis=1))
    plan = make_plan(x_ids.reshape(B, T), state_ids, np.zeros(B), tgt, "float64",
                     share=share_prefixes, finals=record == "final",
                     steps=record in ("trajectory", "rounded"), labels=labels)
    cell_plan = CellPlan(plan, x_rows, np.ascontiguousarray(states[:, :n]),
                         np.ascontiguousarray(states[:, n:]), R_W, R_b, mode, cut,
                         _cost(n, m))
    kernel = CellKernel(("cells", sem.saturated), (sem.threshold, sem.inclusive,
                        sem.round_feedback, n == 1 and m == 1), record, dtype, units=n)
    work = Work.create(kernel, rows, cell_plan, chunk_size)

    def partial():
        h, c, traj, rnd, correct = work.outputs
        per_seq = (len(table),) + lead[:-1] + (n,)
        per_step = (len(table),) + lead + (n,)
        return dict(fields, lyapunov=None,
                    h=h.reshape(per_seq) if record == "final" else
                    traj.reshape(per_step) if record == "trajectory" else None,
                    c=c.reshape(per_seq) if record == "final" else None,
                    rounded=rnd.reshape(per_step) if record == "rounded" else None,
                    accuracy=correct / (B * T) if tgt is not None else None)

    return work, partial


def _period(x, m):
    """The drive of ``fastlstm.lyapunov`` for input size m: one period as (P, m)."""
    if m == 1:
        arr = as_real(x, "x")
        return periodic_input(arr[..., 0] if arr.ndim == 2 and arr.shape[1] == 1 else x)[:, None]
    arr = real_array(x, "x", (1, 2))
    if arr.ndim == 1 and arr.shape[0] == m:
        return arr.reshape(1, m)
    if arr.ndim != 2 or arr.shape[1] != m or arr.shape[0] == 0:
        raise ValueError(f"x must be a constant input of shape ({m},) or one period of the "
                         f"input, shape (P, {m}), for cells with input_size {m}, got shape "
                         f"{arr.shape}")
    return arr


def _drive(table, x, target, h0, c0, transient, steps):
    from ..vector import _state

    if target is not None:
        raise ValueError("record='lyapunov' scores nothing: leave target=None")
    n, m = table.hidden_size, table.input_size
    x = _period(x, m)
    h0, c0 = _state(h0, "h0", n), _state(c0, "c0", n)
    transient, steps = lyapunov_steps(transient, steps)
    preactivation_range_cells(table, h0, x)
    with np.errstate(over="ignore"):
        bound = np.abs(table.W_hh).sum(axis=(1, 2)) * (float(np.abs(c0).max()) + transient
                                                        + steps + 1.0)
    bad = np.flatnonzero(~(bound <= TANGENT_LIMIT))
    if bad.size:
        raise ValueError(f"params[{bad[0]}]: the weights on h are too large for the tangent "
                         f"map: sum |W_hh| * (max|c0| + transient + steps + 1) = "
                         f"{bound[bad[0]]:.2e} exceeds 1e150")
    q0 = np.ascontiguousarray(start_frame(2 * n, 1)[0])
    return CellDrive(x, np.array(h0), np.array(c0), q0, transient, steps,
                     _cost(n, m) * 3)


def _scalar_values(table) -> np.ndarray:
    """The (N, 12) scalar table of 1-unit, 1-input cells, as ``LSTMCell.to_scalar`` reads them."""
    b_ih, b_hh = table.b_ih, table.b_hh
    bias = np.where(b_hh == 0.0, b_ih, np.where(b_ih == 0.0, b_hh, b_ih + b_hh))
    p = np.empty((len(table), 12))
    for slot, row in ((0, 1), (3, 0), (6, 3), (9, 2)):  # f, i, o, g <- rows i, f, g, o
        p[:, slot], p[:, slot + 1], p[:, slot + 2] = (table.W_hh[:, row, 0],
                                                      table.W_ih[:, row, 0], bias[:, row])
    return p


@dataclasses.dataclass(frozen=True, eq=False)
class ScalarRoute:
    """A 1-unit, 1-input table as the scalar sweep takes it: ``values`` (N, 12), x as
    (T,) or (B, T), h0 and c0 numbers or (B,); ``finish`` gives its result the unit axis."""

    table: object
    values: np.ndarray
    x: object
    h0: object
    c0: object

    @classmethod
    def of(cls, table, x, h0, c0):
        arr = as_real(x, "x")
        if arr.ndim == 3 and arr.shape[-1] == 1:
            x = arr[..., 0]
        h0, c0 = (v if np.ndim(v) == 0 else _scalar_state(v, name)
                  for v, name in ((h0, "h0"), (c0, "c0")))
        return cls(table, _scalar_values(table), x, h0, c0)

    def finish(self, result):
        """``result`` of the scalar sweep, h, c and rounded with the unit axis, the table's."""
        unit = {name: None if getattr(result, name) is None else getattr(result, name)[..., None]
                for name in ("h", "c", "rounded")}
        return dataclasses.replace(result, params=None, table=self.table, **unit)


def _scalar_state(value, name):
    arr = real_array(value, name, (1, 2), bools=False)
    if arr.shape == (1,):
        return float(arr[0])
    if arr.ndim == 2 and arr.shape[1] == 1:
        return arr[:, 0]
    raise ValueError(f"{name} must be a number or have shape (1,) or (B, 1) for cells of "
                     f"hidden size 1, got shape {arr.shape}")
