"""``fastlstm dynamics``: the fixed points on the command line."""

import json
import math

import pytest

from fastlstm.cli import main


def test_json_gives_the_hand_derived_parity_points(capsys):
    assert main(["dynamics", "--preset", "parity", "--input", "0", "--input", "1",
                 "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    x0, x1 = out["inputs"]
    assert [p["h"] for p in x0["fixed_points"]] == [0.0]       # F is odd: h* = 0
    u = 0.0                                                    # tests/dynamics/test_fixed_points.py
    for _ in range(60):
        u = math.atanh(math.atanh(0.5 - u / 100))
    (p,) = x1["fixed_points"]
    assert p["h"] == pytest.approx(0.5 - u / 100, abs=1e-13)
    assert p["h_enclosure"][0] <= p["h"] <= p["h_enclosure"][1]
    assert p["stability"] == "saddle" and p["certified"] and x1["complete"]
    # from h = c = 0 the x = 0 run stays on the fixed point h = 0 (g(0) = 0, so c = 0 and
    # h = o tanh(0) = 0): its exponents are log |f - 50 i| = log 50 and log |det J| = log 0
    # (det J = o' tanh(c) f = 0, since W_oh = 0).  A 1000-step estimate of a non-normal J
    # (J = [[-50, 0], [-100, 0]]) carries the start frame's stretch, up to
    # log(|J| / 50) / 1000 = log(sqrt(5)) / 1000 < 1e-3
    lam = x0["lyapunov"]
    assert lam[0] == pytest.approx(math.log(50.0), abs=1e-3) and lam[1] == "-inf"


def test_text_table_and_semantics(capsys):
    assert main(["dynamics", "--params", "W_ch=3,b_f=-50,b_i=50,b_o=50", "--input", "0",
                 "--activation", "saturated", "--threshold", "5"]) == 0
    out = capsys.readouterr().out
    assert "threshold 5" in out and "3 fixed points" in out
    assert out.count("stable node") == 2 and out.count("saddle") == 1


def test_bad_input_exits_2_with_one_line(capsys):
    assert main(["dynamics", "--input", "inf"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--input" in err
    assert main(["dynamics"]) == 2  # --input is required
    assert main(["dynamics", "--input", "1", "--round-feedback"]) == 2


def test_help_has_examples(capsys):
    assert main(["dynamics", "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "fastlstm dynamics --preset parity --input 1" in out
