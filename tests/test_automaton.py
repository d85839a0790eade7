"""Extraction, minimisation, the compiled runner, regexes, pictures and descriptions.

Expected machines are derived by hand in the comments (the saturated rule
of docs/semantics.md makes every gate 0, 1/2, 1, -1 or 0 exactly), or from the plain oracle
tests/naive.py; none is copied from the code's output.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import fastlstm as fl
from . import naive

SAT_RF = dict(activation="saturated", round_feedback=True)


def strings(max_len, alphabet=(0, 1), min_len=1):
    for n in range(min_len, max_len + 1):
        yield from itertools.product(alphabet, repeat=n)


def bits(a):
    """float64 values as their bit patterns (so -0.0 != 0.0 and equality is exact)."""
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64)


def ends_in_odd_run_of_ones(s):
    run = len(s) - len(s.rstrip("1"))
    return run % 2 == 1


def parity_answer(prefix):
    """The worked example's answer: +1 odd run of ones, -1 even, 0 after a zero."""
    run = 0
    for x in prefix:
        run = run + 1 if x == 1 else 0
    return 0 if run == 0 else (1 if run % 2 else -1)


# Minimal parity machine, numbered breadth-first from the start (0 before 1):
# q0 "no trailing 1" (output 0), q1 "odd run" (+1), q2 "even run" (-1).
PARITY_TABLE = [[0, 1], [0, 2], [0, 1]]
PARITY_OUTPUTS = [0, 1, -1]

# A cell that echoes the previous input: h_t = x_{t-1} (x_{-1} = 0).
#   f = 1 (b_f = 100), i = sigmoid(0) = 1/2, o = 1 after a 0 and sigmoid(1/2)
#   after a 1, g = tanh(100 (x_t - h_{t-1})) in {-1, 0, 1}; with h_{t-1} = x_{t-2}
#   this keeps c_t = 3/4 + (s(x_t) + s(x_{t-1}))/4, s(0) = -1, s(1) = 1, so
#   c in {1/4, 3/4, 5/4} (exact in binary) and rounded o tanh(c) = x_{t-1}.
DELAY = fl.ScalarLSTM(b_f=100.0, W_ox=-99.5, b_o=100.0, W_ch=-100.0, W_cx=100.0)
DELAY_START = dict(c0=0.25)
# A cell that latches the first 1: f = 0, i = o = 1, g = +1 once x = 1 or
# h = 1 (W_ch h + 300 x - 50), else -1; so h = -1 until the first 1, then +1.
LATCH = fl.ScalarLSTM(b_f=-100.0, b_i=100.0, b_o=100.0, W_ch=100.0, W_cx=300.0, b_c=-50.0)
# A cell that echoes the current input: h_t = +1 if x_t = 1 else -1.
ECHO = fl.ScalarLSTM(b_f=-100.0, b_i=100.0, b_o=100.0, W_cx=200.0, b_c=-100.0)


# --------------------------------------------------------------------------- #
# the parity cell
# --------------------------------------------------------------------------- #

def test_parity_saturated_states_by_hand():
    # Saturated, closed boundary, rounded feedback; (h, c) -> successors:
    #   S = (0, 0):   0: f=0,i=1,o=1/2, g=tanh(0)=0 -> c = 0, h = 0      -> S
    #                 1: g = 1, o = 1 -> c = 1, h = 1                     -> A
    #   A = (1, 1):   0: g=-1 -> c=-1, h = round(-1/2) = -0.0             -> C
    #                 1: g=-1 -> c=-1, h=-1                               -> B
    #   B = (-1, -1): 0: g=1 -> c = 1, h = round(1/2) = 0                 -> D
    #                 1: g=1 -> A
    #   C = (-0, -1), D = (0, 1): 0 -> S (0 * c + 0 = +0), 1 -> A
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    S, A, B, C, D = (0.0, 0.0), (1.0, 1.0), (-1.0, -1.0), (-0.0, -1.0), (0.0, 1.0)
    expected = {S: (S, A, 0), A: (C, B, 1), B: (D, A, -1), C: (S, A, 0), D: (S, A, 0)}
    key = {tuple(bits([h, c])): s for s, (h, c) in enumerate(zip(m.h, m.c))}
    assert len(m) == 5 and set(key) == {tuple(bits(k)) for k in expected}
    for state, (on0, on1, out) in expected.items():
        s = key[tuple(bits(state))]
        assert m.transitions[s].tolist() == [key[tuple(bits(on0))], key[tuple(bits(on1))]]
        assert m.outputs[s] == out
    assert m.start == 0 and (m.h[0], m.c[0]) == (0.0, 0.0)


