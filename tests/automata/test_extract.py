"""extract_automaton: the machines of the parity cell and of hand-built cells, limits, arguments.

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

from .. import naive
from .cells import (DELAY, DELAY_START, ECHO, LATCH, PARITY_OUTPUTS, PARITY_TABLE, SAT_RF, bits,
                    strings)


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
# extraction limits, quantisation, arguments
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
    (dict(max_states=2.5), TypeError, "max_states must be an integer"),
    (dict(max_states=True), TypeError, "max_states must be an integer"),
    (dict(quantize=-1), ValueError, "quantize"),
    (dict(quantize=16), ValueError, r"quantize must be an integer in \[0, 15\]"),
    (dict(quantize=2.0), TypeError, "quantize must be an integer"),
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


def test_numpy_integers_are_integers():
    # max_states and quantize go through fastlstm._validate.integer: NumPy integers count.
    m = fl.extract_automaton(fl.presets.parity(), max_states=np.int64(5), **SAT_RF)
    assert len(m) == 5 and m.exact
    # Rounding to 3 decimals leaves the parity cell's states (0, +-1) as they are.
    q = fl.extract_automaton(fl.presets.parity(), quantize=np.int8(3), **SAT_RF)
    assert q.quantize == 3 and type(q.quantize) is int and not q.exact
    assert q.transitions.tolist() == m.transitions.tolist()


def test_start_output_must_be_an_int64():
    # round(h0) is the start state's output: 1e300 used to come out as
    # -9223372036854775808 with only a RuntimeWarning.
    cell = fl.ScalarLSTM(b_f=-100, W_ix=100, b_i=100, W_ox=100, W_cx=50)  # no weight on h
    with pytest.raises(ValueError, match=r"h0 must satisfy \|h0\| < 2\*\*63.*got 1e\+300"):
        fl.extract_automaton(cell, h0=1e300)
    m = fl.extract_automaton(cell, h0=-9.0e18, max_states=20)
    assert m.outputs[0] == -9 * 10 ** 18 and m.outputs.dtype == np.int64


def test_start_state_whose_step_overflows_is_refused():
    # The probe's case: round(1e308) is no int64 (and -100 * 1e308 overflows).
    with pytest.raises(ValueError, match=r"h0 must satisfy \|h0\| < 2\*\*63"):
        fl.extract_automaton(fl.presets.parity(), h0=1e308)
    # W_ch * h0 = -1e310 would overflow in the first step.
    with pytest.raises(ValueError, match=r"W_ch \* h \+ \(W_cx \* x \+ b_c\) can overflow"
                                         r".*max\(\|h0\|, 1\) .* max\|alphabet\|"):
        fl.extract_automaton(fl.presets.parity().replace(W_ch=-1e300), h0=1e10)


def test_alphabet_past_float_range_names_the_alphabet():
    with pytest.raises(ValueError, match="alphabet must be within float64's range"):
        fl.extract_automaton(fl.presets.parity(), alphabet=(0, 2 ** 1100))


def test_max_states_beyond_the_cap_is_refused_by_name():
    # a bound this large would let a cell that never repeats a state run for hours
    from fastlstm.automata.extract import MAX_STATES

    with pytest.raises(ValueError, match=r"max_states must be an integer in \[1, 4194304\]"):
        fl.extract_automaton(fl.presets.parity(), max_states=MAX_STATES + 1)
    with pytest.raises(ValueError, match="max_states"):
        fl.extract_automaton(fl.presets.parity(), max_states=2 ** 200)
    assert len(fl.extract_automaton(fl.presets.parity(), max_states=MAX_STATES)) >= 1
