"""extract_automaton for vector cells (LSTMCell): machines known by construction, readouts, limits.

Expected machines are built by hand: the product of two copies of the hand-derived
parity machine (tests/automata/cells.py), with the output a pair or a readout's
sign of the pair's sum; outputs along random inputs come from the plain oracle
tests/naive.py run on each component; none is copied from the code's output.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import fastlstm as fl

from .. import naive
from .cells import DELAY, DELAY_START, PARITY_OUTPUTS, PARITY_TABLE, SAT_RF, bits, parity_answer

PAIRS = [(0, 0), (0, 1), (1, 0), (1, 1)]
PARITY = fl.presets.parity()


def two_parities():
    """Two independent copies of the parity cell: unit u reads x[u] (block-diagonal weights)."""
    one = fl.LSTMCell.from_scalar(PARITY)
    eye = np.eye(2)
    return fl.LSTMCell(np.kron(one.W_ih, eye), np.kron(one.W_hh, eye), np.repeat(one.b_ih, 2))


def product_machine(output):
    """The product of two hand-derived parity machines on PAIRS, output ``output(o0, o1)``."""
    states = list(itertools.product(range(3), repeat=2))
    table = [[states.index((PARITY_TABLE[p][a], PARITY_TABLE[q][b])) for a, b in PAIRS]
             for p, q in states]
    outputs = [output(PARITY_OUTPUTS[p], PARITY_OUTPUTS[q]) for p, q in states]
    return fl.MooreMachine(table, outputs, PAIRS, states.index((0, 0)))


def same_minimal(a, b):
    """Equivalent machines minimise to identical arrays (canonical numbering)."""
    a, b = a.minimize(), b.minimize()
    return (a.alphabet == b.alphabet and a.transitions.tolist() == b.transitions.tolist()
            and a.outputs.tolist() == b.outputs.tolist())


# --------------------------------------------------------------------------- #
# n = m = 1: the machine of the ScalarLSTM
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("cell, kwargs", [
    (PARITY, SAT_RF),
    (PARITY, dict(activation="exact")),
    (DELAY, dict(**SAT_RF, **DELAY_START)),
])
def test_one_unit_cell_gives_the_machine_of_its_scalar_cell(cell, kwargs):
    scalar = fl.extract_automaton(cell, **kwargs)
    vector = fl.extract_automaton(fl.LSTMCell.from_scalar(cell), **kwargs)
    assert vector.alphabet == scalar.alphabet and vector.start == scalar.start
    assert vector.transitions.tolist() == scalar.transitions.tolist()
    assert vector.outputs.tolist() == scalar.outputs.tolist()
    assert bits(vector.h).tolist() == bits(scalar.h).tolist()
    assert bits(vector.c).tolist() == bits(scalar.c).tolist()
    assert vector.describe() == scalar.describe()


# --------------------------------------------------------------------------- #
# two parity cells side by side
# --------------------------------------------------------------------------- #

def test_two_parities_is_the_product_of_two_parity_machines():
    m = fl.extract_automaton(two_parities(), PAIRS, **SAT_RF)
    assert same_minimal(m, product_machine(lambda a, b: (a, b)))
    assert m.minimize().n_states == 9 and m.outputs.shape == (len(m), 2)
    # Each unit runs its own scalar machine: the (h, c) states are exactly the
    # pairs of the 5 states of the scalar parity machine (all pairs reachable).
    scalar = fl.extract_automaton(PARITY, **SAT_RF)
    one = {(h, c) for h, c in zip(bits(scalar.h).tolist(), bits(scalar.c).tolist())}
    found = {tuple(zip(h, c)) for h, c in zip(bits(m.h).tolist(), bits(m.c).tolist())}
    assert len(m) == 25 and found == set(itertools.product(one, repeat=2))
    # The start state is (h0, c0) = 0 and its output the rounded h0.
    assert m.h[0].tolist() == [0.0, 0.0] and m.output_keys()[0] == (0, 0)


def test_two_parities_machine_runs_like_the_oracle_on_each_component():
    m = fl.extract_automaton(two_parities(), PAIRS, **SAT_RF)
    x = np.random.default_rng(1).integers(0, 2, (200, 2))
    expected = np.stack([naive.run(PARITY, x[:, u].tolist(), **SAT_RF)["rounded"]
                         for u in range(2)], axis=1)
    assert m.run(x).tolist() == expected.tolist()
    tr = m.trajectory(x)
    ref = fl.run(two_parities(), x, **SAT_RF)
    assert bits(tr.h).tolist() == bits(ref.h).tolist()
    assert bits(tr.c).tolist() == bits(ref.c).tolist()
    batch = m.trajectory(np.stack([x, x[::-1]]))
    assert bits(batch.h[1]).tolist() == bits(fl.run(two_parities(), x[::-1], **SAT_RF).h).tolist()
    record = m.trajectory(x, record="states")      # h and c looked up from the state numbers
    assert isinstance(record, type(tr)) and record.states.shape == (200,)
    assert (bits(record.h) == bits(ref.h)).all() and (bits(record.c) == bits(ref.c)).all()
    with pytest.raises(ValueError, match="out is for record='values' of a one-unit machine"):
        m.trajectory(x, out=(np.empty(ref.h.shape), np.empty(ref.h.shape)))


def test_one_unit_reading_two_inputs_has_number_outputs_and_vector_symbols():
    # The parity cell reading only x[0] of a pair (W_ih's second column is zero):
    # the parity machine of the first component, outputs and h numbers.
    one = fl.LSTMCell.from_scalar(PARITY)
    cell = fl.LSTMCell(np.hstack([one.W_ih, np.zeros((4, 1))]), one.W_hh, one.b_ih)
    m = fl.extract_automaton(cell, PAIRS, **SAT_RF)
    first = [[PARITY_TABLE[s][a] for a, _ in PAIRS] for s in range(3)]
    assert same_minimal(m, fl.MooreMachine(first, PARITY_OUTPUTS, PAIRS))
    assert m.outputs.ndim == 1 and m.h.ndim == 1
    x = np.random.default_rng(2).integers(0, 2, (50, 2))
    assert m.run(x).tolist() == naive.run(PARITY, x[:, 0].tolist(), **SAT_RF)["rounded"]
    tr, ref = m.trajectory(x), fl.run(cell, x, **SAT_RF)
    assert bits(tr.h).tolist() == bits(ref.h[:, 0]).tolist()
    assert bits(tr.c).tolist() == bits(ref.c[:, 0]).tolist()


def test_readout_label_of_the_sum_is_the_product_machine_with_summed_output():
    # y = h_0 + h_1, label = sign(y): the sum of the two answers' signs.
    readout = fl.Readout([[1.0, 1.0]])
    m = fl.extract_automaton(two_parities(), PAIRS, readout=readout, **SAT_RF)
    expected = product_machine(lambda a, b: int(np.sign(a + b)))
    assert same_minimal(m, expected) and m.outputs.ndim == 1
    assert m.minimize().n_states == 7   # (odd, even) and (even, odd) behave alike, and so on
    assert "readout's label" in m.describe()


def test_readout_argmax_labels():
    # Labels 5 when unit 0's h is the larger, 7 otherwise (ties: the first, 5).
    readout = fl.Readout([[1.0, 0.0], [0.0, 1.0]], labels=(5, 7))
    m = fl.extract_automaton(two_parities(), PAIRS, readout=readout, **SAT_RF)
    assert same_minimal(m, product_machine(lambda a, b: 5 if a >= b else 7))


def test_readout_on_a_scalar_cell():
    # y = -h: the parity machine with its outputs negated (0, -1, +1).
    m = fl.extract_automaton(PARITY, readout=fl.Readout([[-1.0]]), **SAT_RF)
    assert same_minimal(m, fl.MooreMachine(PARITY_TABLE, [-v for v in PARITY_OUTPUTS]))
    with pytest.raises(ValueError, match="readout reads vectors of length 2 but the cell has "
                                         "hidden_size 1"):
        fl.extract_automaton(PARITY, readout=fl.Readout([[1.0, 1.0]]))


def test_quantized_vector_machine_is_marked_approximate():
    # Exact activations, raw feedback: rounding h and c to 6 decimals after every
    # step is an approximation; here it keeps the two parity behaviours (as the
    # comparison with the hand-built product shows), but the machine is marked
    # approximate and no longer stands in for a run.
    m = fl.extract_automaton(two_parities(), PAIRS, quantize=6)
    assert not m.exact and same_minimal(m, product_machine(lambda a, b: (a, b)))
    with pytest.raises(ValueError, match="quantize=6"):
        m.trajectory([(0, 1)])


def test_vector_outputs_in_regex_describe_and_pictures():
    m = fl.extract_automaton(two_parities(), PAIRS, **SAT_RF).minimize()
    # Output (1, -1): an odd run of ones ends the first component and an even
    # run the second.  With chars a b c d for (0,0) (0,1) (1,0) (1,1):
    pattern = m.regex((1, -1), chars="abcd")
    first = {"a": 0, "b": 0, "c": 1, "d": 1}
    second = {"a": 0, "b": 1, "c": 0, "d": 1}
    for word in itertools.product("abcd", repeat=4):
        s = "".join(word)
        runs = [naive_answer([f[ch] for ch in s]) for f in (first, second)]
        assert bool(re.fullmatch(pattern, s)) == (runs == [1, -1]), s
    assert m.regex((5, 5), chars="abcd") == "(?!)"
    with pytest.raises(TypeError, match="vector of 2 ints"):
        m.regex(1, chars="abcd")
    text = m.describe()
    assert "x=(0, 1)" in text and "(1, -1)" in text
    assert "(Regexes not printed for 9 states; call .regex(value, chars=...).)" in text
    # Up to 8 states the regexes are printed, a letter per vector symbol.
    summed = fl.extract_automaton(two_parities(), PAIRS, readout=fl.Readout([[1.0, 1.0]]),
                                  **SAT_RF).minimize()
    text = summed.describe()
    assert "a = (0, 0), b = (0, 1), c = (1, 0), d = (1, 1)):" in text
    assert f"  v = -1: {summed.regex(-1, chars='abcd')}" in text
    assert 'label="q0/(0, 0)"' in m.to_dot() and "(1, 1)" in m.to_dot()
    assert "{-1}" in m.to_latex()


def test_describe_gives_longer_symbols_letters_with_a_legend():
    # Symbols 0, 0.5, 1 read as a, b, c; each printed regex must match exactly the
    # strings after which the plain oracle's rounded h is v.
    alphabet = (0, 0.5, 1)
    m = fl.extract_automaton(PARITY, alphabet, **SAT_RF)
    lines = m.minimize().describe().splitlines()
    assert "(re.fullmatch, one character per symbol: a = 0, b = 0.5, c = 1):" in lines[-4]
    regexes = {int(line.split(":")[0].split("=")[1]): line.split(": ", 1)[1]
               for line in lines[-3:]}
    assert set(regexes) == {1, 0, -1}
    for n in range(1, 6):
        for word in itertools.product(range(3), repeat=n):
            last = naive.run(PARITY, [alphabet[a] for a in word], **SAT_RF)["rounded"][-1]
            s = "".join("abc"[a] for a in word)
            assert {v for v, r in regexes.items() if re.fullmatch(r, s)} == {last}, s


def naive_answer(bits_):
    run = 0
    for b in bits_:
        run = run + 1 if b == 1 else 0
    return 0 if run == 0 else (1 if run % 2 else -1)


def test_start_state_from_vector_h0_c0():
    # Start in (odd, none): unit 0 holds (h, c) = (1, 1), unit 1 (0, 0).
    m = fl.extract_automaton(two_parities(), PAIRS, h0=[1.0, 0.0], c0=[1.0, 0.0], **SAT_RF)
    assert m.output_keys()[m.start] == (1, 0)
    assert m.run([(1, 1)]).tolist() == [[-1, 1]]   # unit 0: odd -> even run; unit 1: odd


# --------------------------------------------------------------------------- #
# refusals and bad input
# --------------------------------------------------------------------------- #

def test_counting_vector_cell_is_refused_with_the_message():
    # f = i = g = o = 1 on both units: c_t = c_{t-1} + 1 never repeats.
    cell = fl.LSTMCell(np.zeros((8, 2)), np.zeros((8, 2)), np.full(8, 100.0))
    with pytest.raises(ValueError, match=r"\(h0, c0\) = \(\(0.0, 0.0\), \(0.0, 0.0\)\) are not "
                                         r"finite within max_states=20"):
        fl.extract_automaton(cell, PAIRS, max_states=20, **SAT_RF)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(alphabet=(0, 1)), ValueError, r"vectors of length 2 \(tuples"),
    (dict(alphabet=[(0, 1, 0)]), ValueError, "vectors of length 2 .* got length 3"),
    (dict(alphabet=[(0, 1), (1,)]), ValueError, "vectors of one length"),
    (dict(alphabet=[(0, 1), 1]), TypeError, "numbers or vectors, not both"),
    (dict(alphabet=[(0, float("nan"))]), ValueError, "finite"),
    (dict(alphabet=[(0, "a")]), TypeError, "vectors of real numbers"),
    (dict(alphabet=[(0, 1), (0.0, 1.0)]), ValueError, "distinct"),
    (dict(readout=fl.Readout([[1.0, 1.0, 1.0]])), ValueError, "readout reads vectors of length 3"),
    (dict(readout="sign"), TypeError, "readout must be a fastlstm.Readout"),
    (dict(h0=[0.0, 0.0, 0.0]), ValueError, "h0"),
    (dict(c0=[0.0, float("inf")]), ValueError, "c0"),
    (dict(h0=[0.0, 1e19]), ValueError, r"h0\[1\]"),
])
def test_bad_input_is_refused_naming_it(kwargs, error, match):
    kwargs = {"alphabet": PAIRS, **kwargs}
    with pytest.raises(error, match=match):
        fl.extract_automaton(two_parities(), **kwargs)


def test_overflowing_preactivations_are_refused_naming_the_alphabet():
    # |W_ih| * max|x| = 1e308 * 2 exceeds float64's range: refused before any step.
    cell = fl.LSTMCell(np.full((8, 1), 1e308), np.full((8, 2), 1.0))
    for call in (lambda: fl.extract_automaton(cell, (-2, 2)),
                 lambda: fl.verify(cell, lambda p: (0, 0), 2, (-2, 2))):
        with pytest.raises(ValueError, match=r"can overflow float64: .*max\|alphabet\|"):
            call()
    assert fl.verify(cell, lambda p: (0, 0), 1, (-0.5, 0.5)).checked >= 1   # 0.5e308 + 2: fine


def test_vector_alphabet_for_a_scalar_cell_is_refused():
    with pytest.raises(ValueError, match="numbers for a ScalarLSTM"):
        fl.extract_automaton(PARITY, PAIRS)


def test_machine_with_vector_symbols_refuses_unknown_inputs():
    m = fl.extract_automaton(two_parities(), PAIRS, **SAT_RF)
    with pytest.raises(ValueError, match=r"x\[1\] = \(2.0, 0.0\) is not in the alphabet"):
        m.run([(0, 1), (2, 0)])
    with pytest.raises(ValueError, match=r"x must have shape \(T, 2\) \(one vector symbol"):
        m.run([0, 1])
    with pytest.raises(ValueError, match=r"x must have shape \(T, 2\) or \(B, T, 2\)"):
        m.trajectory([[(0, 1, 1)]])
    assert m.step(0, (1, 1)) == m.step(0, [1.0, 1.0])


# --------------------------------------------------------------------------- #
# the trained network shipped with the package (written by examples/train_parity.py)
# --------------------------------------------------------------------------- #

TRAINED = fl.presets.weights_file("parity_lstm")


def test_trained_parity_network_is_the_odd_run_parity_machine():
    # A 3-unit nn.LSTM and an nn.Linear(3, 3) readout (labels -1, 0, +1), trained on
    # the exercise; under saturated semantics with rounded feedback its states are
    # finite, and its labels must be the hand-derived 3-state parity machine's.
    # The start state carries the label of h0 = 0, i.e. labels[argmax(bias)], which
    # no non-empty input reports: the hand-built machine gets a start state of its
    # own with that output, leading on 0 to "after a zero" (q1) and on 1 to "odd" (q2).
    cell, readout = fl.load_weights(TRAINED)
    m = fl.extract_automaton(cell, readout=readout, **SAT_RF)
    start_label = readout.labels[int(np.argmax(readout.bias))]
    parity = [[1, 2], [1, 2], [1, 3], [1, 2]]   # start, after a zero, odd, even
    assert same_minimal(m, fl.MooreMachine(parity, [start_label, 0, 1, -1]))
    assert fl.verify(cell, parity_answer, 10, readout=readout, **SAT_RF).holds
    text = m.minimize().describe()
    assert "label(h_t) carries exactly whether the run of 1s ending at t has odd length" in text