@pytest.mark.parametrize("semantics", [
    dict(activation="saturated", round_feedback=True),
    dict(activation="exact", round_feedback=True),
    dict(activation="exact"),
    dict(activation="saturated", inclusive=False),
])
def test_parity_minimal_machine_has_three_states(semantics):
    m = fl.extract_automaton(fl.presets.parity(), **semantics).minimize()
    assert m.transitions.tolist() == PARITY_TABLE
    assert m.outputs.tolist() == PARITY_OUTPUTS
    assert m.states == (0, 1, 2) and m.start == 0


def test_parity_literal_saturated_rule_is_not_parity():
    # Closed boundary, raw feedback: after 1 1 0 the raw h = 1/2 puts the next
    # candidate pre-activation at exactly 0 (the worked example, docs/semantics.md), so the
    # machine differs.
    m = fl.extract_automaton(fl.presets.parity(), activation="saturated").minimize()
    assert len(m) > 3
    assert m.run([1, 1, 0, 1, 1]).tolist() == [1, -1, 0, 0, 1]


def test_parity_regex_is_odd_trailing_run():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    pattern = m.regex(1)
    assert pattern == "(?:[01]*0)?1(?:11)*"
    for s in strings(10):
        text = "".join(map(str, s))
        assert bool(re.fullmatch(pattern, text)) == ends_in_odd_run_of_ones(text), text


def test_parity_regexes_partition_all_strings():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    patterns = {v: re.compile(m.regex(v)) for v in (1, 0, -1)}
    for s in strings(9):
        text = "".join(map(str, s))
        matched = [v for v, p in patterns.items() if p.fullmatch(text)]
        assert matched == [parity_answer(s)], text
    assert not any(p.fullmatch("") for p in patterns.values())


def test_parity_describe_answers_the_worked_example():
    text = fl.extract_automaton(fl.presets.parity(), **SAT_RF).minimize().describe()
    assert "3 states (minimal, from 5)" in text
    assert "carries exactly whether the run of 1s ending at t has odd length" in text
    assert "rounded h_t = 1 when the run of 1s ending at t has odd length" in text
    assert "rounded h_t = -1 when the run of 1s ending at t has even length" in text
    assert "rounded h_t = 0 when x_t is not 1" in text
    assert "Proved on the machine, for inputs of every length" in text
    assert "v = 1: (?:[01]*0)?1(?:11)*" in text


def test_parity_dot_and_tikz():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF).minimize()
    assert m.to_dot() == "\n".join([
        "digraph moore {", "  rankdir=LR;", "  node [shape=circle];",
        "  start [shape=point];", "  start -> q0;",
        '  q0 [label="q0/0"];', '  q1 [label="q1/1"];', '  q2 [label="q2/-1"];',
        '  q0 -> q0 [label="0"];', '  q0 -> q1 [label="1"];',
        '  q1 -> q0 [label="0"];', '  q1 -> q2 [label="1"];',
        '  q2 -> q0 [label="0"];', '  q2 -> q1 [label="1"];',
        "}"])
    tikz = m.to_latex()
    assert tikz.startswith(r"\begin{tikzpicture}") and tikz.endswith(r"\end{tikzpicture}")
    assert r"\node[state, initial] (q0) at (180:2cm) {$q_{0}/0$};" in tikz
    assert r"\node[state] (q2) at (-60:2cm) {$q_{2}/{-1}$};" in tikz
    assert r"\path (q1) edge [bend left=20] node {$1$} (q2);" in tikz   # q1 <-> q2 both ways
    assert r"\path (q0) edge [bend left=20] node {$1$} (q1);" in tikz
    assert r"edge [out=200, in=160, loop] node {$0$} (q0);" in tikz
    assert tikz.count(r"\path") == 6


