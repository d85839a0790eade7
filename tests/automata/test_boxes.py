"""fl.prove_by_abstraction for cells whose state is more than c: covers of (h, c) boxes.

The networks are built by hand, so their machines are known without the code: a
2-unit latch (unit 0 is set to +1 by the symbol (1, 0), reset to -1 by (0, 1), and
keeps its sign on (0, 0); unit 1 counts the set and reset symbols in c, which drifts
without bound), read by a 2-output readout whose label is the sign of h_0.
"""

import numpy as np
import pytest

import fastlstm as fl
from fastlstm._kernels.activations import sigmoid, tanh
from fastlstm.automata import boxes, covers
from fastlstm.automata.cells import state_outputs
from fastlstm.semantics import Semantics

SET, RESET, NONE = (1, 0), (0, 1), (0, 0)
ALPHABET = [SET, RESET, NONE]


def latch():
    """Rows i, f, g, o (PyTorch's order) of two units; every gate pre-activation is +-40 or
    beyond, except the candidate of unit 0 when h_0 = 0 (never: h0 starts at -1)."""
    W_ih, W_hh, b = np.zeros((8, 2)), np.zeros((8, 2)), np.zeros(8)
    i, f, g, o = 0, 2, 4, 6
    b[i], b[f], b[o] = 40, -40, 40                   # unit 0: c = g each step
    W_ih[g], W_hh[g, 0] = (80, -80), 40               # g = tanh(80 set - 80 reset + 40 h_0)
    W_ih[i + 1], b[i + 1] = (80, 80), -40             # unit 1 writes on set or reset ...
    b[f + 1], b[g + 1], b[o + 1] = 40, 40, 40         # ... keeps c, and adds g = 1
    return fl.LSTMCell(W_ih, W_hh, b)


CELL = latch()
READOUT = fl.Readout([[1.0, 0.0], [-1.0, 0.0]], labels=(1, -1))
H0 = np.array([-1.0, 0.0])
RAW = dict(round_feedback=False, h0=H0)
# q0: output -1 (reset), q1: output +1 (set); columns SET, RESET, NONE
RIGHT = fl.MooreMachine([[1, 0, 0], [1, 0, 1]], [-1, 1], ALPHABET)


def labels(word, **kw):
    X = np.array(word, dtype=np.float64)
    return READOUT.label(fl.run(CELL, X, h0=H0, **kw).h).tolist()


def test_the_latch_is_what_it_is_built_to_be():
    assert labels([NONE, SET, NONE, NONE, RESET, NONE, SET]) == [-1, 1, 1, 1, -1, -1, 1]
    c = fl.run(CELL, np.array([SET, RESET, NONE, SET], dtype=np.float64), h0=H0).c[:, 1]
    assert c.tolist() == [1.0, 2.0, 2.0, 3.0]        # unit 1's c counts: no state repeats


def test_right_machine_is_proved_and_its_boxes_hold_long_runs():
    proof = fl.prove_by_abstraction(CELL, RIGHT, readout=READOUT, **RAW)
    assert proof.proved and proof.reason is None and proof.intervals == ()
    assert "boxes of (h, c) closed under every step" in proof.summary()
    # every state of long random runs lies in a box of its machine state, as proved
    rng = np.random.default_rng(5)
    words = rng.integers(0, 3, size=(20, 300))
    X = np.array(ALPHABET, dtype=np.float64)[words]
    run = fl.run_batch(CELL, X, h0=H0)
    for b in range(len(words)):
        q = RIGHT.start
        for t in range(words.shape[1]):
            q = int(RIGHT.transitions[q, words[b, t]])
            state = np.concatenate([run.h[b, t], run.c[b, t]])
            assert any((lo <= state).all() and (state <= hi).all() for lo, hi in proof.boxes[q])
    assert any(np.isinf(hi).any() for box in proof.boxes for _, hi in box)   # unit 1 drifts


