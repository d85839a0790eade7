"""fl.load_weights (fastlstm/weights.py): the key layouts of a weights file or
state_dict, .npz and .pt files, and every refusal naming what is wrong."""

from __future__ import annotations

import os
import re
import sys
import warnings

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.cell import LSTMCell
from fastlstm.readout import Readout


def lstm_keys(rng, n=2, m=1, prefix="", suffix="_l0"):
    return {f"{prefix}{kind}{suffix}": rng.normal(size=shape) for kind, shape in
            (("weight_ih", (4 * n, m)), ("weight_hh", (4 * n, n)), ("bias_ih", (4 * n,)),
             ("bias_hh", (4 * n,)))}


@pytest.mark.parametrize("prefix, suffix", [("", "_l0"), ("lstm.", "_l0"), ("rnn.", ""),
                                            ("model.encoder.", "_l0")])
def test_layouts_with_and_without_prefix(prefix, suffix):
    rng = np.random.default_rng(0)
    sd = lstm_keys(rng, prefix=prefix, suffix=suffix)
    cell, readout = fl.load_weights(sd)
    bare = {k[len(prefix):]: v for k, v in sd.items()}
    assert cell == LSTMCell.from_torch(bare) and readout is None
    assert cell.W_ih.tolist() == sd[f"{prefix}weight_ih{suffix}"].tolist()


def test_readout_with_labels_and_override(tmp_path):
    rng = np.random.default_rng(1)
    sd = lstm_keys(rng, prefix="lstm.")
    sd.update({"fc.weight": rng.normal(size=(3, 2)), "fc.bias": rng.normal(size=3),
               "fc.labels": np.array([-1, 0, 1])})
    cell, readout = fl.load_weights(sd)
    assert readout == Readout(sd["fc.weight"], sd["fc.bias"], labels=(-1, 0, 1))
    assert fl.load_weights(sd, labels=(5, 6, 7)).readout.labels == (5, 6, 7)
    path = tmp_path / "net.npz"
    np.savez(path, **sd)
    assert fl.load_weights(path) == (cell, readout)
    assert fl.load_weights(str(path)) == (cell, readout)
    no_bias = {k: v for k, v in sd.items() if k not in ("fc.bias", "fc.labels")}
    assert fl.load_weights(no_bias).readout.bias.tolist() == [0.0] * 3


@pytest.mark.parametrize("change, kind, match", [
    ({"lstm.scale": 1.0}, ValueError, r"unknown key\(s\) \['lstm.scale'\]"),
    ({"bn.running_mean": np.zeros(2)}, ValueError, r"unknown key\(s\) \['bn.running_mean'\]"),
    ({"fc.weight": np.ones((1, 2)), "fc.gain": 1.0}, ValueError, r"unknown key\(s\) \['fc.gain'\]"),
    ({"fc.weight": np.ones((1, 2)), "out.weight": np.ones((1, 2))}, ValueError,
     "more than one readout"),
    ({"fc.weight": np.ones((1, 3))}, ValueError, "readout reads 3 values but the LSTM has "
                                                 "hidden size 2"),
    ({"fc.weight": np.ones((2, 2)), "fc.labels": np.array([0.5, 1.5])}, TypeError,
     "labels must be integers"),
    ({"lstm.weight_ih_l1": np.ones((8, 2)), "lstm.weight_hh_l1": np.ones((8, 2))}, ValueError,
     r"nn.LSTM of layers \[0, 1\]: fastlstm runs one layer"),
    ({"lstm.weight_ih_l0_reverse": np.ones((8, 1)), "lstm.weight_hh_l0_reverse": np.ones((8, 2))},
     ValueError, "bidirectional"),
    ({"enc.weight_ih_l0": np.ones((8, 1)), "enc.weight_hh_l0": np.ones((8, 2))}, ValueError,
     "exactly one LSTM layer"),
    ({1: np.ones(1)}, TypeError, "keys must be strings"),
])
def test_refusals_name_the_key(change, kind, match):
    sd = lstm_keys(np.random.default_rng(2), prefix="lstm.")
    sd.update(change)
    with pytest.raises(kind, match=match):
        fl.load_weights(sd)


