"""fl.learn_automaton against machines known by construction.

Every expected machine below is derived by hand from the saturated rule
(docs/semantics.md): each gate is 0, 1 or exact in the band, and the
comments give the derivation.  Minimal machines are canonical (start 0,
breadth-first numbering), so a learned machine equals the hand-built one
exactly when their minimised arrays are equal.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastlstm as fl
from tests.automata.cells import PARITY_OUTPUTS, PARITY_TABLE, SAT_RF, strings

# Memory that counts the steps: f = sigmoid(100) = 1, i = 1, g = tanh(100) = 1,
# so c_t = t + 1 and no (h, c) state ever repeats (exact extraction refuses).
# tanh(c_t) = 1 (c_t >= 1 is saturated), so h_t = round(o_t):
COUNTING = dict(b_f=100.0, b_i=100.0, b_c=100.0)
# o = sigmoid(100 x - 50): 1 after a 1, 0 after a 0: the output is x_t.
LAST = fl.ScalarLSTM(**COUNTING, W_ox=100.0, b_o=-50.0)
LAST_MACHINE = fl.MooreMachine([[0, 1], [0, 1]], [0, 1])
# o = sigmoid(50 - 100 h): h alternates 0 (start), 1, 0, 1, ... whatever the input.
ALTERNATE = fl.ScalarLSTM(**COUNTING, W_oh=-100.0, b_o=50.0)
ALTERNATE_MACHINE = fl.MooreMachine([[1, 1], [0, 0]], [0, 1])
# o = sigmoid(100 x - 100 h - 50): 1 only on a 1 after output 0, so the output
# is 1 exactly when the run of 1s ending at t has odd length.
ODD_RUN = fl.ScalarLSTM(**COUNTING, W_oh=-100.0, W_ox=100.0, b_o=-50.0)
ODD_RUN_MACHINE = fl.MooreMachine([[0, 1], [0, 0]], [0, 1])


def same_machine(m, expected):
    a, b = m.minimize(), expected.minimize()
    return (a.transitions.tolist(), a.outputs.tolist()) == (b.transitions.tolist(),
                                                            b.outputs.tolist())


def test_parity_is_extracted_exactly_and_proved():
    m = fl.learn_automaton(fl.presets.parity(), **SAT_RF)
    assert (m.transitions.tolist(), m.outputs.tolist()) == (PARITY_TABLE, PARITY_OUTPUTS)
    assert m.provenance.proved and m.provenance.method == "exact states"
    assert "PROVED" in m.describe()


@pytest.mark.parametrize("cell, expected", [(LAST, LAST_MACHINE),
                                            (ALTERNATE, ALTERNATE_MACHINE),
                                            (ODD_RUN, ODD_RUN_MACHINE)],
                         ids=["last", "alternate", "odd-run"])
def test_drifting_memory_is_learned_and_proved(cell, expected):
    with pytest.raises(ValueError, match="not finite"):
        fl.extract_automaton(cell, max_states=100, **SAT_RF)
    m = fl.learn_automaton(cell, **SAT_RF)
    assert same_machine(m, expected)
    assert m.provenance.method == "L*" and m.provenance.proved
    text = m.describe()
    assert "PROVED" in text and "interval abstraction" in text
    # The cell's own run agrees with the hand-built machine (an independent check).
    X = list(strings(8, min_len=8))
    assert (fl.run_batch(cell, X, **SAT_RF).rounded == [expected.run(x) for x in X]).all()


def test_learned_without_proof_says_so():
    # Raw feedback: no abstraction proof is attempted, the machine is only tested.
    m = fl.learn_automaton(LAST, activation="saturated", test_depth=6, random_tests=50,
                           random_length=30)
    assert same_machine(m, LAST_MACHINE)
    p = m.provenance
    assert not p.proved
    assert (p.test_depth, p.exhaustive, p.random_tests, p.random_length) == (6, 126, 50, 30)
    text = m.describe()
    assert "LEARNED AND TESTED (not proved)" in text and "126 strings of length 1 to 6" in text
    assert "no proof attempted (the interval proof needs round_feedback=True)" in text


def test_counter_has_no_small_machine():
    # Dyck-1 output (docs of fl.presets.dyck1): +1 open, 0 balanced, -1 dead; the
    # depth of open brackets needs a state per depth, so no 4-state machine exists.
    with pytest.raises(ValueError, match="no Moore machine of at most max_states=4"):
        fl.learn_automaton(fl.presets.dyck1(), (1, -1), max_states=4, **SAT_RF)


def test_counter_tested_too_shallowly():
    # Tests up to length 3 only (no random or state-guided tests) and no proof: L*
    # stops at a machine that counts to a small depth, and says it is only tested.
    shallow = dict(test_depth=3, random_tests=0, guided=0, **SAT_RF)
    m = fl.learn_automaton(fl.presets.dyck1(), (1, -1), prove=False, **shallow)
    assert not m.provenance.proved and "no proof attempted (prove=False)" in m.provenance.how
    assert "LEARNED AND TESTED" in m.describe()
    # With proofs, each failed proof hands L* a deeper counterexample, until the bound.
    with pytest.raises(ValueError, match="came from failed interval proofs"):
        fl.learn_automaton(fl.presets.dyck1(), (1, -1), max_states=8, **shallow)


# A random saturated cell (weights drawn uniform in +-5, rounded to 2 decimals)
# whose tested-only machine is wrong on an input longer than any test.
HIDDEN = fl.ScalarLSTM.from_array([4.44, -3.73, 3.65, -4.41, -1.19, -0.7, -0.11, 4.76, 2.76,
                                   -1.91, -2.3, 3.63])


def test_failed_proof_finds_what_the_tests_missed():
    tested = fl.learn_automaton(HIDDEN, prove=False, **SAT_RF)
    proof = fl.prove_by_abstraction(HIDDEN, tested, **SAT_RF)
    x = proof.counterexample
    assert not proof.proved and x is not None and len(x) > 10   # past the exhaustive tests
    assert tested.run(x)[-1] != fl.run(HIDDEN, x, **SAT_RF).rounded[-1]
    learned = fl.learn_automaton(HIDDEN, **SAT_RF)
    assert learned.provenance.proved and len(learned) > len(tested)
    assert "came from failed interval proofs" in learned.provenance.how
    X = np.random.default_rng(1).integers(0, 2, size=(500, 200))
    assert (fl.run_batch(HIDDEN, X, **SAT_RF).rounded == [learned.run(x) for x in X]).all()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(max_states=0), ValueError, "max_states"),
    (dict(test_depth=30), ValueError, "test_depth=30"),
    (dict(random_tests=-1), ValueError, "random_tests"),
    (dict(prove="yes"), TypeError, "prove"),
    (dict(seed=1.5), TypeError, "seed"),
    (dict(alphabet=()), ValueError, "alphabet"),
    (dict(time_limit=0), ValueError, "time_limit must be a positive number of seconds or None"),
    (dict(time_limit=-1.0), ValueError, "time_limit must be a positive"),
    (dict(time_limit=float("inf")), ValueError, "time_limit must be finite"),
    (dict(time_limit=float("nan")), ValueError, "time_limit must be finite"),
    (dict(time_limit="10"), TypeError, "time_limit must be a real number"),
    (dict(time_limit=True), TypeError, "time_limit must be a real number"),
    (dict(progress="yes"), TypeError, "progress must be True, False or a callable"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        fl.learn_automaton(LAST, **kwargs)


@pytest.mark.parametrize("alphabet, kwargs, match", [
    # 2**(10**10) is never computed: a bounded loop finds the deepest allowed length
    ((0, 1), dict(test_depth=10**10), r"test_depth=10000000000 means 2\*\*10000000000 strings "
                                      r".*use test_depth <= 20"),
    ((0, 1, 2), dict(test_depth=13), r"3\*\*13 strings .* use test_depth <= 12"),
    ((0,), dict(test_depth=10**6), r"test_depth=1000000 means 1000000 lengths, and at most 4096"),
    ((0, 1), dict(random_tests=10**5, random_length=10**4),
     r"random_tests=100000 strings of random_length=10000 are more steps than the 16777216"),
    ((0, 1), dict(random_tests=2**40, random_length=0), r"random_tests=1099511627776"),
    ((0, 1), dict(random_tests=0, random_length=10**30), r"random_length=10{30}"),
])
def test_tests_too_large_are_refused_before_any_work(alphabet, kwargs, match):
    # The parity cell is extracted exactly at once: a refusal must come before that.
    with pytest.raises(ValueError, match=match):
        fl.learn_automaton(fl.presets.parity(), alphabet, **kwargs)


def test_one_symbol_tested_beyond_numpys_dimensions():
    # c counts up from c0 = -80 (f = i = g = 1, so c_t = t - 80 exactly) and o = 1, so
    # h = tanh(c) rounds to -1 for 79 steps, 0 at step 80, then 1 for good: a chain of
    # 82 states, found by exhaustive tests of up to 100 zeros (NumPy has at most 64
    # dimensions: the strings of one symbol are no (1,) * length array).
    counting = fl.ScalarLSTM(**COUNTING, b_o=100.0)
    m = fl.learn_automaton(counting, (0,), c0=-80.0, test_depth=100, random_tests=0)
    assert len(m) == 82 and m.provenance.exhaustive == 100
    assert m.run([0] * 90).tolist() == [-1] * 79 + [0] + [1] * 10


@pytest.mark.parametrize("cell", [LAST, ALTERNATE, ODD_RUN], ids=["last", "alternate", "odd-run"])
def test_same_machine_as_aalpy(cell):
    aalpy = pytest.importorskip("aalpy", reason="AALpy (a peer, pip install aalpy) is not "
                                "installed: the comparison with a standard L* is skipped")
    from aalpy.base import SUL

    class CellSUL(SUL):   # every query answered by fl.run on the whole word
        def query(self, word):
            return fl.run(cell, word, **SAT_RF).rounded.tolist() if word else [0]

        def pre(self):
            self.word = []

        def post(self):
            pass

        def step(self, letter):
            if letter is None:
                return 0
            self.word.append(letter)
            return int(fl.run(cell, self.word, **SAT_RF).rounded[-1])

    sul = CellSUL()
    oracle = aalpy.oracles.WMethodEqOracle([0, 1], sul, max_number_of_states=4)
    model = aalpy.learning_algs.run_Lstar([0, 1], sul, oracle, "moore", print_level=0)
    states = [model.initial_state] + [s for s in model.states if s is not model.initial_state]
    table = [[states.index(s.transitions[a]) for a in (0, 1)] for s in states]
    theirs = fl.MooreMachine(table, [s.output for s in states])
    assert same_machine(fl.learn_automaton(cell, **SAT_RF), theirs)



# --- bounded, visible work (issue 23) ---------------------------------------------------

def _cyclic_target(word):
    """Output 1 when the number of 1s is 0 mod 12 and the number of 0s is 0 mod 3, else 0:
    the group Z12 x Z3 with one accepting element, so its 36 states are pairwise
    distinct (a minimal machine of 36 states, which L* needs counterexamples to find)."""
    return int(word.count(1) % 12 == 0 and word.count(0) % 3 == 0)


CYCLIC_MACHINE = fl.MooreMachine([[o * 3 + (z + 1) % 3, (o + 1) % 12 * 3 + z]
                                  for o in range(12) for z in range(3)],
                                 [int(q == 0) for q in range(36)])


class _WordOracle:
    """An oracle whose nodes are the words themselves; it counts every word asked."""

    def __init__(self, target):
        self.target, self.asked = target, 0

    def __len__(self):
        return self.asked

    def nodes(self, words, starts=None):
        return [w if starts is None else starts[k] + w for k, w in enumerate(words)]

    def answer(self, words, starts=None):
        self.asked += len(words)
        return [self.target(w) for w in self.nodes(words, starts)]


def test_lstar_asks_each_table_entry_once():
    # Rebuilding the whole table after each new batch of rows made giving up at max_states
    # quadratic (12 to 53 s on random cells): now each entry of the final table, rows
    # (S and S.A) x columns E, is asked once, besides the outputs of S each hypothesis
    # and the binary search of each counterexample.
    from fastlstm.automata import lstar

    oracle, cexs = _WordOracle(_cyclic_target), []

    def counterexample(table, outputs, access):   # a shortest word it gets wrong
        seen, level = {(0, 0, 0)}, [((), 0, 0, 0)]
        while level:
            nxt = []
            for word, q, ones, zeros in level:
                if outputs[q] != _cyclic_target(word):
                    cexs.append(word)
                    return word
                for a in (0, 1):
                    key = (int(table[q, a]), (ones + a) % 12, (zeros + 1 - a) % 3)
                    if key not in seen:
                        seen.add(key)
                        nxt.append((word + (a,), *key))
            level = nxt
        return None

    table, outputs, rounds = lstar.lstar(oracle, counterexample, 2, 100, lambda *a: None)
    assert same_machine(fl.MooreMachine(table, outputs), CYCLIC_MACHINE)
    assert len(table) == 36 and rounds == len(cexs) + 1 > 1
    columns = rounds                                  # the empty suffix, one per counterexample
    entries = 36 * 3 * columns
    searches = sum(1 + int(np.ceil(np.log2(len(w)))) for w in cexs)
    assert oracle.asked <= entries + 36 * rounds + searches


# Random saturated cells with no small output machine (issue 23): 20 draws of
# uniform(-5, 5, 12) from default_rng(99), cells 4, 9 and 17.
_RNG = np.random.default_rng(99)
_DRAWS = [_RNG.uniform(-5, 5, 12) for _ in range(20)]
HARD = {k: fl.ScalarLSTM.from_array(_DRAWS[k]) for k in (4, 9, 17)}


@pytest.mark.parametrize("k", sorted(HARD))
def test_hard_cells_give_up_at_max_states(k):
    # Giving up took 12, 18 and 53 s; now it takes seconds, and it is max_states, not
    # the time limit (a backstop), that stops L*.
    with pytest.raises(ValueError, match="no Moore machine of at most max_states=200 states"):
        fl.learn_automaton(HARD[k], **SAT_RF)


def _fake_clock(monkeypatch, step):
    """The learner's clock reads 0, step, 2 step, ... (one tick a reading)."""
    from fastlstm.automata import learn

    ticks = iter(range(10**9))
    monkeypatch.setattr(learn, "_clock", lambda: step * next(ticks))


