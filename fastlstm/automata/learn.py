"""``learn_automaton``: the minimal Moore machine of a cell's *output* language, by L*.

``extract_automaton`` builds its states from exact (h, c) pairs and refuses a
cell whose pairs never repeat, even when the rounded output is a small
regular language (a memory c that drifts while the output cycles).  This
module learns the output language instead, with Angluin's L* in the form of
Rivest and Schapire (a counterexample adds the one suffix that separates two
states, found by binary search, so the rows of the access strings stay
distinct and the table never needs a consistency check):

* **Membership queries in batches.**  Every word a round of L* needs is
  collected first and answered at once from a prefix tree of (h, c) states:
  missing prefixes are expanded a symbol at a time, every word's at once,
  with the very kernels of ``run_batch`` (``extract.expand_states``), so
  each prefix is computed once, and every answer stays cached for later
  rounds.
* **Equivalence by testing.**  The hypothesis is compared with the cell on
  every input string up to ``test_depth`` and on ``random_tests`` random
  strings of ``random_length`` (every prefix of each is compared).  The
  cell's outputs on these strings are computed once; each round only walks
  the hypothesis.  The first mismatch (shortest first) is the counterexample.
* **Proofs as equivalence queries.**  Under rounded feedback a hypothesis
  that passes the tests goes to ``prove_by_abstraction``; a proof that
  fails at the c of a word it keeps returns that word, a counterexample
  the tests missed (often longer than any of them), and L* goes on.

Giving up is bounded: past ``max_states`` states, or past ``time_limit``
seconds (checked between batches of queries and between hypotheses), with
``progress`` to watch it.  The observation table grows in place, each entry
computed once, so giving up at the default ``max_states`` takes seconds.

The result says plainly how far it can be trusted (``MooreMachine.provenance``,
printed by ``describe()``): *proved* when exact extraction succeeds (the
machine is then the minimised extracted one) or when the interval abstraction
of ``abstraction.py`` proves the learned machine for every input length;
otherwise *learned and tested*, with the lengths and counts tested.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import time

import numpy as np

from .._validate import finite_scalar, integer
from ..semantics import round_half_to_zero
from .abstraction import prove_by_abstraction
from .extract import MAX_STATES, expand_states, extract_automaton
from .lstar import lstar
from .machine import MooreMachine
from .start import checked_start

__all__ = ["Provenance", "learn_automaton"]

#: Exact extraction is tried first with this bound on the (h, c) states.
EXACT_STATES = 500
#: Largest number of strings of the last exhaustively tested length.
MAX_TEST_LEVEL = 2 ** 20
#: Longest exhaustively tested length (it binds a one-symbol alphabet only:
#: each length is a step of every hypothesis walk).
MAX_TEST_DEPTH = 2 ** 12
#: Most steps of the random tests, ``random_tests * random_length``: the strings,
#: their inputs, states and outputs take about 50 bytes a step.
MAX_TEST_STEPS = 2 ** 24
#: Test strings up to this many steps in all run through the serial kernel.
_SERIAL_STEPS = 2 ** 18
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
        Words whose output was computed for L*: the nodes of its prefix tree
        (0 for an extracted machine).
    rounds : int
        Hypotheses L* built (the last one passed every test).
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

    def words(self) -> str:
        """Two lines for ``describe()``: PROVED or LEARNED AND TESTED, and how."""
        verdict = ("PROVED: the outputs are the cell's rounded h on inputs of every length"
                   if self.proved else
                   "LEARNED AND TESTED (not proved): the outputs agree with the cell on "
                   "every input tested; what follows is proved for this machine, only tested "
                   "for the cell")
        return f"{verdict}.\nHow: {self.how}."


class _Oracle:
    """Rounded h after any word (tuple of symbol indices), from a cached prefix tree.

    Node 0 is the empty word; a node's children (one per symbol) are made
    together, so ``kids[node * A + a]`` is its child on symbol a, or -1 (for
    every a) while it has none.  A word is answered by walking the tree, one
    list look-up a symbol, from the root or from a node already known.
    """

    def __init__(self, kernels, p, theta, h0, c0, values):
        self._step = (kernels, p, theta)
        self._values = values
        self._kids = [-1] * values.size
        self._h, self._c = [h0], [c0]
        self._out = [int(round_half_to_zero(h0))]

    def __len__(self):
        return len(self._out)

    def nodes(self, words, starts=None):
        """The node after each word read from ``starts[k]`` (the root by default).

        Where words leave the tree, the nodes they reach there (at any depth)
        are expanded together in one batch with the compiled step, and the
        walks go on: each prefix is computed once.
        """
        A, kids = self._values.size, self._kids
        nodes = [0] * len(words) if starts is None else list(starts)
        pending = [(k, 0) for k in range(len(words))]
        while True:
            missing = []
            for k, t in pending:
                word, node = words[k], nodes[k]
                while t < len(word):
                    child = kids[node * A + word[t]]
                    if child < 0:
                        missing.append((k, t))
                        break
                    t, node = t + 1, child
                nodes[k] = node
            if not missing:
                return nodes
            parents = list(dict.fromkeys(nodes[k] for k, _ in missing))
            h, c = expand_states(*self._step, [self._h[j] for j in parents],
                                 [self._c[j] for j in parents], self._values)
            first = len(self._out)
            for j, node in enumerate(parents):
                kids[node * A:(node + 1) * A] = range(first + j * A, first + (j + 1) * A)
            kids.extend([-1] * (len(parents) * A * A))   # the new nodes have no children
            self._h.extend(h.tolist())
            self._c.extend(c.tolist())
            self._out.extend(round_half_to_zero(h).astype(np.int64).tolist())
            pending = missing

    def answer(self, words, starts=None):
        """Outputs after ``words`` (read from ``starts``, as in ``nodes``)."""
        out = self._out
        return [out[node] for node in self.nodes(words, starts)]


class _Tests:
    """The cell's outputs on the test strings, computed once; hypotheses are walked on them."""

    def __init__(self, kernels, p, theta, h0, c0, values, depth, n_random, length, seed):
        A = values.size
        run = functools.partial(_rounded_rows, kernels, p, theta, h0, c0)
        # Every string of length `depth` in product order (last symbol fastest); the
        # strings of length L are the prefixes of every A**(depth - L)-th of them.
        full = run(values[_strings(A, depth, np.arange(A ** depth))]) if depth else None
        self.levels = [full[::A ** (depth - L), L - 1] for L in range(1, depth + 1)]
        rng = np.random.default_rng(seed)
        self.words = rng.integers(0, A, size=(n_random, length))
        self.outputs = run(values[self.words])
        self.exhaustive = sum(level.size for level in self.levels)

    def counterexample(self, table, outputs, start):
        """A shortest tested word on which the hypothesis and the cell disagree, or None."""
        A = table.shape[1]
        states = np.array([start])
        for length, cell_out in enumerate(self.levels, start=1):
            states = table[states].reshape(-1)   # product order: parent-major, symbol-minor
            bad = np.flatnonzero(outputs[states] != cell_out)
            if bad.size:
                return tuple(_strings(A, length, bad[:1])[0].tolist())
        if not self.words.size:
            return None
        states = np.full(self.words.shape[0], start)
        first = None
        for t in range(self.words.shape[1]):
            states = table[states, self.words[:, t]]
            bad = np.flatnonzero(outputs[states] != self.outputs[:, t])
            if bad.size:
                first = (int(bad[0]), t)
                break
        if first is None:
            return None
        b, t = first
        return tuple(self.words[b, :t + 1].tolist())


