"""Readout (fastlstm/readout.py): labels computed by hand, validation, value semantics,
and the PyTorch / Keras loaders (skipped with a message when the framework is absent)."""

from __future__ import annotations

import copy
import os
import pickle

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.readout import Readout


# --- labels -------------------------------------------------------------------------


def test_one_output_reports_the_sign():
    # y = 2 h_0 - h_1 - 1: by hand, (1, 1) -> 0, (1, 0) -> 1, (0, 0) -> -1, (1, -1) -> 2
    r = Readout([[2.0, -1.0]], [-1.0])
    assert r.label([[1, 1], [1, 0], [0, 0], [1, -1]]).tolist() == [0, 1, -1, 1]
    assert r.outputs([[1, -1]]).tolist() == [[2.0]]


def test_label_is_vectorised_over_leading_axes():
    r = Readout([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])  # argmax of (h0, h1, -h0-h1)
    h = np.array([[[1, 0], [0, 1]], [[-1, -1], [0.5, 0.25]]])  # (2, 2, n=2)
    out = r.label(h)
    assert out.dtype == np.int64 and out.shape == (2, 2)
    assert out.tolist() == [[0, 1], [2, 0]]
    assert r.label([0.0, 3.0]).tolist() == 1  # one state: a 0-d array


def test_argmax_tie_takes_the_first_and_labels_map_the_index():
    r = Readout([[1.0], [1.0], [0.0]], labels=(7, -3, 5))
    # y = (h, h, 0): h = 1 ties outputs 0 and 1 -> the first, label 7; h = -1 -> output 2
    assert r.label([[1.0], [-1.0], [0.0]]).tolist() == [7, 5, 7]


def test_rounded_parity_states_to_three_labels():
    # h in {-1, 0, 1} -> label h, through the argmax of (-h, 1/2 - |h| ... ) written linearly:
    # outputs (-h, 0.5 - 0 * h, h) with h in {-1, 0, 1}: argmax gives -1, 0, 1
    r = Readout([[-1.0], [0.0], [1.0]], [0.0, 0.5, 0.0], labels=(-1, 0, 1))
    assert r.label([[-1.0], [0.0], [1.0]]).tolist() == [-1, 0, 1]


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize("args, kwargs, kind, match", [
    (([1.0, 2.0],), {}, ValueError, "weight must have 2 dimensions"),
    ((np.zeros((0, 2)),), {}, ValueError, r"weight must have shape \(k, n\) with k, n >= 1"),
    ((np.zeros((2, 0)),), {}, ValueError, r"weight must have shape \(k, n\) with k, n >= 1"),
    ((np.zeros((2, 3)), np.zeros(3)), {}, ValueError, r"bias must have shape \(2,\)"),
    ((np.zeros((2, 3)), np.zeros((2, 1))), {}, ValueError, "bias must have 1 dimension"),
    (([[np.nan]],), {}, ValueError, "weight must be finite, got nan"),
    (([[1.0]], [np.inf]), {}, ValueError, "bias must be finite, got inf"),
    (([[1j]],), {}, TypeError, "weight must hold real numbers"),
    (([[True]],), {}, TypeError, "weight must hold real numbers"),
    (([[1.0]],), {"labels": (1,)}, ValueError, "labels needs output_size >= 2"),
    ((np.ones((2, 1)),), {"labels": (1, 2, 3)}, ValueError, r"one entry per output \(2\)"),
    ((np.ones((2, 1)),), {"labels": (1, 1)}, ValueError, "labels must be distinct"),
    ((np.ones((2, 1)),), {"labels": (0.0, 1.0)}, TypeError, "labels must be integers"),
    ((np.ones((2, 1)),), {"labels": (True, False)}, TypeError, "labels must be integers"),
    ((np.ones((2, 1)),), {"labels": (0, 2 ** 63)}, ValueError, "labels must fit in int64"),
])
def test_validation_names_the_argument(args, kwargs, kind, match):
    with pytest.raises(kind, match=match):
        Readout(*args, **kwargs)


@pytest.mark.parametrize("h, kind, match", [
    ([1.0, 2.0, 3.0], ValueError, r"h must have shape \(\.\.\., 2\)"),
    (1.0, ValueError, r"h must have shape \(\.\.\., 2\)"),
    ([[1.0, np.nan]], ValueError, "h must be finite"),
    ([["a", "b"]], TypeError, "h must hold real numbers"),
])
def test_label_validates_h(h, kind, match):
    with pytest.raises(kind, match=match):
        Readout(np.ones((1, 2))).label(h)


# --- value semantics -------------------------------------------------------------------


def test_frozen_copied_read_only():
    w = np.ones((2, 2))
    r = Readout(w, labels=[3, 4])
    w[0, 0] = 9.0
    assert r.weight[0, 0] == 1.0 and r.weight.dtype == np.float64
    assert r.bias.tolist() == [0.0, 0.0] and r.labels == (3, 4)
    assert (r.output_size, r.input_size) == (2, 2)
    with pytest.raises(ValueError):
        r.weight[0, 0] = 2.0
    with pytest.raises(AttributeError):
        r.labels = None
    with pytest.raises(AttributeError):
        del r.bias


