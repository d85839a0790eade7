"""``learn_automaton``: the minimal Moore machine of a cell's *output* language, by L*.

``extract_automaton`` builds its states from exact (h, c) pairs and refuses a
cell whose pairs never repeat, even when the output (the rounded h, or a
readout's label of h) is a small regular language (a memory c that drifts
while the output cycles; a trained network under exact activations, whose
states almost never repeat).  This module learns the output language
instead, with Angluin's L* in the form of Rivest and Schapire (``lstar.py``: a
counterexample adds the one suffix that separates two states, found by
binary search, so the rows of the access strings stay distinct and the table
never needs a consistency check).  The queries (``queries.py``) work for any
cell, a ``ScalarLSTM`` or an ``LSTMCell`` (a 1-unit one through the scalar
kernels, so it learns exactly the machine of its ``ScalarLSTM``):

* **Membership queries in batches.**  Every word a round of L* needs is
  collected first and answered at once from a prefix tree of (h, c) states:
  missing prefixes are expanded a symbol at a time, every word's at once,
  with the compiled kernels of ``run_batch`` (or ``run_batch_vector``), so
  each prefix is computed once, and every answer stays cached for later
  rounds.  The states the exact extraction found before giving up seed the
  tree (a graph: words that reach the same (h, c) share a node), and the
  test strings below read their first steps from it too.
* **Equivalence by testing.**  The hypothesis is compared with the cell on
  every input string up to ``test_depth`` and on ``random_tests`` random
  strings of ``random_length`` (every prefix of each is compared).  The
  cell's outputs on these strings are computed once; each round only walks
  the hypothesis.  The first mismatch (shortest first) is the counterexample.
* **Tests guided by the network's states.**  A hypothesis that passes those
  is tested from network states it maps to each of its states, the access
  string's and others from the tests chosen farthest apart, each followed by
  every short suffix and a few random ones (``guided``): where the
  hypothesis merges network states that some suffix separates, this finds
  the suffix, beyond any exhaustive depth.
* **Proofs as equivalence queries.**  For a scalar cell under rounded
  feedback (outputs rounded h) a hypothesis that passes the tests goes to
  ``prove_by_abstraction``; a proof that fails at the c of a word it keeps
  returns that word, a counterexample the tests missed (often longer than
  any of them), and L* goes on.

Giving up is bounded: past ``max_states`` states, or past ``time_limit``
seconds (checked between batches of queries and between hypotheses), with
``progress`` to watch it.  The observation table grows in place, each entry
computed once, so giving up at the default ``max_states`` takes seconds.

The result says plainly how far it can be trusted (``MooreMachine.provenance``,
printed by ``describe()``): *proved* when exact extraction succeeds (the
machine is then the minimised extracted one) or when the interval abstraction
of ``abstraction.py`` proves the learned machine for every input length;
otherwise *learned and tested*, with what was tested.
"""

from __future__ import annotations

import dataclasses
import sys
import time

import numpy as np

from .._validate import finite_scalar, integer
from ..semantics import Semantics
from .abstraction import prove_by_abstraction
from .cells import ScalarStepper, stepper_for
from .extract import MAX_STATES, _breadth_first, machine_of
from .lstar import lstar
from .machine import MooreMachine
from .queries import (
    MAX_TEST_DEPTH,
    MAX_TEST_LEVEL,
    MAX_TEST_STEPS,
    EquivalenceTests,
    Oracle,
    OutputCodes,
    check_tests,
)

__all__ = ["MAX_TEST_DEPTH", "MAX_TEST_LEVEL", "MAX_TEST_STEPS", "Provenance",
           "learn_automaton"]

#: Exact extraction is tried first with this bound on the (h, c) states.
EXACT_STATES = 500
#: The default ``test_depth``: the longest length with at most this many strings.
DEFAULT_TEST_LEVEL = 2 ** 10
#: Default ``time_limit`` of ``learn_automaton``, in seconds: a backstop (giving up
#: at the default ``max_states`` takes a few seconds), not what usually stops it.
TIME_LIMIT = 60.0
#: The clock of the time limit (a test may substitute a fake one).
_clock = time.monotonic


