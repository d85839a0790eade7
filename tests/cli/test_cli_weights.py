"""``fastlstm run/explain --weights FILE``: output checked against the library
(load_weights, run_vector, Readout.label), vector inputs, and every refusal as one
line on stderr."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.cell import LSTMCell
from fastlstm.vector import run_vector
from tests.cli.test_cli import ok, refused

PARITY_NET = str(fl.presets.weights_file("parity_lstm"))
ROUNDED = ("--activation", "saturated", "--round-feedback")


def test_run_json_is_the_library_run(capsys):
    d = json.loads(ok(capsys, "run", "--weights", PARITY_NET, "--format", "json", "001110"))
    cell, readout = fl.load_weights(PARITY_NET)
    tr = run_vector(cell, [0, 0, 1, 1, 1, 0])
    assert d["h"] == tr.h.tolist() and d["c"] == tr.c.tolist()
    assert d["rounded"] == tr.rounded.tolist()
    assert d["label"] == readout.label(tr.h).tolist() == [0, 0, 1, -1, 1, 0]  # the key
    assert d["cell"]["hidden_size"] == 3 and d["cell"]["readout"]["labels"] == [-1, 0, 1]


def test_run_table_and_csv(capsys):
    out = ok(capsys, "run", "--weights", PARITY_NET, *ROUNDED, "1", "1", "0", "1", "1")
    lines = out.splitlines()
    assert lines[0].startswith(f"cell: weights {PARITY_NET} (hidden size 3, input size 1")
    assert "rounded feedback" in lines[0]
    assert lines[1].split() == ["t", "x", "h0", "h1", "h2", "rounded0", "rounded1", "rounded2",
                                "label"]
    assert [int(line.split()[-1]) for line in lines[2:]] == [1, -1, 0, 1, -1]  # the key
    rows = ok(capsys, "run", "--weights", PARITY_NET, "--format", "csv", "0.5,1").splitlines()
    cell, _ = fl.load_weights(PARITY_NET)
    h = run_vector(cell, [0.5, 1.0]).h
    assert rows[0].startswith("t,x,h0,h1,h2,rounded0")
    assert [float(v) for v in rows[1].split(",")[2:5]] == h[0].tolist()  # csv is exact


def test_explain_gives_the_tasks_machine(capsys):
    out = ok(capsys, "explain", "--weights", PARITY_NET, *ROUNDED)
    assert "Moore machine: 3 states (minimal" in out
    assert "label(h_t) = 1 when the run of 1s ending at t has odd length" in out
    d = json.loads(ok(capsys, "explain", "--weights", PARITY_NET, *ROUNDED, "--format", "json"))
    assert d["states"] == 3 and sorted(d["outputs"]) == [-1, 0, 1]
    assert d["cell"]["weights"] == PARITY_NET


@pytest.fixture
def two_parity_cells(tmp_path):
    """Two independent parity cells side by side (n = m = 2, block-diagonal), no readout."""
    one = LSTMCell.from_scalar(fl.presets.parity())
    eye = np.eye(2)
    path = tmp_path / "two.npz"
    np.savez(path, weight_ih=np.kron(one.W_ih, eye), weight_hh=np.kron(one.W_hh, eye),
             bias_ih=np.repeat(one.b_ih, 2))
    return str(path)


def test_vector_inputs_and_alphabet(capsys, two_parity_cells):
    d = json.loads(ok(capsys, "run", "--weights", two_parity_cells, "--format", "json",
                      "0,1 0,1", "1,0", "1,1"))
    assert d["x"] == [[0, 1], [0, 1], [1, 0], [1, 1]] and d["label"] is None
    # each unit is the parity cell on its own column: the key's answers per column
    assert np.array(d["rounded"]).T.tolist() == [[0, 0, 1, -1], [1, -1, 0, 1]]
    d = json.loads(ok(capsys, "explain", "--weights", two_parity_cells, *ROUNDED,
                      "--alphabet", "0,0;0,1;1,0;1,1", "--format", "json"))
    assert d["states"] == 9  # 3 states of each parity cell, independently
    assert d["alphabet"] == [[0, 0], [0, 1], [1, 0], [1, 1]]


@pytest.mark.parametrize("argv, match", [
    (["run", "--preset", "parity", "1"], "--weights gives the cell: drop --preset"),
    (["run", "--params", "W_fh=1", "1"], "drop --params"),
    (["run", "--compare", "1"], "drop it with --weights"),
    (["run", "--format", "latex", "1"], "--format latex is not available with --weights"),
    (["run", "x"], "input 'x' is not a number"),
])
def test_refusals(capsys, argv, match):
    err = refused(capsys, argv[0], "--weights", PARITY_NET, *argv[1:])
    assert match in err


def test_refusals_of_vector_inputs_and_files(capsys, two_parity_cells, tmp_path):
    assert "input '1,0,1' has 3 numbers; the cell reads 2" in refused(
        capsys, "run", "--weights", two_parity_cells, "1,0,1")
    assert "input '1,a' is not 2 numbers" in refused(
        capsys, "run", "--weights", two_parity_cells, "1,a")
    assert "--alphabet symbol '2' has 1 numbers" in refused(
        capsys, "explain", "--weights", two_parity_cells, "--alphabet", "2")
    missing = str(tmp_path / "none.npz")
    assert "does not exist" in refused(capsys, "run", "--weights", missing, "1")
    bad = tmp_path / "keys.npz"
    np.savez(bad, weight=np.ones((1, 2)))
    assert "exactly one LSTM layer" in refused(capsys, "run", "--weights", str(bad), "1")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"junk")
    assert "cannot be read as .npz" in refused(capsys, "explain", "--weights", str(junk))


def test_a_folder_or_fifo_is_a_bad_argument(capsys, tmp_path):
    """Usage errors exit 2, as a --weights file that does not exist does."""
    (tmp_path / "x.pt").mkdir()
    assert "is a folder, not a file" in refused(capsys, "run", "--weights",
                                                str(tmp_path / "x.pt"), "1")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "f.pt")
        assert "is not a regular file" in refused(capsys, "explain", "--weights",
                                                  str(tmp_path / "f.pt"))


def test_a_pt_file_without_torch_exits_1_naming_the_extra(capsys, tmp_path, monkeypatch):
    path = tmp_path / "net.pt"
    path.write_bytes(b"unread")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    err = refused(capsys, "run", "--weights", str(path), "1", status=1)
    assert "pip install 'fastlstm[torch]'" in err and "No module named" not in err
