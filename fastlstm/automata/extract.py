"""``extract_automaton``: the Moore machine a cell implements on a finite alphabet.

Breadth-first search over the (h, c) pairs reachable from (h0, c0), a whole
level at a time with the very kernels ``run`` and ``run_batch`` use
(``expand_states``, shared with ``verify``), so every state is bit for bit
what a run computes.  The conventions (exact states, outputs = rounded h,
``quantize`` as the only, explicit, approximation) are in the package
docstring, ``fastlstm.automata``.
"""

from __future__ import annotations

import numpy as np

from .._kernels import sequence as _sequence_kernels
from .._validate import initial_state, integer, preactivation_range, rounds_to_int64
from ..params import as_cell
from ..semantics import Semantics, round_half_to_zero
from .alphabet import check_alphabet
from .machine import MooreMachine

__all__ = ["expand_states", "extract_automaton"]

#: Below this many (state, symbol) pairs a level is stepped with the serial
#: kernel, one call per pair: a parallel launch costs more than the work.
_SERIAL_PAIRS = 256


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


def extract_automaton(cell, alphabet=(0, 1), max_states=10_000, *, activation="exact",
                      threshold=1.0, inclusive=True, round_feedback=False, h0=0.0, c0=0.0,
                      quantize=None) -> MooreMachine:
    """The Moore machine a cell implements on a finite alphabet.

    Breadth-first search over the (h, c) states reachable from (h0, c0),
    stepping a whole level at a time with the compiled batch kernel of
    ``run_batch`` (so every state is exactly what ``run`` computes).  States
    are compared bit for bit (``-0.0`` and ``0.0`` are different states; see
    the notes of ``fastlstm.automata``).  The output of a state is its
    rounded h.

    Parameters
    ----------
    cell : ScalarLSTM, mapping or 12 numbers
    alphabet : sequence of real numbers
        The input symbols, distinct and finite.
    max_states : int
        Stop with a ValueError when more states than this are reachable
        (an integer >= 1).
    activation, threshold, inclusive, round_feedback
        The semantics; see ``Semantics``.
    h0, c0 : float
        The start state; ``|h0| < 2**63``, so that its output round(h0) is an
        int64.
    quantize : int, optional
        APPROXIMATION, off by default: round h and c to this many decimals
        (0 to 15) after every step, which can make an infinite state set
        finite.  The machine then describes a different system from the
        cell: it is marked ``exact=False`` and ``trajectory`` refuses to run
        it.

    Returns
    -------
    MooreMachine
        States in breadth-first order (start = 0) with their ``h``, ``c``.

    Raises
    ------
    ValueError
        When the reachable set is not finite within ``max_states`` (it says
        so, and what to do), or for bad arguments; up front when a
        pre-activation could overflow float64 (as in ``run``, with the
        alphabet as the inputs).  Memory grows by a few hundred bytes per
        state found: ``max_states`` is the bound on the work.
    TypeError
        For an argument of the wrong type (``max_states=2.5``, an alphabet of
        strings).

    Examples
    --------
    >>> import fastlstm as fl
    >>> m = fl.extract_automaton(fl.presets.parity(), activation="saturated",
    ...                          round_feedback=True)
    >>> m.h.tolist(), m.c.tolist()
    ([0.0, 1.0, -0.0, -1.0, 0.0], [0.0, 1.0, -1.0, -1.0, 1.0])
    >>> m.transitions.tolist(), m.outputs.tolist()
    ([[0, 1], [2, 3], [0, 1], [4, 1], [0, 1]], [0, 1, 0, -1, 0])

    Under exact activations the parity cell is finite-state too (float64
    saturates), with more (h, c) states but the same minimal machine:

    >>> exact = fl.extract_automaton(fl.presets.parity())
    >>> len(exact), len(exact.minimize())
    (6, 3)

    A cell whose memory counts (f = i = g = 1) never comes back to a state:

    >>> counter = fl.ScalarLSTM(b_f=100, b_i=100, b_c=100)
    >>> fl.extract_automaton(counter, max_states=50)
    Traceback (most recent call last):
    ...
    ValueError: the (h, c) states reachable from (h0, c0) = (0.0, 0.0) are not finite ...
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    cell = as_cell(cell)
    symbols, values = check_alphabet(alphabet)
    max_states = integer(max_states, "max_states", 1)
    if quantize is not None:
        quantize = integer(quantize, "quantize", 0, 15)
    h_start = initial_state(h0, "h0", 1)
    c_start = initial_state(c0, "c0", 1)
    rounds_to_int64(h_start[0], "h0")
    preactivation_range(cell.to_array(), h_start, values, x_name="alphabet")
    if quantize is not None:
        h_start, c_start = np.round(h_start, quantize), np.round(c_start, quantize)

    kernels = _sequence_kernels.make_sequence_kernels(*sem.kernel_key())
    p = cell.to_array()
    A = len(symbols)
    hs, cs = [float(h_start[0])], [float(c_start[0])]
    index = {(h_start.view(np.int64)[0].item(), c_start.view(np.int64)[0].item()): 0}
    rows = []
    frontier = [0]
    depth = 0
    while frontier:
        n = len(frontier)
        h_out, c_out = expand_states(kernels, p, sem.threshold, [hs[s] for s in frontier],
                                     [cs[s] for s in frontier], values)
        if quantize is not None:
            h_out, c_out = np.round(h_out, quantize), np.round(c_out, quantize)
        h_new, c_new = h_out.reshape(-1), c_out.reshape(-1)
        targets, fresh = [], []
        keys = zip(h_new.view(np.int64).tolist(), c_new.view(np.int64).tolist())
        for key, h, c in zip(keys, h_new.tolist(), c_new.tolist()):
            state = index.get(key)
            if state is None:
                state = index[key] = len(hs)
                if state >= max_states:
                    raise ValueError(_too_many(max_states, depth + 1, h_start[0], c_start[0],
                                               sem, quantize))
                hs.append(h)
                cs.append(c)
                fresh.append(state)
            targets.append(state)
        rows.extend(targets[k:k + A] for k in range(0, n * A, A))
        frontier = fresh
        depth += 1
    # BFS discovers states in order, and rows were appended level by level in
    # frontier order, which is state order.
    table = np.array(rows, dtype=np.int32)
    h_arr, c_arr = np.array(hs), np.array(cs)
    outputs = round_half_to_zero(h_arr).astype(np.int64)
    return MooreMachine(table, outputs, symbols, 0, h=h_arr, c=c_arr, semantics=sem,
                        quantize=quantize)


def _too_many(max_states, depth, h0, c0, sem, quantize):
    hints = []
    if not sem.round_feedback or not sem.saturated:
        hints.append("exact activations or raw (unrounded) feedback often make the set "
                     "infinite: try activation='saturated' with round_feedback=True")
    hints.append("raise max_states")
    if quantize is None:
        hints.append("or pass quantize=k to round h and c to k decimals after every step "
                     "(an approximation: the machine then describes a rounded system, "
                     "not the cell)")
    advice = "; ".join(hints)
    return (f"the (h, c) states reachable from (h0, c0) = ({float(h0)!r}, {float(c0)!r}) are not "
            f"finite within max_states={max_states}: breadth-first search was still finding new "
            f"states at input length {depth}. {advice[0].upper()}{advice[1:]}.")
