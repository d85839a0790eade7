"""fl.load_weights (fastlstm/weights.py): the key layouts of a weights file or
state_dict, .npz and .pt files, and every refusal naming what is wrong."""

from __future__ import annotations

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
