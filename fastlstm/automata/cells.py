"""A cell in the automata wing: its symbols, its steps and its outputs.

``extract_automaton``, ``verify`` and ``learn_automaton`` explore the (h, c)
states of a cell; this module gives them one interface for a ``ScalarLSTM``
and an ``LSTMCell`` of n units and m inputs (``stepper_for``):

* **Symbols.**  Numbers when m = 1, vectors of length m (tuples) otherwise;
  a cell with m = 1 also takes 1-tuples.
* **Steps.**  ``expand``: one step from every state on every symbol;
  ``run``: rows of symbols from one state each.  A ``ScalarLSTM``, and an
  ``LSTMCell`` with n = m = 1 (through ``to_scalar()``), is stepped by the
  kernels of ``run`` and ``run_batch`` (``ScalarStepper``); any other cell by
  the lockstep kernel, many rows stepped together (``VectorStepper``).  Every
  state is bit for bit what a run computes.
* **Outputs.**  The rounded h vector (an int when n = 1, so a 1-unit cell
  gives the very machine of its ``ScalarLSTM``), or with a readout
  (``fastlstm.Readout``) the readout's label of h.
"""

from __future__ import annotations

import numpy as np

from .._kernels import sequence as _sequence_kernels
from .._kernels import vector as _vector_kernels
from .._kernels.lockstep import LANES, run_lockstep
from .._validate import initial_state, preactivation_range, rounds_to_int64
from ..cell import LSTMCell
from ..params import as_cell
from ..readout import Readout
from ..semantics import round_half_to_zero
from ..vector import preactivation_range_vector
from .alphabet import check_alphabet, scalar_alphabet

__all__ = ["ScalarStepper", "VectorStepper", "cell_alphabet", "check_readout", "expand_states",
           "output_range", "state_outputs", "stepper_for"]

#: Below this many (state, symbol) pairs a level is stepped with the serial
#: kernel, one call per pair: a parallel launch costs more than the work.
_SERIAL_PAIRS = 256
#: Up to this many rows of up to ``_SERIAL_STEPS`` steps in all run through the
#: serial kernel, one call a row: a parallel launch costs more than that work
#: (and much more on a busy host), and a first call then compiles one kernel, not two.
_SERIAL_ROWS = 1024
_SERIAL_STEPS = 2 ** 18
#: Fewer rows than this (a quarter of the lockstep kernel's lanes), of at least
#: ``_LONG_ROWS`` steps, go to the batch kernel of ``run_batch_vector`` (vectorised
#: within a step): in a lockstep block most lanes would be spare (one long row: 64x
#: the work).  Same bits either way.
_FEW_ROWS = LANES // 4
_LONG_ROWS = 32



def cell_alphabet(alphabet, m):
    """``(symbols, inputs)``: the alphabet and its symbols as float64 rows (A, m).

    Examples
    --------
    >>> cell_alphabet((0, 1), 1)
    ((0, 1), array([[0.],
           [1.]]))
    >>> cell_alphabet([(0, 1), (1, 1)], 3)
    Traceback (most recent call last):
    ...
    ValueError: alphabet must hold vectors of length 3 (the cell's input_size), got length 2
    """
    symbols, values = check_alphabet(alphabet)
    if values.ndim == 1:
        if m != 1:
            raise ValueError(f"alphabet must hold vectors of length {m} (tuples: the cell's "
                             f"input_size), got numbers {symbols}")
        values = values[:, None]
    elif values.shape[1] != m:
        raise ValueError(f"alphabet must hold vectors of length {m} (the cell's input_size), "
                         f"got length {values.shape[1]}")
    return symbols, values


def check_readout(readout, n):
    """``readout`` (None or a readout of n-vectors), else TypeError/ValueError naming it."""
    if readout is None:
        return None
    if not isinstance(readout, Readout):
        raise TypeError(f"readout must be a fastlstm.Readout or None, got {type(readout).__name__}")
    if readout.input_size != n:
        raise ValueError(f"readout reads vectors of length {readout.input_size} but the cell has "
                         f"hidden_size {n}")
    return readout


