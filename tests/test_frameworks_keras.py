"""LSTMCell.from_keras against Keras 3's own forward pass (torch backend, float64),
and the options it refuses.  Skipped with a message when keras is absent.

On the torch backend a float64 Keras ``LSTM`` runs in float64 throughout, so our
exact run must match it to 1e-12 (the tolerance of the PyTorch agreement tests:
both sum the same terms in a different order, a few ulps, not amplified over 40
steps of a contracting cell).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from fastlstm.cell import LSTMCell
from fastlstm.vector import run_batch_vector, run_vector
from tests.lazy import Peer

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = Peer("keras", reason="Keras not installed (pip install keras)")

ATOL = 1e-12


def keras_lstm(rng, n, m, **options):
    layer = keras.layers.LSTM(n, dtype="float64", return_sequences=True, **options)
    layer.build((None, None, m))
    # weights well away from the initializers' (bias 1 on f, orthogonal recurrent)
    layer.set_weights([rng.normal(0, 0.8, w.shape) for w in layer.get_weights()])
    return layer


@pytest.mark.parametrize("n, m", [(1, 1), (2, 1), (3, 2), (4, 3)])
def test_run_equals_keras_lstm(n, m):
    rng = np.random.default_rng(100 * n + m)
    layer = keras_lstm(rng, n, m)
    cell = LSTMCell.from_keras(layer)
    assert (cell.hidden_size, cell.input_size) == (n, m)
    kernel, recurrent, bias = layer.get_weights()
    assert cell == LSTMCell(kernel.T, recurrent.T, bias)
    assert LSTMCell.from_keras(layer.get_weights()) == cell
    X = rng.normal(0, 1.5, (3, 40, m))
    h0, c0 = rng.uniform(-0.9, 0.9, (2, 3, n))
    want = keras.ops.convert_to_numpy(layer(X, initial_state=[h0, c0]))
    assert want.dtype == np.float64
    got = run_batch_vector(cell, X, h0=h0, c0=c0)
    np.testing.assert_allclose(got.h, want, rtol=0, atol=ATOL)
    one = run_vector(cell, X[0], h0=h0[0], c0=c0[0])
    np.testing.assert_allclose(one.h, want[0], rtol=0, atol=ATOL)


def test_no_bias_and_the_keras_lstm_cell():
    rng = np.random.default_rng(5)
    layer = keras_lstm(rng, 2, 1, use_bias=False)
    cell = LSTMCell.from_keras(layer)
    assert cell.b_ih.tolist() == cell.b_hh.tolist() == [0.0] * 8
    x = rng.normal(0, 1.5, (1, 30, 1))
    want = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(run_vector(cell, x[0]).h, want[0], rtol=0, atol=ATOL)
    assert LSTMCell.from_keras(layer.cell) == cell  # the layer's keras.layers.LSTMCell
    # options that act only in training or on the weights do not change the cell
    trained = keras_lstm(np.random.default_rng(5), 2, 1, use_bias=False, dropout=0.5,
                         recurrent_dropout=0.5, unroll=True, unit_forget_bias=False)
    assert LSTMCell.from_keras(trained) == cell


def test_loading_a_layer_shows_no_numpy_copy_warning():
    # Keras 3's torch backend converts its variables with np.array(x, copy=False), which
    # NumPy 2 answers with a DeprecationWarning per weight ("__array__ implementation doesn't
    # accept a copy keyword"): our loader's own get_weights() call must not pass it on.
    import warnings

    layer = keras_lstm(np.random.default_rng(3), 2, 1)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        LSTMCell.from_keras(layer)
        LSTMCell.from_keras(layer.cell)
    assert not [str(w.message) for w in seen if "copy keyword" in str(w.message)]


@pytest.mark.parametrize("options, match", [
    ({"activation": "relu"}, "activation='relu' is not supported"),
    ({"recurrent_activation": "hard_sigmoid"}, "recurrent_activation='hard_sigmoid' is not"),
    ({"go_backwards": True}, "go_backwards=True is not supported"),
])
def test_refuses_options_that_change_the_cell(options, match):
    layer = keras_lstm(np.random.default_rng(0), 2, 1, **options)
    with pytest.raises(ValueError, match=match):
        LSTMCell.from_keras(layer)


def test_refuses_wrappers_other_layers_and_bad_weights():
    both = keras.layers.Bidirectional(keras.layers.LSTM(2))
    both.build((None, 3, 1))
    with pytest.raises(ValueError, match="Bidirectional LSTM is not supported.*forward_layer"):
        LSTMCell.from_keras(both)
    with pytest.raises(ValueError, match="not built"):
        LSTMCell.from_keras(keras.layers.LSTM(2))
    gru = keras.layers.GRU(2)
    gru.build((None, 3, 1))
    with pytest.raises(TypeError, match="keras.layers.LSTM or its weights as a list, got GRU"):
        LSTMCell.from_keras(gru)
    with pytest.raises(TypeError, match="got RNN"):
        LSTMCell.from_keras(keras.layers.RNN(keras.layers.LSTMCell(2)))
    with pytest.raises(ValueError, match="got 1 arrays"):
        LSTMCell.from_keras([np.zeros((1, 8))])
    with pytest.raises(ValueError, match=r"kernel must have shape \(m, 8\)"):
        LSTMCell.from_keras([np.zeros((1, 4)), np.zeros((2, 8))])
    with pytest.raises(ValueError, match=r"bias must have shape \(8,\)"):
        LSTMCell.from_keras([np.zeros((1, 8)), np.zeros((2, 8)), np.zeros(4)])
    with pytest.raises(ValueError, match="recurrent_kernel must be finite"):
        LSTMCell.from_keras([np.zeros((1, 4)), np.full((1, 4), np.nan)])


def test_refuses_a_custom_function_that_has_the_name():
    def tanh(x):  # tanh(2x): not the cell's tanh, whatever its name
        return keras.ops.tanh(2 * x)

    def sigmoid(x):
        return keras.ops.sigmoid(x + 1)

    for option, fn in (("activation", tanh), ("recurrent_activation", sigmoid)):
        layer = keras_lstm(np.random.default_rng(0), 2, 1, **{option: fn})
        with pytest.raises(ValueError, match=f"{option}=.*{fn.__name__}.* is not keras' own "
                                             f"{fn.__name__}"):
            LSTMCell.from_keras(layer)

def test_keras_ops_tanh_and_sigmoid_are_the_cell_s():
    rng = np.random.default_rng(3)
    plain = keras_lstm(rng, 2, 1)
    ops = keras.layers.LSTM(2, dtype="float64", activation=keras.ops.tanh,
                            recurrent_activation=keras.ops.sigmoid)
    ops.build((None, None, 1))
    ops.set_weights(plain.get_weights())
    assert LSTMCell.from_keras(ops) == LSTMCell.from_keras(plain)
