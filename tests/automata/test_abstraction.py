"""fl.prove_by_abstraction: interval proofs for cells whose c drifts, and failures."""

from __future__ import annotations

import math

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.automata import abstraction
from tests.automata.cells import SAT_RF
from tests.automata.test_learn import (ALTERNATE, ALTERNATE_MACHINE, LAST, LAST_MACHINE,
                                       ODD_RUN, ODD_RUN_MACHINE)


# c after a word of length t is t (c_t = t + 1 for 0-based t); the least c of
# each state is the length of its shortest non-empty word: every state of LAST
# and ODD_RUN is reached at length 1, ALTERNATE's start state (output 0) again
# only at length 2.  The upper end drifts and is widened to 2**60.
@pytest.mark.parametrize("cell, machine, lows", [(LAST, LAST_MACHINE, (1, 1)),
                                                 (ALTERNATE, ALTERNATE_MACHINE, (2, 1)),
                                                 (ODD_RUN, ODD_RUN_MACHINE, (1, 1))],
                         ids=["last", "alternate", "odd-run"])
def test_drifting_cells_have_a_finite_quotient(cell, machine, lows):
    proof = fl.prove_by_abstraction(cell, machine, **SAT_RF)
    assert proof.proved and proof.reason is None
    assert proof.intervals == tuple((float(lo), 2.0 ** 60) for lo in lows)
    assert proof.widened == (0, 1)
    assert "drifts without bound" in proof.summary()


def test_exact_activations_with_rounded_feedback():
    # tanh(c) < 1 for small c under exact activations, but round(o tanh(c)) is
    # still x_t for c >= 1 (tanh(1) = 0.76 rounds to 1).
    assert fl.prove_by_abstraction(LAST, LAST_MACHINE, round_feedback=True).proved


def test_wrong_machine_is_not_proved():
    # "Output the last symbol" is not what the alternating cell computes.
    proof = fl.prove_by_abstraction(ALTERNATE, LAST_MACHINE, **SAT_RF)
    assert not proof.proved and "gives output" in proof.reason
    x = proof.counterexample
    assert LAST_MACHINE.run(x)[-1] != fl.run(ALTERNATE, x, **SAT_RF).rounded[-1]
    swapped = fl.MooreMachine([[0, 1], [0, 1]], [1, 0])     # start output 1, but round(h0) = 0
    assert "round(h0)" in fl.prove_by_abstraction(LAST, swapped, **SAT_RF).reason


def test_counter_has_no_finite_quotient():
    # Dyck-1 is not regular: no machine is proved, e.g. the three-state machine
    # "open / balanced / dead" with no depth, which is right up to length 1.
    naive = fl.MooreMachine([[1, 2], [1, 0], [2, 2]], [0, 1, -1], alphabet=(1, -1))
    proof = fl.prove_by_abstraction(fl.presets.dyck1(), naive, **SAT_RF)
    assert not proof.proved
    assert not proof
    # The failure is at the c of a word the proof kept: a true counterexample.
    x = proof.counterexample
    assert naive.run(x)[-1] != fl.run(fl.presets.dyck1(), x, **SAT_RF).rounded[-1]


def test_compiled_step_premises():
    # The proof's premises: for fixed (h, x), c' never decreases as c grows (rounding is
    # monotone and f >= 0); h' = o act(c') need not be monotone (the compiled tanh is not,
    # from one ulp to the next), but it never falls more than H_SLACK below a value it
    # took at a smaller c (dense grid across the band and the saturated ends).
    c = np.concatenate([np.linspace(-30, 30, 60_001), np.linspace(-1.01, 1.01, 20_001)])
    c.sort()
    for cell in (LAST, ALTERNATE, fl.presets.dyck1(), fl.ScalarLSTM(b_f=0.3, b_o=1.0, b_c=0.7)):
        for activation in ("exact", "saturated"):
            for h in (-1.0, 0.0, 1.0):
                # One step: h is o tanh(c') before any rounding (rounding is monotone too).
                tr = fl.run_batch(cell, np.ones((c.size, 1)), h0=h, c0=c, activation=activation)
                assert (np.diff(tr.c[:, 0]) >= 0).all()
                h_new = tr.h[:, 0]
                assert (h_new >= np.maximum.accumulate(h_new) - abstraction.H_SLACK).all()


