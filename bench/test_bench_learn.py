"""fastlstm's L* (``learn_automaton``) against AALpy's L* driving ``fl.run``.

Workload: a seeded set of random saturated cells (binary alphabet, rounded
feedback, the 12 weights uniform in +-5) that exact extraction refuses
(more than 500 reachable (h, c) states), as in issue 13.  Both learners
learn the Moore machine of each cell's output (rounded h) with the same
equivalence tests: every string of length ``TEST_DEPTH`` (so every shorter
prefix too) and ``RANDOM_TESTS`` random strings of ``RANDOM_LENGTH``, seeded.

* ``fastlstm``: ``fl.learn_automaton(..., prove=False)``: equivalence by the
  tests only, the same work as the peer and more (it also tries exact
  extraction first, and tests from the network's states, which the peer
  does not);
* ``fastlstm + interval proofs``: ``fl.learn_automaton`` as it comes: each
  hypothesis that passes the tests also goes to ``prove_by_abstraction``,
  whose failures can be counterexamples the tests missed;
* ``aalpy L* + fl.run``: AALpy's ``run_Lstar`` (Moore machines,
  Rivest-Schapire counterexamples, its query cache), every membership query
  answered by one ``fl.run`` call, the equivalence oracle running the same
  test strings (one ``fl.run`` per string, cached by AALpy).

A learner gives up on a cell when a hypothesis has more than ``MAX_STATES``
states (a counter, say: the output is then not regular, or not small); the
issue's cells that a standard L* learner finds have 1 to 5 states.  Both
learners must give up on the same cells, and on every other cell their two
machines are checked against fastlstm's tests-only machines: the same number
of states and equivalent (breadth-first search of the product machine finds
no reachable pair of states with different outputs).  Where the proved
machine differs from AALpy's, AALpy's is checked to be wrong: a failed
interval proof gives an input on which it disagrees with ``fl.run``.
Issue 13's target (reported, never asserted): fastlstm at least 10x faster.

    python -m pytest bench/test_bench_learn.py --benchmark-only

``FASTLSTM_BENCH_LEARN_CELLS`` (default 20) sets the number of cells; 2 is
enough to prove the file runs: ``FASTLSTM_BENCH_LEARN_CELLS=2 python -m pytest
bench/test_bench_learn.py --benchmark-disable``.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pytest

import fastlstm as fl

SEMANTICS = dict(activation="saturated", round_feedback=True)
ALPHABET = (0, 1)
TEST_DEPTH, RANDOM_TESTS, RANDOM_LENGTH, SEED = 10, 1000, 80, 0
N_CELLS = int(os.environ.get("FASTLSTM_BENCH_LEARN_CELLS", "20"))
GROUP = f"learn: {N_CELLS} random saturated cells that exact extraction refuses"
TARGET = 10.0
MAX_STATES = 20


@functools.lru_cache(maxsize=None)
def refused_cells(n: int, seed: int = 13) -> tuple:
    """The first n cells of a seeded stream (weights uniform in +-5) that extraction refuses."""
    rng = np.random.default_rng(seed)
    cells = []
    while len(cells) < n:
        cell = fl.ScalarLSTM.from_array(rng.uniform(-5, 5, 12))
        try:
            fl.extract_automaton(cell, ALPHABET, max_states=500, **SEMANTICS)
        except ValueError:
            cells.append(cell)
    return tuple(cells)


def equivalence_words():
    """The equivalence tests both learners use, as tuples of symbols."""
    import itertools

    rng = np.random.default_rng(SEED)
    random = rng.integers(0, len(ALPHABET), size=(RANDOM_TESTS, RANDOM_LENGTH))
    words = [tuple(w) for w in itertools.product(ALPHABET, repeat=TEST_DEPTH)]
    return words + [tuple(ALPHABET[a] for a in row) for row in random.tolist()]


def learn_fastlstm(cells, prove=False):
    """fastlstm's machine per cell, or None where it gave up."""
    machines = []
    for cell in cells:
        try:
            machines.append(fl.learn_automaton(
                cell, ALPHABET, max_states=MAX_STATES, test_depth=TEST_DEPTH,
                random_tests=RANDOM_TESTS, random_length=RANDOM_LENGTH, seed=SEED,
                prove=prove, **SEMANTICS))
        except ValueError:
            machines.append(None)
    return machines


