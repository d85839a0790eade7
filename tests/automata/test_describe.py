"""MooreMachine.describe: the table, the hypotheses proved, the regexes, the semantics in words."""

from __future__ import annotations

import pytest

import fastlstm as fl

from .cells import PARITY_OUTPUTS, PARITY_TABLE, SAT_RF


def test_parity_describe_answers_the_worked_example():
    text = fl.extract_automaton(fl.presets.parity(), **SAT_RF).minimize().describe()
    assert "3 states (minimal, from 5)" in text
    # The semantics in the words of Semantics.describe(): saturated, threshold 1 (printed
    # with %g), inclusive=True is the closed boundary where |z| >= 1 saturates, and
    # round_feedback=True is rounded feedback.
    assert text.splitlines()[1] == ("Semantics: saturated, threshold 1, closed boundary "
                                    "(|z| >= 1 saturates), rounded feedback.")
    assert "carries exactly whether the run of 1s ending at t has odd length" in text
    assert "rounded h_t = 1 when the run of 1s ending at t has odd length" in text
    assert "rounded h_t = -1 when the run of 1s ending at t has even length" in text
    assert "rounded h_t = 0 when x_t is not 1" in text
    assert "Proved on the machine, for inputs of every length" in text
    assert "v = 1: (?:[01]*0)?1(?:11)*" in text

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


@pytest.mark.parametrize("semantics", [*fl.TABLE_ROWS.values(),
                                       dict(activation="saturated", threshold=2.5,
                                            inclusive=False, round_feedback=True)])
def test_semantics_line_is_semantics_describe(semantics):
    # One wording of a semantics: describe() prints Semantics.describe(), for every row of
    # the semantics table, on the machine and on its minimisation.
    sem = fl.Semantics(**semantics)
    m = fl.MooreMachine(PARITY_TABLE, PARITY_OUTPUTS, semantics=sem)
    for machine in (m, m.minimize()):
        lines = machine.describe().splitlines()
        assert lines[1] == f"Semantics: {sem.describe()}."
        assert lines[2].startswith("Output of a state: the rounded h_t")


def test_semantics_line_by_the_rule():
    # Exact activations have no threshold and no boundary; raw feedback is the default and
    # only rounded feedback is named.  Open boundary: |z| > theta saturates.
    words = {
        name: fl.MooreMachine(PARITY_TABLE, PARITY_OUTPUTS,
                                  semantics=fl.Semantics(**kw)).describe().splitlines()[1]
        for name, kw in [("exact", {}), ("exact rounded", dict(round_feedback=True)),
                             ("open", dict(activation="saturated", threshold=2.5,
                                           inclusive=False))]}
    assert words == {
        "exact": "Semantics: exact.",
        "exact rounded": "Semantics: exact, rounded feedback.",
        "open": "Semantics: saturated, threshold 2.5, open boundary (|z| > 2.5 saturates), "
                "raw feedback.",
    }


def test_no_semantics_line_for_a_hand_built_machine():
    text = fl.MooreMachine(PARITY_TABLE, PARITY_OUTPUTS).describe()
    assert "Semantics" not in text and "Output of a state" not in text
    assert text.splitlines()[1] == ""


def test_extracted_machine_describes_its_semantics():
    m = fl.extract_automaton(fl.presets.parity(), **SAT_RF)
    assert m.semantics == fl.Semantics(**SAT_RF)
    assert f"Semantics: {m.semantics.describe()}." in m.describe()
