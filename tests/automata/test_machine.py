"""MooreMachine: the compiled runner, construction, minimisation, pictures."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import fastlstm as fl

from .cells import DELAY, DELAY_START, LATCH, PARITY_OUTPUTS, PARITY_TABLE, SAT_RF, bits, strings


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

@pytest.mark.parametrize("cell, semantics, start", [
    (fl.presets.parity(), SAT_RF, {}), (DELAY, SAT_RF, DELAY_START), (LATCH, SAT_RF, {})])
def test_state_record_is_bit_identical_to_run(cell, semantics, start):
    m = fl.extract_automaton(cell, **semantics, **start)
    X = np.array(list(itertools.product((0, 1), repeat=9)), dtype=np.float64)
    for x, ref in ((X, fl.run_batch(cell, X, **semantics, **start)),
                   (X[-1], fl.run(cell, X[-1], **semantics, **start))):
        got = m.trajectory(x, record="states")
        assert isinstance(got, fl.Trajectory) and got.states.shape == x.shape
        assert (bits(got.h) == bits(ref.h)).all() and (bits(got.c) == bits(ref.c)).all()
        assert got.semantics == ref.semantics and got.h_raw is None and len(got) == len(ref)

def test_state_record_of_a_big_hand_built_machine():
    # 300 states (a counter mod 300, symbol 1 counts): past uint8, so int64 state numbers.
    n = 300
    table = [[s, (s + 1) % n] for s in range(n)]
    h, c = np.arange(n) / n, -np.arange(n) - 0.5
    m = fl.MooreMachine(table, np.zeros(n, int), h=h, c=c)
    x = np.random.default_rng(3).integers(0, 2, 2000)
    want = np.cumsum(x) % n                      # the oracle: count the ones
    got = m.trajectory(x, record="states")
    assert got.states.dtype == np.int64 and (got.states == want).all()
    assert (bits(got.h) == bits(h[want])).all() and (bits(got.c) == bits(c[want])).all()

def test_state_record_rejects_unknown_records():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    with pytest.raises(ValueError, match="record must be 'values' or 'states', got 'h'"):
        m.trajectory([0, 1], record="h")

def test_trajectory_writes_into_given_arrays():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    X = np.random.default_rng(4).integers(0, 2, (3, 700)).astype(float)
    for x in (X, X[0]):
        ref = fl.run_batch(fl.presets.parity(), x, **SAT_RF) if x.ndim == 2 \
            else fl.run(fl.presets.parity(), x, **SAT_RF)
        h, c = np.full(x.shape, np.nan), np.full(x.shape, np.nan)
        for _ in range(2):                                  # reused: written again
            got = m.trajectory(x, out=(h, c))
            assert got.h is h and got.c is c
            assert (bits(h) == bits(ref.h)).all() and (bits(c) == bits(ref.c)).all()
    x = X[0]
    h, c = np.empty(700), np.empty(700)
    with pytest.raises(TypeError, match=r"out must be a pair \(h, c\) of numpy arrays"):
        m.trajectory(x, out=h)
    with pytest.raises(ValueError, match="out's c must be a writable C-contiguous float64"):
        m.trajectory(x, out=(h, np.empty(700, np.float32)))
    with pytest.raises(ValueError, match=r"out's h must .* of shape \(700,\), got float64 \(699,\)"):
        m.trajectory(x, out=(h[:699], c[:699]))
    with pytest.raises(ValueError, match="out's h must be a writable"):
        m.trajectory(x, out=(np.empty(1400)[::2], c))
    with pytest.raises(ValueError, match="must not share memory"):
        m.trajectory(x, out=(h, h))
    with pytest.raises(ValueError, match="must not share memory"):
        m.trajectory(x, out=(x, c))
    with pytest.raises(ValueError, match="out is for record='values'"):
        m.trajectory(x, record="states", out=(h, c))

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
    with pytest.raises(ValueError, match=r"state must be an integer in \[0, 4\], got 5"):
        m.step(5, 1)
    with pytest.raises(TypeError, match="state must be an integer"):
        m.step(0.0, 1)
    assert m.step(np.int64(0), 1) == 1
    assert m.step(0, 1) == 1 and m.run([]).tolist() == []

def test_trajectory_needs_exact_state_values():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    with pytest.raises(ValueError, match="not a minimised or hand-built one"):
        m.minimize().trajectory([0, 1])
    with pytest.raises(ValueError, match="not a minimised or hand-built one"):
        fl.MooreMachine(PARITY_TABLE, PARITY_OUTPUTS).trajectory([0, 1])


# --------------------------------------------------------------------------- #
# the machine class: construction, minimisation, pictures
# --------------------------------------------------------------------------- #

def test_machine_validates():
    with pytest.raises(ValueError, match="shape"):
        fl.MooreMachine([[0, 1, 0]], [0])
    with pytest.raises(ValueError, match=r"state numbers in \[0, 2\)"):
        fl.MooreMachine([[0, 2], [0, 1]], [0, 1])
    with pytest.raises(ValueError, match="outputs"):
        fl.MooreMachine([[0, 1], [0, 1]], [0.5, 1.0])
    with pytest.raises(ValueError, match=r"start must be an integer in \[0, 1\], got 2"):
        fl.MooreMachine([[0, 1], [0, 1]], [0, 1], start=2)
    for start in (True, 1.0, "1"):
        with pytest.raises(TypeError, match="start must be an integer"):
            fl.MooreMachine([[0, 1], [0, 1]], [0, 1], start=start)
    assert fl.MooreMachine([[0, 1], [0, 1]], [0, 1], start=np.int64(1)).start == 1
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

def test_repr_and_len():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    assert repr(m) == "<MooreMachine: 5 states, alphabet {0, 1}, start 0>"
    assert repr(m.minimize()) == "<MooreMachine: minimal, 3 states, alphabet {0, 1}, start 0>"
    assert len(m) == m.n_states == 5 and m.states == (0, 1, 2, 3, 4)