def stepper_for(cell, alphabet, semantics, readout=None):
    """``(symbols, stepper, readout)``: a cell's alphabet, its stepper, its checked readout.

    The stepper (``ScalarStepper`` for a ``ScalarLSTM`` or a 1-unit,
    1-input ``LSTMCell``, else ``VectorStepper``) has ``units`` (n),
    ``inputs`` (the symbols as float64 rows (A, m)), ``start(h0, c0,
    output=False)`` (the validated start state, arrays (n,); ``output``: h0
    must round to int64, as the start state's output), ``expand(h, c)`` (one
    step from every state, arrays (N, n), on every symbol: (N * A, n)) and
    ``run(words, h, c)`` (rows of symbol indices (B, T) from the states
    (B, n): h and c of shape (B, T, n)).

    Examples
    --------
    >>> import fastlstm as fl
    >>> from fastlstm.semantics import Semantics
    >>> one = fl.LSTMCell.from_scalar(fl.presets.parity())
    >>> symbols, stepper, _ = stepper_for(one, [(0,), (1,)], Semantics())
    >>> symbols, type(stepper).__name__, stepper.cell == fl.presets.parity()
    (((0,), (1,)), 'ScalarStepper', True)
    """
    if isinstance(cell, LSTMCell):
        readout = check_readout(readout, cell.hidden_size)
        symbols, inputs = cell_alphabet(alphabet, cell.input_size)
        if cell.hidden_size == cell.input_size == 1:   # the scalar kernels: same bits, faster
            return symbols, ScalarStepper(cell.to_scalar(), inputs, semantics), readout
        return symbols, VectorStepper(cell, inputs, semantics), readout
    cell = as_cell(cell)
    readout = check_readout(readout, 1)
    symbols, values = scalar_alphabet(alphabet)
    return symbols, ScalarStepper(cell, values[:, None], semantics), readout


def expand_states(kernels, p, theta, h, c, values):
    """One step from every state (h[j], c[j]) on every symbol, with the run kernels.

    Returns flat float64 arrays of length ``len(h) * len(values)``: entry
    ``j * A + a`` is the state after reading ``values[a]`` from state j.
    The steps are taken by the very kernels ``run`` and ``run_batch`` use,
    so the states are bit for bit what a run computes.
    """
    A = values.size
    n = len(h)
    h_in = np.repeat(np.asarray(h, dtype=np.float64), A)
    c_in = np.repeat(np.asarray(c, dtype=np.float64), A)
    X = np.tile(values, n).reshape(n * A, 1)
    h_out, c_out = np.empty((n * A, 1)), np.empty((n * A, 1))
    if n * A <= _SERIAL_PAIRS:
        run = kernels[0]
        for k in range(n * A):
            run(p, X[k], h_in[k], c_in[k], theta, h_out[k], c_out[k])
    else:
        kernels[2](p, X, h_in, c_in, theta, h_out, c_out)
    return h_out.reshape(-1), c_out.reshape(-1)


class ScalarStepper:
    """The start state and the steps of a ``ScalarLSTM`` (one unit), with the kernels of ``run``.

    Parameters
    ----------
    cell : ScalarLSTM
    inputs : numpy.ndarray, shape (A, 1)
    semantics : Semantics
    """

    units = 1

    def __init__(self, cell, inputs, semantics):
        self.cell, self.inputs = cell, inputs
        self.p, self.values, self.theta = cell.to_array(), inputs[:, 0].copy(), semantics.threshold
        self.kernels = _sequence_kernels.make_sequence_kernels(*semantics.kernel_key())

    def start(self, h0, c0, output=False):
        h, c = initial_state(h0, "h0", 1), initial_state(c0, "c0", 1)
        if output:
            output_range(h)
        preactivation_range(self.p, h, self.values, x_name="alphabet")
        return h, c

    def expand(self, h, c):
        h_out, c_out = expand_states(self.kernels, self.p, self.theta, h[:, 0], c[:, 0],
                                     self.values)
        return h_out[:, None], c_out[:, None]

    def run(self, words, h, c):
        """h and c (B, T, 1) along the rows of symbol indices ``words`` (B, T) from (h, c) (B, 1).

        A few thousand short rows go through the serial kernel one by one
        (``_SERIAL_ROWS``, ``_SERIAL_STEPS``).
        """
        X = self.values[words]
        H, C = np.empty(X.shape), np.empty(X.shape)
        h0, c0 = np.ascontiguousarray(h[:, 0]), np.ascontiguousarray(c[:, 0])
        if X.shape[0] <= _SERIAL_ROWS and X.size <= _SERIAL_STEPS:
            run = self.kernels[0]
            for b in range(X.shape[0]):
                run(self.p, X[b], h0[b], c0[b], self.theta, H[b], C[b])
        elif X.size:
            self.kernels[2](self.p, X, h0, c0, self.theta, H, C)
        return H[..., None], C[..., None]


