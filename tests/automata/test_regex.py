"""MooreMachine.regex: patterns checked against every string up to a length."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fastlstm as fl

from .cells import (PARITY_OUTPUTS, PARITY_TABLE, SAT_RF, ends_in_odd_run_of_ones, parity_answer,
                    strings)


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
