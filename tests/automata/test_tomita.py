"""The shipped Tomita networks: the machine ``learn_automaton`` learns, against the grammar.

Each grammar's minimal DFA is written by hand from its definition in
``examples/tomita_dfas.py`` (not from ``examples/tomita.py``'s membership
functions, which the DFAs are checked against here):

1. ``1*``; 2. ``(10)*``; 3. no odd run of 1s followed later by an odd run of
0s; 4. no ``000``; 5. even numbers of 0s and of 1s; 6. #0 - #1 = 0 mod 3;
7. ``0*1*0*1*``.

A learned machine is compared with its grammar's DFA state by state (a
breadth-first walk of the product, which finds a shortest string where the
two disagree, or proves them bisimilar: same outputs on every string).
"""

import functools
import importlib.util
import itertools
import os
import pathlib
from unittest import mock

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.vector import run_batch_vector

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load(path, name):
    """A script of examples/ or docs/ as a module (neither folder is a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / path)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ):  # examples/tomita.py pins torch's CPU path there
        spec.loader.exec_module(module)
    return module


# The one copy of the hand-built DFAs, shared with docs/tomita_machines.py:
# (transitions[state] = (on 0, on 1), accepting states); start state 0.
tomita_dfas = _load("examples/tomita_dfas.py", "examples_tomita_dfas")
DFAS, MINIMAL_STATES = tomita_dfas.DFAS, tomita_dfas.MINIMAL_STATES
dfa_accepts = tomita_dfas.accepts
#: The networks whose learned machine docs/learning.md reports bisimilar to the grammar's DFA.
BISIMILAR = {1, 2, 3, 4, 5, 6, 7}


def shortest_difference(k, machine):
    """A shortest word where ``machine`` (Moore, outputs 0/1) and grammar k's DFA differ, or None."""
    return tomita_dfas.compare(k, machine)[1]


@functools.cache
def learned(k):
    """The machine ``learn_automaton`` learns for network k at default settings (once a file:
    two tests read the Tomita 4 network's)."""
    cell, readout = fl.presets.tomita_lstm(k)
    return fl.learn_automaton(cell, (0, 1), readout=readout)


def network_labels(cell, readout, length):
    """Labels after every prefix of every 0/1 string of ``length``: (strings, labels)."""
    X = np.array(list(itertools.product((0, 1), repeat=length)), dtype=np.float64)
    return X, readout.label(run_batch_vector(cell, X).h)


def test_hand_dfas_are_minimal_and_match_definitions():
    # Minimal: every pair of states is separated by some suffix of length <= 4.
    words = [w for n in range(5) for w in itertools.product((0, 1), repeat=n)]
    for k, (delta, accept) in DFAS.items():
        assert len(delta) == MINIMAL_STATES[k]
        signatures = set()
        for q in range(len(delta)):
            sig = []
            for w in words:
                r = q
                for s in w:
                    r = delta[r][s]
                sig.append(r in accept)
            signatures.add(tuple(sig))
        assert len(signatures) == len(delta), k
    # Spot checks from the definitions.
    assert dfa_accepts(1, ()) and dfa_accepts(1, (1, 1)) and not dfa_accepts(1, (1, 0, 1))
    assert dfa_accepts(2, (1, 0, 1, 0)) and not dfa_accepts(2, (1, 0, 1))
    assert not dfa_accepts(3, (1, 0)) and dfa_accepts(3, (1, 0, 0))
    assert not dfa_accepts(3, (1, 1, 1, 0, 0, 1, 0, 1)) and dfa_accepts(3, (1, 1, 0, 1, 1, 0))
    assert dfa_accepts(4, (0, 0, 1, 0, 0)) and not dfa_accepts(4, (1, 0, 0, 0, 1))
    assert dfa_accepts(5, (0, 1, 1, 0)) and not dfa_accepts(5, (0, 1, 1))
    assert dfa_accepts(6, (0, 0, 0)) and dfa_accepts(6, (0, 1)) and not dfa_accepts(6, (0, 0))
    assert dfa_accepts(7, (0, 1, 1, 0, 1)) and not dfa_accepts(7, (1, 0, 1, 0))


@pytest.mark.parametrize("k", fl.presets.TOMITA)
def test_learned_machine_of_tomita_network(k):
    cell, readout = fl.presets.tomita_lstm(k)
    assert (cell.hidden_size, cell.input_size, readout.labels) == (8, 1, (0, 1))
    m = learned(k)
    assert not m.provenance.proved  # the boxes of (h, c) do not close (docs/learning.md)
    # The learned machine is the network's on every string up to length 8 (all prefixes).
    X, labels = network_labels(cell, readout, 8)
    assert int(m.outputs[m.start]) == int(readout.label(np.zeros(cell.hidden_size)))
    for x, y in zip(X, labels):
        assert m.run(x).tolist() == y.tolist()
    # Against the grammar: bisimilar, or a shortest word on which the network is wrong.
    w = shortest_difference(k, m)
    assert (w is None) == (k in BISIMILAR), (k, w)
    if w is None:
        assert len(m) == MINIMAL_STATES[k]
        # then the network is right on every string up to length 8 as well
        want = [[dfa_accepts(k, x[:t + 1].astype(int)) for t in range(8)] for x in X]
        assert (labels == np.array(want)).all()
    else:
        got = readout.label(fl.run(cell, np.array(w, dtype=np.float64)).h)[-1] if w else \
            readout.label(np.zeros(cell.hidden_size))
        assert int(got) != int(dfa_accepts(k, w)), (k, w)


