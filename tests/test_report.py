"""fastlstm.report: per-step tables in every format, checked against the run they show."""

import csv
import dataclasses
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastlstm as fl
from fastlstm import report

PARITY = fl.presets.parity()
X = [1, 1, 0, 1, 1]
LITERAL = "saturated closed, raw feedback"


def traced(x=X, **kw):
    return fl.run(PARITY, x, trace=True, **kw)


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


# --- JSON and CSV carry the run's values exactly -----------------------------

@pytest.mark.parametrize("kw", [{}, dict(activation="saturated"),
                                dict(activation="saturated", round_feedback=True),
                                dict(activation="saturated", inclusive=False)])
def test_json_is_the_run(kw):
    tr = traced(**kw)
    d = json.loads(report.format_trajectory(tr, X, "json", extra={"note": 1}))
    assert d["note"] == 1
    assert d["x"] == [float(v) for v in X]
    assert d["h"] == tr.h.tolist() and d["c"] == tr.c.tolist() and d["h_raw"] == tr.h_raw.tolist()
    assert d["rounded"] == tr.rounded.tolist()
    assert d["semantics"] == dict(activation="exact", threshold=1.0, inclusive=True,
                                  round_feedback=False) | kw
    for k, name in enumerate(fl.GATE_NAMES):
        assert d["gates"][name] == tr.gates[:, k].tolist()
    for k, name in enumerate(fl.PREACTIVATION_NAMES):
        assert d["preactivations"][name] == tr.preactivations[:, k].tolist()
        assert d["regimes"][name] == tr.regimes[:, k].tolist()
        assert d["boundary_hits"][name] == tr.boundary_hits[:, k].tolist()
    band = (tr.regimes == 0) & ~tr.boundary_hits
    assert d["band_steps"] == np.flatnonzero(band.any(axis=1)).tolist()
    assert d["boundary_steps"] == np.flatnonzero(tr.boundary_hits.any(axis=1)).tolist()
    assert sorted(set(d["band_steps"]) | set(d["boundary_steps"])) == tr.band_steps.tolist()


def test_json_of_the_worked_example_key():
    key = {(0, 0, 1, 1, 1, 0): [0, 0, 1, -1, 1, 0], (1, 1, 0, 1, 1): [1, -1, 0, 1, -1]}
    for x, answer in key.items():
        assert json.loads(fl.run(PARITY, x).to_table("json"))["rounded"] == answer


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=8),
       st.sampled_from(list(fl.TABLE_ROWS.values())))
def test_json_and_csv_round_trip_exactly(x, kw):
    tr = fl.run(PARITY, x, trace=True, **kw)
    d = json.loads(report.format_trajectory(tr, x, "json"))
    assert d["h"] == tr.h.tolist() and d["c"] == tr.c.tolist()
    rows = csv_rows(report.format_trajectory(tr, x, "csv"))
    assert [float(r["h"]) for r in rows] == tr.h.tolist()
    assert [float(r["z_g"]) for r in rows] == tr.preactivations[:, 3].tolist()
    assert [int(r["rounded"]) for r in rows] == tr.rounded.tolist()
    assert [r["regimes"] for r in rows] == report.regime_marks(tr).tolist()


def test_json_writes_non_finite_values_as_null():
    # JSON has no inf, so a non-finite value becomes null.  fl.run refuses inputs
    # whose pre-activations could overflow, so the inf is put into a trajectory
    # by hand (a Trajectory built elsewhere may still hold one).
    x = [1.0, 0.0]
    run = fl.run(PARITY, x, trace=True)
    pre = run.preactivations.copy()
    pre[0, 1] = np.inf
    tr = dataclasses.replace(run, preactivations=pre)
    d = json.loads(tr.to_table("json", x=x))
    assert d["preactivations"]["i"][0] is None and d["h"] == tr.h.tolist()


def test_csv_columns():
    tr = traced(activation="saturated", round_feedback=True)
    rows = csv_rows(report.format_trajectory(tr, X, "csv"))
    assert list(rows[0]) == ["t", "x", "z_f", "z_i", "z_o", "z_g", "z_c", "f", "i", "o", "g",
                             "c", "h_raw", "h", "rounded", "regimes"]
    assert [float(r["h_raw"]) for r in rows] == tr.h_raw.tolist()
    plain = csv_rows(fl.run(PARITY, X).to_table("csv"))
    assert list(plain[0]) == ["t", "c", "h", "rounded"]


# --- regime marks and flags -----------------------------------------------------

def test_regime_marks_follow_the_trace():
    tr = traced(activation="saturated")
    marks = report.regime_marks(tr)
    for t in range(len(X)):
        for k in range(5):
            expected = ("=" if tr.boundary_hits[t, k]
                        else {1: "+", -1: "-", 0: "~"}[int(tr.regimes[t, k])])
            assert marks[t][k] == expected
    # The worked example: at t=3 of the literal rule the candidate pre-activation is 0,
    # in the band (docs/semantics.md).
    assert marks[3][fl.PREACTIVATION_NAMES.index("g")] == "~"


