"""verify(): exhaustive bounded checks, shortest counterexamples, bad input."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from collections import deque

import numpy as np
import pytest

import fastlstm as fl

from .. import naive
from .cells import DELAY, LATCH, SAT_RF, parity_answer


def shortlex(max_len, alphabet=(0, 1)):
    for n in range(1, max_len + 1):
        yield from itertools.product(alphabet, repeat=n)


def test_worked_example_answer_holds_under_exact_semantics():
    r = fl.verify(fl.presets.parity(), parity_answer, 12)
    assert r.holds and bool(r) and r.counterexample is None
    assert r.checked == 2 ** 13 - 2 and r.max_len == 12


def test_literal_saturated_rule_counterexample_is_the_first_failure():
    sem = dict(activation="saturated")
    r = fl.verify(fl.presets.parity(), parity_answer, 8, **sem)
    # Plain oracle, strings in the same (length, then alphabet) order.
    for k, s in enumerate(shortlex(8), start=1):
        actual = naive.run(fl.presets.parity(), s, **sem)["rounded"][-1]
        if actual != parity_answer(s):
            break
    assert not r.holds and not bool(r)
    assert (r.counterexample, r.expected, r.actual, r.checked) == (s, parity_answer(s), actual, k)
    # By hand: after 1 0 0 the raw h is 1/2, so the next candidate
    # pre-activation is -100 * 1/2 + 50 = 0 and h = 0 instead of 1.
    assert r.counterexample == (1, 0, 0, 1)


def test_latch_against_a_wrong_hypothesis():
    # "h echoes the last symbol" fails first after 1 0 (the latch stays at +1).
    r = fl.verify(LATCH, lambda p: 1 if p[-1] == 1 else -1, 10, **SAT_RF)
    assert (r.counterexample, r.expected, r.actual, r.checked) == ((1, 0), -1, 1, 5)
    assert fl.verify(LATCH, lambda p: 1 if 1 in p else -1, 10, **SAT_RF).holds


def test_delay_needs_its_start_state():
    previous = lambda p: p[-2] if len(p) >= 2 else 0  # noqa: E731
    assert fl.verify(DELAY, previous, 10, c0=0.25, **SAT_RF).holds
    # From c0 = 0 instead: after 1 0, c = 1/2 and h = round(tanh(1/2)) = 0, not 1.
    r = fl.verify(DELAY, previous, 10, **SAT_RF)
    assert (r.counterexample, r.expected, r.actual, r.checked) == ((1, 0), 1, 0, 5)


def test_agrees_with_run_on_a_cell_that_is_not_finite_state():
    # Exact activations, raw feedback, small weights: verify needs no machine.
    cell = fl.ScalarLSTM(W_fh=0.3, b_f=0.5, W_ix=1.2, W_oh=-0.7, b_o=1.0, W_ch=1.5, W_cx=-2.0)
    with pytest.raises(ValueError, match="not finite"):
        fl.extract_automaton(cell, max_states=500)
    seen = {}

    def predicate(prefix):
        seen[prefix] = int(fl.run(cell, prefix).rounded[-1])
        return seen[prefix]
    r = fl.verify(cell, predicate, 9)            # levels 8 and 9 use the parallel kernel
    assert r.holds and r.checked == len(seen) == 2 ** 10 - 2


def test_counterexample_is_shortest_path_to_a_corrupted_state():
    rng = np.random.default_rng(11)
    tested = 0
    for _ in range(60):
        cell = 25.0 * rng.integers(-8, 9, size=12)
        try:
            m = fl.extract_automaton(cell, max_states=300, **SAT_RF).minimize()
        except ValueError:
            continue
        truth = lambda p: int(m.run(p)[-1])  # noqa: E731
        assert fl.verify(cell, truth, 8, **SAT_RF).holds
        if len(m) < 2:
            continue
        target = int(rng.integers(1, len(m)))
        # Shortest, then alphabetically first, input that reaches `target`: plain BFS.
        queue, first = deque([(m.start, ())]), None
        visited = {m.start}
        while queue:
            state, word = queue.popleft()
            for a, x in enumerate(m.alphabet):
                nxt = int(m.transitions[state, a])
                if nxt == target and first is None:
                    first = word + (x,)
                if nxt not in visited:
                    visited.add(nxt)
                    queue.append((nxt, word + (x,)))
        if first is None or len(first) > 8:
            continue

        def wrong(p):
            states = [m.start]
            for x in p:
                states.append(m.step(states[-1], x))
            return truth(p) + (states[-1] == target)
        r = fl.verify(cell, wrong, 8, **SAT_RF)
        assert r.counterexample == first and r.actual == r.expected - 1
        tested += 1
    assert tested >= 5


def test_predicate_sees_tuples_of_the_alphabet_symbols():
    seen = []

    def truth(p):
        seen.append(p)
        return int(fl.run(fl.presets.parity(), p).rounded[-1])
    assert fl.verify(fl.presets.parity(), truth, 2, alphabet=(0.0, 0.5, 1)).holds
    assert seen[:4] == [(0.0,), (0.5,), (1,), (0.0, 0.0)] and len(seen) == 3 + 9
    assert [type(x) for x in seen[2] + seen[3]] == [int, float, float]


def test_h0_c0_and_other_alphabets():
    cell = fl.presets.parity()
    for alphabet in [(0, 1), (-1, 0, 1)]:
        def truth(p):
            return int(fl.run(cell, p, h0=1.0, c0=-1.0, **SAT_RF).rounded[-1])
        assert fl.verify(cell, truth, 5, alphabet, h0=1.0, c0=-1.0, **SAT_RF).holds


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((lambda p: 0, 0), {}, ValueError, "max_len must be an integer >= 1"),
    ((lambda p: 0, 2.5), {}, TypeError, "max_len must be an integer"),
    ((lambda p: 0, True), {}, TypeError, "max_len must be an integer"),
    ((0, 3), {}, TypeError, "predicate must be callable"),
    ((lambda p: 0, 20, (0, 1, 2)), {}, ValueError, "3\\*\\*20"),
    ((lambda p: 0, 3, (0, 0)), {}, ValueError, "distinct"),
    ((lambda p: 0, 3), dict(threshold=-1), ValueError, "threshold"),
    ((lambda p: 0, 3), dict(c0=float("inf")), ValueError, "c0"),
])
def test_validation(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        fl.verify(fl.presets.parity(), *args, **kwargs)


def test_counterexample_found_across_chunk_boundaries(monkeypatch):
    # Compare a level in slices of 5 strings: the failure is the very last string.
    monkeypatch.setattr(sys.modules["fastlstm.automata.verify"], "_CHUNK", 5)

    def almost(p):
        return parity_answer(p) + (p == (1,) * 8)
    r = fl.verify(fl.presets.parity(), almost, 9)
    assert r.counterexample == (1,) * 8 and r.checked == 2 ** 9 - 2
    assert (r.expected, r.actual) == (-1 + 1, -1)
    assert fl.verify(fl.presets.parity(), parity_answer, 9).checked == 2 ** 10 - 2


def test_numpy_integer_max_len():
    r = fl.verify(fl.presets.parity(), parity_answer, np.int64(4))
    assert r.holds and r.max_len == 4 and type(r.max_len) is int and r.checked == 2 ** 5 - 2


def never_called(prefix):
    raise AssertionError(f"the search started (predicate called with {len(prefix)} symbols)")


@pytest.mark.parametrize("max_len, alphabet, expected", [
    # 2**max_len used to be computed (and printed) in full: 10**6 failed with an
    # unrelated integer-conversion message (2**32 and beyond: see the next test).
    (10 ** 6, (0, 1), r"about 10\*\*301030\.0 strings.*max_len <= 22"),
    (23, (0, 1), r"2\*\*23 = 8388608 strings of length 23.*4194304.*max_len <= 22"),
    (14, (0, 1, 2), r"3\*\*14 = 4782969 strings.*max_len <= 13"),
    # a one-symbol alphabet has one string per length, yet 2**15 lengths are
    # still about 2**29 symbols handed to the predicate
    (2 ** 15, (0,), r"32768 lengths.*lengths up to 16384.*max_len <= 16384"),
    (10 ** 100, (0,), r"max_len <= 16384"),
])
def test_searches_that_cannot_finish_are_refused_up_front(max_len, alphabet, expected):
    # never_called shows that the refusal comes before any string is checked.
    with pytest.raises(ValueError, match=expected) as info:
        fl.verify(fl.presets.parity(), never_called, max_len, alphabet)
    assert "fl.extract_automaton" in str(info.value)  # the way out


GIANT = r"""
import fastlstm as fl

