"""LSTMCell (fastlstm/cell.py): construction, validation, value semantics, the scalar
round trip and the PyTorch loader."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.cell import LSTMCell


def random_cell(rng, n, m, bias=True):
    return LSTMCell(rng.normal(size=(4 * n, m)), rng.normal(size=(4 * n, n)),
                    rng.normal(size=4 * n) if bias else None,
                    rng.normal(size=4 * n) if bias else None)


# --- construction -----------------------------------------------------------------


def test_shapes_sizes_and_float64_copies():
    W_ih = np.arange(24).reshape(8, 3)  # integers are accepted, stored as float64
    cell = LSTMCell(W_ih, np.zeros((8, 2)), b_ih=np.ones(8))
    assert (cell.hidden_size, cell.input_size) == (2, 3)
    assert cell.W_ih.dtype == np.float64 and cell.W_ih.shape == (8, 3)
    assert cell.b_hh.tolist() == [0.0] * 8  # None means zero
    W_ih[0, 0] = 99  # the cell keeps its own copy
    assert cell.W_ih[0, 0] == 0.0


def test_arrays_are_read_only_and_the_cell_is_frozen():
    cell = random_cell(np.random.default_rng(0), 2, 1)
    for arr in (cell.W_ih, cell.W_hh, cell.b_ih, cell.b_hh):
        with pytest.raises(ValueError):
            arr[0] = 1.0
    with pytest.raises(AttributeError):
        cell.W_ih = np.zeros((8, 1))
    with pytest.raises(AttributeError):
        cell.extra = 1
    with pytest.raises(AttributeError):
        del cell.W_hh


def test_accepts_nested_lists():
    cell = LSTMCell([[1], [2], [3], [4]], [[0], [0], [0], [0]], [0, 0, 0, 1])
    assert cell.W_ih.ravel().tolist() == [1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("args, kind, match", [
    ((np.zeros(8), np.zeros((8, 2))), ValueError, "W_ih must have 2 dimensions"),
    ((np.zeros((6, 1)), np.zeros((6, 1))), ValueError, r"W_ih must have shape \(4n, m\)"),
    ((np.zeros((0, 1)), np.zeros((0, 0))), ValueError, r"W_ih must have shape \(4n, m\)"),
    ((np.zeros((8, 0)), np.zeros((8, 2))), ValueError, r"W_ih must have shape \(4n, m\)"),
    ((np.zeros((8, 1)), np.zeros((8, 3))), ValueError, r"W_hh must have shape \(8, 2\)"),
    ((np.zeros((8, 1)), np.zeros((8, 2)), np.zeros(4)), ValueError, r"b_ih must have shape \(8,\)"),
    ((np.zeros((8, 1)), np.zeros((8, 2)), None, np.zeros((8, 1))), ValueError,
     "b_hh must have 1 dimension"),
    ((np.full((4, 1), np.nan), np.zeros((4, 1))), ValueError, "W_ih must be finite, got nan"),
    ((np.zeros((4, 1)), np.zeros((4, 1)), None, [0, 0, np.inf, 0]), ValueError,
     r"b_hh must be finite, got inf at index \(2,\)"),
    ((np.zeros((4, 1), complex), np.zeros((4, 1))), TypeError, "W_ih must hold real numbers"),
    ((np.zeros((4, 1)), np.zeros((4, 1), bool)), TypeError, "W_hh must hold real numbers"),
    ((np.zeros((4, 1)), [["a"], ["b"], ["c"], ["d"]]), TypeError, "W_hh must hold real numbers"),
    ((np.zeros((4, 1)), np.zeros((4, 1)), [[0], [1, 2], [0], [0]]), ValueError,
     "b_ih must be a rectangular array"),
    # each bias finite, their sum (what a step adds: bias()) not: rows 4, 5 are gate g
    ((np.zeros((8, 1)), np.zeros((8, 2)), [0, 0, 0, 0, 0, 1e308, 0, 0],
      [0, 0, 0, 0, 0, 1e308, 0, 0]), ValueError,
     r"b_ih \+ b_hh overflows float64 at row 5 \(gate g, unit 1\): b_ih\[5\] = 1e\+308, "
     r"b_hh\[5\] = 1e\+308"),
    ((np.zeros((4, 1)), np.zeros((4, 1)), [-1e308, 0, 0, 0], [-1e308, 0, 0, 0]), ValueError,
     r"b_ih \+ b_hh overflows float64 at row 0 \(gate i, unit 0\)"),
])
def test_validation_names_the_argument(args, kind, match):
    with pytest.raises(kind, match=match):
        LSTMCell(*args)


# --- value semantics ------------------------------------------------------------------


def test_equality_hash_and_repr():
    rng = np.random.default_rng(1)
    a = random_cell(rng, 3, 2)
    b = LSTMCell(a.W_ih.copy(), a.W_hh.copy(), a.b_ih.copy(), a.b_hh.copy())
    assert a == b and hash(a) == hash(b)
    assert a != random_cell(rng, 3, 2)
    assert a != LSTMCell(a.W_ih, a.W_hh, a.b_ih)  # b_hh differs
    assert a != "not a cell" and (a == 1) is False
    assert LSTMCell(np.zeros((4, 1)), np.zeros((4, 1))) != LSTMCell(np.zeros((8, 1)), np.zeros((8, 2)))
    # -0.0 == 0.0, so equal cells must hash alike
    neg = LSTMCell(-np.zeros((4, 1)), np.zeros((4, 1)))
    assert neg == LSTMCell(np.zeros((4, 1)), np.zeros((4, 1)))
    assert hash(neg) == hash(LSTMCell(np.zeros((4, 1)), np.zeros((4, 1))))
    text = repr(LSTMCell(np.full((8, 3), -2.5), np.zeros((8, 2)), np.ones(8), np.ones(8)))
    assert text == "LSTMCell(hidden_size=2, input_size=3, max|W_ih|=2.5, max|W_hh|=0, max|b|=2)"


def test_pickle_and_copy_round_trip():
    cell = random_cell(np.random.default_rng(2), 2, 3)
    for other in (pickle.loads(pickle.dumps(cell)), copy.deepcopy(cell), copy.copy(cell)):
        assert other == cell
        assert not other.W_ih.flags.writeable


def test_bias_sums_and_keeps_a_lone_term_exactly():
    cell = LSTMCell(np.zeros((4, 1)), np.zeros((4, 1)), [1.0, -0.0, 2.0, 0.5], [0.0, 0.0, 3.0, -0.0])
    b = cell.bias()
    assert b.tolist() == [1.0, 0.0, 5.0, 0.5]
    assert np.signbit(b[1])  # -0.0 + (zero b_hh) stays -0.0


# --- the scalar cell ---------------------------------------------------------------------


def test_from_scalar_maps_each_gate_to_its_rows():
    s = fl.ScalarLSTM(*(float(v) for v in range(1, 13)))
    # PARAM_NAMES: W_fh=1 W_fx=2 b_f=3 W_ih=4 W_ix=5 b_i=6 W_oh=7 W_ox=8 b_o=9 W_ch=10 W_cx=11 b_c=12
    cell = LSTMCell.from_scalar(s)
    assert cell.W_ih.ravel().tolist() == [5.0, 2.0, 11.0, 8.0]   # on x: i, f, g, o
    assert cell.W_hh.ravel().tolist() == [4.0, 1.0, 10.0, 7.0]   # on h
    assert cell.b_ih.tolist() == [6.0, 3.0, 12.0, 9.0]
    assert cell.b_hh.tolist() == [0.0] * 4


def test_scalar_round_trip():
    rng = np.random.default_rng(3)
    for _ in range(20):
        s = fl.ScalarLSTM.from_array(rng.normal(0, 10, size=12))
        assert LSTMCell.from_scalar(s).to_scalar() == s
    assert LSTMCell.from_scalar(fl.presets.parity()).to_scalar() == fl.presets.parity()
    # from_scalar accepts what fl.run accepts: a mapping or 12 numbers
    assert LSTMCell.from_scalar({"W_ix": 2.0}) == LSTMCell.from_scalar(fl.ScalarLSTM(W_ix=2.0))
    assert LSTMCell.from_scalar(list(range(12))).to_scalar().to_array().tolist() == list(range(12))


def test_to_scalar_sums_the_biases_and_refuses_bigger_cells():
    cell = LSTMCell(np.ones((4, 1)), np.zeros((4, 1)), [1, 2, 3, 4], [10, 20, 30, 40])
    s = cell.to_scalar()
    assert (s.b_i, s.b_f, s.b_c, s.b_o) == (11.0, 22.0, 33.0, 44.0)
    with pytest.raises(ValueError, match="hidden_size = input_size = 1, got hidden_size=2"):
        random_cell(np.random.default_rng(4), 2, 1).to_scalar()
    with pytest.raises(ValueError, match="input_size=3"):
        random_cell(np.random.default_rng(4), 1, 3).to_scalar()


# --- PyTorch -----------------------------------------------------------------------------------


def test_from_torch_numpy_state_dicts_need_no_torch():
    rng = np.random.default_rng(5)
    ref = random_cell(rng, 2, 3)
    lstm_sd = {"weight_ih_l0": ref.W_ih, "weight_hh_l0": ref.W_hh,
               "bias_ih_l0": ref.b_ih, "bias_hh_l0": ref.b_hh}
    assert LSTMCell.from_torch(lstm_sd) == ref
    cell_sd = {"weight_ih": ref.W_ih, "weight_hh": ref.W_hh}  # no biases: zero
    assert LSTMCell.from_torch(cell_sd) == LSTMCell(ref.W_ih, ref.W_hh)


@pytest.mark.parametrize("sd, layer, kind, match", [
    ({"weight_ih_l0": np.zeros((4, 1)), "weight_hh_l0": np.zeros((4, 1))}, 1, ValueError,
     r"layer 1 is not in the state_dict: it holds layer\(s\) \[0\]"),
    ({"weight_ih": np.zeros((4, 1)), "weight_hh": np.zeros((4, 1))}, 1, ValueError,
     "an nn.LSTMCell state_dict has one layer"),
    ({"weight_ih_l0": 0, "weight_hh_l0": 0, "weight_ih_l0_reverse": 0}, 0, ValueError,
     "bidirectional"),
    ({"weight_ih_l0": 0, "weight_hh_l0": 0, "weight_hr_l0": 0}, 0, ValueError, "proj_size"),
    ({"something": 0}, 0, ValueError, "not an nn.LSTM or nn.LSTMCell state_dict"),
    ({"weight_ih_l0": np.zeros((4, 1))}, 0, ValueError, "no weight_hh_l0"),
    ({"weight_ih_l0": np.zeros((4, 1)), "weight_hh_l0": np.zeros((4, 1))}, -1, ValueError,
     "layer must be >= 0"),
    ({"weight_ih_l0": np.zeros((4, 1)), "weight_hh_l0": np.zeros((4, 1))}, 0.0, TypeError,
     "layer must be an integer"),
])
def test_from_torch_state_dict_refusals(sd, layer, kind, match):
    with pytest.raises(kind, match=match):
        LSTMCell.from_torch(sd, layer=layer)


def test_from_torch_refuses_other_objects():
    with pytest.raises(TypeError, match="torch.nn.LSTM, torch.nn.LSTMCell or a state_dict"):
        LSTMCell.from_torch(np.zeros((4, 1)))


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")


def _np(t):
    return t.detach().double().numpy()


def test_from_torch_lstm_every_layer(torch):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 2, num_layers=3, batch_first=True)  # float32: copied to float64
    for k in range(3):
        cell = LSTMCell.from_torch(lstm, layer=k)
        assert (cell.hidden_size, cell.input_size) == (2, 3 if k == 0 else 2)
        for mine, theirs in ((cell.W_ih, "weight_ih"), (cell.W_hh, "weight_hh"),
                             (cell.b_ih, "bias_ih"), (cell.b_hh, "bias_hh")):
            np.testing.assert_array_equal(mine, _np(getattr(lstm, f"{theirs}_l{k}")))
        assert LSTMCell.from_torch(lstm.state_dict(), layer=k) == cell
    with pytest.raises(ValueError, match=r"layer 3 does not exist: the nn.LSTM has 3 layer\(s\)"):
        LSTMCell.from_torch(lstm, layer=3)


def test_from_torch_lstm_cell_and_no_bias(torch):
    torch.manual_seed(1)
    module = torch.nn.LSTMCell(4, 3, dtype=torch.float64)
    cell = LSTMCell.from_torch(module)
    np.testing.assert_array_equal(cell.W_hh, _np(module.weight_hh))
    np.testing.assert_array_equal(cell.b_ih, _np(module.bias_ih))
    assert LSTMCell.from_torch(module.state_dict()) == cell
    with pytest.raises(ValueError, match="an nn.LSTMCell has one layer"):
        LSTMCell.from_torch(module, layer=1)
    bare = LSTMCell.from_torch(torch.nn.LSTM(2, 2, bias=False))
    assert not bare.b_ih.any() and not bare.b_hh.any()
    assert LSTMCell.from_torch(torch.nn.LSTM(2, 2, bias=False).state_dict()).b_hh.tolist() == [0.0] * 8


def test_from_torch_refusals(torch):
    with pytest.raises(ValueError, match="bidirectional"):
        LSTMCell.from_torch(torch.nn.LSTM(2, 3, bidirectional=True))
    with pytest.raises(ValueError, match="bidirectional"):
        LSTMCell.from_torch(torch.nn.LSTM(2, 3, bidirectional=True).state_dict())
    with pytest.raises(ValueError, match="proj_size=2"):
        LSTMCell.from_torch(torch.nn.LSTM(2, 3, proj_size=2))
    with pytest.raises(ValueError, match="proj_size"):
        LSTMCell.from_torch(torch.nn.LSTM(2, 3, proj_size=2).state_dict())
    with pytest.raises(TypeError, match="got GRU"):
        LSTMCell.from_torch(torch.nn.GRU(2, 3))


def test_from_torch_tensor_that_requires_grad(torch):
    w = torch.ones(4, 1, requires_grad=True)
    cell = LSTMCell.from_torch({"weight_ih": w, "weight_hh": w * 2})
    assert cell.W_hh.ravel().tolist() == [2.0] * 4


# --- fl.run / fl.run_batch take vector cells -------------------------------------

def test_run_and_run_batch_dispatch_on_a_vector_cell():
    import fastlstm as fl

    cell = fl.LSTMCell.from_scalar(fl.presets.parity())
    tr = fl.run(cell, [1, 1, 0, 1, 1])
    assert tr.h.shape == (5, 1)
    # the key of the exercise (docs/semantics.md), second input
    assert tr.rounded.ravel().tolist() == [1, -1, 0, 1, -1]
    scalar = fl.run(fl.presets.parity(), [1, 1, 0, 1, 1])
    assert tr.h.ravel().tobytes() == scalar.h.tobytes()
    assert fl.run_batch(cell, [[1, 1, 0, 1, 1]] * 3).h.shape == (3, 5, 1)
    # (traces of vector cells: tests/test_vector_trace.py)