def _strings(A, length, index):
    """The strings of ``length`` symbols numbered ``index`` (an int64 array) in
    product order (last symbol fastest): their digits in base A, (len(index), length)."""
    powers = A ** np.arange(length - 1, -1, -1, dtype=np.int64)  # < MAX_TEST_LEVEL when A > 1
    digits = index[:, None] // powers
    digits %= A  # in place: one (len(index), length) array
    return digits


def _check_tests(A, test_depth, random_tests, random_length):
    """Refuse, before any work, tests that cannot be held or run; nothing as large
    as ``A**test_depth`` is computed."""
    largest = MAX_TEST_DEPTH  # the deepest test_depth allowed for this alphabet
    if A > 1:
        largest, level = 0, A
        while level <= MAX_TEST_LEVEL and largest < MAX_TEST_DEPTH:
            largest, level = largest + 1, level * A
    if test_depth > largest:
        size = (f"{A}**{test_depth} strings of the last length, and at most {MAX_TEST_LEVEL} "
                f"are tested" if A > 1 else
                f"{test_depth} lengths, and at most {MAX_TEST_DEPTH} are tested (a one-symbol "
                f"alphabet has one string of each length: random_length tests a longer one)")
        raise ValueError(f"test_depth={test_depth} means {size}; use test_depth <= {largest} "
                         f"for this alphabet")
    steps = random_tests * max(random_length, 1)
    if steps > MAX_TEST_STEPS or random_length > MAX_TEST_STEPS:
        raise ValueError(f"random_tests={random_tests} strings of random_length={random_length} "
                         f"are more steps than the {MAX_TEST_STEPS} tested at most "
                         f"(random_tests * random_length, about 50 bytes a step): use fewer "
                         f"or shorter random tests")