@dataclasses.dataclass(frozen=True)
class Provenance:
    """How a machine was obtained and what is known about it (``describe()`` prints it).

    Attributes
    ----------
    method : str
        ``"exact states"`` (extraction), ``"L*"`` (learned).
    proved : bool
        True when the machine's outputs are those of the cell on every input
        string of every length.
    how : str
        One sentence: the proof, or the tests.
    test_depth, exhaustive, random_tests, random_length : int
        The tests of a learned machine: every string of length 1 ..
        ``test_depth`` (``exhaustive`` strings) and ``random_tests`` random
        strings of ``random_length`` (0 for an extracted machine).
    queries : int
        Words whose output L* used: the nodes of its prefix graph that its
        walks passed through or that were computed for it (the graph starts
        from the states the exact extraction found before giving up); 0 for
        an extracted machine.
    rounds : int
        Hypotheses L* built (the last one passed every test).
    guided, guided_states, guided_words : int
        The guided tests of the last hypothesis: network states tested per
        hypothesis state (the ``guided`` argument), the network states
        tested (access strings' and those chosen among the tests'), and the
        words tested from them (0 when none ran).
    output : str
        What an output is: ``"rounded h"``, or ``"readout label of h"``.
    """

    method: str
    proved: bool
    how: str
    test_depth: int = 0
    exhaustive: int = 0
    random_tests: int = 0
    random_length: int = 0
    queries: int = 0
    rounds: int = 0
    guided: int = 0
    guided_states: int = 0
    guided_words: int = 0
    output: str = "rounded h"

    def words(self) -> str:
        """Two lines for ``describe()``: PROVED or LEARNED AND TESTED, and how."""
        verdict = (f"PROVED: the outputs are the cell's {self.output} on inputs of every length"
                   if self.proved else
                   "LEARNED AND TESTED (not proved): the outputs agree with the cell on "
                   "every input tested; what follows is proved for this machine, only tested "
                   "for the cell")
        return f"{verdict}.\nHow: {self.how}."


