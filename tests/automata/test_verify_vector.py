"""verify() for vector cells (LSTMCell): bounded checks of the rounded h vector or a label.

Expected answers are the worked example's answer (``parity_answer``) applied to
each component, or the plain oracle tests/naive.py; none is copied from the
code's output.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.automata.verify import MAX_LEVEL

from .. import naive
from .cells import SAT_RF, parity_answer
from .test_extract_vector import PAIRS, PARITY, two_parities


def pair_answer(prefix):
    return tuple(parity_answer([x[u] for x in prefix]) for u in range(2))


@pytest.mark.parametrize("semantics", [SAT_RF, dict(activation="exact")])
def test_two_parities_answer_both_components(semantics):
    r = fl.verify(two_parities(), pair_answer, 5, PAIRS, **semantics)
    assert r.holds and r.counterexample is None
    assert r.checked == sum(4 ** k for k in range(1, 6))


def test_counterexample_is_the_first_shortest_failure():
    # Swapped components: fails first on (0, 1), the second string in alphabet order.
    r = fl.verify(two_parities(), lambda p: pair_answer(p)[::-1], 4, PAIRS, **SAT_RF)
    assert (r.counterexample, r.expected, r.actual, r.checked) == (((0, 1),), (1, 0), (0, 1), 2)


def test_literal_saturated_rule_counterexample_per_component():
    # Under the literal saturated rule (raw feedback) the worked example's answer
    # first fails on 1 0 0 1 (docs/automaton.md); with both components reading
    # the same bits, the first failing string is that one, on both units.
    diagonal = [(0, 0), (1, 1)]
    sem = dict(activation="saturated")
    r = fl.verify(two_parities(), pair_answer, 6, diagonal, **sem)
    for k, s in enumerate(itertools.chain.from_iterable(
            itertools.product((0, 1), repeat=n) for n in range(1, 7)), start=1):
        actual = naive.run(PARITY, s, **sem)["rounded"][-1]
        if actual != parity_answer(s):
            break
    word = tuple((b, b) for b in s)
    assert (r.counterexample, r.actual, r.checked) == (word, (actual, actual), k)


def test_readout_label_is_checked():
    readout = fl.Readout([[1.0, 1.0]])
    label = lambda p: int(np.sign(sum(pair_answer(p))))  # noqa: E731
    assert fl.verify(two_parities(), label, 4, PAIRS, readout=readout, **SAT_RF).holds
    r = fl.verify(two_parities(), lambda p: 0, 4, PAIRS, readout=readout, **SAT_RF)
    assert (r.counterexample, r.expected, r.actual) == (((0, 1),), 0, 1)


def test_one_unit_cell_verifies_like_its_scalar_cell():
    sem = dict(activation="saturated")
    scalar = fl.verify(PARITY, parity_answer, 8, **sem)
    vector = fl.verify(fl.LSTMCell.from_scalar(PARITY), parity_answer, 8, **sem)
    assert vector == scalar and not vector.holds


def test_level_bound_scales_with_units():
    # n = 2 units: at most MAX_LEVEL // 2 strings of one length, 4**10 for 4 symbols.
    largest = next(k for k in itertools.count() if 4 ** (k + 1) > MAX_LEVEL // 2)
    with pytest.raises(ValueError, match=f"Use max_len <= {largest} for this alphabet"):
        fl.verify(two_parities(), pair_answer, largest + 1, PAIRS)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(alphabet=(0, 1)), ValueError, "vectors of length 2"),
    (dict(predicate=3), TypeError, "predicate must be callable"),
    (dict(readout=fl.Readout([[1.0]])), ValueError, "readout reads vectors of length 1"),
    (dict(h0=[[0.0, 0.0]]), ValueError, "h0"),
])
def test_bad_input_is_refused_naming_it(kwargs, error, match):
    kwargs = {"alphabet": PAIRS, "predicate": pair_answer, **kwargs}
    with pytest.raises(error, match=match):
        fl.verify(two_parities(), max_len=2, **kwargs)
