"""``fastlstm explain`` on trained networks and with ``--learn``: the machine learned, checked
against the library's ``fl.learn_automaton`` on the same cell."""

import json

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.cli import main
from tests.automata.test_boxes import CELL, READOUT
from tests.cli.test_cli import refused


def ok(capsys, *argv):
    assert main(list(argv)) == 0
    out, err = capsys.readouterr()
    return out, err


def test_tomita_preset_is_learned_with_its_readout(capsys):
    out, err = ok(capsys, "explain", "--preset", "tomita2")
    cell, readout = fl.presets.tomita_lstm(2)
    m = fl.learn_automaton(cell, (0, 1), readout=readout)
    assert out == f"cell: preset tomita2 (a trained network: hidden size 8, input size 1, " \
                  f"with a readout)\n{m.describe()}\n"
    assert err == ""     # no progress off a terminal
    # (10)*: the empty string and 10, 1010 are in; 1, 0, 100 are not (start q0 carries 1)
    assert m.run([1, 0, 1, 0]).tolist() == [0, 1, 0, 1] and m.run([0]).tolist() == [0]


def test_json_has_the_provenance_and_the_time(capsys):
    out, _ = ok(capsys, "explain", "--preset", "tomita1", "--format", "json")
    d = json.loads(out)
    assert d["transitions"] == [[1, 0], [1, 1]] and d["outputs"] == [1, 0]   # 1*
    assert d["provenance"]["method"] == "L*" and d["provenance"]["proved"] is False
    assert d["provenance"]["exhaustive"] == 2046 and d["seconds"] > 0
    assert d["extracted_states"] is None


def test_progress_and_time_on_stderr(capsys, monkeypatch):
    monkeypatch.setenv("FASTLSTM_PROGRESS", "1")
    _, err = ok(capsys, "explain", "--preset", "tomita1")
    assert "learn_automaton: " in err and "explain: learned (not proved) in " in err
    _, err = ok(capsys, "explain", "--preset", "tomita1", "--no-progress")
    assert err == ""


def test_weights_file_with_one_hot_alphabet_is_proved(capsys, tmp_path):
    # the hand-built latch of tests/automata/test_boxes.py, saved as a torch-style .npz
    path = tmp_path / "latch.npz"
    np.savez(path, weight_ih_l0=CELL.W_ih, weight_hh_l0=CELL.W_hh, bias_ih_l0=CELL.b_ih,
             bias_hh_l0=CELL.b_hh, **{"readout.weight": READOUT.weight,
                                      "readout.bias": READOUT.bias})
    cell, readout = fl.load_weights(path)
    # labels of the file's readout are the output indices: 0 for h_0 > 0, 1 for h_0 < 0
    out, _ = ok(capsys, "explain", "--weights", str(path), "--alphabet", "one-hot",
                "--h0", "-1", "--format", "json")
    d = json.loads(out)
    m = fl.learn_automaton(cell, [(1, 0), (0, 1)], readout=readout, h0=-1.0)
    assert d["transitions"] == m.transitions.tolist() == [[1, 0], [1, 0]]
    assert d["outputs"] == m.outputs.tolist() == [1, 0]
    assert d["provenance"]["proved"] is True and m.provenance.proved
    assert d["alphabet"] == [[1, 0], [0, 1]]


def test_learn_flag_on_a_scalar_cell(capsys):
    out, _ = ok(capsys, "explain", "--params", "b_f=100,b_i=100,b_c=100,W_ox=100,b_o=-50",
                "--activation", "saturated", "--round-feedback", "--learn")
    cell = fl.ScalarLSTM(b_f=100, b_i=100, b_c=100, W_ox=100, b_o=-50)
    m = fl.learn_automaton(cell, activation="saturated", round_feedback=True)
    assert out.endswith(m.describe() + "\n") and m.provenance.proved


@pytest.mark.parametrize("argv, message", [
    (["--preset", "tomita3", "--params", "b_f=1"], "--params changes a scalar cell"),
    (["--preset", "tomita3", "--learn", "--quantize", "3"], "--quantize rounds the states"),
    (["--preset", "tomita3", "--time-limit", "0.001"], "gave up at time_limit=0.001 s"),
    (["--preset", "tomita9"], "invalid choice: 'tomita9'"),
    (["--preset", "tomita3", "--time-limit", "0"], "--time-limit"),
])
def test_explain_refusals(capsys, argv, message):
    assert message in refused(capsys, "explain", *argv)