def test_learned_machine_of_the_latch_is_proved():
    m = fl.learn_automaton(CELL, ALPHABET, readout=READOUT, h0=H0)
    assert m.transitions.tolist() == RIGHT.transitions.tolist()
    assert m.outputs.tolist() == [-1, 1] and m.provenance.proved
    assert "proved by an interval abstraction of (h, c) in boxes" in m.provenance.how


def test_a_wrong_machine_is_not_proved():
    # NONE from "set" goes back to "reset": false after SET, NONE (the network keeps +1)
    wrong = fl.MooreMachine([[1, 0, 0], [1, 0, 0]], [-1, 1], ALPHABET)
    proof = fl.prove_by_abstraction(CELL, wrong, readout=READOUT, **RAW)
    assert not proof.proved
    word = proof.counterexample
    assert word is not None and labels(word)[-1] != wrong.run(word)[-1]
    assert labels([SET, NONE]) == [1, 1] and wrong.run([SET, NONE]).tolist() == [1, -1]


def test_the_boxes_alone_refuse_a_wrong_machine(monkeypatch):
    # Without the sampled inputs' counterexample, the boxes must still fail: the image of
    # the "set" boxes on NONE carries label +1, not the -1 of the wrong successor.
    real = covers.reached_states

    def no_counterexample(*args, **kwargs):
        points, states, _ = real(*args, **kwargs)
        return points, states, None

    monkeypatch.setattr(covers, "reached_states", no_counterexample)
    for wrong in (fl.MooreMachine([[1, 0, 0], [1, 0, 0]], [-1, 1], ALPHABET),
                  fl.MooreMachine([[1, 0, 0], [0, 0, 1]], [-1, 1], ALPHABET)):
        proof = fl.prove_by_abstraction(CELL, wrong, readout=READOUT, **RAW)
        assert not proof.proved and "is not proved to be" in proof.reason


def test_the_start_state_must_carry_the_output_of_h0():
    swapped = fl.MooreMachine([[1, 0, 0], [1, 0, 1]], [1, -1], ALPHABET)
    proof = fl.prove_by_abstraction(CELL, swapped, readout=READOUT, **RAW)
    assert not proof.proved and "the start state carries" in proof.reason


@pytest.mark.parametrize("sem", [dict(), dict(activation="saturated"),
                                 dict(round_feedback=True), dict(activation="saturated",
                                                                 threshold=0.5, inclusive=False)])
def test_box_images_hold_every_compiled_step(sem):
    # Random cells with moderate weights (gates in their band), random boxes, random points
    # in them (corners included): the compiled step lands in the image box.
    rng = np.random.default_rng(11)
    for trial in range(4):
        n, m = 3, 2
        cell = fl.LSTMCell(rng.normal(0, 2, (4 * n, m)), rng.normal(0, 2, (4 * n, n)),
                           rng.normal(0, 1, 4 * n))
        inputs = rng.normal(0, 1, (2, m))
        step = boxes.BoxStep(cell, inputs, Semantics(**sem))
        center = np.concatenate([rng.uniform(-1, 1, n), rng.normal(0, 2, n)])
        width = rng.uniform(0, 0.2, 2 * n) * (rng.random(2 * n) < 0.8)
        lo, hi = center - width, center + width
        if sem.get("round_feedback"):
            lo[:n] = hi[:n] = np.round(center[:n])
        points = lo + (hi - lo) * rng.random((300, 2 * n))
        points[:2] = lo, hi
        for a in range(2):
            ilo, ihi = step.image(lo[None], hi[None], a)
            X = np.repeat(inputs[a][None, None], len(points), axis=0)
            run = fl.run_batch(cell, X, h0=points[:, :n], c0=points[:, n:], **sem)
            after = np.concatenate([run.h[:, 0], run.c[:, 0]], axis=1)
            assert (ilo[0] <= after).all() and (after <= ihi[0]).all(), (trial, a)