def learn_automaton(cell, alphabet=(0, 1), *, readout=None, activation="exact", threshold=1.0,
                    inclusive=True, round_feedback=False, h0=0.0, c0=0.0, max_states=200,
                    test_depth=None, random_tests=1000, random_length=80, guided=4, seed=0,
                    prove=True, time_limit=TIME_LIMIT, progress=False) -> MooreMachine:
    """The minimal Moore machine of the cell's output language (its output after each step).

    The output is the rounded h (a vector of ints for a cell of n >= 2
    units), or with ``readout`` the readout's label of h.  Exact extraction
    (``extract_automaton``) is tried first, with a bound of ``EXACT_STATES``
    (h, c) states; when it succeeds its minimised machine is returned,
    proved.  Otherwise L* learns the output language (see the module notes:
    batched membership queries from a cached prefix tree, equivalence by
    exhaustive, random and state-guided tests), and, for a scalar cell under
    saturated or exact activations with ``round_feedback=True``, no readout
    and ``prove=True``, ``prove_by_abstraction`` tries to prove the learned
    machine for every input length.  ``machine.provenance`` (and
    ``describe()``) says which, and what was tested.

    Parameters
    ----------
    cell : ScalarLSTM, LSTMCell, mapping or 12 numbers
        A 1-unit, 1-input ``LSTMCell`` learns exactly the machine of its
        ``ScalarLSTM`` (the same kernels run it).
    alphabet : sequence of real numbers, or of vectors (tuples) of length m
        The input symbols; vectors (tuples, e.g. one-hot) for a cell with
        m >= 2 inputs.
    readout : Readout, optional
        A readout of h (input_size = the cell's hidden size): the output of a
        state is its label of h.
    activation, threshold, inclusive, round_feedback, h0, c0
        The semantics and the start state, as in ``run`` (h0, c0: a number
        or, for an ``LSTMCell``, an array of shape (n,)).  The start state
        carries the output of h0 (the empty word's output, the Moore
        convention of ``MooreMachine``).
    max_states : int
        Give up (ValueError) when a hypothesis needs more states: the output
        language then has no machine of that size (a counter, say: see
        ``find_counter``).  At most ``MAX_STATES`` (2**22).
    test_depth : int or None
        Every string of length 1 .. test_depth is tested (at most
        ``MAX_TEST_LEVEL`` = 2**20 strings of the last length, and
        test_depth at most ``MAX_TEST_DEPTH`` = 4096).  None (default): the
        longest length with at most ``DEFAULT_TEST_LEVEL`` = 2**10 strings
        (10 for two symbols, 5 for four; 10 for one symbol).
    random_tests, random_length : int
        Random strings tested (every prefix of each is compared), drawn once
        with ``seed``; at most ``MAX_TEST_STEPS`` = 2**24 steps in all
        (``random_tests * random_length``).
    guided : int
        Network states tested per hypothesis state once a hypothesis passes
        the tests above: its access string's, then others the hypothesis
        maps to that state (sampled from the tests), each farthest in (h, c)
        from those chosen before; each followed by every suffix of up to 6
        symbols (fewer for larger alphabets: at most 64 suffixes) and 8
        random suffixes of ``random_length``.  0: no guided tests.
    seed : int
    prove : bool
        Try the interval abstraction proof on a learned machine.
    time_limit : float or None
        Give up (ValueError, saying how far L* got) once this many seconds
        have passed since the call began, checked between batches of
        membership queries and between hypotheses (a batch or a proof is
        not cut short).  Default ``TIME_LIMIT`` = 60 s, a backstop: giving
        up at the default ``max_states`` takes seconds, but a larger
        ``max_states`` can take minutes.  None: no limit.
    progress : bool or callable
        True: one line on stderr, redrawn as L* goes (states found, words
        answered, hypotheses, seconds).  A callable is called as
        ``progress(states, queries)`` between batches.  Nothing is reported
        when exact extraction succeeds (L* does not run).

    Returns
    -------
    MooreMachine
        Minimal, start state 0, with ``provenance`` (a ``Provenance``).

    Raises
    ------
    ValueError
        For a bad argument (naming it), when no machine of at most
        ``max_states`` states was found, or when ``time_limit`` passed first.
    TypeError
        For an argument of the wrong type.

    Examples
    --------
    A cell whose memory counts the steps (c_t = t + 1: exact extraction
    refuses it) while its output is the last input: o = 1 after a 1 and 0
    after a 0, and tanh(c) = 1 once c >= 1.

    >>> import fastlstm as fl
    >>> cell = fl.ScalarLSTM(b_f=100, b_i=100, b_c=100, W_ox=100, b_o=-50)
    >>> m = fl.learn_automaton(cell, activation="saturated", round_feedback=True)
    >>> m.transitions.tolist(), m.outputs.tolist()
    ([[0, 1], [0, 1]], [0, 1])
    >>> m.provenance.proved, m.provenance.method
    (True, 'L*')
    >>> print(m.provenance.how)  # doctest: +ELLIPSIS
    L* (Rivest-Schapire) with ... then proved by an interval abstraction of c ...

    Two such cells side by side (an ``LSTMCell`` of 2 units, each reading
    its own input), under exact activations, with a readout whose label is
    the sign of h_0 - h_1: +1 after (1, 0), -1 after (0, 1), else 0.

    >>> import numpy as np
    >>> one = fl.LSTMCell.from_scalar(cell)
    >>> two = fl.LSTMCell(np.kron(one.W_ih, np.eye(2)), np.kron(one.W_hh, np.eye(2)),
    ...                   np.repeat(one.b_ih, 2))
    >>> pairs = [(0, 0), (0, 1), (1, 0), (1, 1)]
    >>> m2 = fl.learn_automaton(two, pairs, readout=fl.Readout([[1.0, -1.0]]))
    >>> m2.transitions.tolist(), m2.outputs.tolist()
    ([[0, 1, 2, 0], [0, 1, 2, 0], [0, 1, 2, 0]], [0, -1, 1])
    >>> m2.provenance.proved, m2.provenance.guided_states > 3
    (False, True)
    """
    begun = _clock()
    sem = Semantics(activation=activation, threshold=threshold, inclusive=inclusive,
                    round_feedback=round_feedback)
    symbols, stepper, readout = stepper_for(cell, alphabet, sem, readout)
    h_start, c_start = stepper.start(h0, c0, output=True)
    max_states = integer(max_states, "max_states", 1, MAX_STATES)
    test_depth = (default_test_depth(len(symbols)) if test_depth is None
                  else integer(test_depth, "test_depth", 0))
    random_tests = integer(random_tests, "random_tests", 0)
    random_length = integer(random_length, "random_length", 0)
    check_tests(len(symbols), test_depth, random_tests, random_length)
    guided = integer(guided, "guided", 0, 1000)
    seed = integer(seed, "seed", 0)
    if not isinstance(prove, (bool, np.bool_)):
        raise TypeError(f"prove must be True or False, got {prove!r}")
    if time_limit is not None and finite_scalar(time_limit, "time_limit") <= 0:
        raise ValueError(f"time_limit must be a positive number of seconds or None, "
                         f"got {time_limit!r}")
    if not (isinstance(progress, (bool, np.bool_)) or callable(progress)):
        raise TypeError(f"progress must be True, False or a callable, got {progress!r}")
    semantics = dict(activation=activation, threshold=threshold, inclusive=inclusive,
                     round_feedback=round_feedback)
    output = "rounded h" if readout is None else "readout label of h"
    # Exact extraction first (the breadth-first search of extract_automaton, on the
    # validated stepper); when it gives up, its states seed L*'s prefix graph.
    rows, hs, cs, complete = _breadth_first(stepper.expand, h_start, c_start, len(symbols),
                                            EXACT_STATES)
    if complete:
        exact = machine_of(rows, hs, cs, symbols, sem, readout)
        minimal = exact.minimize()
        how = (f"exact extraction: all {len(exact)} (h, c) states reachable from (h0, c0) were "
               "found by breadth-first search with the compiled step, then minimised")
        return _with_provenance(minimal, sem, readout,
                                Provenance("exact states", True, how, output=output))

    codes = OutputCodes(stepper.units, readout)
    oracle = Oracle(stepper, h_start, c_start, codes, seed=(rows, hs, cs))
    watch = _Watch(begun, time_limit, progress, max_states)
    tests = EquivalenceTests(stepper, codes, oracle, test_depth, random_tests,
                             random_length, seed, guided, check=lambda: watch.check(1, 1, 0))
    # The interval proof of c covers one unit whose output is its rounded h, fed back;
    # boxes of (h, c) cover any other cell.
    of_c = isinstance(stepper, ScalarStepper) and readout is None
    proving = prove and (sem.round_feedback or not of_c)
    # the proof's alphabet: numbers for one unit (a 1-unit LSTMCell may name its symbols
    # as 1-tuples)
    numbers = (tuple(stepper.inputs[:, 0].tolist())
               if isinstance(stepper, ScalarStepper) and isinstance(symbols[0], tuple)
               else symbols)
    found = []   # counterexamples found by failed proofs, beyond the tests
    proofs = [None]
    hypotheses = [0]

    def counterexample(table, outputs, access):
        hypotheses[0] += 1
        cex = tests.counterexample(table, outputs, 0)
        if cex is not None:
            return cex
        if guided:
            watch(len(table), len(oracle), hypotheses[0])
            h, c = oracle.states(oracle.nodes(access))
            cex = tests.guided_counterexample(table, outputs, access, h, c)
            if cex is not None and _disagrees(oracle, table, outputs, cex):
                return cex
        if not proving:
            return None
        if of_c:
            proof = prove_by_abstraction(stepper.cell, MooreMachine(table, outputs, numbers, 0),
                                         h0=float(h_start[0]), c0=float(c_start[0]), **semantics)
        else:
            proof = prove_by_abstraction(stepper.cell,
                                         MooreMachine(table, codes.values(outputs), numbers, 0),
                                         readout=readout, h0=h_start, c0=c_start, **semantics)
        proofs[0] = proof
        if proof.counterexample is None:
            return None
        word = tuple(numbers.index(s) for s in proof.counterexample)
        if not _disagrees(oracle, table, outputs, word):
            return None   # not a counterexample after all (a sign of zero, say)
        found.append(word)
        return word

    try:
        table, outputs, rounds = lstar(oracle, counterexample, len(symbols), max_states, watch)
    except ValueError as exc:
        if not found:
            raise
        raise ValueError(f"{exc}; {len(found)} of its counterexamples came from failed interval "
                         f"proofs (inputs up to length {max(len(w) for w in found)})") from None
    finally:
        watch.close()
    hypothesis = MooreMachine(table, codes.values(outputs), symbols, 0)
    randoms = (f"on {random_tests} random strings of length {random_length} (every prefix)"
               if random_tests and random_length else "on no random strings")
    tested = (f"L* (Rivest-Schapire) with {len(oracle)} (h, c) states queried, computed by the "
              f"compiled kernels (in batches, from a prefix tree), {rounds} "
              f"{'hypothesis' if rounds == 1 else 'hypotheses'}; the last agrees with the cell "
              f"on all {tests.exhaustive} strings of length 1 to {test_depth} and {randoms}")
    counts = dict(test_depth=test_depth, exhaustive=tests.exhaustive, random_tests=random_tests,
                  random_length=random_length, queries=len(oracle), rounds=rounds,
                  guided=guided, output=output)
    if tests.last_guided is not None:
        states, pool, words = tests.last_guided
        counts.update(guided_states=states, guided_words=words)
        tested += (f", and on {words} words guided by the network's states: from {states} "
                   f"network states (for each hypothesis state, its access string's and up to "
                   f"{guided - 1} others it is reached by, farthest apart, among {pool} states of "
                   f"the tests), every suffix of length {tests.suffix_depth} (every prefix) and "
                   f"{tests.random_suffixes.shape[0]} random suffixes of length "
                   f"{tests.random_suffixes.shape[1]}")
    if found:
        longest = max(len(w) for w in found)
        tested += (f"; {len(found)} counterexample{'s' if len(found) > 1 else ''} beyond the "
                   f"tests (up to length {longest}) came from failed interval proofs")
    proof = proofs[0]
    if proof is not None and proof.proved:
        what = "c" if proof.boxes is None else "(h, c) in boxes"
        how = f"{tested}; then proved by an interval abstraction of {what} ({proof.summary()})"
        return _with_provenance(hypothesis, sem, readout, Provenance("L*", True, how, **counts))
    if proof is not None:
        tested += f"; the interval abstraction proof failed ({proof.reason})"
    elif not prove:
        tested += "; no proof attempted (prove=False)"
    elif not sem.round_feedback:
        tested += "; no proof attempted (the interval proof needs round_feedback=True)"
    return _with_provenance(hypothesis, sem, readout, Provenance("L*", False, tested, **counts))