class VectorStepper:
    """The start state and the steps of one vector cell under one semantics.

    Steps are taken by the lockstep kernel (``_kernels/lockstep.py``: SIMD
    lanes across the rows of a batch), whose every state is bit for bit
    what ``run_batch_vector`` computes; a few long rows by the batch kernel
    of ``run_batch_vector`` itself (``_FEW_ROWS``).

    Parameters
    ----------
    cell : LSTMCell
    inputs : numpy.ndarray, shape (A, m)
        The symbols' input vectors (``cell_alphabet``).
    semantics : Semantics
    """

    def __init__(self, cell, inputs, semantics):
        self.cell, self.inputs, self.units = cell, inputs, cell.hidden_size
        # the cell as the kernel takes it, prepared once (the cell and the start state
        # are validated by ``start``)
        self._args = (*semantics.kernel_key(), np.array(cell.W_ih.T, order="C"),
                      np.array(cell.W_hh.T, order="C"), np.array(cell.bias()),
                      np.ascontiguousarray(inputs, dtype=np.float64))
        self._theta = semantics.threshold
        self._symbols = np.zeros((0, 1), dtype=np.int64)

    def start(self, h0, c0, output=False):
        """The start state as two float64 arrays of shape (n,) (a scalar fills every unit).

        With ``output``, h0 must round to int64 (``output_range``).  Refused
        up front when a pre-activation could overflow float64 (as in
        ``run_vector``, with the alphabet as the inputs).
        """
        h, c = initial_state(h0, "h0", self.units), initial_state(c0, "c0", self.units)
        if output:
            output_range(h)
        preactivation_range_vector(self.cell, h, self.inputs, x_name="alphabet")
        return h, c

    def expand(self, h, c):
        """One step from every state (h[j], c[j]) (arrays (N, n)) on every symbol.

        Returns arrays of shape (N * A, n): row ``j * A + a`` is the state
        after reading symbol a from state j.
        """
        N, A = h.shape[0], self.inputs.shape[0]
        if self._symbols.shape[0] < N * A:   # 0, 1, .., A - 1 repeated, kept between calls
            self._symbols = np.tile(np.arange(A, dtype=np.int64), 2 * N).reshape(-1, 1)
        words = self._symbols[:N * A]
        H, C = self.run(words, np.repeat(h, A, axis=0), np.repeat(c, A, axis=0))
        return H[:, 0, :], C[:, 0, :]

    def run(self, words, h, c):
        """h and c (B, T, n) along the rows of symbol indices ``words`` (B, T) from (h, c)
        (B, n)."""
        shape = words.shape + (self.units,)
        H, C = np.empty(shape), np.empty(shape)
        # C order always: one compiled layout (a transposed array would compile again)
        h, c = np.ascontiguousarray(h, dtype=np.float64), np.ascontiguousarray(c, dtype=np.float64)
        if not words.size:
            return H, C
        if words.shape[0] < _FEW_ROWS and words.shape[1] >= _LONG_ROWS:
            run_batch = _vector_kernels.make_vector_kernels(*self._args[:3])[2]
            run_batch(*self._args[3:6], np.ascontiguousarray(self.inputs[words]), h, c,
                      self._theta, H, C)
        else:
            run_lockstep(*self._args, np.ascontiguousarray(words, dtype=np.int64), h, c,
                         self._theta, H, C)
        return H, C


def output_range(h0):
    """Refuse a start state h0 (n,) whose rounding is not an int64 (its output)."""
    for u, value in enumerate(h0.tolist()):
        rounds_to_int64(value, "h0" if h0.size == 1 else f"h0[{u}]")


def state_outputs(h, readout=None):
    """The output of each state of h (N, n): int64 (N,), or (N, n) for the rounded h of n >= 2.

    With a readout, its label of each h; else the rounded h (an int when n = 1).

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([[0.5, -0.7], [1.0, 0.2]])
    >>> state_outputs(h).tolist(), state_outputs(h[:, :1]).tolist()
    ([[0, -1], [1, 0]], [0, 1])
    """
    if readout is not None:
        return readout.label(h)
    rounded = round_half_to_zero(h).astype(np.int64)
    return rounded[:, 0] if h.shape[1] == 1 else rounded


def warm_lockstep():
    """The lockstep kernel's warm-up (``fastlstm.compiling.WARMUPS``): the states of a
    5-unit cell, chaotic under exact activations, along random words, for both compiled
    variants (exact; saturated with rounded feedback), as ``{label: array}``."""
    from ..semantics import Semantics

    rng = np.random.default_rng(14)
    cell = LSTMCell(rng.normal(0, 2, (20, 2)), rng.normal(0, 2, (20, 5)), rng.normal(0, 1, 20))
    words = rng.integers(0, 3, (70, 30))
    out = {}
    for sem in (Semantics(), Semantics(activation="saturated", round_feedback=True)):
        _, stepper, _ = stepper_for(cell, [(0, 1), (1, -1), (-0.5, 0.5)], sem)
        h, c = stepper.run(words, np.zeros((70, 5)), np.zeros((70, 5)))
        out[sem.activation] = np.concatenate([h.ravel(), c.ravel()])
    return out