def learn_aalpy(cells, words):
    """AALpy's L* per cell: (transitions, outputs) arrays with start state 0, or None."""
    from aalpy.base import SUL
    from aalpy.learning_algs import run_Lstar

    class CellSUL(SUL):
        """Membership queries: one fl.run per word; steps (if AALpy asks) one fl.run each."""

        def __init__(self, cell):
            super().__init__()
            self.cell = cell

        def query(self, word):
            self.num_queries += 1
            if not word:
                return [0]          # round(h0), h0 = 0
            return fl.run(self.cell, word, **SEMANTICS).rounded.tolist()

        def pre(self):
            self.h, self.c = 0.0, 0.0

        def post(self):
            pass

        def step(self, letter):
            if letter is None:
                return 0
            tr = fl.run(self.cell, [letter], h0=self.h, c0=self.c, **SEMANTICS)
            self.h, self.c = float(tr.h[0]), float(tr.c[0])
            return int(tr.rounded[0])

    machines = []
    for cell in cells:
        sul = CellSUL(cell)
        try:
            model = run_Lstar(list(ALPHABET), sul, same_tests(list(ALPHABET), sul, words, MAX_STATES), "moore",
                              print_level=0)
        except GaveUp:
            machines.append(None)
            continue
        machines.append(aalpy_arrays(model))
    return machines


class GaveUp(Exception):
    """A hypothesis of more than MAX_STATES states."""


def same_tests(alphabet, sul, words, max_states=None):
    """An AALpy equivalence oracle running fastlstm's test strings, each answered by one
    query of ``sul``; above ``max_states`` states a hypothesis raises ``GaveUp``."""
    from aalpy.base import Oracle

    class SameTests(Oracle):
        def find_cex(self, hypothesis):
            if max_states is not None and hypothesis.size > max_states:
                raise GaveUp
            for word in words:
                expected = self.sul.query(word)
                hypothesis.reset_to_initial()
                for t, letter in enumerate(word):
                    if hypothesis.step(letter) != expected[t]:
                        return word[:t + 1]
            return None

    return SameTests(alphabet, sul)


def aalpy_arrays(model, alphabet=ALPHABET):
    """An AALpy Moore machine as (transitions, outputs), its initial state numbered 0."""
    states = [model.initial_state] + [s for s in model.states if s is not model.initial_state]
    number = {id(s): k for k, s in enumerate(states)}
    table = [[number[id(s.transitions[a])] for a in alphabet] for s in states]
    return np.array(table), np.array([s.output for s in states])


def equivalent(table_a, out_a, table_b, out_b) -> bool:
    """Breadth-first search of the product machine from (0, 0): no pair with different outputs."""
    seen, frontier = {(0, 0)}, [(0, 0)]
    while frontier:
        nxt = []
        for p, q in frontier:
            if out_a[p] != out_b[q]:
                return False
            for a in range(table_a.shape[1]):
                pair = (int(table_a[p, a]), int(table_b[q, a]))
                if pair not in seen:
                    seen.add(pair)
                    nxt.append(pair)
        frontier = nxt
    return True


@functools.lru_cache(maxsize=None)
def fastlstm_machines(prove):
    return learn_fastlstm(refused_cells(N_CELLS), prove)


@pytest.mark.parametrize("prove", [False, True], ids=["tests only", "with proofs"])
def test_learn_fastlstm(benchmark, prove):
    cells, machines = refused_cells(N_CELLS), fastlstm_machines(prove)
    benchmark.group = GROUP
    benchmark.extra_info.update(
        implementation="fastlstm + interval proofs" if prove else "fastlstm", steps=len(cells),
        states=[len(m) if m else None for m in machines],
        proved=[m.provenance.proved if m else None for m in machines])
    benchmark.pedantic(learn_fastlstm, args=(cells, prove), rounds=3, iterations=1,
                       warmup_rounds=0)


def test_learn_aalpy(benchmark):
    pytest.importorskip("aalpy", reason="AALpy is not installed (pip install aalpy)")
    cells, words = refused_cells(N_CELLS), equivalence_words()
    benchmark.group = GROUP
    benchmark.extra_info.update(implementation="aalpy L* + fl.run", steps=len(cells),
                                target=TARGET, target_by="fastlstm")
    machines = benchmark.pedantic(learn_aalpy, args=(cells, words), rounds=1, iterations=1,
                                  warmup_rounds=0)
    refuted = []
    for k, (theirs, ours, proved) in enumerate(zip(machines, fastlstm_machines(False),
                                                   fastlstm_machines(True))):
        assert (theirs is None) == (ours is None), f"cell {k}: only one learner gave up"
        if ours is None:
            continue
        table, out = theirs
        assert len(table) == len(ours), f"cell {k}: AALpy {len(table)} states, fastlstm {len(ours)}"
        assert equivalent(table, out, ours.transitions, ours.outputs), f"cell {k}: not equivalent"
        if proved is None or not equivalent(table, out, proved.transitions, proved.outputs):
            # AALpy's machine must then be wrong, and a failed proof shows where.
            machine = fl.MooreMachine(table, out, ALPHABET)
            x = fl.prove_by_abstraction(cells[k], machine, **SEMANTICS).counterexample
            assert x is not None, f"cell {k}: the learners differ and nothing refutes AALpy's"
            assert machine.run(x)[-1] != fl.run(cells[k], x, **SEMANTICS).rounded[-1]
            refuted.append(k)
    benchmark.extra_info.update(refuted_by_proofs=refuted)