# --------------------------------------------------------------------------- #
# hand-built cells with known machines
# --------------------------------------------------------------------------- #

def test_delay_cell_echoes_previous_input():
    m = fl.extract_automaton(DELAY, **SAT_RF, **DELAY_START)
    # states (x_{t-1}, c): 00 -> (0, 1/4), 01 -> (0, 3/4), 10 -> (1, 3/4), 11 -> (1, 5/4),
    # numbered breadth-first from the start 00.
    assert m.h.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert m.c.tolist() == [0.25, 0.75, 0.75, 1.25]
    assert m.transitions.tolist() == [[0, 1], [2, 3], [0, 1], [2, 3]]
    assert m.outputs.tolist() == [0, 0, 1, 1]
    assert len(m.minimize()) == 4
    for s in strings(8):
        assert m.run(s).tolist() == [0] + list(s[:-1])
        # the plain oracle agrees (all values here are exact)
        assert naive.run(DELAY, s, **SAT_RF, **DELAY_START)["rounded"] == m.run(s).tolist()
    pattern = m.regex(1)
    for s in strings(8):
        assert bool(re.fullmatch(pattern, "".join(map(str, s)))) == (len(s) >= 2 and s[-2] == 1)
    text = m.describe()
    assert "rounded h_t is a function of the symbol x_{t-1}" in text
    assert "rounded h_t = 1 when x_{t-1} = 1" in text


def test_latch_cell_latches_first_one():
    m = fl.extract_automaton(LATCH, **SAT_RF)
    # start (0, 0) output 0; "no 1 yet" (-1, -1); "seen a 1" (1, 1), absorbing.
    assert m.h.tolist() == [0.0, -1.0, 1.0] and m.c.tolist() == [0.0, -1.0, 1.0]
    assert m.transitions.tolist() == [[1, 2], [1, 2], [2, 2]]
    assert m.outputs.tolist() == [0, -1, 1]
    for s in strings(8):
        seen = list(itertools.accumulate(x == 1 for x in s))
        assert m.run(s).tolist() == [1 if y else -1 for y in seen]
    assert m.regex(0) == "(?!)"            # no non-empty input leaves h at 0
    assert m.regex(-1) == "0+"
    for s in strings(8):
        assert bool(re.fullmatch(m.regex(1), "".join(map(str, s)))) == (1 in s)
    assert "carries exactly whether x_0 .. x_t contains a 1" in m.describe()


def test_echo_cell():
    m = fl.extract_automaton(ECHO, **SAT_RF).minimize()
    assert m.transitions.tolist() == [[1, 2], [1, 2], [1, 2]]
    assert m.outputs.tolist() == [0, -1, 1]
    assert m.regex(1) == "[01]*1" and m.regex(-1) == "[01]*0"
    assert "carries exactly the symbol x_t" in m.describe()


def test_constant_cell():
    # All parameters 0: f = i = o = 1/2, g = tanh(0) = 0, so c and h stay 0.
    m = fl.extract_automaton(fl.ScalarLSTM())
    assert len(m) == 1 and m.outputs.tolist() == [0]
    assert "rounded h_t = 0 for every input" in m.describe()
    assert m.regex(0) == "[01]+"


