"""Sweeps: run many parameter sets over the same inputs, and score them.

``sweep`` validates, estimates the memory of the requested record (and
refuses what would not fit), builds the input plan (``plan``) and hands one
``chunks.Work`` to a backend, which runs the compiled kernel on chunks of
the parameter table: in this process (``backend="numba"``, threads over
blocks of cells) or on Dask workers (``backend="dask"``, ``dask_backend``).
A backend yields each chunk's rows as they are done; ``sweep`` counts them
for the progress bar and, on Ctrl-C, for the partial result.  A cell's
numbers do not depend on the chunking or the backend.
"""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np

from .._validate import initial_state, integer, preactivation_range_table
from ..semantics import Semantics
from . import by_sequence, cells, dask_backend, lyapunov
from .cell_tables import is_cell_table
from .checks import convert_inputs, fits_float32, peek_inputs, refuse
from .chunks import Kernel, Work
from .memory import memory_limit
from .plan import make_plan
from .progress import _progress  # (fastlstm.compiling imports it from here too)
from .tables import ParamTable, as_table, table_rows

__all__ = ["sweep", "SweepResult", "SweepInterrupted", "SweepFailed", "RECORDS", "BACKENDS"]

#: What a sweep can record (see ``sweep``); None: only the score.
RECORDS = ("final", "trajectory", "rounded", "lyapunov", None)
BACKENDS = ("numba", "dask")
DTYPES = ("float64", "float32")


@dataclasses.dataclass(frozen=True, eq=False)
class SweepResult:
    """What a sweep produced, one row per parameter set.

    Attributes
    ----------
    h, c : numpy.ndarray or None
        ``record="final"``: the final state, shape (N,) for one input
        sequence or (N, B) for B of them.  ``record="trajectory"``: ``h``
        for every step, (N, T) or (N, B, T), and ``c`` is None.  A table of
        vector cells adds a last axis, the n units, to h, c and rounded.
    rounded : numpy.ndarray of int8 or None
        ``record="rounded"``: ``round_half_to_zero(h)`` for every step,
        (N, T) or (N, B, T).  All None for ``record=None``.
    lyapunov : numpy.ndarray of float64 or None
        ``record="lyapunov"``: the largest Lyapunov exponent, shape (N,)
        (-inf where the map is locally constant; see ``fastlstm.lyapunov``).
    accuracy : numpy.ndarray of float64 or None
        With a ``target``: fraction of steps (over all sequences) whose
        rounded h equals the target, shape (N,).
    params : numpy.ndarray or None
        The (N, 12) parameter table; None for a table of vector cells.
    table : ParamTable, CellTable or None
        The table passed in, when it was one (a grid keeps its axes); the
        ``CellTable`` of a sweep over vector cells.
    record : str or None
    dtype : str
    semantics : Semantics
    """

    h: np.ndarray | None
    c: np.ndarray | None
    rounded: np.ndarray | None
    accuracy: np.ndarray | None
    params: np.ndarray
    table: ParamTable | None
    record: str | None
    dtype: str
    semantics: Semantics
    lyapunov: np.ndarray | None = None

    def __len__(self):
        return self.params.shape[0] if self.params is not None else len(self.table)

    def __repr__(self):
        parts = [f"N={len(self)}", f"record={self.record!r}", f"dtype={self.dtype!r}"]
        for name in ("h", "c", "rounded", "lyapunov", "accuracy"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}: shape {value.shape}")
        if self.table is not None and self.table.axes:
            parts.append(f"grid {self.table.shape} over {', '.join(self.table.names)}")
        return f"SweepResult({', '.join(parts)})"

    @property
    def axes(self) -> dict:
        """The grid's axes (name -> values), or {} when the table was no grid."""
        return dict(self.table.axes) if self.table is not None else {}

    def to_grid(self, name="accuracy") -> np.ndarray:
        """Result ``name`` reshaped to the grid: (n_1, n_2, ...) + trailing axes.

        Examples
        --------
        >>> import fastlstm as fl
        >>> X = fl.binary_strings(4)
        >>> t = fl.grid(base=fl.presets.parity(), W_ch=[-100, 0], W_cx=[0, 50, 100])
        >>> fl.sweep(t, X, target=fl.parity_target(X)).to_grid().shape
        (2, 3)
        """
        value = (getattr(self, name, None)
                 if name in ("h", "c", "rounded", "lyapunov", "accuracy") else None)
        if value is None:
            raise ValueError(f"this sweep has no {name!r} (record={self.record!r}"
                             f"{', no target' if name == 'accuracy' else ''})")
        if self.table is None:
            raise ValueError("to_grid needs a sweep over a grid made by fastlstm.grid")
        return self.table.reshape(value)

    def plot(self, value=None, **kwargs):
        """Heat map of ``value`` over a two-axis grid (needs matplotlib): the
        exponents of a ``record="lyapunov"`` sweep by default
        (``fastlstm.plot.chaos_map``), else the accuracy
        (``fastlstm.plot.regime_map``)."""
        from ..plot import chaos_map, regime_map
        if value is None and self.record == "lyapunov" or value == "lyapunov":
            return chaos_map(self, **kwargs)
        return regime_map(self, value="accuracy" if value is None else value, **kwargs)


