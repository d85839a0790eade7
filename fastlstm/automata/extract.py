"""``extract_automaton``: the Moore machine a cell implements on a finite alphabet.

Breadth-first search over the (h, c) pairs reachable from (h0, c0), a whole
level at a time with the very kernels ``run`` and ``run_batch`` use
(``cells.stepper_for``, shared with ``verify`` and ``learn_automaton``), so
every state is bit for bit what a run computes; a vector cell
(``LSTMCell``) is stepped by ``run_batch_vector``, its states are (h, c)
vectors.
The conventions (exact states, outputs = rounded h, ``quantize`` as the
only, explicit, approximation) are in the package docstring,
``fastlstm.automata``.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._validate import integer
from ..semantics import Semantics
from .cells import state_outputs, stepper_for
from .machine import MooreMachine

__all__ = ["extract_automaton"]

#: The most states a search may be asked to find: each costs its h and c and a
#: key in memory, and a level of the search per symbol; beyond this a
#: non-repeating cell would run for hours before it is refused.
MAX_STATES = 2 ** 22


def extract_automaton(cell, alphabet=(0, 1), max_states=10_000, *, readout=None,
                      activation="exact", threshold=1.0, inclusive=True, round_feedback=False,
                      h0=0.0, c0=0.0, quantize=None) -> MooreMachine:
    """The Moore machine a cell implements on a finite alphabet.

    Breadth-first search over the (h, c) states reachable from (h0, c0),
    stepping a whole level at a time with the compiled batch kernel of
    ``run_batch`` (so every state is exactly what ``run`` computes).  States
    are compared bit for bit (``-0.0`` and ``0.0`` are different states; see
    the notes of ``fastlstm.automata``).  The output of a state is its
    rounded h.

    A vector cell (``LSTMCell``, n units, m inputs) is stepped by
    ``run_batch_vector``; its states are (h, c) vectors (compared bit for
    bit, unit by unit), and the output of a state is its rounded h as a
    vector (``outputs`` of shape (S, n), ``output_keys()`` gives tuples;
    an int when n = 1, so a cell with n = m = 1 gives exactly the machine of
    ``cell.to_scalar()``), or with ``readout`` the readout's label of h.

    Parameters
    ----------
    cell : ScalarLSTM, LSTMCell, mapping or 12 numbers
    alphabet : sequence of real numbers, or of vectors (tuples) of length m
        The input symbols, distinct and finite; vectors (tuples) for a vector
        cell with m >= 2 inputs.
    max_states : int
        Stop with a ValueError when more states than this are reachable
        (an integer in [1, ``MAX_STATES``] = [1, 2**22]).
    readout : Readout, optional
        A readout of h (``fastlstm.Readout``, input_size = the cell's hidden
        size): the output of a state is then its label of h (an int).
    activation, threshold, inclusive, round_feedback
        The semantics; see ``Semantics`` (applied to each unit).
    h0, c0 : float, or array_like of shape (n,) for a vector cell
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

    Two independent copies of the parity cell (n = m = 2, block-diagonal
    weights), each reading its own component of the input: the product of
    two parity machines, whose output is the pair of answers.

    >>> import numpy as np
    >>> one = fl.LSTMCell.from_scalar(fl.presets.parity())
    >>> two = fl.LSTMCell(np.kron(one.W_ih, np.eye(2)), np.kron(one.W_hh, np.eye(2)),
    ...                   np.repeat(one.b_ih, 2))
    >>> pairs = [(0, 0), (0, 1), (1, 0), (1, 1)]
    >>> m2 = fl.extract_automaton(two, pairs, activation="saturated", round_feedback=True)
    >>> len(m2.minimize()), m2.run([(1, 1), (0, 1), (1, 1)]).tolist()
    (9, [[1, 1], [0, -1], [1, 1]])

    A cell whose memory counts (f = i = g = 1) never comes back to a state:

    >>> counter = fl.ScalarLSTM(b_f=100, b_i=100, b_c=100)
    >>> fl.extract_automaton(counter, max_states=50)
    Traceback (most recent call last):
    ...
    ValueError: the (h, c) states reachable from (h0, c0) = (0.0, 0.0) are not finite ...
    """
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    max_states = integer(max_states, "max_states", 1, MAX_STATES)
    if quantize is not None:
        quantize = integer(quantize, "quantize", 0, 15)
    symbols, stepper, readout = stepper_for(cell, alphabet, sem, readout)
    h_start, c_start = stepper.start(h0, c0, output=True)
    expand = stepper.expand
    if quantize is not None:
        h_start, c_start = np.round(h_start, quantize), np.round(c_start, quantize)
        expand = _quantized(expand, quantize)
    rows, hs, cs, _ = _breadth_first(expand, h_start, c_start, len(symbols), max_states,
                                     lambda depth: _too_many(max_states, depth, h_start, c_start,
                                                             sem, quantize))
    return machine_of(rows, hs, cs, symbols, sem, readout, quantize)


def machine_of(rows, hs, cs, symbols, sem, readout, quantize=None):
    """The ``MooreMachine`` of a finished search: its table, outputs and states."""
    outputs = state_outputs(hs, readout)
    if hs.shape[1] == 1:   # one unit: h and c are numbers, as for a ScalarLSTM
        hs, cs = hs[:, 0], cs[:, 0]
    return MooreMachine(np.asarray(rows, dtype=np.int32), outputs, symbols, 0, h=hs, c=cs,
                        semantics=sem, quantize=quantize, readout=readout)


def _quantized(expand, decimals):
    """``expand`` followed by rounding h and c to ``decimals`` decimals."""
    def rounded(h, c):
        h_out, c_out = expand(h, c)
        return np.round(h_out, decimals), np.round(c_out, decimals)
    return rounded


def _breadth_first(expand, h_start, c_start, A, max_states, refusal=None):
    """``(rows, h, c, complete)``: the transition table and the states in BFS order.

    ``rows`` (expanded states, A) int64: the successors of the first
    ``len(rows)`` states; ``h``, ``c`` (S, n): every state found.
    ``expand(h, c)`` steps states (N, n) on all A symbols, giving (N * A, n)
    arrays (row j * A + a: state j, symbol a).  A state is the bytes of its
    h and c together, so values are compared bit for bit (-0.0 != 0.0).
    When a level makes more than ``max_states`` states, ``refusal(depth)``
    is raised as a ValueError, or, with ``refusal=None``, the search stops
    after that level and returns what it found with ``complete`` False
    (``learn_automaton`` seeds its prefix graph with it).
    """
    h_start = np.asarray(h_start, dtype=np.float64).reshape(1, -1)
    c_start = np.asarray(c_start, dtype=np.float64).reshape(1, -1)
    hs, cs = [h_start], [c_start]     # the states, a level (the frontier) at a time
    index = {_state_keys(h_start, c_start)[0]: 0}
    rows = []
    depth = 1
    while hs[-1].shape[0]:
        h_new, c_new = expand(hs[-1], cs[-1])
        # a new key gets the next number (len(index) is read before it is added), so new
        # numbers first appear in order: a new state's first row is where the next one shows
        fresh, following = [], len(index)
        targets = [index.setdefault(key, len(index)) for key in _state_keys(h_new, c_new)]
        for k, number in enumerate(targets):
            if number == following:
                fresh.append(k)
                following += 1
        rows.append(targets)
        hs.append(h_new[fresh])
        cs.append(c_new[fresh])
        if len(index) > max_states:
            if refusal is not None:
                raise ValueError(refusal(depth))
            break
        depth += 1
    # BFS discovers states in order, and rows were appended level by level in
    # frontier order, which is state order.
    table = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64).reshape(-1, A)
    return table, np.concatenate(hs), np.concatenate(cs), len(index) <= max_states


def _state_keys(h, c):
    """One hashable key per row of (h, c): the bytes of its float64 values."""
    both = np.ascontiguousarray(np.concatenate([h, c], axis=1))
    return both.view(np.dtype((np.void, both.shape[1] * 8))).ravel().tolist()


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
    h0, c0 = (float(v[0]) if v.size == 1 else tuple(v.tolist()) for v in (h0, c0))
    return (f"the (h, c) states reachable from (h0, c0) = ({h0!r}, {c0!r}) are not "
            f"finite within max_states={max_states}: breadth-first search was still finding new "
            f"states at input length {depth}. {advice[0].upper()}{advice[1:]}.")