def test_a_proof_within_the_activation_error_of_a_rounding_boundary_is_not_claimed():
    # f = 1/2, i = o = 1, g = tanh(b_c) constant: c_t = c_{t-1} / 2 + g rises to c* = 2 g,
    # with b_c chosen so that tanh(c*) = 1/2 - 20 ulp.  Every run outputs 0, and the
    # compiled h' at both ends of the interval of c rounds to 0, but the upper end is
    # within the proved error of the compiled tanh (16 ulp of 1/2, doubled) of 1/2, so
    # the values of c' between the ends are not decided: the proof is refused, not
    # claimed (it used to be, on the unproved monotonicity of the compiled tanh), and it
    # offers no counterexample.
    g = math.atanh(0.5 - 20 * 2.0 ** -53) / 2
    cell = fl.ScalarLSTM(b_i=100.0, b_o=100.0, b_c=math.atanh(g))
    run = fl.run(cell, [0.0] * 200, round_feedback=True)
    assert (run.rounded == 0).all()
    assert 0.5 - abstraction.H_SLACK < fl.run(cell, [0.0] * 200).h[-1] < 0.5
    proof = fl.prove_by_abstraction(cell, fl.MooreMachine([[0]], [0], alphabet=(0,)),
                                    round_feedback=True)
    assert not proof.proved and proof.counterexample is None
    assert "rounding boundary" in proof.reason


def test_bad_arguments():
    with pytest.raises(ValueError, match="round_feedback=True"):
        fl.prove_by_abstraction(LAST, LAST_MACHINE, round_feedback=False)
    with pytest.raises(ValueError, match="round_feedback=True"):   # the default is raw feedback,
        fl.prove_by_abstraction(LAST, LAST_MACHINE)                 # as in run and learn_automaton
    with pytest.raises(TypeError, match="machine must be a MooreMachine"):
        fl.prove_by_abstraction(LAST, [[0, 1], [0, 1]])
    vector_outputs = fl.MooreMachine([[0, 1], [0, 1]], [[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="machine must output rounded h of a scalar cell"):
        fl.prove_by_abstraction(LAST, vector_outputs)


# A random saturated cell (weights uniform in +-5, rounded to 3 decimals) whose
# output is always 0 while c creeps towards two limits (0.484 on 1s, 1.312 on 0s)
# in smaller and smaller steps: widening after 64 moves overshoots, after 4096 not.
SLOW = fl.ScalarLSTM.from_array([-1.779, -0.117, 0.305, 1.945, 1.379, 1.783, -1.159, 1.773,
                                 -1.546, 1.075, -0.405, 0.628])
CONSTANT_0 = fl.MooreMachine([[0, 0]], [0])


def test_slow_contraction_needs_the_second_widening(monkeypatch):
    X = np.random.default_rng(2).integers(0, 2, size=(300, 300))
    assert (fl.run_batch(SLOW, X, **SAT_RF).rounded == 0).all()
    proof = fl.prove_by_abstraction(SLOW, CONSTANT_0, **SAT_RF)
    assert proof.proved and proof.widened == ()
    (lo, hi), = proof.intervals
    assert 0.2 < lo < 0.25 and 1.3 < hi < 1.32
    monkeypatch.setattr(abstraction, "WIDEN_SCHEDULE", (64,))
    early = fl.prove_by_abstraction(SLOW, CONSTANT_0, **SAT_RF)
    assert not early.proved and early.widened == (0,) and early.counterexample is None