def _rounded_rows(kernels, p, theta, h0, c0, X):
    """Rounded h of every row of X (each from (h0, c0)) with the run kernels.

    A few thousand short rows go through the serial kernel one by one: a
    parallel launch costs more than that work (and much more on a busy host).
    """
    H, C = np.empty(X.shape), np.empty(X.shape)
    if X.shape[0] * X.shape[1] <= _SERIAL_STEPS:
        for b in range(X.shape[0]):
            kernels[0](p, X[b], h0, c0, theta, H[b], C[b])
    elif X.size:
        B = X.shape[0]
        kernels[2](p, X, np.full(B, h0), np.full(B, c0), theta, H, C)
    return round_half_to_zero(H).astype(np.int64)


def learn_automaton(cell, alphabet=(0, 1), *, activation="exact", threshold=1.0, inclusive=True,
                    round_feedback=False, h0=0.0, c0=0.0, max_states=200, test_depth=10,
                    random_tests=1000, random_length=80, seed=0, prove=True,
                    time_limit=TIME_LIMIT, progress=False) -> MooreMachine:
    """The minimal Moore machine of the cell's output language (rounded h after each step).

    Exact extraction (``extract_automaton``) is tried first, with a bound of
    ``EXACT_STATES`` (h, c) states; when it succeeds its minimised machine is
    returned, proved.  Otherwise L* learns the output language (see the
    module notes: batched membership queries from a cached prefix tree,
    equivalence by exhaustive and random tests), and, under saturated or
    exact activations with ``round_feedback=True`` and ``prove=True``,
    ``prove_by_abstraction`` tries to prove the learned machine for every
    input length.  ``machine.provenance`` (and ``describe()``) says which.

    Parameters
    ----------
    cell : ScalarLSTM, mapping or 12 numbers
    alphabet : sequence of real numbers
    activation, threshold, inclusive, round_feedback, h0, c0
        The semantics and the start state, as in ``run``.  The start state
        carries round(h0) (the empty word's output, the Moore convention of
        ``MooreMachine``).
    max_states : int
        Give up (ValueError) when a hypothesis needs more states: the output
        language then has no machine of that size (a counter, say: see
        ``find_counter``).  At most ``MAX_STATES`` (2**22).
    test_depth : int
        Every string of length 1 .. test_depth is tested (at most
        ``MAX_TEST_LEVEL`` = 2**20 strings of the last length, and
        test_depth at most ``MAX_TEST_DEPTH`` = 4096).
    random_tests, random_length : int
        Random strings tested (every prefix of each is compared), drawn once
        with ``seed``; at most ``MAX_TEST_STEPS`` = 2**24 steps in all
        (``random_tests * random_length``).
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
    """
    begun = _clock()
    semantics = dict(activation=activation, threshold=threshold, inclusive=inclusive,
                     round_feedback=round_feedback, h0=h0, c0=c0)
    start = checked_start(cell, alphabet, caller="learn_automaton", **semantics)
    sem, cell, symbols, values = start.sem, start.cell, start.symbols, start.values
    max_states = integer(max_states, "max_states", 1, MAX_STATES)
    test_depth = integer(test_depth, "test_depth", 0)
    random_tests = integer(random_tests, "random_tests", 0)
    random_length = integer(random_length, "random_length", 0)
    _check_tests(len(symbols), test_depth, random_tests, random_length)
    seed = integer(seed, "seed", 0)
    if not isinstance(prove, (bool, np.bool_)):
        raise TypeError(f"prove must be True or False, got {prove!r}")
    if time_limit is not None and finite_scalar(time_limit, "time_limit") <= 0:
        raise ValueError(f"time_limit must be a positive number of seconds or None, "
                         f"got {time_limit!r}")
    if not (isinstance(progress, (bool, np.bool_)) or callable(progress)):
        raise TypeError(f"progress must be True, False or a callable, got {progress!r}")
    try:
        exact = extract_automaton(cell, symbols, EXACT_STATES, **semantics)
    except ValueError:
        exact = None
    if exact is not None:
        minimal = exact.minimize()
        how = (f"exact extraction: all {len(exact)} (h, c) states reachable from (h0, c0) were "
               "found by breadth-first search with the compiled step, then minimised")
        return _with_provenance(minimal, sem, Provenance("exact states", True, how))

    begin = (*start.step_args(), start.h0, start.c0, values)
    oracle = _Oracle(*begin)
    tests = _Tests(*begin, test_depth, random_tests, random_length, seed)
    proving = prove and sem.round_feedback
    found = []   # counterexamples found by failed proofs, beyond the tests
    proofs = [None]

    def counterexample(table, outputs):
        cex = tests.counterexample(table, outputs, 0)
        if cex is not None or not proving:
            return cex
        proof = prove_by_abstraction(cell, MooreMachine(table, outputs, symbols, 0), **semantics)
        proofs[0] = proof
        if proof.counterexample is None:
            return None
        word = tuple(symbols.index(s) for s in proof.counterexample)
        state = 0
        for a in word:
            state = table[state, a]
        if oracle.answer([word])[0] == outputs[state]:
            return None   # not a counterexample after all (a sign of zero, say)
        found.append(word)
        return word

    watch = _Watch(begun, time_limit, progress, max_states)
    try:
        table, outputs, rounds = lstar(oracle, counterexample, len(symbols), max_states, watch)
    except ValueError as exc:
        if not found:
            raise
        raise ValueError(f"{exc}; {len(found)} of its counterexamples came from failed interval "
                         f"proofs (inputs up to length {max(len(w) for w in found)})") from None
    finally:
        watch.close()
    hypothesis = MooreMachine(table, outputs, symbols, 0, semantics=sem)
    randoms = (f"on {random_tests} random strings of length {random_length} (every prefix)"
               if random_tests and random_length else "on no random strings")
    tested = (f"L* (Rivest-Schapire) with {len(oracle)} words answered by the compiled kernels "
              f"(in batches, from a prefix tree), {rounds} "
              f"{'hypothesis' if rounds == 1 else 'hypotheses'}; the last agrees with the cell "
              f"on all {tests.exhaustive} strings of length 1 to {test_depth} and {randoms}")
    counts = dict(test_depth=test_depth, exhaustive=tests.exhaustive, random_tests=random_tests,
                  random_length=random_length, queries=len(oracle), rounds=rounds)
    if found:
        longest = max(len(w) for w in found)
        tested += (f"; {len(found)} counterexample{'s' if len(found) > 1 else ''} beyond the "
                   f"tests (up to length {longest}) came from failed interval proofs")
    proof = proofs[0]
    if proof is not None and proof.proved:
        how = f"{tested}; then proved by an interval abstraction of c ({proof.summary()})"
        return _with_provenance(hypothesis, sem, Provenance("L*", True, how, **counts))
    if proof is not None:
        tested += f"; the interval abstraction proof failed ({proof.reason})"
    elif not sem.round_feedback:
        tested += "; no proof attempted (the interval proof needs round_feedback=True)"
    else:
        tested += "; no proof attempted (prove=False)"
    return _with_provenance(hypothesis, sem, Provenance("L*", False, tested, **counts))