# --------------------------------------------------------------------------- #
# the compiled runner
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("cell, semantics, start", [
    (fl.presets.parity(), SAT_RF, {}),
    (fl.presets.parity(), dict(activation="exact", round_feedback=True), {}),
    (fl.presets.parity(), dict(activation="exact"), {}),
    (fl.presets.parity(), dict(activation="saturated"), {}),
    (DELAY, SAT_RF, DELAY_START),
    (LATCH, SAT_RF, {}),
])
def test_trajectory_is_bit_identical_to_run(cell, semantics, start):
    m = fl.extract_automaton(cell, **semantics, **start)
    X = np.array(list(itertools.product((0, 1), repeat=10)), dtype=np.float64)
    ref = fl.run_batch(cell, X, **semantics, **start)
    got = m.trajectory(X)
    assert (bits(got.h) == bits(ref.h)).all() and (bits(got.c) == bits(ref.c)).all()
    assert got.semantics == ref.semantics
    x = np.random.default_rng(1).integers(0, 2, 20_000)
    ref1 = fl.run(cell, x, **semantics, **start)
    got1 = m.trajectory(x)
    assert (bits(got1.h) == bits(ref1.h)).all() and (bits(got1.c) == bits(ref1.c)).all()
    assert (got1.rounded == ref1.rounded).all()
    assert (m.run(x) == ref1.rounded).all() and (m.minimize().run(x) == ref1.rounded).all()


def test_trajectory_keeps_sign_of_zero():
    # After "1 0": h = round(-1/2) = -0.0 (docs/semantics.md: the key writes -0).
    cell = fl.presets.parity()
    tr = fl.extract_automaton(cell, **SAT_RF).trajectory([0, 0, 1, 1, 1, 0, 1, 0])
    assert np.signbit(tr.h).tolist() == [False, False, False, True, False, True, False, True]
    assert tr.rounded.tolist() == [0, 0, 1, -1, 1, 0, 1, 0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int8, np.int64, np.uint8, bool])
def test_run_accepts_any_real_dtype(dtype):
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    x = np.array([1, 1, 0, 1, 1, 1], dtype=dtype)
    assert m.run(x).tolist() == [1, -1, 0, 1, -1, 1]
    assert m.trajectory(x).rounded.tolist() == [1, -1, 0, 1, -1, 1]


def test_other_alphabets():
    cell = fl.presets.parity()
    m = fl.extract_automaton(cell, alphabet=(-1, 0, 0.5, 1), **SAT_RF)
    assert m.alphabet == (-1, 0, 0.5, 1)
    x = np.random.default_rng(2).choice([-1, 0, 0.5, 1], size=(50, 12))
    ref = fl.run_batch(cell, x, **SAT_RF)
    got = m.trajectory(x)
    assert (bits(got.h) == bits(ref.h)).all() and (bits(got.c) == bits(ref.c)).all()
    with pytest.raises(ValueError, match="chars"):
        m.regex(1)
    pattern = m.regex(1, chars="nzhp")
    for s in strings(4, alphabet="nzhp"):
        seq = [{"n": -1, "z": 0, "h": 0.5, "p": 1}[ch] for ch in s]
        assert bool(re.fullmatch(pattern, "".join(s))) == (m.run(seq)[-1] == 1)


def test_run_rejects_symbols_outside_the_alphabet():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    with pytest.raises(ValueError, match=r"x\[2\] = 2.0 is not in the alphabet \(0, 1\)"):
        m.run([0.0, 1.0, 2.0, 0.0])
    with pytest.raises(ValueError, match=r"x\[0\] = nan"):
        m.trajectory([np.nan, 1.0])
    with pytest.raises(ValueError, match=r"x\[1, 0\] = 0.5 is not in the alphabet"):
        m.trajectory([[0, 1], [0.5, 1]])
    with pytest.raises(ValueError, match=r"x must have shape \(T,\)"):
        m.run([[0, 1]])
    with pytest.raises(TypeError, match="x must hold real numbers"):
        m.run(["0", "1"])
    with pytest.raises(ValueError, match="symbol must be in the alphabet"):
        m.step(0, 3)
    assert m.step(0, 1) == 1 and m.run([]).tolist() == []


def test_trajectory_needs_exact_state_values():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    with pytest.raises(ValueError, match="not a minimised or hand-built one"):
        m.minimize().trajectory([0, 1])
    with pytest.raises(ValueError, match="not a minimised or hand-built one"):
        fl.MooreMachine(PARITY_TABLE, PARITY_OUTPUTS).trajectory([0, 1])


