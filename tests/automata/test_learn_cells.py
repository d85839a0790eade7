"""fl.learn_automaton on LSTMCells, with and without a readout, and its state-guided tests.

Expected machines are built here by hand (their derivations in the comments)
or as products of hand-built machines; ``fl.run`` on random strings is an
independent check of each learned machine.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fastlstm as fl
from tests.automata.cells import SAT_RF
from tests.automata.test_learn import (
    ALTERNATE,
    ALTERNATE_MACHINE,
    LAST,
    ODD_RUN,
    ODD_RUN_MACHINE,
    same_machine,
)

PAIRS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def side_by_side(a, b):
    """The 2-unit LSTMCell of two scalar cells, unit k reading input k (block-diagonal)."""
    one, two = fl.LSTMCell.from_scalar(a), fl.LSTMCell.from_scalar(b)
    W_ih, W_hh, bias = np.zeros((8, 2)), np.zeros((8, 2)), np.zeros(8)
    for k, cell in enumerate((one, two)):
        W_ih[k::2, k], W_hh[k::2, k], bias[k::2] = cell.W_ih[:, 0], cell.W_hh[:, 0], cell.b_ih
    return fl.LSTMCell(W_ih, W_hh, bias)


def product(m1, m2, output):
    """The product machine on pairs of symbols, output ``output(o1, o2)``, minimised."""
    pairs = list(itertools.product(range(len(m1)), range(len(m2))))
    index = {p: k for k, p in enumerate(pairs)}
    t1, t2 = m1.transitions.tolist(), m2.transitions.tolist()
    table = [[index[(t1[p][a], t2[q][b])] for a, b in PAIRS] for p, q in pairs]
    outputs = [output(int(m1.outputs[p]), int(m2.outputs[q])) for p, q in pairs]
    return fl.MooreMachine(table, outputs, PAIRS, index[(m1.start, m2.start)]).minimize()


def agrees_with_run(m, cell, words, readout=None, **kwargs):
    """The machine's outputs are the cell's (``fl.run``, then the readout) on every prefix."""
    for word in words:
        h = fl.run(cell, np.array(word, dtype=float), **kwargs).h
        expected = (readout.label(h.reshape(len(word), -1)) if readout is not None
                    else np.round(h).astype(int))   # the cells here never give h = +-0.5
        got = m.run(list(map(tuple, word)) if np.ndim(word) == 2 else list(word))
        if not np.array_equal(got.reshape(expected.shape), expected):
            return False
    return True


# --- a 1-unit LSTMCell is its ScalarLSTM --------------------------------------------------

@pytest.mark.parametrize("cell, semantics", [
    (fl.presets.parity(), SAT_RF),                    # exact extraction
    (fl.presets.parity(), dict()),                    # exact activations, exact extraction
    (ODD_RUN, SAT_RF),                                # L*, then an interval proof
    (LAST, dict(activation="saturated")),             # L*, tested only
], ids=["parity-sat-rf", "parity-exact", "odd-run-proved", "last-tested"])
def test_one_unit_cell_learns_its_scalar_machine(cell, semantics):
    scalar = fl.learn_automaton(cell, **semantics)
    for alphabet in [(0, 1), [(0,), (1,)]]:
        m = fl.learn_automaton(fl.LSTMCell.from_scalar(cell), alphabet, **semantics)
        assert m.transitions.tolist() == scalar.transitions.tolist()
        assert m.outputs.tolist() == scalar.outputs.tolist()
        assert m.provenance == scalar.provenance
        assert m.alphabet == tuple(alphabet)


# --- two scalar cells side by side: the product machine ----------------------------------

def test_block_diagonal_cell_with_readout_learns_the_product():
    # Unit 0 is ODD_RUN on input 0, unit 1 ALTERNATE on input 1 (machines derived by hand in
    # test_learn.py); with rounded feedback h is the pair of their outputs, and the readout
    # y = h_0 - h_1 labels it by the sign.  Neither unit's c repeats (c_t = t + 1).
    cell = side_by_side(ODD_RUN, ALTERNATE)
    readout = fl.Readout([[1.0, -1.0]])
    with pytest.raises(ValueError, match="not finite"):
        fl.extract_automaton(cell, PAIRS, max_states=100, readout=readout, **SAT_RF)
    m = fl.learn_automaton(cell, PAIRS, readout=readout, test_depth=5, **SAT_RF)
    expected = product(ODD_RUN_MACHINE, ALTERNATE_MACHINE, lambda a, b: int(np.sign(a - b)))
    assert same_machine(m, expected) and len(m) == 4
    assert m.provenance.method == "L*" and not m.provenance.proved
    assert m.readout == readout and m.provenance.output == "readout label of h"
    # the label 0 (h_0 = h_1, y = 0 exactly) is never proved by bounds on y
    assert "the interval abstraction proof failed" in m.provenance.how
    words = np.random.default_rng(3).integers(0, 2, size=(30, 25, 2))
    assert agrees_with_run(m, cell, words, readout, **SAT_RF)


def test_block_diagonal_cell_outputs_rounded_h_vectors():
    # Without a readout the output is the pair of rounded h: the product with pair outputs.
    cell = side_by_side(ODD_RUN, ALTERNATE)
    m = fl.learn_automaton(cell, PAIRS, test_depth=5, **SAT_RF)
    expected = product(ODD_RUN_MACHINE, ALTERNATE_MACHINE, lambda a, b: 2 * a + b)
    assert len(m) == len(expected) == 4 and m.outputs.shape == (4, 2)
    codes = fl.MooreMachine(m.transitions, 2 * m.outputs[:, 0] + m.outputs[:, 1], PAIRS)
    assert same_machine(codes, expected)
    assert m.run([(1, 0), (1, 1), (0, 1)]).tolist() == [[1, 1], [0, 0], [0, 1]]


# --- a 6-unit cell built to count ones modulo 3 ------------------------------------------

def counter3():
    """Units 0-2 one-hot (c = +1 on the unit whose turn it is, -1 elsewhere): on a 0 the
    forget gate is sigmoid(50) = 1.0 and the input gate sigmoid(-50) ~ 2e-22 (c = +-1
    does not move); on a 1 they swap and unit k's candidate is tanh(100 h_{k-1}) = +-1.
    Units 3-5 are distractors whose c grows by tanh(0.1 + 0.2 x) etc. every step, so no
    state repeats.  Output gates open; gate rows in PyTorch's order i, f, g, o."""
    n = 6
    W_ih, W_hh, b = np.zeros((4 * n, 1)), np.zeros((4 * n, n)), np.zeros(4 * n)
    i, f, g, o = (slice(k * n, (k + 1) * n) for k in range(4))
    W_ih[i][:3], b[i][:3] = 100, -50
    W_ih[f][:3], b[f][:3] = -100, 50
    for k in range(3):
        W_hh[g][k, (k - 1) % 3] = 100
    b[o] = 100
    b[i][3:], b[f][3:], b[g][3:], W_ih[g][3:, 0] = 100, 100, (0.1, 0.2, 0.3), (0.2, -0.1, 0.05)
    return fl.LSTMCell(W_ih, W_hh, b)