def test_no_lstm_and_labels_without_readout():
    with pytest.raises(ValueError, match="exactly one LSTM layer .*found none"):
        fl.load_weights({"fc.weight": np.ones((1, 2))})
    with pytest.raises(ValueError, match="labels given, but the state_dict holds no readout"):
        fl.load_weights(lstm_keys(np.random.default_rng(3)), labels=(0, 1))
    with pytest.raises(TypeError, match="source must be a file name or a state_dict, got int"):
        fl.load_weights(3)


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fl.load_weights(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match=r"expected a \.pt \(torch state_dict\) or \.npz"):
        fl.load_weights(tmp_path / "weights.h5")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="cannot be read as .npz"):
        fl.load_weights(bad)
    bad_pt = tmp_path / "bad.pt"
    bad_pt.write_bytes(b"not a torch file")
    pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")
    with pytest.raises(ValueError, match="cannot be read as a torch state_dict"):
        fl.load_weights(bad_pt)


def test_torch_files(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")
    torch.manual_seed(0)
    model = torch.nn.ModuleDict({"lstm": torch.nn.LSTM(2, 3), "head": torch.nn.Linear(3, 1)})
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    cell, readout = fl.load_weights(path)
    assert cell == LSTMCell.from_torch(model["lstm"])
    assert readout == Readout.from_torch(model["head"])
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="holds a list, not a state_dict"):
        fl.load_weights(tmp_path / "list.pt")
    torch.save(model, tmp_path / "module.pt")  # a whole module: code, refused by weights_only
    with pytest.raises(ValueError, match="cannot be read as a torch state_dict"):
        fl.load_weights(tmp_path / "module.pt")


# --- layouts that would lose or pick weights: refused, naming the keys ----------------------

W4 = np.ones((4, 1))  # n = m = 1


@pytest.mark.parametrize("state, named", [
    # nn.LSTM weights beside nn.LSTMCell biases, and the other way round
    ({"weight_ih_l0": W4, "weight_hh_l0": W4, "bias_ih": np.ones(4), "bias_hh": np.ones(4)},
     ["bias_ih", "bias_hh", "weight_ih_l0"]),
    ({"weight_ih": W4, "weight_hh": W4, "bias_ih_l0": np.ones(4)}, ["bias_ih_l0", "weight_ih"]),
    ({"lstm.weight_ih_l0": W4, "lstm.weight_hh_l0": W4, "lstm.bias_ih": np.ones(4)},
     ["bias_ih", "weight_ih_l0"]),
    # both layouts in full: which one is meant is ambiguous
    ({"weight_ih": W4, "weight_hh": W4, "weight_ih_l0": 2 * W4, "weight_hh_l0": W4},
     ["weight_ih", "weight_ih_l0"]),
])
@pytest.mark.parametrize("load", [fl.load_weights, LSTMCell.from_torch],
                         ids=["load_weights", "from_torch"])
def test_mixed_layouts_are_refused_naming_the_keys(state, named, load):
    if load == LSTMCell.from_torch and any("." in k for k in state):
        state = {k.rpartition(".")[2]: v for k, v in state.items()}
    with pytest.raises(ValueError, match="mixes nn.LSTMCell keys .* and nn.LSTM keys") as exc:
        load(state)
    for key in named:
        assert repr(key) in str(exc.value)


@pytest.mark.parametrize("key", ["bias_ih\n", "bias_ih_l0\n", "bias_ih_l00", "bias_ih_l\u0660",
                                 "bias_ih_l0 "])