def test_box_labels_are_the_labels_of_every_point():
    rng = np.random.default_rng(3)
    readout = fl.Readout(rng.normal(0, 1, (3, 4)), rng.normal(0, 0.1, 3), labels=(7, -1, 2))
    sign = fl.Readout(rng.normal(0, 1, (1, 4)))
    proved = 0
    for _ in range(200):
        center, width = rng.uniform(-1, 1, 4), rng.uniform(0, 0.1, 4)
        points = center - width + 2 * width * rng.random((50, 4))
        for r in (readout, sign, None):
            got, known = boxes.box_labels(r, (center - width)[None], (center + width)[None])
            if known[0]:
                proved += 1
                want = state_outputs(points, r)
                assert (want == got[0]).all()
    assert proved > 200


def test_compiled_activations_are_exactly_one_where_the_proof_says():
    z = np.concatenate([np.linspace(boxes.SIGMOID_ONE, 60, 2001), [1e3, 1e300, 1e308]])
    assert all(sigmoid(v) == 1.0 for v in z.tolist())
    x = np.concatenate([np.linspace(boxes.TANH_ONE, 40, 2001), [1e3, 1e308]])
    assert all(tanh(v) == 1.0 and tanh(-v) == -1.0 for v in x.tolist())
    rng = np.random.default_rng(0)
    for v in rng.normal(0, 20, 20000).tolist():   # never beyond 1 in magnitude
        assert 0.0 <= sigmoid(v) <= 1.0 and -1.0 <= tanh(v) <= 1.0


def test_one_unit_cells_give_their_scalar_cells_proof():
    scalar = fl.ScalarLSTM(b_f=-40, b_i=40, b_o=40, W_cx=80, b_c=-40, W_ch=20)
    readout = fl.Readout([[1.0], [-1.0]], labels=(1, 0))
    machine = fl.MooreMachine([[0, 1], [0, 1]], [0, 1], (0, 1))   # the last symbol
    got = [fl.prove_by_abstraction(cell, machine, readout=readout, round_feedback=False,
                                   h0=-0.5)
           for cell in (scalar, fl.LSTMCell.from_scalar(scalar))]
    assert got[0].proved and got[1].proved
    assert got[0].summary() == got[1].summary()
    assert all((a[0] == b[0]).all() and (a[1] == b[1]).all()
               for qa, qb in zip(got[0].boxes, got[1].boxes) for a, b in zip(qa, qb))


def test_bad_machines_for_boxes():
    with pytest.raises(ValueError, match="one integer per state"):
        fl.prove_by_abstraction(CELL, fl.MooreMachine([[0, 0, 0]], [[0, 0]], ALPHABET),
                                readout=READOUT, **RAW)
    with pytest.raises(ValueError, match="rounded h of the cell's 2 units"):
        fl.prove_by_abstraction(CELL, RIGHT, **RAW)
    with pytest.raises(ValueError, match="input_size"):
        fl.prove_by_abstraction(CELL, fl.MooreMachine([[0, 0]], [-1]), readout=READOUT, **RAW)
    with pytest.raises(TypeError, match="readout"):
        fl.prove_by_abstraction(CELL, RIGHT, readout="sign", **RAW)


def test_unique_rows_is_numpys_unique_of_rows():
    # first_boxes' grid cells: NumPy's np.unique(axis=0) is the oracle (order, first rows,
    # inverse), on rows with repeats, -0.0 beside 0.0, one row, one column.
    rng = np.random.default_rng(21)
    for _ in range(100):
        N, d = int(rng.integers(1, 200)), int(rng.integers(1, 6))
        a = np.floor(rng.normal(0, 2, (N, d)))
        a[rng.random((N, d)) < 0.1] = -0.0
        a[rng.random(N) < 0.3] = a[0]
        _, first, inverse = np.unique(a, axis=0, return_index=True, return_inverse=True)
        got_first, got_inverse = covers._unique_rows(a)
        assert np.array_equal(got_first, first) and np.array_equal(got_inverse, inverse.ravel())