def never_called(prefix):
    raise AssertionError("the search started")

for max_len in (2 ** 32, 2 ** 1100):
    try:
        fl.verify(fl.presets.parity(), never_called, max_len)
    except ValueError as exc:
        print(exc)
"""


def test_giant_max_len_is_refused_without_computing_the_count():
    # 2**(2**32) grew without bound before the refusal; 2**(2**1100) never finishes.
    # A subprocess bounds a regression to a hang.
    done = subprocess.run([sys.executable, "-c", GIANT], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert re.fullmatch(r"max_len=4294967296 is too large: it means 2\*\*4294967296 = about "
                        r"10\*\*1292913986\.\d strings of length 4294967296, .*max_len <= 22 .*",
                        first)
    assert re.match(r"max_len=\d+ is too large: it means 2\*\*\d+ = more than "
                    r"10\*\*\(10\*\*18\) strings", second)
    assert "fl.extract_automaton" in second


def test_the_bounds_themselves_are_accepted():
    verify_module = sys.modules["fastlstm.automata.verify"]
    assert (verify_module.MAX_LEVEL, verify_module.MAX_LEN) == (2 ** 22, 2 ** 14)
    # 3**13 <= 2**22 < 3**14; a failure at length 1 ends the search at once.
    r = fl.verify(fl.presets.parity(), lambda p: 99, 13, (0, 1, 2))
    assert not r.holds and r.counterexample == (0,)
    assert fl.verify(fl.presets.parity(), lambda p: 0, 300, (0,)).checked == 300