def test_near_lstm_keys_are_never_skipped(key):
    """A key that $ or \\d would match (a trailing newline, a non-ASCII digit) is not a
    torch key: its bias would be dropped without a word, so it is refused by name."""
    layout = "_l0" if "_l" in key else ""
    state = {f"weight_ih{layout}": W4, f"weight_hh{layout}": W4, key: np.ones(4)}
    with pytest.raises(ValueError, match=r"unknown key\(s\) \[" + re.escape(repr(key))):
        fl.load_weights(state)
    with pytest.raises(ValueError, match="not an nn.LSTM or nn.LSTMCell key") as exc:
        LSTMCell.from_torch(state)
    assert repr(key) in str(exc.value)


def test_from_torch_refuses_other_spellings_of_lstm_keys():
    state = {"weight_ih_l0": W4, "weight_hh_l0": W4}
    for key in ("Bias_ih_l0", "lstm.bias_ih_l0", "bias_ih_l0_old"):
        with pytest.raises(ValueError, match=re.escape(repr(key))):
            LSTMCell.from_torch({**state, key: np.ones(4)})
    # keys that mention no LSTM weight are another module's: from_torch leaves them
    assert LSTMCell.from_torch({**state, "fc.weight": np.ones((1, 1))}) == LSTMCell(W4, W4)


# --- tensors without plain values, and labels ---------------------------------------------------

def test_tensors_without_plain_values_are_refused_naming_the_key(tmp_path):
    torch = pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")
    ones = torch.ones(4, 1)
    with warnings.catch_warnings():  # torch: sparse CSR is beta, quantized tensors deprecated
        warnings.simplefilter("ignore")
        cases = [
            (torch.ones(4, 1, device="meta"), ValueError, "is a meta tensor"),
            (ones.to_sparse(), TypeError, "sparse_coo tensor: expected a dense"),
            (ones.to_sparse_csr(), TypeError, "sparse_csr tensor: expected a dense"),
            (torch.quantize_per_tensor(ones, 0.5, 0, torch.qint8), TypeError,
             r"quantized tensor \(torch.qint8\)"),
        ]
    for k, (weight, kind, match) in enumerate(cases):
        path = tmp_path / f"w{k}.pt"
        torch.save({"lstm.weight_ih": weight, "lstm.weight_hh": ones}, path)
        for source in (path, {"lstm.weight_ih": weight, "lstm.weight_hh": ones}):
            with pytest.raises(kind, match=match) as exc, warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.load: TypedStorage is deprecated
                fl.load_weights(source)
            assert "'lstm.weight_ih'" in str(exc.value)


@pytest.mark.parametrize("labels, kind, match", [
    (np.int64(2), ValueError, r"got shape \(\)"),
    (np.array([[0, 1]]), ValueError, r"got shape \(1, 2\)"),
    (np.array([0.0, 1.0]), TypeError, "got dtype float64"),
])
def test_labels_must_be_one_integer_per_output(tmp_path, labels, kind, match):
    state = {"weight_ih": np.ones((8, 1)), "weight_hh": np.ones((8, 2)),
             "fc.weight": np.ones((2, 2)), "fc.labels": labels}
    path = tmp_path / "net.npz"
    np.savez(path, **state)
    for source in (state, path):
        with pytest.raises(kind, match=match) as exc:
            fl.load_weights(source)
        assert "'fc.labels'" in str(exc.value) and "labels must be integers" in str(exc.value)
    torch = pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")
    pt = tmp_path / "net.pt"
    torch.save({k: torch.as_tensor(v) for k, v in state.items()}, pt)
    with pytest.raises(kind, match=match):
        fl.load_weights(pt)


# --- files that are not weights files ----------------------------------------------------------

def test_a_folder_or_fifo_is_not_a_missing_file(tmp_path):
    (tmp_path / "x.pt").mkdir()
    with pytest.raises(ValueError, match=r"weights file .*x\.pt' is a folder, not a file"):
        fl.load_weights(tmp_path / "x.pt")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "f.npz")
        with pytest.raises(ValueError, match="is not a regular file"):
            fl.load_weights(tmp_path / "f.npz")


def test_a_pt_file_without_torch_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "net.pt"
    path.write_bytes(b"any content: torch is needed before it is read")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"needs PyTorch: pip install 'fastlstm\[torch\]'"):
        fl.load_weights(path)
