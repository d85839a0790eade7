"""L*'s queries (fastlstm/automata/queries.py) read from a prefix graph seeded by the exact
extraction's search: every answer is the cell's own output, as ``fl.run`` / ``fl.run_batch``
compute it on the whole word (the oracle of these tests).
"""

import numpy as np

import fastlstm as fl
from fastlstm.automata.cells import stepper_for
from fastlstm.automata.extract import _breadth_first
from fastlstm.automata.queries import EquivalenceTests, Oracle, OutputCodes
from fastlstm.semantics import Semantics


def seeded(cell, readout, symbols, max_states=100, **sem):
    _, stepper, readout = stepper_for(cell, symbols, Semantics(**sem), readout)
    h, c = stepper.start(0.0, 0.0, output=True)
    rows, hs, cs, complete = _breadth_first(stepper.expand, h, c, len(symbols), max_states)
    codes = OutputCodes(stepper.units, readout)
    return stepper, codes, Oracle(stepper, h, c, codes, seed=(rows, hs, cs)), complete


def test_answers_and_tests_are_the_cells_outputs():
    cell, readout = fl.presets.tomita_lstm(3)
    stepper, codes, oracle, complete = seeded(cell, readout, (0, 1))
    assert not complete and len(oracle) == 1   # nothing used yet: the root only
    rng = np.random.default_rng(3)
    # words inside the seed (its 100-odd states reach length 6) and beyond it
    words = [tuple(rng.integers(0, 2, int(L)).tolist()) for L in rng.integers(1, 14, 40)]
    want = [int(readout.label(fl.run(cell, np.array(w, float)[:, None]).h)[-1]) for w in words]
    assert oracle.answer(words) == want
    tests = EquivalenceTests(stepper, codes, oracle, 7, 30, 25, 4, 0)
    runs = fl.run_batch(cell, tests.words.astype(float)[..., None])
    assert (tests.outputs == readout.label(runs.h)).all()
    every = np.array(np.meshgrid(*[[0.0, 1.0]] * 7, indexing="ij")).reshape(7, -1).T
    labels = readout.label(fl.run_batch(cell, every[..., None]).h)   # product order
    for L, level in enumerate(tests.levels, start=1):
        assert (level == labels[::2 ** (7 - L), L - 1]).all(), L


def test_words_that_reach_one_state_share_its_node():
    # Saturated, rounded feedback, c counts the steps (f = i = g = 1), o = [-100 h + 100 x >= 50]:
    # after 1, h = 1, so o = 0 on either next symbol and 10, 11 both reach (h, c) = (0, 2): one
    # node; 0 and 1 reach (0, 1) and (1, 1): two.
    cell = fl.ScalarLSTM(b_f=100, b_i=100, b_c=100, W_oh=-100, W_ox=100, b_o=-50)
    sem = dict(activation="saturated", round_feedback=True)
    _, _, oracle, complete = seeded(cell, None, (0, 1), **sem)
    assert not complete   # c counts the steps: no finite set of states
    one_zero, one_one, zero, one = oracle.nodes([(1, 0), (1, 1), (0,), (1,)])
    assert one_zero == one_one and zero != one
    assert len(oracle) == 4   # the root, 0, 1 and the shared node
    assert oracle.answer([(1, 0), (1, 1)]) == [0, 0]
    assert fl.run(cell, [1, 1], **sem).c.tolist() == fl.run(cell, [1, 0], **sem).c.tolist()
