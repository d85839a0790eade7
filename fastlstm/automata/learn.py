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
  a missing word's prefixes are expanded level by level with the very
  kernels of ``run_batch`` (``extract.expand_states``), so each prefix is
  computed once, and every answer stays cached for later rounds.
* **Equivalence by testing.**  The hypothesis is compared with the cell on
  every input string up to ``test_depth`` and on ``random_tests`` random
  strings of ``random_length`` (every prefix of each is compared).  The
  cell's outputs on these strings are computed once; each round only walks
  the hypothesis.  The first mismatch (shortest first) is the counterexample.
* **Proofs as equivalence queries.**  Under rounded feedback a hypothesis
  that passes the tests goes to ``prove_by_abstraction``; a proof that
  fails at the c of a word it keeps returns that word, a counterexample
  the tests missed (often longer than any of them), and L* goes on.

The result says plainly how far it can be trusted (``MooreMachine.provenance``,
printed by ``describe()``): *proved* when exact extraction succeeds (the
machine is then the minimised extracted one) or when the interval abstraction
of ``abstraction.py`` proves the learned machine for every input length;
otherwise *learned and tested*, with the lengths and counts tested.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from .._validate import integer
from ..semantics import round_half_to_zero
from .abstraction import prove_by_abstraction
from .extract import MAX_STATES, expand_states, extract_automaton
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
    """Rounded h after any word (tuple of symbol indices), from a cached prefix tree."""

    def __init__(self, kernels, p, theta, h0, c0, values):
        self._step = (kernels, p, theta)
        self._values = values
        self._node = {(): 0}
        self._h, self._c = [h0], [c0]
        self._out = [int(round_half_to_zero(h0))]

    def __len__(self):
        return len(self._node)

    def answer(self, words):
        """Outputs for ``words``, computing each missing prefix once, a level at a time."""
        needed = set()
        for w in words:
            while w not in self._node and w[:-1] not in needed:
                needed.add(w[:-1])   # a parent whose children are missing
                w = w[:-1]
        A = self._values.size
        for length in sorted({len(w) for w in needed}):
            parents = [w for w in needed if len(w) == length]
            # Parents of the shortest level are known; later levels were added by earlier ones.
            ids = [self._node[w] for w in parents]
            h, c = expand_states(*self._step, [self._h[j] for j in ids],
                                 [self._c[j] for j in ids], self._values)
            outs = round_half_to_zero(h).astype(np.int64).tolist()
            for k, w in enumerate(parents):
                for a in range(A):
                    child = w + (a,)
                    if child not in self._node:
                        self._node[child] = len(self._h)
                        self._h.append(float(h[k * A + a]))
                        self._c.append(float(c[k * A + a]))
                        self._out.append(outs[k * A + a])
        return [self._out[self._node[w]] for w in words]


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
                    random_tests=1000, random_length=80, seed=0, prove=True) -> MooreMachine:
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

    Returns
    -------
    MooreMachine
        Minimal, start state 0, with ``provenance`` (a ``Provenance``).

    Raises
    ------
    ValueError
        For a bad argument (naming it), or when no machine of at most
        ``max_states`` states was found.
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

    try:
        table, outputs, rounds = _lstar(oracle, counterexample, len(symbols), max_states)
    except ValueError as exc:
        if not found:
            raise
        raise ValueError(f"{exc}; {len(found)} of its counterexamples came from failed interval "
                         f"proofs (inputs up to length {max(len(w) for w in found)})") from None
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


def _with_provenance(machine, sem, provenance):
    return MooreMachine(machine.transitions, machine.outputs, machine.alphabet, machine.start,
                        semantics=sem, reduced_from=machine.reduced_from, provenance=provenance)


def _lstar(oracle, counterexample, A, max_states):
    """``(table, outputs, rounds)`` of the first hypothesis that passes every test.

    The observation table: rows ``S`` (access strings, pairwise distinct
    rows) and ``S . A``, columns ``E`` (suffixes, the empty one first); the
    entry of row u and column e is the output after u e.
    """
    S, E = [()], [()]
    rounds = 0
    while True:
        # Close the table: every one-symbol extension's row must be some access string's.
        while True:
            rows_words = [s + (a,) for s in S for a in range(A)]
            words = [u + e for u in S + rows_words for e in E]
            answers = dict(zip(words, oracle.answer(words)))

            def row(u):
                return tuple(answers[u + e] for e in E)
            known = {row(s): k for k, s in enumerate(S)}
            fresh = {}
            for u in rows_words:
                r = row(u)
                if r not in known and r not in fresh:
                    fresh[r] = u
            if not fresh:
                break
            S.extend(fresh.values())
            if len(S) > max_states:
                raise ValueError(
                    f"no Moore machine of at most max_states={max_states} states: L* had found "
                    f"{len(S)} distinct states (the output language may not be regular, e.g. a "
                    "counter: see fastlstm.find_counter), or raise max_states")
        table = np.array([[known[row(s + (a,))] for a in range(A)] for s in S], dtype=np.int32)
        outputs = np.array([answers[s] for s in S], dtype=np.int64)
        rounds += 1
        cex = counterexample(table, outputs)
        if cex is None:
            return table, outputs, rounds
        E.append(_separating_suffix(oracle, S, table, cex))


def _separating_suffix(oracle, S, table, u):
    """Rivest-Schapire: a suffix of the counterexample ``u`` that splits a state.

    alpha(i) is the output after access(state after u[:i]) followed by u[i:];
    alpha(0) is the cell's output on u, alpha(len u) the hypothesis's, and
    they differ, so binary search finds i with alpha(i) != alpha(i + 1): the
    suffix u[i + 1:] separates access(q_i) u[i] from access(q_{i + 1}).
    """
    states = [0]
    for a in u:
        states.append(int(table[states[-1], a]))

    def alpha(i):
        return oracle.answer([S[states[i]] + u[i:]])[0]
    lo, hi = 0, len(u)
    a_lo = alpha(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if alpha(mid) == a_lo:
            lo = mid
        else:
            hi = mid
    return u[hi:]
