"""Named hypotheses: plain definitions, their machines, and exact checks on machines."""

from __future__ import annotations

import numpy as np
import pytest

import fastlstm as fl
from fastlstm import hypotheses as H

from .cells import DELAY, DELAY_START, LATCH, PARITY_OUTPUTS, PARITY_TABLE, SAT_RF, strings


def trailing_run(p, s):
    n = 0
    for x in reversed(p):
        if x != s:
            break
        n += 1
    return n


# Plain definitions, written independently of the fold-based library.
PLAIN = {
    "trailing_run_parity(1)": (H.trailing_run_parity(1),
                               lambda p: "none" if trailing_run(p, 1) == 0
                               else ("odd" if trailing_run(p, 1) % 2 else "even")),
    "trailing_run_parity(0)": (H.trailing_run_parity(0),
                               lambda p: "none" if trailing_run(p, 0) == 0
                               else ("odd" if trailing_run(p, 0) % 2 else "even")),
    "last_symbol": (H.last_symbol(), lambda p: p[-1] if p else None),
    "symbol_ago(1)": (H.symbol_ago(1), lambda p: p[-2] if len(p) >= 2 else None),
    "symbol_ago(3)": (H.symbol_ago(3), lambda p: p[-4] if len(p) >= 4 else None),
    "first_symbol": (H.first_symbol(), lambda p: p[0] if p else None),
    "contains(1)": (H.contains(1), lambda p: 1 in p),
    "count_mod(1, 3)": (H.count_mod(1, 3), lambda p: p.count(1) % 3),
    "count_mod(2, 2)": (H.count_mod(2, 2), lambda p: p.count(2) % 2),
    "constant": (H.constant(), lambda p: "always"),
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_fold_matches_plain_definition_and_machine(name):
    hyp, plain = PLAIN[name]
    assert hyp.name == name
    alphabet = (0, 1, 2)
    machine, labels = hyp.machine(alphabet)
    assert labels[machine.outputs[machine.start]] == hyp(()) == plain(())
    for w in strings(6, alphabet):
        assert hyp(w) == plain(w), w
        assert labels[machine.run(w)[-1]] == plain(w), w


def test_parity_cell_verdicts():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    v = H.trailing_run_parity(1).check(m)
    assert v.holds and v.exact
    assert v.values == {"none": 0, "odd": 1, "even": -1}
    assert v.counterexample is None
    # last symbol 1 both after "1" (h = +1) and after "1 1" (h = -1)
    w = H.last_symbol().check(m)
    assert not w.holds and not w.exact
    assert w.counterexample == ((1,), (1, 1))
    assert w.values[1] == (1, -1)
    assert "after 1 and after 1 1" in w.words()
    for hyp in (H.contains(1), H.count_mod(1, 2), H.first_symbol(), H.constant()):
        assert not hyp.check(m).holds


def test_parity_words():
    m = fl.MooreMachine(PARITY_TABLE, PARITY_OUTPUTS)
    assert H.trailing_run_parity(1).check(m).words() == "\n".join([
        "rounded h_t carries exactly whether the run of 1s ending at t has odd length:",
        "  rounded h_t = 1 when the run of 1s ending at t has odd length",
        "  rounded h_t = 0 when x_t is not 1",
        "  rounded h_t = -1 when the run of 1s ending at t has even length"])


def test_delay_and_latch_verdicts():
    delay = fl.extract_automaton(DELAY, **SAT_RF, **DELAY_START)
    v = H.symbol_ago(1).check(delay)
    assert v.holds and not v.exact            # t = 0 ("no x_{t-1}") and x_{t-1} = 0 both give 0
    assert v.values == {None: 0, 0: 0, 1: 1}
    assert v.witnesses[(None, 0)] == (0,) and v.witnesses[(1, 1)] == (1, 0)
    assert "rounded h_t = 0 when t < 1 (there is no x_{t-1}), or when x_{t-1} = 0" in v.words()
    latch = fl.extract_automaton(LATCH, **SAT_RF)
    v = H.contains(1).check(latch)
    assert v.holds and v.exact and v.values == {False: -1, True: 1}


def test_constant_verdict():
    m = fl.MooreMachine([[1, 1], [1, 1]], [5, 0])    # start output 5 is not an output at t >= 0
    v = H.constant().check(m)
    assert v.holds and v.values == {"always": 0}
    assert v.words() == "rounded h_t = 0 for every input"


def test_verdicts_agree_with_brute_force_on_random_machines():
    rng = np.random.default_rng(5)
    for _ in range(25):
        n = int(rng.integers(1, 6))
        m = fl.MooreMachine(rng.integers(0, n, size=(n, 2)), rng.integers(-1, 2, size=n))
        words = list(strings(8))
        outs = {w: int(m.run(w)[-1]) for w in words}
        for hyp in H.library((0, 1)):
            v = hyp.check(m)
            seen = {}
            for w in words:
                seen.setdefault((hyp(w), outs[w]), w)      # first = shortest, then alphabetical
            # every combination met up to length 8 is found, with the same shortest witness
            for key, w in seen.items():
                assert v.witnesses[key] == w
            # every witness is genuine
            for (label, out), w in v.witnesses.items():
                assert hyp(w) == label and int(m.run(w)[-1]) == out
            if not v.holds:
                a, b = v.counterexample
                assert hyp(a) == hyp(b) and int(m.run(a)[-1]) != int(m.run(b)[-1])
            else:
                for w in words:
                    assert outs[w] == v.values[hyp(w)]


def test_predicate_for_verify():
    pred = H.trailing_run_parity(1).predicate({"none": 0, "odd": 1, "even": -1})
    assert fl.verify(fl.presets.parity(), pred, 10).holds
    assert fl.verify(fl.presets.parity(), pred, 10, **SAT_RF).holds


def test_custom_hypothesis():
    # "the input ends in 1 0": a user-defined fold.
    ends10 = H.Hypothesis("ends_with_10", "whether the input ends in 1 0", (None, None),
                          lambda s, x: (s[1], x), lambda s: s == (1, 0),
                          lambda label: "it does" if label else "it does not")
    m = fl.MooreMachine([[0, 1], [2, 1], [0, 1]], [0, 0, 1])
    v = ends10.check(m)
    assert v.holds and v.exact and v.values == {False: 0, True: 1}
    assert v.words().startswith("rounded h_t carries exactly whether the input ends in 1 0:")
    endless = H.Hypothesis("count", "the count", 0, lambda s, x: s + 1, lambda s: s, str)
    with pytest.raises(ValueError, match="more than 50 states"):
        endless.machine((0, 1), max_states=50)


def test_library_and_validation():
    names = [h.name for h in H.library((0, 1))]
    assert names == ["constant", "last_symbol", "symbol_ago(1)", "symbol_ago(2)", "first_symbol",
                     "trailing_run_parity(0)", "contains(0)", "count_mod(0, 2)", "count_mod(0, 3)",
                     "trailing_run_parity(1)", "contains(1)", "count_mod(1, 2)", "count_mod(1, 3)"]
    with pytest.raises(ValueError, match="k must be an integer >= 0"):
        H.symbol_ago(-1)
    with pytest.raises(ValueError, match="k must be an integer >= 2"):
        H.count_mod(1, 1)
    for bad in (True, 1.0, "1"):
        with pytest.raises(TypeError, match="k must be an integer"):
            H.symbol_ago(bad)
        with pytest.raises(TypeError, match="k must be an integer"):
            H.count_mod(1, bad)
    with pytest.raises(TypeError, match="MooreMachine"):
        H.constant().check("not a machine")
    assert repr(H.contains(1)) == "<Hypothesis contains(1)>"


@pytest.mark.parametrize("k", [np.int64(2), np.int32(2), np.uint8(2)])
def test_numpy_integer_k_is_accepted(k):
    # Regression: symbol_ago(np.int64(2)) was refused ("k must be an integer >= 0").
    hyp = H.symbol_ago(k)
    assert hyp.name == "symbol_ago(2)" and hyp.topic == "the symbol x_{t-2}"
    for w in strings(5):
        assert hyp(w) == (w[-3] if len(w) >= 3 else None)
    assert H.count_mod(1, np.int64(3)).name == "count_mod(1, 3)"
    assert H.count_mod(1, np.int64(3))((1, 1, 1, 1)) == 1
