"""fl.find_counter and the Dyck-1 preset against a plain Python oracle of the language."""

from __future__ import annotations

import pytest

import fastlstm as fl
from tests.automata.cells import SAT_RF, parity_answer, strings

BRACKETS = (1, -1)   # "(" and ")"


def dyck_output(prefix):
    """+1 while brackets are open, 0 when balanced, -1 for ever after an unmatched ")"."""
    depth = 0
    for x in prefix:
        depth += 1 if x == 1 else -1
        if depth < 0:
            return -1
    return 1 if depth > 0 else 0


@pytest.mark.parametrize("semantics", list(fl.TABLE_ROWS.values()), ids=list(fl.TABLE_ROWS))
def test_dyck1_preset_recognises_balanced_brackets(semantics):
    r = fl.verify(fl.presets.dyck1(), dyck_output, 12, BRACKETS, **semantics)
    assert r.holds, r


def test_counter_machine_of_dyck1():
    m = fl.find_counter(fl.presets.dyck1(), BRACKETS, **SAT_RF)
    # By hand: controls h = 0 (start), then -1 and 1 as discovered; f = i = 1 and
    # g = sign(x) unless h = -1 (then g = -1), so the increments are:
    control = {h: q for q, h in enumerate(m.controls)}
    assert set(control) == {0.0, 1.0, -1.0}
    for h in (0.0, 1.0):
        assert m.increments[control[h]].tolist() == [1.0, -1.0]
    assert m.increments[control[-1.0]].tolist() == [-1.0, -1.0]
    assert (m.forget == 1.0).all()
    assert [m.outputs[control[h]] for h in (0.0, 1.0, -1.0)] == [0, 1, -1]
    # The tests on the moved counter: round(tanh(c)) changes at |c| = atanh(1/2).
    assert m.bounds[control[0.0]][0][1] + 1 == pytest.approx(0.5493061443, abs=1e-9)
    assert m.checked.holds and m.checked.max_len == 12
    for w in strings(10, BRACKETS, min_len=0):
        assert m.output(w) == dyck_output(w)
        assert m.accepts(w) == (dyck_output(w) == 0)
    text = m.describe()
    assert "PROVED for every input whose counter stays within +-2**53" in text
    assert "agree with fastlstm.run on 8190 strings of length 1 to 12" in text


def test_long_input_is_still_counted():
    # 3000 opening brackets then 3000 closing: far past any tested length.
    x = [1] * 3000 + [-1] * 3000
    m = fl.find_counter(fl.presets.dyck1(), BRACKETS, check_len=0, **SAT_RF)
    assert m.run(x).tolist() == fl.run(fl.presets.dyck1(), x, **SAT_RF).rounded.tolist()
    assert m.output(x) == 0 and m.output(x + [-1]) == -1


def test_resets_count_too():
    # The parity cell resets c every step (f = 0): a counter machine with no
    # counting, whose outputs are the worked example's answers.
    m = fl.find_counter(fl.presets.parity(), **SAT_RF)
    assert (m.forget == 0.0).all() and "(reset)" in m.describe()
    for w in strings(8, min_len=1):
        assert m.output(w) == parity_answer(w)


def test_not_a_counter_is_refused():
    # f = sigmoid(0) = 1/2: c halves, neither counted nor reset.
    with pytest.raises(ValueError, match="not a counter: .* forget gate is 0.5, neither 1 nor 0"):
        fl.find_counter(fl.ScalarLSTM(b_i=100.0, b_c=100.0), **SAT_RF)
    with pytest.raises(ValueError, match="round_feedback=True"):
        fl.find_counter(fl.presets.dyck1(), BRACKETS, round_feedback=False)
    with pytest.raises(ValueError, match="not in the alphabet"):
        fl.find_counter(fl.presets.dyck1(), BRACKETS, check_len=0, **SAT_RF).run([1, 0])


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(check_len=-1), ValueError, "check_len"),
    (dict(check_len=2.5), TypeError, "check_len"),
    (dict(alphabet="()"), TypeError, "alphabet"),
    (dict(threshold=0), ValueError, "threshold"),
    (dict(c0=float("nan")), ValueError, "c0"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    args = dict(dict(alphabet=BRACKETS, **SAT_RF), **kwargs)
    with pytest.raises(error, match=match):
        fl.find_counter(fl.presets.dyck1(), **args)