# --------------------------------------------------------------------------- #
# extraction limits and quantisation
# --------------------------------------------------------------------------- #

COUNTER = fl.ScalarLSTM(b_f=100.0, b_i=100.0, b_o=100.0, b_c=100.0)   # c_t = c_{t-1} + 1


def test_infinite_reachable_set_raises_quickly():
    with pytest.raises(ValueError, match=r"not finite within max_states=200.*quantize=k"):
        fl.extract_automaton(COUNTER, max_states=200, **SAT_RF)
    with pytest.raises(ValueError, match="Exact activations or raw"):
        fl.extract_automaton(COUNTER, max_states=200)


def test_max_states_boundary():
    # The parity cell has exactly 5 states under SAT_RF.
    assert len(fl.extract_automaton(fl.presets.parity(), max_states=5, **SAT_RF)) == 5
    with pytest.raises(ValueError, match="max_states=4"):
        fl.extract_automaton(fl.presets.parity(), max_states=4, **SAT_RF)


def test_quantize_is_an_explicit_approximation():
    # A cell with a contracting but non-terminating memory: f = sigmoid(0) = 1/2
    # and a candidate that follows h, so c wanders over many values.
    cell = fl.ScalarLSTM(W_ix=1.0, W_ch=0.9, W_cx=-0.8, b_c=0.3, W_oh=0.7, b_o=0.2)
    with pytest.raises(ValueError, match="not finite"):
        fl.extract_automaton(cell, max_states=300)
    m = fl.extract_automaton(cell, max_states=5000, quantize=2)
    assert not m.exact and m.quantize == 2
    assert all(v == round(v, 2) for v in m.c.tolist() + m.h.tolist())
    with pytest.raises(ValueError, match="quantize=2"):
        m.trajectory([0, 1])
    assert "APPROXIMATION" in m.describe()


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(alphabet=()), ValueError, "at least one symbol"),
    (dict(alphabet=(0, 0.0)), ValueError, "distinct"),
    (dict(alphabet=(0, float("inf"))), ValueError, "finite"),
    (dict(alphabet="01"), TypeError, "alphabet must be a sequence"),
    (dict(alphabet=(0, "1")), TypeError, "real numbers"),
    (dict(max_states=0), ValueError, "max_states"),
    (dict(quantize=-1), ValueError, "quantize"),
    (dict(threshold=0), ValueError, "threshold"),
    (dict(activation="relu"), ValueError, "activation"),
    (dict(h0=float("nan")), ValueError, "h0"),
])
def test_extract_validates_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        fl.extract_automaton(fl.presets.parity(), **kwargs)


def test_h0_c0_start_state():
    m = fl.extract_automaton(fl.presets.parity(), h0=1.0, c0=1.0, **SAT_RF)
    assert (m.h[0], m.c[0], m.outputs[0]) == (1.0, 1.0, 1)
    x = [0, 1, 1, 0, 1]
    assert (m.run(x) == fl.run(fl.presets.parity(), x, h0=1.0, c0=1.0, **SAT_RF).rounded).all()


# --------------------------------------------------------------------------- #
# the machine class: construction, minimisation, regexes
# --------------------------------------------------------------------------- #

def test_machine_validates():
    with pytest.raises(ValueError, match="shape"):
        fl.MooreMachine([[0, 1, 0]], [0])
    with pytest.raises(ValueError, match=r"state numbers in \[0, 2\)"):
        fl.MooreMachine([[0, 2], [0, 1]], [0, 1])
    with pytest.raises(ValueError, match="outputs"):
        fl.MooreMachine([[0, 1], [0, 1]], [0.5, 1.0])
    with pytest.raises(ValueError, match="start"):
        fl.MooreMachine([[0, 1], [0, 1]], [0, 1], start=2)
    with pytest.raises(ValueError, match="together"):
        fl.MooreMachine([[0, 1], [0, 1]], [0, 1], h=[0.0, 1.0])
    m = fl.MooreMachine([[0, 1], [0, 1]], [0, 1])
    with pytest.raises(ValueError):
        m.transitions[0, 0] = 1      # read-only


