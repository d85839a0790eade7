"""The shipped Tomita networks: the machine ``learn_automaton`` learns, against the grammar.

Each grammar's minimal DFA is written here by hand from its definition (not
from ``examples/tomita.py``'s membership functions):

1. ``1*``; 2. ``(10)*``; 3. no odd run of 1s followed later by an odd run of
0s; 4. no ``000``; 5. even numbers of 0s and of 1s; 6. #0 - #1 = 0 mod 3;
7. ``0*1*0*1*``.

A learned machine is compared with its grammar's DFA state by state (a
breadth-first walk of the product, which finds a shortest string where the
two disagree, or proves them bisimilar: same outputs on every string).
"""

import collections
import itertools

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.vector import run_batch_vector

# (transitions[state] = (on 0, on 1), accepting states); start state 0.
DFAS = {
    # q0 only ones so far; q1 dead
    1: (((1, 0), (1, 1)), {0}),
    # q0 a whole number of "10"; q1 after a "1"; q2 dead
    2: (((2, 1), (0, 2), (2, 2)), {0}),
    # q0 no odd 1-run yet, not in an odd 1-run; q1 no odd 1-run before, in an odd 1-run;
    # q2 an odd 1-run seen, not in an odd 0-run; q3 an odd 1-run seen, in an odd 0-run; q4 dead
    3: (((0, 1), (3, 0), (3, 2), (2, 4), (4, 4)), {0, 1, 2}),
    # q_j: j trailing zeros (j < 3); q3 dead
    4: (((1, 0), (2, 0), (3, 0), (3, 3)), {0, 1, 2}),
    # state = (#0 mod 2) + 2 (#1 mod 2)
    5: (((1, 2), (0, 3), (3, 0), (2, 1)), {0}),
    # state = (#0 - #1) mod 3
    6: (((1, 2), (2, 0), (0, 1)), {0}),
    # q0 in 0*; q1 in the first 1*; q2 in the second 0*; q3 in the second 1*; q4 dead
    7: (((0, 1), (2, 1), (2, 3), (4, 3), (4, 4)), {0, 1, 2, 3}),
}
#: The networks whose learned machine docs/learning.md reports bisimilar to the grammar's DFA.
BISIMILAR = {1, 2, 3, 4, 5, 6, 7}
#: The sizes of the minimal DFAs, as the literature lists them (sink state included).
MINIMAL_STATES = {1: 2, 2: 3, 3: 5, 4: 4, 5: 4, 6: 3, 7: 5}


def dfa_accepts(k, word):
    delta, accept = DFAS[k]
    q = 0
    for s in word:
        q = delta[q][s]
    return q in accept


def shortest_difference(k, machine):
    """A shortest word where ``machine`` (Moore, outputs 0/1) and grammar k's DFA differ, or None."""
    delta, accept = DFAS[k]
    start = (machine.start, 0)
    seen = {start: ()}
    queue = collections.deque([start])
    while queue:
        p, q = queue.popleft()
        if int(machine.outputs[p]) != int(q in accept):
            return seen[(p, q)]
        for s in (0, 1):
            nxt = (machine.step(p, s), delta[q][s])
            if nxt not in seen:
                seen[nxt] = seen[(p, q)] + (s,)
                queue.append(nxt)
    return None


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
    m = fl.learn_automaton(cell, (0, 1), readout=readout)
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
    m = fl.learn_automaton(cell, (0, 1), readout=readout)
    w = shortest_difference(7, m)
    assert w == (0, 0, 0)
    assert readout.label(fl.run(cell, [0, 0, 0]).h).tolist() == [1, 1, 0]
    assert dfa_accepts(7, w)