COUNT_MOD_3 = fl.MooreMachine([[0, 1], [1, 2], [2, 0]], [0, 1, 2])
C0 = np.array([1.0, -1, -1, 0, 0, 0])


@pytest.mark.parametrize("semantics", [dict(), dict(activation="saturated"),
                                       dict(round_feedback=True), SAT_RF],
                         ids=["exact", "saturated", "exact-rf", "saturated-rf"])
def test_counting_ones_mod_3_with_a_readout(semantics):
    cell = counter3()
    readout = fl.Readout(np.hstack([np.eye(3), np.zeros((3, 3))]))   # argmax of h_0..h_2
    h0 = np.tanh(C0) if not semantics.get("round_feedback") else np.sign(C0)
    m = fl.learn_automaton(cell, readout=readout, h0=h0, c0=C0, **semantics)
    assert same_machine(m, COUNT_MOD_3)
    assert m.provenance.method == "L*" and m.provenance.rounds == 1
    # The prefix tree: the root and the two children of each access string (), 1, 11 (every
    # row of S and S.A, and the column of the empty suffix, is read from those nodes).
    assert m.provenance.queries == 7
    assert m.provenance.guided == 4 and m.provenance.guided_states == 12   # 3 states x 4
    words = np.random.default_rng(5).integers(0, 2, size=(20, 40))
    assert all((readout.label(fl.run(cell, w, h0=h0, c0=C0, **semantics).h)
                == np.cumsum(w) % 3).all() for w in words)   # the cell does count
    assert agrees_with_run(m, cell, words, readout, h0=h0, c0=C0, **semantics)


# --- state-guided tests --------------------------------------------------------------------

# c_t is 0.048 times the run of ones ending at t (f = 1 on a 1, sigmoid(-50) ~ 0 on a 0;
# i = 1; g = tanh(atanh(0.048) x)); o = 1, so h = tanh(c) rounds to 1 exactly when the run
# has 12 ones or more (tanh(0.528) = 0.484, tanh(0.576) = 0.520).
RUN12 = fl.ScalarLSTM(b_i=100.0, W_fx=100.0, b_f=-50.0, W_cx=float(np.arctanh(0.048)),
                      b_o=100.0)