def test_equality_hash_repr_pickle():
    a = Readout([[1.0, -0.0]], [0.0])
    b = Readout([[1, 0]])  # equal by value: -0.0 == 0.0, ints become floats
    assert a == b and hash(a) == hash(b)
    assert a != Readout([[1.0, 0.5]]) and a != "Readout"
    assert Readout(np.eye(2)) != Readout(np.eye(2), labels=(1, 0))
    assert repr(a) == "Readout(output_size=1, input_size=2, max|W|=1, max|b|=0)"
    for twin in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a)):
        assert twin == a
    assert fl.Readout is Readout


# --- PyTorch ---------------------------------------------------------------------------


def test_from_torch_numpy_state_dict_needs_no_torch():
    r = Readout.from_torch({"weight": np.array([[1.0, 2.0]])})
    assert r == Readout([[1.0, 2.0]])
    with pytest.raises(ValueError, match="has no 'weight' key"):
        Readout.from_torch({"bias": np.zeros(1)})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['weight_ih'\]"):
        Readout.from_torch({"weight": np.ones((1, 1)), "weight_ih": np.ones((4, 1))})


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")


def test_from_torch_linear_labels_like_torch(torch):
    torch.manual_seed(0)
    linear = torch.nn.Linear(3, 4, dtype=torch.float64)
    r = Readout.from_torch(linear, labels=(10, 20, 30, 40))
    assert Readout.from_torch(linear.state_dict(), labels=(10, 20, 30, 40)) == r
    h = np.random.default_rng(0).uniform(-1, 1, size=(50, 3))
    with torch.no_grad():
        y = linear(torch.from_numpy(h))
    np.testing.assert_allclose(r.outputs(h), y.numpy(), rtol=0, atol=1e-15)
    assert r.label(h).tolist() == [(10, 20, 30, 40)[i] for i in y.argmax(dim=1).tolist()]
    bare = Readout.from_torch(torch.nn.Linear(2, 1, bias=False))
    assert bare.bias.tolist() == [0.0]
    with pytest.raises(TypeError, match="torch.nn.Linear or a state_dict, got LSTM"):
        Readout.from_torch(torch.nn.LSTM(1, 1))


# --- Keras -------------------------------------------------------------------------------


@pytest.fixture
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras", reason="Keras not installed (pip install keras)")


def test_from_keras_dense_agrees_with_keras(keras):
    # Keras 3 on the torch backend multiplies float64 Dense inputs in float32
    # (keras-team/keras#23704), so weights and inputs are small dyadic rationals:
    # every product and sum is exact in float32 too, and the outputs must match exactly.
    rng = np.random.default_rng(1)
    layer = keras.layers.Dense(3, dtype="float64")
    layer.build((None, 2))
    layer.set_weights([rng.integers(-8, 9, size=(2, 3)) / 8, rng.integers(-8, 9, size=3) / 8])
    h = rng.integers(-4, 5, size=(20, 2)) / 4
    y = keras.ops.convert_to_numpy(layer(h))
    r = Readout.from_keras(layer)
    assert r.weight.shape == (3, 2)
    assert r.outputs(h).tolist() == y.tolist()
    assert r.label(h).tolist() == np.argmax(y, axis=1).tolist()
    assert Readout.from_keras(layer.get_weights()) == r
    bare = keras.layers.Dense(1, use_bias=False)
    bare.build((None, 2))
    assert Readout.from_keras(bare).bias.tolist() == [0.0]


def test_from_keras_shows_no_numpy_copy_warning(keras):
    # as LSTMCell.from_keras (tests/test_frameworks_keras.py): Keras' np.array(x, copy=False)
    # under NumPy 2 warns once per weight; the loader's get_weights() keeps it to itself
    import warnings

    layer = keras.layers.Dense(2, dtype="float64")
    layer.build((None, 3))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        Readout.from_keras(layer)
    assert not [str(w.message) for w in seen if "copy keyword" in str(w.message)]


def test_from_keras_refusals(keras):
    soft = keras.layers.Dense(2, activation="softmax")
    soft.build((None, 2))
    with pytest.raises(ValueError, match="activation='softmax' is not supported"):
        Readout.from_keras(soft)
    with pytest.raises(ValueError, match="not built"):
        Readout.from_keras(keras.layers.Dense(2))
    with pytest.raises(TypeError, match="keras.layers.Dense or its weights as a list, got LSTM"):
        Readout.from_keras(keras.layers.LSTM(2))
    with pytest.raises(ValueError, match=r"\[kernel\] or \[kernel, bias\], got 3 arrays"):
        Readout.from_keras([np.ones((2, 1))] * 3)
    with pytest.raises(ValueError, match="kernel must have 2 dimensions"):
        Readout.from_keras([np.ones(2)])


def test_from_keras_refuses_a_custom_function_named_linear(keras):
    def linear(x):  # 2x: not linear's identity, whatever its name
        return 2 * x

    layer = keras.layers.Dense(2, activation=linear)
    layer.build((None, 2))
    with pytest.raises(ValueError, match="activation=.*linear.* is not keras' own linear"):
        Readout.from_keras(layer)