class _KeepsFinishedRows:
    """What a stopped sweep carries (``SweepInterrupted``, ``SweepFailed``).

    Attributes
    ----------
    result : SweepResult
        The partial result; rows where ``completed`` is False hold
        unspecified values.
    completed : numpy.ndarray of bool, shape (N,)
        The parameter sets that were finished.
    """

    def _keep(self, result, completed):
        self.result = result
        self.completed = completed
        return f"{int(completed.sum())} of {completed.size} parameter sets"


class SweepInterrupted(_KeepsFinishedRows, KeyboardInterrupt):
    """Ctrl-C stopped a sweep between two chunks.

    It is a ``KeyboardInterrupt``, so an unhandled one ends a script as
    usual; catch it to keep what was computed (``.result``, ``.completed``).
    """

    def __init__(self, result, completed):
        super().__init__(f"sweep interrupted after {self._keep(result, completed)}")


class SweepFailed(_KeepsFinishedRows, RuntimeError):
    """An error stopped a sweep (a Dask cluster gone, a chunk that kept failing).

    The error is its ``__cause__``; the rows finished before it are kept
    (``.result``, ``.completed``).
    """

    def __init__(self, result, completed, error):
        super().__init__(f"sweep failed after {self._keep(result, completed)}: "
                         f"{type(error).__name__}: {error}")


# --- the public function -----------------------------------------------------