RUN12_MACHINE = fl.MooreMachine([[0, min(k + 1, 12)] for k in range(13)],
                                [int(k >= 12) for k in range(13)])


@pytest.mark.parametrize("as_vector", [False, True], ids=["ScalarLSTM", "LSTMCell"])
def test_guided_tests_find_what_exhaustive_depth_misses(as_vector):
    # Every string of length <= 6 gives 0: the one-state machine "always 0" passes the
    # exhaustive tests.  From the network state after 111111 (the farthest the guided
    # tests see from the start) six more 1s give 1.
    cell = fl.LSTMCell.from_scalar(RUN12) if as_vector else RUN12
    shallow = dict(test_depth=6, random_tests=0)
    wrong = fl.learn_automaton(cell, guided=0, **shallow)
    assert len(wrong) == 1 and wrong.outputs.tolist() == [0]
    assert fl.run(RUN12, [1] * 12).rounded[-1] == 1                 # so it is wrong
    assert wrong.provenance.guided_words == 0 and "guided" not in wrong.provenance.how
    m = fl.learn_automaton(cell, **shallow)
    assert same_machine(m, RUN12_MACHINE)
    p = m.provenance
    assert p.guided_states >= 13 and p.guided_words > 0
    assert f"on {p.guided_words} words guided by the network's states" in p.how


# --- bounded work and bad input for vector cells -------------------------------------------

def test_vector_counter_gives_up_at_max_states_with_progress():
    # Two Dyck-1 counters side by side: the depth of open brackets needs a state per depth.
    cell = side_by_side(fl.presets.dyck1(), fl.presets.dyck1())
    alphabet = [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    seen = []
    with pytest.raises(ValueError, match="no Moore machine of at most max_states=6 states"):
        fl.learn_automaton(cell, alphabet, max_states=6, test_depth=4,
                           progress=lambda s, q: seen.append(s), **SAT_RF)
    assert seen[0] == 1 and max(seen) <= 6
    with pytest.raises(ValueError, match=r"gave up at time_limit=0\.001 s"):
        fl.learn_automaton(cell, alphabet, max_states=1000, time_limit=1e-3, **SAT_RF)


def test_time_limit_is_checked_while_the_test_strings_run(monkeypatch):
    # 2**16 strings of 16 symbols for a 6-unit cell run in chunks; the clock (10 s a reading)
    # passes the 5 s limit at the first check, after the first chunk, before L* begins.
    from fastlstm.automata import learn

    ticks = iter(range(10**9))
    monkeypatch.setattr(learn, "_clock", lambda: 10.0 * next(ticks))
    readout = fl.Readout(np.hstack([np.eye(3), np.zeros((3, 3))]))
    with pytest.raises(ValueError, match=r"gave up at time_limit=5 s: after 10 s, L\* had found "
                                         r"1 distinct states .* built 0 hypotheses"):
        fl.learn_automaton(counter3(), readout=readout, h0=np.tanh(C0), c0=C0, test_depth=16,
                           time_limit=5)


@pytest.mark.parametrize("cell, kwargs, error, match", [
    (side_by_side(LAST, LAST), dict(alphabet=(0, 1)), ValueError,
     r"alphabet must hold vectors of length 2"),
    (side_by_side(LAST, LAST), dict(alphabet=[(0, 1, 0), (1, 0, 0)]), ValueError,
     r"alphabet must hold vectors of length 2 \(the cell's input_size\), got length 3"),
    (LAST, dict(alphabet=[(0, 1), (1, 0)]), ValueError, "alphabet must hold numbers"),
    (side_by_side(LAST, LAST), dict(alphabet=PAIRS, readout=fl.Readout([[1.0, 2.0, 3.0]])),
     ValueError, "readout reads vectors of length 3 but the cell has hidden_size 2"),
    (LAST, dict(readout=fl.Readout([[1.0, 2.0]])), ValueError, "readout reads vectors of length 2"),
    (LAST, dict(readout=[[1.0]]), TypeError, "readout must be a fastlstm.Readout"),
    (side_by_side(LAST, LAST), dict(alphabet=PAIRS, h0=np.zeros(3)), ValueError, "h0"),
    (LAST, dict(guided=-1), ValueError, "guided"),
    (LAST, dict(guided=2.5), TypeError, "guided"),
])
def test_bad_input_is_named(cell, kwargs, error, match):
    with pytest.raises(error, match=match):
        fl.learn_automaton(cell, **kwargs)