def test_step_flags_name_the_preactivations():
    tr = traced(activation="saturated")
    flags = report.step_flags(tr)
    for t in range(len(X)):
        band = [n for k, n in enumerate(fl.PREACTIVATION_NAMES)
                if tr.regimes[t, k] == 0 and not tr.boundary_hits[t, k]]
        hit = [n for k, n in enumerate(fl.PREACTIVATION_NAMES) if tr.boundary_hits[t, k]]
        if band or hit:
            assert flags[t] == {"band": tuple(band), "boundary": tuple(hit)}
        else:
            assert t not in flags
    assert "g" in flags[3]["band"] and "o" in flags[2]["band"]


def test_trace_needed_and_single_sequence():
    with pytest.raises(ValueError, match="trace=True"):
        report.regime_marks(fl.run(PARITY, X))
    batch = fl.run_batch(PARITY, [X, X], trace=True)
    with pytest.raises(ValueError, match="single sequence"):
        report.step_flags(batch)


# --- text, Markdown and LaTeX ---------------------------------------------------

def test_text_table():
    tr = traced()
    text = report.format_trajectory(tr, X, "table", title="TITLE")
    lines = text.splitlines()
    assert lines[0] == "TITLE"
    assert lines[1].split() == ["t", "x", "z_f", "z_i", "z_o", "z_g", "z_c", "f", "i", "o", "g",
                                "c", "h", "rounded", "regimes", "fiogc"]
    body = [line.split() for line in lines[2:2 + len(X)]]
    assert [int(r[0]) for r in body] == list(range(len(X)))
    assert [int(r[-2]) for r in body] == tr.rounded.tolist()
    assert [r[-1] for r in body] == report.regime_marks(tr).tolist()
    assert [float(r[-3]) for r in body] == pytest.approx(tr.h.tolist(), rel=1e-3)
    flagged = lines[-1]
    assert flagged.startswith("flagged steps: ")
    for t in report.step_flags(tr):
        assert f"t={t} " in flagged


def test_text_table_keeps_the_sign_of_zero():
    # The worked example's key writes the last answer of 0 0 1 1 1 0 as -0.
    text = fl.run(PARITY, [0, 0, 1, 1, 1, 0]).to_table()
    assert text.splitlines()[-1].split()[-1] == "-0"
    assert text.splitlines()[0] == "semantics: exact"


def test_digits():
    tr = fl.run(PARITY, X)
    assert "0.7615942" in tr.to_table(digits=7) and "0.762" in tr.to_table()


def test_markdown_and_latex_have_one_row_per_step():
    tr = traced()
    md = tr.to_table("markdown", x=X).splitlines()
    assert len(md) == 2 + len(X) and md[1].startswith("|--:")
    assert all(line.count("|") == md[0].count("|") for line in md)
    assert md[2 + 2].endswith(f"`{report.regime_marks(tr)[2]}` |")
    tex = tr.to_table("latex", x=X).splitlines()
    assert tex[0].startswith(r"\begin{array}{") and tex[-1] == r"\end{array}"
    assert len(tex) == 3 + len(X) + 1
    assert r"{\sim}" in tex[3 + 2]          # t=2: o is in the band
    assert r" & 3.72 \cdot 10^{-44} & " in tex[3]   # the exact forget gate
    assert tr._repr_latex_() == "$$" + tr.to_table("latex") + "$$"


def test_long_runs_list_the_first_flagged_steps():
    x = [0, 1] * 30
    tr = fl.run(PARITY, x, trace=True)
    flags = report.step_flags(tr)
    assert len(flags) > report.MAX_FLAGGED
    last = tr.to_table().splitlines()[-1]
    assert last.count("; t=") == report.MAX_FLAGGED - 1
    assert last.endswith(f"... and {len(flags) - report.MAX_FLAGGED} more (the JSON format lists "
                         "them all: band_steps, boundary_steps)")
    text = str(fl.compare(PARITY, x))
    assert f"... and {len(flags) - report.MAX_FLAGGED} more" in text
    answer = next(line for line in text.splitlines() if line.startswith("  exact "))
    assert answer.endswith(f"... ({len(x) - report.MAX_FLAGGED} more)")


def test_batch_tables_have_a_b_column():
    tr = fl.run_batch(PARITY, [X, [0, 0, 1, 1, 0]], trace=True)
    rows = csv_rows(tr.to_table("csv"))
    assert len(rows) == 10 and [r["b"] for r in rows] == ["0"] * 5 + ["1"] * 5
    assert [float(r["h"]) for r in rows] == tr.h.ravel().tolist()
    d = json.loads(tr.to_table("json"))
    assert d["rounded"] == tr.rounded.tolist() and "band_steps" not in d


def test_bad_arguments():
    tr = fl.run(PARITY, X)
    with pytest.raises(ValueError, match="format must be one of"):
        tr.to_table("html")
    with pytest.raises(ValueError, match=r"x must have the trajectory's shape \(5,\)"):
        tr.to_table(x=[1, 2])


def test_describe_semantics_is_the_one_wording():
    for sem in (fl.Semantics(), fl.Semantics("saturated", threshold=2.5)):
        assert report.describe_semantics(sem) == sem.describe()