def default_test_depth(A):
    """The longest length with at most ``DEFAULT_TEST_LEVEL`` strings of A symbols (10 for
    one symbol), at least 1.

    >>> default_test_depth(2), default_test_depth(4), default_test_depth(26), default_test_depth(1)
    (10, 5, 2, 10)
    """
    depth = 1
    while depth < 10 and A ** (depth + 1) <= DEFAULT_TEST_LEVEL:
        depth += 1
    return depth


def _disagrees(oracle, table, outputs, word):
    """Whether the hypothesis's output after ``word`` differs from the cell's (the oracle's)."""
    state = 0
    for a in word:
        state = table[state, a]
    return oracle.answer([word])[0] != outputs[state]

class _Watch:
    """The time limit and the progress report of one ``learn_automaton`` call."""

    def __init__(self, begun, limit, progress, max_states):
        self.begun, self.limit, self.max_states = begun, limit, max_states
        self.progress = progress
        self.line = None     # the last line drawn (progress=True)
        self.drawn = None    # when it was drawn

    def __call__(self, states, queries, rounds):
        now = _clock()
        self._report(now, states, queries, rounds)
        self._limit(now, states, queries, rounds)

    def check(self, states, queries, rounds):
        """The time limit only (between chunks of the tests, before L* begins)."""
        self._limit(_clock(), states, queries, rounds)

    def _report(self, now, states, queries, rounds):
        if callable(self.progress):
            self.progress(states, queries)
        elif self.progress:
            self.line = (f"learn_automaton: {states} states (max_states={self.max_states}), "
                         f"{queries} (h, c) states queried, {rounds} "
                         f"{'hypothesis' if rounds == 1 else 'hypotheses'}, "
                         f"{now - self.begun:.1f} s")
            if self.drawn is None or now - self.drawn >= 0.1:   # at most 10 lines a second
                self._draw(now)

    def _limit(self, now, states, queries, rounds):
        if self.limit is not None and now - self.begun > self.limit:
            raise ValueError(
                f"gave up at time_limit={self.limit:g} s: after {now - self.begun:.3g} s, L* had "
                f"found {states} distinct states (max_states={self.max_states}), queried "
                f"{queries} (h, c) states and built {rounds} "
                f"{'hypothesis' if rounds == 1 else 'hypotheses'}, none passing every test; "
                f"raise time_limit (None: no limit)")

    def _draw(self, now):
        sys.stderr.write("\r" + self.line)
        sys.stderr.flush()
        self.drawn = now

    def close(self):
        """The last line in full, and a new line (progress=True)."""
        if self.line is not None:
            self._draw(_clock())
            sys.stderr.write("\n")
            sys.stderr.flush()


def _with_provenance(machine, sem, readout, provenance):
    return MooreMachine(machine.transitions, machine.outputs, machine.alphabet, machine.start,
                        semantics=sem, reduced_from=machine.reduced_from, readout=readout,
                        provenance=provenance)