def test_minimize_drops_unreachable_and_merges():
    # States 0..4; 3 is unreachable; 1 and 2 have the same output and future.
    table = [[1, 2], [4, 0], [4, 0], [0, 0], [4, 4]]
    outputs = [0, 1, 1, 7, 2]
    m = fl.MooreMachine(table, outputs).minimize()
    assert m.transitions.tolist() == [[1, 1], [2, 0], [2, 2]]
    assert m.outputs.tolist() == [0, 1, 2]
    assert m.reduced_from == 5
    assert m.minimize().transitions.tolist() == m.transitions.tolist()    # idempotent


def test_minimize_is_canonical_under_renumbering():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 9))
        table = rng.integers(0, n, size=(n, 2))
        outputs = rng.integers(-1, 2, size=n)
        perm = rng.permutation(n)           # state s becomes perm[s]
        inv = np.argsort(perm)
        a = fl.MooreMachine(table, outputs).minimize()
        b = fl.MooreMachine(perm[table[inv]], outputs[inv], start=int(perm[0])).minimize()
        assert a.transitions.tolist() == b.transitions.tolist()
        assert a.outputs.tolist() == b.outputs.tolist()


def test_regex_of_random_machines_matches_exactly():
    rng = np.random.default_rng(4)
    for trial in range(40):
        n = int(rng.integers(1, 7))
        A = 2 if trial % 2 else 3
        alphabet = tuple(range(A))
        m = fl.MooreMachine(rng.integers(0, n, size=(n, A)), rng.integers(-1, 2, size=n),
                            alphabet=alphabet)
        words = list(strings(7, alphabet))
        outs = [m.run(w)[-1] for w in words]
        for v in (-1, 0, 1, 5):
            pattern = re.compile(m.regex(v))
            assert not pattern.fullmatch("")
            for w, out in zip(words, outs):
                text = "".join(map(str, w))
                assert bool(pattern.fullmatch(text)) == (out == v), (m.transitions, v, w)


def test_regex_validates():
    m = fl.MooreMachine(PARITY_TABLE, PARITY_OUTPUTS)
    with pytest.raises(TypeError, match="value"):
        m.regex("1")
    with pytest.raises(ValueError, match="chars"):
        m.regex(1, chars="a")
    assert m.regex(1, chars="ab") == "(?:[ab]*a)?b(?:bb)*"


def test_describe_when_nothing_named_holds():
    # Output 1 exactly after the suffix "1 0": no library hypothesis says that.
    m = fl.MooreMachine([[0, 1], [2, 1], [0, 1]], [0, 0, 1])
    text = m.describe()
    assert "No named hypothesis holds" in text
    assert "v = 1: [01]*10" in text


def test_describe_large_machine_says_what_it_leaves_out():
    # A counter modulo 70 on input 1 (0 keeps the count); output 1 when it is 0 mod 70.
    # Every two counts differ by when the output next becomes 1: 70 minimal states.
    n = 70
    table = [[s, (s + 1) % n] for s in range(n)]
    m = fl.MooreMachine(table, [int(s == 0) for s in range(n)])
    text = m.describe()
    assert "70 states (already minimal)" in text
    assert "(Transition table of 70 states not printed: see .transitions and .outputs" in text
    assert "(Regexes not printed for 70 states; call .regex(value).)" in text
    assert "No named hypothesis holds" in text
    one = fl.MooreMachine([[0, 0]], [3]).describe()
    assert one.startswith("Moore machine: 1 state (already minimal)")


def test_repr_and_len():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    assert repr(m) == "<MooreMachine: 5 states, alphabet {0, 1}, start 0>"
    assert repr(m.minimize()) == "<MooreMachine: minimal, 3 states, alphabet {0, 1}, start 0>"
    assert len(m) == m.n_states == 5 and m.states == (0, 1, 2, 3, 4)
