"""fastlstm.compare: one sequence under every row of the semantics table (docs/semantics.md)."""

import csv
import io
import json

import numpy as np
import pytest

import fastlstm as fl
from fastlstm import report

PARITY = fl.presets.parity()
X = [1, 1, 0, 1, 1]
LITERAL = "saturated closed, raw feedback"


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_compare_runs_every_table_row():
    cmp = fl.compare(PARITY, X)
    assert list(cmp.runs) == list(fl.TABLE_ROWS)
    for name, kw in fl.TABLE_ROWS.items():
        tr = fl.run(PARITY, X, **kw)
        assert cmp.runs[name].h.tolist() == tr.h.tolist()
    # The semantics table: the literal rule answers 0 1 at t=3, 4; the others 1 -1.
    assert cmp.disagreements.tolist() == [3, 4]
    assert cmp.differs(LITERAL).tolist() == [3, 4]
    assert cmp.runs[LITERAL].rounded[3:].tolist() == [0, 1]
    assert cmp.flags[LITERAL] == report.step_flags(cmp.runs[LITERAL])


def test_compare_options():
    cmp = fl.compare(PARITY, X, rows={"a": {}, "b": dict(activation="saturated")},
                         threshold=2.0, h0=0.5)
    assert list(cmp.runs) == ["a", "b"]
    tr = fl.run(PARITY, X, activation="saturated", threshold=2.0, h0=0.5)
    assert cmp.runs["b"].h.tolist() == tr.h.tolist()
    with pytest.raises(ValueError, match="rows"):
        fl.compare(PARITY, X, rows={})
    with pytest.raises(ValueError, match="threshold"):
        fl.compare(PARITY, X, threshold=-1)


def test_compare_text_shows_the_disagreement():
    cmp = fl.compare(PARITY, X)
    text = str(cmp)
    for name, tr in cmp.runs.items():
        line = next(line for line in text.splitlines() if line.strip().startswith(name))
        answer = " ".join(str(v) for v in tr.rounded.tolist())
        assert line.split(name)[1].strip().startswith(answer)
        assert ("differs at t=3, 4" in line) == (name == LITERAL)
    flagged = {int(line.split(":")[0].strip()[2:]) for line in text.splitlines()
               if line.startswith("  t=")}
    assert flagged == {t for tr in cmp.runs.values() for t in report.step_flags(tr)}
    assert {2, 3} <= flagged
    assert text.splitlines()[-1] == "the semantics disagree at t=3, 4"
    # One row per step under the caption, a blank line and two header lines;
    # marks * where the literal rule differs.
    rows = text.splitlines()[4:4 + len(X)]
    assert [row.split("|")[2].rstrip().endswith("*") for row in rows] == [False] * 3 + [True] * 2


def test_compare_formats():
    cmp = fl.compare(PARITY, X)
    d = json.loads(cmp.to_table("json", extra={"cell": "parity"}))
    assert d["cell"] == "parity" and d["disagreements"] == [3, 4] and d["x"] == [1, 1, 0, 1, 1]
    assert [r["name"] for r in d["runs"]] == list(fl.TABLE_ROWS)
    for r in d["runs"]:
        assert r["h"] == cmp.runs[r["name"]].h.tolist()
        assert r["rounded"] == cmp.runs[r["name"]].rounded.tolist()
    rows = csv_rows(cmp.to_table("csv"))
    assert len(rows) == 4 * len(X)
    assert [r["semantics"] for r in rows[::len(X)]] == list(fl.TABLE_ROWS)
    assert [float(r["h"]) for r in rows] == np.concatenate(
        [tr.h for tr in cmp.runs.values()]).tolist()
    md = cmp.to_table("markdown").splitlines()
    assert len(md) == 2 + len(X) and "sat closed/raw h" in md[0]
    tex = cmp.to_table("latex")
    assert tex.startswith(r"\begin{array}") and cmp._repr_latex_() == f"$${tex}$$"
    assert "agree at every step" in str(fl.compare(PARITY, [0, 0]))