def test_time_limit_gives_up_and_says_how_far_it_got(monkeypatch):
    # A clock that moves 10 s a reading: read at the start, then at every check; the
    # third check (30 s) is past 25 s.
    _fake_clock(monkeypatch, 10.0)
    states = []
    with pytest.raises(ValueError) as info:
        fl.learn_automaton(HARD[9], time_limit=25, progress=lambda s, q: states.append(s),
                           **SAT_RF)
    message = str(info.value)
    assert message.startswith("gave up at time_limit=25 s: after 30 s, L* had found ")
    assert f"found {states[-1]} distinct states (max_states=200)" in message
    assert "raise time_limit (None: no limit)" in message
    assert len(states) == 3


def test_time_limit_real_clock():
    # 1 ms is less than exact extraction alone takes before L* gives up on this cell.
    with pytest.raises(ValueError, match=r"gave up at time_limit=0\.001 s: after "):
        fl.learn_automaton(HARD[17], time_limit=1e-3, **SAT_RF)


def test_default_time_limit_is_finite_and_none_lifts_it(monkeypatch):
    _fake_clock(monkeypatch, 1000.0)    # every check is 1000 s after the last
    with pytest.raises(ValueError, match="gave up at time_limit=60 s"):
        fl.learn_automaton(ODD_RUN, **SAT_RF)
    assert same_machine(fl.learn_automaton(ODD_RUN, time_limit=None, **SAT_RF),
                        ODD_RUN_MACHINE)


def test_progress_callable_and_line(capsys):
    calls = []
    m = fl.learn_automaton(HIDDEN, progress=lambda *args: calls.append(args), **SAT_RF)
    states, queries = zip(*calls)
    assert all(isinstance(v, int) for v in states + queries)
    assert list(states) == sorted(states) and list(queries) == sorted(queries)
    assert states[0] == 1 and states[-1] == len(m)      # every new state is reported
    assert queries[-1] <= m.provenance.queries
    assert capsys.readouterr().err == ""
    fl.learn_automaton(HIDDEN, progress=True, **SAT_RF)
    err = capsys.readouterr().err
    last = err.split("\r")[-1]
    assert err.startswith("\rlearn_automaton: 1 states (max_states=200), ")
    assert last.startswith(f"learn_automaton: {len(m)} states (max_states=200), ")
    assert last.endswith(" s\n") and err.count("\n") == 1
    # Extracted exactly: L* does not run, nothing is reported.
    fl.learn_automaton(fl.presets.parity(), progress=True, **SAT_RF)
    assert capsys.readouterr().err == ""