def test_tomita_lstm_refuses_what_is_not_a_grammar():
    for k in (0, 8, -1):
        with pytest.raises(ValueError, match="k must be one of the Tomita grammars"):
            fl.presets.tomita_lstm(k)
    for k in ("3", 3.0, True, None):
        with pytest.raises(TypeError, match="k must be an int"):
            fl.presets.tomita_lstm(k)
    assert fl.presets.tomita_lstm(np.int64(2)) == fl.presets.tomita_lstm(2)
    assert fl.presets.weights_file("tomita2_lstm").name == "tomita2_lstm.npz"


def test_a_wrong_network_gives_a_shortest_counterexample():
    # The Tomita 4 network (no 000) read as a network for Tomita 7 (0*1*0*1*): every string
    # of length <= 2 is in both; of length 3, only 000 is in one (7) and not the other (4).
    cell, readout = fl.presets.tomita_lstm(4)
    m = learned(4)
    w = shortest_difference(7, m)
    assert w == (0, 0, 0)
    assert readout.label(fl.run(cell, [0, 0, 0]).h).tolist() == [1, 1, 0]
    assert dfa_accepts(7, w)


# Strings on which docs/learning.md reports a network wrong (docs/tomita_machines.py found
# them): each is outside its grammar by the definition (checked by hand in the comments).
WRONG = {
    # 1-runs 2, 2, 2, 1, 1, 1: the odd run 1 before 0^2 1 0^3 is followed by the odd run 0^3
    3: "0" + "11" + "0" * 5 + "11" + "00" + "11" + "000" + "1" + "00" + "1" + "000" + "1" + "00",
    # contains 000
    4: "11" + "00" + "11" + "000" + "1" * 25,
    # four runs starting with 1: not 0*1*0*1*
    7: "11" + "0" * 14 + "10",
}


def test_one_copy_of_the_dfas_for_tests_and_pictures():
    script = _load("docs/tomita_machines.py", "docs_tomita_machines")
    assert pathlib.Path(script.tomita_dfas.__file__) == ROOT / "examples" / "tomita_dfas.py"
    assert script.tomita_dfas.DFAS == DFAS
    assert "DFAS = " not in (ROOT / "docs" / "tomita_machines.py").read_text()
    words = [w for n in range(9) for w in itertools.product((0, 1), repeat=n)]
    for k in DFAS:
        m = script.dfa_machine(k)
        for w in words:
            assert int(m.outputs[m.start] if not w else m.run(w)[-1]) == dfa_accepts(k, w)


def test_dfas_agree_with_the_definitions_of_examples_tomita():
    grammars = _load("examples/tomita.py", "examples_tomita").GRAMMARS
    rng = np.random.default_rng(5)
    words = [w for n in range(11) for w in itertools.product((0, 1), repeat=n)]
    words += [tuple(rng.integers(0, 2, 200)) for _ in range(100)]
    for k, grammar in grammars.items():
        for w in words:
            assert dfa_accepts(k, w) == grammar("".join(map(str, w))), (k, w)


@pytest.mark.parametrize("k", sorted(WRONG))
def test_networks_wrong_on_long_strings(k):
    grammar = _load("examples/tomita.py", "examples_tomita").GRAMMARS[k]
    cell, readout = fl.presets.tomita_lstm(k)
    w = WRONG[k]
    assert not grammar(w) and not dfa_accepts(k, [int(s) for s in w])
    assert readout.label(fl.run(cell, [float(s) for s in w]).h)[-1] == 1


def tree_labels(cell, readout, length):
    """Labels of every 0/1 string of length 1 .. ``length``, level by level: level t
    (t = 1 .. length) holds the 2**t strings of length t in product order (each string's
    state stepped once from its parent's, with ``run_batch_vector`` from per-row states,
    so 2**(length + 1) steps in all instead of length * 2**length)."""
    n = cell.hidden_size
    h, c, levels = np.zeros((1, n)), np.zeros((1, n)), []
    for _ in range(length):
        x = np.tile([0.0, 1.0], h.shape[0]).reshape(-1, 1, 1)   # parent-major, symbol-minor
        run = run_batch_vector(cell, x, h0=np.repeat(h, 2, axis=0), c0=np.repeat(c, 2, axis=0))
        h, c = run.h[:, 0], run.c[:, 0]
        levels.append(readout.label(h))
    return levels


def test_tomita7_counterexample_is_a_shortest_one():
    # An independent brute force: every string of length 1 to 17 run on the network, against
    # the DFA: none is labelled wrong.
    cell, readout = fl.presets.tomita_lstm(7)
    levels = tree_labels(cell, readout, 17)
    X, labels = network_labels(cell, readout, 6)   # the level walk agrees with whole runs
    for t in range(6):
        assert (levels[t] == labels[::2 ** (5 - t), t]).all(), t
    for i in range(0, 2 ** 17, 997):   # the DFA labels, spot-checked string by string
        assert levels[16][i] == dfa_accepts(7, [int(b) for b in f"{i:017b}"])
    delta, accept = DFAS[7]
    q = np.zeros(1, dtype=np.int64)
    for t in range(17):
        q = np.array(delta)[q].reshape(-1)   # every child, in product order
        assert (levels[t] == np.isin(q, list(accept))).all(), t


def test_picture_search_finds_a_planted_shortest_counterexample():
    # The Tomita 4 network read against grammar 7: the shortest string where they differ is
    # 000 (derived in test_a_wrong_network_gives_a_shortest_counterexample).
    script = _load("docs/tomita_machines.py", "docs_tomita_machines")
    cell, readout = fl.presets.tomita_lstm(4)
    assert script.exhaustive(7, cell, readout, depth=6, chunk=4) == "000"
    assert script.exhaustive(4, cell, readout, depth=8) is None
    assert script.runs_notation(WRONG[7]) == "1^2 0^14 1 0"