class _Watch:
    """The time limit and the progress report of one ``learn_automaton`` call."""

    def __init__(self, begun, limit, progress, max_states):
        self.begun, self.limit, self.max_states = begun, limit, max_states
        self.progress = progress
        self.line = None     # the last line drawn (progress=True)
        self.drawn = None    # when it was drawn

    def __call__(self, states, queries, rounds):
        now = _clock()
        if callable(self.progress):
            self.progress(states, queries)
        elif self.progress:
            self.line = (f"learn_automaton: {states} states (max_states={self.max_states}), "
                         f"{queries} words answered, {rounds} "
                         f"{'hypothesis' if rounds == 1 else 'hypotheses'}, "
                         f"{now - self.begun:.1f} s")
            if self.drawn is None or now - self.drawn >= 0.1:   # at most 10 lines a second
                self._draw(now)
        if self.limit is not None and now - self.begun > self.limit:
            raise ValueError(
                f"gave up at time_limit={self.limit:g} s: after {now - self.begun:.3g} s, L* had "
                f"found {states} distinct states (max_states={self.max_states}), answered "
                f"{queries} words and built {rounds} "
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


def _with_provenance(machine, sem, provenance):
    return MooreMachine(machine.transitions, machine.outputs, machine.alphabet, machine.start,
                        semantics=sem, reduced_from=machine.reduced_from, provenance=provenance)