def _choice(value, name, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _numba_backend(work, client=None):
    """``backend="numba"``: chunk after chunk in this process (the kernel's threads
    share each chunk); yield each chunk's (start, stop) once its rows are written."""
    for start, stop in work.spans():
        work.run(start, stop)
        yield start, stop


_BACKENDS = {"numba": _numba_backend, "dask": dask_backend.run}


def sweep(params, x, *, record="final", target=None, backend="numba", client=None,
          progress=False, dtype="float64", activation="exact", threshold=1.0,
          inclusive=True, round_feedback=False, h0=0.0, c0=0.0, chunk_size=None,
          max_bytes=None, share_prefixes=True, transient=100, steps=1000,
          readout=None) -> SweepResult:
    """Run every parameter set over the inputs; record or score what it does.

    Parameters
    ----------
    params : ParamTable, array_like of shape (N, 12), or one cell
        From ``grid``/``random_params``, or a plain table in ``PARAM_NAMES``
        order; finite (every table is checked, a ``ParamTable`` too).  With
        ``dtype="float32"``, params, x, h0 and c0 must lie within float32's
        range.  Or vector cells of one shape: a ``CellTable`` (from
        ``cell_grid``/``random_cells``), a list of ``LSTMCell`` s or one;
        row n then equals ``fastlstm.run(table.cell(n), ...)`` (float64).
    x : array_like, shape (T,) or (B, T)
        The input sequence(s), shared by all parameter sets; for cells of
        input size m, (T, m) or (B, T, m) (m = 1: also (T,) or (B, T)).
    record : {"final", "trajectory", "rounded", "lyapunov", None}
        ``"final"``: ``.h``, ``.c`` of shape (N,) or (N, B).
        ``"trajectory"``: ``.h`` for every step, (N, T) or (N, B, T).
        ``"rounded"``: ``.rounded``, ``round_half_to_zero(h)`` as int8, for
        every step.  ``"lyapunov"``: ``.lyapunov`` (N,), the largest
        Lyapunov exponent of each parameter set along the trajectory driven
        by ``x``, a constant or one period (T,) of a periodic input, from
        one state (h0, c0), after ``transient`` steps, over ``steps`` steps:
        ``fastlstm.lyapunov(params[n], x, ...)[0]``, bit for bit in float64
        (no target).  None: nothing but the score (needs a ``target``).
        A record that would not fit in ``max_bytes`` is refused (ValueError
        saying how big it would be and what to ask for instead).
    target : array_like, shape of x, optional
        Rounded outputs the cell should give: adds ``.accuracy`` (N,), the
        fraction of steps whose rounded h equals the target.  Vector cells:
        the shape of x without its input axis; h's label (``readout``) is
        scored.
    readout : Readout, optional
        Vector cells: what labels h for the ``target`` (``Readout.label``,
        its y accumulated by fmas; needed for n > 1; for n = 1 the default
        label is the rounded h).
    backend : {"numba", "dask"}
        ``"numba"``: threads of this process.  ``"dask"``: chunks of the
        table go to the same compiled kernel on the workers of ``client``
        (a ``distributed.Client``; a ``LocalCluster`` is started, and closed
        afterwards, when None).  The numbers are identical, bit for bit.
    progress : bool or callable
        True: a progress bar per chunk (tqdm when installed).  A callable is
        called as ``progress(done, total)`` after every chunk.
    dtype : {"float64", "float32"}
        float32 computes (and returns h, c) in single precision: about twice
        as fast, to within a few float32 ulp per operation; an activation
        whose value is below float32's normal range (2**-126, sigmoid(z) for
        z < -87.34) is 0, never subnormal (x86 is ~100x slower on those).
    activation, threshold, inclusive, round_feedback
        The semantics; see ``Semantics``.
    h0, c0 : float or array_like of shape (B,)
        Initial state, shared or one per sequence; vector cells: a number,
        (n,) or (B, n) (``record="lyapunov"``: a number or (n,)).
    chunk_size : int, optional
        Parameter sets per chunk (rounded up to a multiple of 64).  Default:
        about 2**24 cell-steps per chunk (``chunks.CHUNK_STEPS``, a step that
        sequences share counted once), and at least 4 chunks per Dask
        worker.
    max_bytes : int, optional
        Memory the outputs may take; default 3/4 of the available memory.
    share_prefixes : bool
        Compute steps that sequences share (same prefix, same initial state)
        once.  Never changes a number; False only to measure the kernel.
    transient, steps : int
        ``record="lyapunov"`` only: steps run before measuring, and steps
        measured (see ``fastlstm.lyapunov``).

    Returns
    -------
    SweepResult

    Raises
    ------
    SweepInterrupted
        On Ctrl-C, after the chunk in progress; it carries the partial result.
    SweepFailed
        When the backend fails (a chunk fails again after its retries, the
        Dask cluster is gone); it carries the partial result, and the error
        as its ``__cause__``.  The loss of a Dask worker is no failure: its
        chunks run again on the others.

    Notes
    -----
    Row n equals ``fastlstm.run_batch(params[n], x, ...)`` (``run`` for a
    single sequence): in float64 the kernel performs the same operations, in
    the same order.  Memory: the table is used in place; ``record="final"``
    adds 16 bytes (float64) per parameter set and sequence.  What a sweep
    would allocate (outputs, input plan, float64 copies of inputs that are
    not float64 already) is added up from shapes and dtypes before anything
    is converted, and refused (ValueError) beyond ``max_bytes``.

    Examples
    --------
    Score the parity cell, and a variant with a weaker candidate weight,
    against the parity target on all 1024 binary strings of length 10:

    >>> import numpy as np
    >>> import fastlstm as fl
    >>> X = fl.binary_strings(10)
    >>> table = fl.grid(base=fl.presets.parity(), W_cx=[50.0, 5.0])
    >>> res = fl.sweep(table, X, target=fl.parity_target(X))
    >>> res.accuracy
    array([1.        , 0.86035156])
    >>> res.h.shape  # record="final": the last h of every string
    (2, 1024)

    Every step of one sequence, rounded (the weak cell miscounts the second run):

    >>> fl.sweep(table, [1, 1, 0, 1, 1], record="rounded").rounded
    array([[ 1, -1,  0,  1, -1],
           [ 1, -1,  0, -1,  1]], dtype=int8)

    A (coarse) regime map: only the score, reshaped to the grid:

    >>> grid = fl.grid(base=fl.presets.parity(), W_ch=np.linspace(-200, 0, 5),
    ...                W_cx=np.linspace(0, 100, 5))
    >>> fl.sweep(grid, X, target=fl.parity_target(X), record=None).to_grid().round(2)
    array([[0.5 , 0.86, 0.86, 0.86, 1.  ],
           [0.5 , 0.86, 0.86, 1.  , 1.  ],
           [0.5 , 0.86, 1.  , 1.  , 0.84],
           [0.5 , 1.  , 0.84, 0.84, 0.84],
           [0.5 , 0.84, 0.84, 0.84, 0.84]])

    A record that would not fit is refused before anything is allocated:

    >>> fl.sweep(np.zeros((10**5, 12)), np.zeros((2000, 1000)), record="trajectory")
    Traceback (most recent call last):
    ...
    ValueError: record='trajectory' needs 1.5 TiB for (N, B, T) = (100000, 2000, 1000), ...

    The largest Lyapunov exponent of each cell (a chaos map over a grid):
    reading zeros from h = c = 0, the parity cell sits on a fixed point with
    exponents log 50 and -inf (see ``fastlstm.lyapunov``); without its weight
    on h the state stays there, and only the memory's decay, log f = -100, is left:

    >>> chaos = fl.sweep(fl.grid(base=fl.presets.parity(), W_ch=[-100.0, 0.0]), 0,
    ...                  record="lyapunov")
    >>> chaos.lyapunov.round(4)
    array([   3.9122, -100.0001])

    Vector cells: a table of ``LSTMCell`` s of one shape (here the weights on h
    of one cell scaled by 0, 1 and 3); h gets a last axis, the units, and
    row n is ``fastlstm.run(table.cell(n), x)``, bit for bit:

    >>> from fastlstm.cell import LSTMCell
    >>> rng = np.random.default_rng(0)
    >>> cell = LSTMCell(rng.normal(0, 1, (8, 1)), rng.normal(0, 1, (8, 2)))
    >>> cells = fl.cell_grid(cell, {"W_hh*": [0.0, 1.0, 3.0]})
    >>> x = rng.normal(0, 1, 50)
    >>> res = fl.sweep(cells, x, record="trajectory")
    >>> res.h.shape
    (3, 50, 2)
    >>> res.h[2].tobytes() == fl.run(cells.cell(2), x).h.tobytes()
    True
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    _choice(record, "record", RECORDS)
    _choice(backend, "backend", BACKENDS)
    try:
        dtype = np.dtype(dtype).name
    except TypeError:
        pass  # refused just below, with the choices
    _choice(dtype, "dtype", DTYPES)
    if client is not None and backend != "dask":
        raise ValueError("client is only used with backend='dask'")
    if backend == "dask":
        dask_backend.check_client(client)
    if not (isinstance(progress, (bool, np.bool_)) or callable(progress)):
        raise TypeError(f"progress must be True, False or a callable, got {progress!r}")
    if chunk_size is not None:
        chunk_size = integer(chunk_size, "chunk_size", 1)
    if is_cell_table(params):  # vector cells: cells.py
        options = dict(record=record, target=target, dtype=dtype, chunk_size=chunk_size,
                       max_bytes=max_bytes, share_prefixes=share_prefixes,
                       transient=transient, steps=steps)
        prepared = cells.prepare(params, x, readout=readout, sem=sem, h0=h0, c0=c0, **options)
        if isinstance(prepared, cells.ScalarRoute):  # 1-unit, 1-input cells: the scalar sweep
            try:
                return prepared.finish(sweep(prepared.values, prepared.x, h0=prepared.h0,
                                             c0=prepared.c0, backend=backend, client=client,
                                             progress=progress, **options, **dataclasses.asdict(sem)))
            except (SweepInterrupted, SweepFailed) as exc:
                exc.result = prepared.finish(exc.result)
                raise
        work, fields = prepared
        return _collect(_BACKENDS[backend](work, client), len(work), progress,
                        lambda: SweepResult(**fields()))
    if readout is not None:
        raise ValueError("readout= labels the h of vector cells; a scalar sweep scores the "
                         "rounded h")
    if record == "lyapunov":  # a drive, not sequences: see lyapunov.py
        return _sweep_lyapunov(params, x, target, dtype, h0, c0, transient, steps, sem,
                               backend, client, progress, chunk_size)
    # Shapes and sizes first: nothing is converted before the memory check.
    N, table_copy = table_rows(params)
    x_in, tgt_in, copies = peek_inputs(x, target)
    if record is None and tgt_in is None:
        raise ValueError("record=None records nothing: give a target= to score against, "
                         "or ask for record='final'")
    ndim = x_in.ndim
    B, T = (1,) * (2 - ndim) + x_in.shape
    refuse(N, B, T, record, np.dtype(dtype).itemsize, tgt_in is not None,
           memory_limit(max_bytes),
           {"params as float64": table_copy, **copies, "h0 and c0": 16 * B})
    h0 = initial_state(h0, "h0", B)
    c0 = initial_state(c0, "c0", B)
    values, table = as_table(params)
    X, tgt = convert_inputs(x_in, tgt_in)
    del x_in, tgt_in
    preactivation_range_table(values, h0, X)  # no pre-activation may overflow
    if dtype == "float32":  # a larger value would be inf in the kernel
        for a, name in ((values, "params"), (X, "x"), (h0, "h0"), (c0, "c0")):
            fits_float32(a, name)

    kernel = Kernel.of(sem, record, dtype)
    if by_sequence.applies(N, dtype, backend):  # few cells: lanes across sequences
        outputs = kernel.outputs(N, (B, T))
        backend_run = by_sequence.run_cells(values, outputs, X, h0, c0, tgt, sem)
    else:
        plan = make_plan(X, h0, c0, tgt, dtype, share=share_prefixes,
                         finals=record == "final", steps=record in ("trajectory", "rounded"))
        work = Work.create(kernel, values, plan, chunk_size)
        outputs = work.outputs
        backend_run = _BACKENDS[backend](work, client)
    return _collect(backend_run, N, progress,
                    lambda: _result(outputs, values, table, tgt, X, ndim, record, dtype, sem))


def _sweep_lyapunov(params, x, target, dtype, h0, c0, transient, steps, sem, backend, client,
                    progress, chunk_size):
    if target is not None:
        raise ValueError("record='lyapunov' scores nothing: leave target=None")
    values, table = as_table(params)
    drive = lyapunov.make_drive(values, x, h0, c0, transient, steps, dtype)
    work = Work.create(Kernel.of(sem, "lyapunov", dtype), values, drive, chunk_size)

    def partial():
        return SweepResult(h=None, c=None, rounded=None, accuracy=None, params=values,
                           table=table, record="lyapunov", dtype=dtype, semantics=sem,
                           lyapunov=work.outputs[0])  # lam1; lam2 is not kept

    return _collect(_BACKENDS[backend](work, client), len(work), progress, partial)


def _collect(backend_run, N, progress, partial):
    """Run a backend to its end, counting finished rows; ``partial()`` makes the result."""
    completed = np.zeros(N, bool)
    bar = _progress(progress, N)
    try:
        with contextlib.closing(backend_run) as spans:
            while True:
                try:
                    start, stop = next(spans)
                except StopIteration:
                    break
                except Exception as exc:  # the backend failed: keep the finished rows
                    raise SweepFailed(partial(), completed, exc) from exc
                completed[start:stop] = True
                bar.update(stop - start)
    except KeyboardInterrupt:
        raise SweepInterrupted(partial(), completed) from None
    finally:
        bar.close()
    return partial()


def _result(outputs, values, table, tgt, X, ndim, record, dtype, sem):
    h, c, traj, rnd, correct = outputs
    N, (B, T) = values.shape[0], X.shape
    lead = (N, B) if ndim == 2 else (N,)
    accuracy = correct / (B * T) if tgt is not None else None
    return SweepResult(
        h=h.reshape(lead) if record == "final" else
        traj.reshape(lead + (T,)) if record == "trajectory" else None,
        c=c.reshape(lead) if record == "final" else None,
        rounded=rnd.reshape(lead + (T,)) if record == "rounded" else None,
        accuracy=accuracy, params=values, table=table, record=record, dtype=dtype,
        semantics=sem)
