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


# --- a network (--weights): two scalar cells side by side ----------------------------------

A = dict(W_ch=4.0, b_i=3.0, b_o=3.0, b_f=-1.0)   # bistable at x = 0: 2 stable nodes, a saddle
B = dict(W_ch=-2.0, b_i=1.0, b_o=1.0, W_cx=1.0)  # one stable node, moved by its input


@pytest.fixture
def side_by_side(tmp_path):
    """An .npz of the 2-unit, 2-input cell whose unit j is scalar cell (A, B)[j] reading
    input j alone (block-diagonal weights, PyTorch's gate-major rows)."""
    import numpy as np

    from fastlstm.cell import LSTMCell
    from fastlstm.params import ScalarLSTM

    units = [LSTMCell.from_scalar(ScalarLSTM(**p)) for p in (A, B)]
    W_ih, W_hh, b = np.zeros((8, 2)), np.zeros((8, 2)), np.zeros(8)
    for j, u in enumerate(units):
        rows = 2 * np.arange(4) + j   # gate g of unit j is row 2 g + j
        W_ih[rows, j], W_hh[rows, j], b[rows] = u.W_ih[:, 0], u.W_hh[:, 0], u.bias()
    path = tmp_path / "two.npz"
    np.savez(path, weight_ih=W_ih, weight_hh=W_hh, bias_ih=b)
    return str(path)


def test_network_points_are_the_pairs_of_the_scalar_points(capsys, side_by_side):
    import itertools

    import fastlstm as fl

    assert main(["dynamics", "--weights", side_by_side, "--input", "0,0.5", "--format",
                 "json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)["inputs"]
    a, b = fl.fixed_points(fl.ScalarLSTM(**A), 0.0), fl.fixed_points(fl.ScalarLSTM(**B), 0.5)
    assert len(a) == 3 and len(b) == 1 and r["x"] == [0.0, 0.5] and r["complete"]
    pairs = sorted(itertools.product(a, b), key=lambda pq: (pq[0].h, pq[1].h))
    assert len(r["fixed_points"]) == len(pairs)
    for got, (p, q) in zip(r["fixed_points"], pairs):
        assert got["h"] == pytest.approx([p.h, q.h], abs=1e-12)   # scalar path as oracle
        assert got["c"] == pytest.approx([p.c, q.c], abs=1e-12)
        lo, hi = got["h_enclosure"]
        assert lo[0] <= p.h <= hi[0] and lo[1] <= q.h <= hi[1]
        assert got["certified"]
        # the 4 x 4 Jacobian is block-diagonal: its eigenvalues are the two cells'
        eig = sorted(abs(complex(*e)) for e in got["eigenvalues"])
        assert eig == pytest.approx(sorted(abs(complex(v)) for v in p.eigenvalues + q.eigenvalues),
                                    abs=1e-12)
        assert got["stability"] == ("stable node" if p.stable and q.stable else "saddle")
    # the spectrum from h = c = 0 is the union of the scalar spectra (to 4 / steps)
    spectra = sorted([*fl.lyapunov(fl.ScalarLSTM(**A), 0.0), *fl.lyapunov(fl.ScalarLSTM(**B), 0.5)],
                     reverse=True)
    assert r["lyapunov"][:2] == pytest.approx(spectra[:2], abs=4e-3)
    # the scalar cells' second exponents are -inf (W_oh = 0: det J = 0); the 4 x 4 frame's
    # last two columns are rounding noise there, far below the first two
    assert all(v == "-inf" or v < -30 for v in r["lyapunov"][2:])


def test_network_text_says_what_was_found_and_searched(capsys, side_by_side):
    assert main(["dynamics", "--weights", side_by_side, "--input", "0,0.5", "--k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"cell: weights {side_by_side} (hidden size 2, input size 2)")
    assert "constant input x = (0, 0.5): 3 fixed points (2 stable, 1 unstable; 3 certified" in out
    assert "complete: the rest of [-1, 1]^2 is proved free of fixed points" in out
    assert "searched: branch-and-prune over [-1, 1]^2" in out
    assert out.count("stable node") == 2 and out.count("saddle") == 1
    lam = out.splitlines()[-1]
    assert lam.startswith("Lyapunov exponents from h = c = 0 (100 steps of transient, 1000 "
                          "measured, the 2 largest of 4): ")
    assert len(lam.split("): ")[1].split(", ")) == 2
    # only starts: not complete, and it says so
    assert main(["dynamics", "--weights", side_by_side, "--input", "0,0.5", "--search",
                 "starts", "--n-starts", "64"]) == 0
    out = capsys.readouterr().out
    assert "NOT complete" in out and "searched: 64 starts" in out


@pytest.mark.parametrize("argv, message", [
    (["--input", "0,0,0"], "--input 0,0,0 has 3 numbers; the cell reads 2 per step "
                           "(write --input 0,0)"),
    (["--input", "1"], "--input 1 has 1 number; the cell reads 2 per step"),
    (["--input", "0,0", "--k", "5"], "--k 5: the cell has 4 exponents"),
    (["--input", "0,0", "--preset", "parity"], "--weights gives the cell: drop --preset"),
    (["--input", "0,0", "--activation", "saturated"], "activation='exact' only"),
    (["--input", "0,x"], "argument --input: expected a finite number, or one per input"),
])
def test_network_refusals_exit_2_with_one_line(capsys, side_by_side, argv, message):
    assert main(["dynamics", "--weights", side_by_side, *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_scalar_refuses_network_options(capsys):
    assert main(["dynamics", "--preset", "parity", "--input", "0", "--search", "starts"]) == 2
    assert "--search: only for a network" in capsys.readouterr().err
    assert main(["dynamics", "--preset", "parity", "--input", "0,1"]) == 2
    assert "the cell reads 1 per step" in capsys.readouterr().err


def test_one_unit_network_prints_what_the_scalar_command_prints(capsys, tmp_path):
    import numpy as np

    import fastlstm as fl
    from fastlstm.cell import LSTMCell

    cell = LSTMCell.from_scalar(fl.presets.parity())
    path = tmp_path / "one.npz"
    np.savez(path, weight_ih=cell.W_ih, weight_hh=cell.W_hh, bias_ih=cell.bias())
    for fmt in ("text", "json"):
        assert main(["dynamics", "--weights", str(path), "--input", "0", "--input", "1",
                     "--format", fmt]) == 0
        network = capsys.readouterr().out
        assert main(["dynamics", "--preset", "parity", "--input", "0", "--input", "1",
                     "--format", fmt]) == 0
        scalar = capsys.readouterr().out
        if fmt == "json":
            network, scalar = json.loads(network)["inputs"], json.loads(scalar)["inputs"]
            assert network == scalar
        else:
            assert network.split("\n", 1)[1] == scalar.split("\n", 1)[1]
