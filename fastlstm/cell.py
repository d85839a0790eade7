"""A vector LSTM cell in PyTorch's layout: hidden size n, input size m.

``LSTMCell`` holds the four arrays of ``torch.nn.LSTMCell`` (and of one
layer of ``torch.nn.LSTM``): ``W_ih`` (4n, m) on the input x, ``W_hh`` (4n, n)
on the state h, biases ``b_ih`` and ``b_hh`` (4n,), rows stacked by gate
i, f, g, o.  Mind the names: in PyTorch ``ih`` means *input to hidden* (the
weights on x), while ``ScalarLSTM.W_ih`` is the input gate's weight on h.
``from_scalar``/``to_scalar`` translate between the two for n = m = 1.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .frameworks import (keras_activation, keras_layer, keras_weights, owned_array,
                         torch_lstm_layers)
from .frozen import FrozenArrays
from .params import ScalarLSTM, as_cell

#: Gate blocks of the 4n rows, in PyTorch's order.
TORCH_GATES = ("i", "f", "g", "o")
#: For each gate block (i, f, g, o): the ScalarLSTM names of its weight on x,
#: its weight on h and its bias.
_SCALAR_NAMES = (("W_ix", "W_ih", "b_i"), ("W_fx", "W_fh", "b_f"),
                 ("W_cx", "W_ch", "b_c"), ("W_ox", "W_oh", "b_o"))


class _Derived(FrozenArrays):
    """A slot for what runs derive from a cell's read-only arrays (the kernels' weight
    layouts, the overflow screen's row sums), made on first use and kept
    (``fastlstm.vector``).  Not part of the value: equality, hashing and pickling read
    the subclass's ``__slots__`` only."""

    __slots__ = ("_derived",)


class LSTMCell(_Derived):
    """An LSTM cell with hidden size n and input size m, in PyTorch's layout.

    One step, for input x_t (m,) and state (h, c) (n,) each::

        z = W_ih x_t + b_ih + W_hh h + b_hh           (4n,), rows i, f, g, o
        i, f, g, o = sigmoid(z_i), sigmoid(z_f), tanh(z_g), sigmoid(z_o)
        c = f * c + i * g
        h = o * tanh(c)

    Run it with ``fastlstm.vector.run_vector`` under any semantics of
    docs/semantics.md, applied to each unit.

    Parameters
    ----------
    W_ih : array_like, shape (4n, m)
        Weights on the input x (``weight_ih`` in PyTorch).
    W_hh : array_like, shape (4n, n)
        Weights on the previous state h (``weight_hh``).
    b_ih, b_hh : array_like of shape (4n,), optional
        The two biases; None means zero.

    The arrays are copied to read-only float64 arrays and must be finite
    and real, and so must ``b_ih + b_hh``; the cell is immutable, compares
    by value and is hashable.

    Examples
    --------
    >>> import numpy as np
    >>> from fastlstm.cell import LSTMCell
    >>> cell = LSTMCell(np.ones((8, 3)), np.zeros((8, 2)))
    >>> cell.hidden_size, cell.input_size
    (2, 3)
    >>> cell
    LSTMCell(hidden_size=2, input_size=3, max|W_ih|=1, max|W_hh|=0, max|b|=0)
    >>> cell.b_hh
    array([0., 0., 0., 0., 0., 0., 0., 0.])
    >>> cell == LSTMCell(np.ones((8, 3)), np.zeros((8, 2)), np.zeros(8))
    True
    >>> LSTMCell(np.ones((8, 3)), np.zeros((8, 3)))
    Traceback (most recent call last):
    ...
    ValueError: W_hh must have shape (8, 2) for hidden size 2, got shape (8, 3)
    """

    __slots__ = ("_W_ih", "_W_hh", "_b_ih", "_b_hh")

    def __init__(self, W_ih, W_hh, b_ih=None, b_hh=None):
        W_ih = owned_array(W_ih, "W_ih", 2)
        rows, m = W_ih.shape
        if rows == 0 or rows % 4 or m == 0:
            raise ValueError(f"W_ih must have shape (4n, m) with n, m >= 1, got shape {W_ih.shape}")
        n = rows // 4
        W_hh = owned_array(W_hh, "W_hh", 2)
        if W_hh.shape != (4 * n, n):
            raise ValueError(f"W_hh must have shape ({4 * n}, {n}) for hidden size {n}, "
                             f"got shape {W_hh.shape}")
        biases = []
        for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
            if b is None:
                b = np.zeros(4 * n)
                b.flags.writeable = False
            else:
                b = owned_array(b, name, 1)
                if b.shape != (4 * n,):
                    raise ValueError(f"{name} must have shape ({4 * n},) for hidden size {n}, "
                                     f"got shape {b.shape}")
            biases.append(b)
        with np.errstate(over="ignore"):
            total = biases[0] + biases[1]  # what a step adds (bias()): must be finite too
        if not np.isfinite(total).all():
            k = int(np.flatnonzero(~np.isfinite(total))[0])
            raise ValueError(f"b_ih + b_hh overflows float64 at row {k} (gate "
                             f"{TORCH_GATES[k // n]}, unit {k % n}): b_ih[{k}] = "
                             f"{float(biases[0][k])!r}, b_hh[{k}] = {float(biases[1][k])!r}; "
                             f"a step adds the two")
        for slot, value in zip(self.__slots__, (W_ih, W_hh, *biases)):
            object.__setattr__(self, slot, value)

    # --- the arrays (read-only) ------------------------------------------------
    W_ih = property(lambda self: self._W_ih, doc="Weights on x, shape (4n, m), rows i, f, g, o.")
    W_hh = property(lambda self: self._W_hh, doc="Weights on h, shape (4n, n), rows i, f, g, o.")
    b_ih = property(lambda self: self._b_ih, doc="Bias, shape (4n,).")
    b_hh = property(lambda self: self._b_hh, doc="Second bias, shape (4n,).")

    @property
    def hidden_size(self) -> int:
        """n, the number of units (length of h and c)."""
        return self._W_hh.shape[1]

    @property
    def input_size(self) -> int:
        """m, the length of each input x_t."""
        return self._W_ih.shape[1]

    def bias(self) -> np.ndarray:
        """The one bias a step adds, ``b_ih + b_hh`` (a new array of shape (4n,)).

        A zero term leaves the other one exactly as it is (-0.0 stays -0.0),
        so a cell from ``from_scalar`` has the scalar cell's biases bit for bit.
        """
        return np.where(self._b_hh == 0.0, self._b_ih,
                        np.where(self._b_ih == 0.0, self._b_hh, self._b_ih + self._b_hh))

    def __repr__(self):
        def top(a):
            return f"{float(np.abs(a).max()):.6g}"

        return (f"LSTMCell(hidden_size={self.hidden_size}, input_size={self.input_size}, "
                f"max|W_ih|={top(self._W_ih)}, max|W_hh|={top(self._W_hh)}, "
                f"max|b|={top(self.bias())})")

    # --- the scalar cell ---------------------------------------------------------
    @classmethod
    def from_scalar(cls, cell) -> LSTMCell:
        """The 1-unit, 1-input cell of a ``ScalarLSTM`` (or a mapping / 12 numbers).

        Each gate's block of rows gets its scalar weight on x in ``W_ih``,
        its weight on h in ``W_hh`` and its bias in ``b_ih``; ``b_hh`` is zero.

        Examples
        --------
        >>> import fastlstm as fl
        >>> from fastlstm.cell import LSTMCell
        >>> cell = LSTMCell.from_scalar(fl.presets.parity())
        >>> cell.W_ih.ravel().tolist(), cell.W_hh.ravel().tolist()   # rows i, f, g, o
        ([100.0, 0.0, 50.0, 100.0], [0.0, 0.0, -100.0, 0.0])
        >>> cell.b_ih.tolist()
        [100.0, -100.0, 0.0, 0.0]
        >>> cell.to_scalar() == fl.presets.parity()
        True
        """
        cell = as_cell(cell)
        W_ih = [[getattr(cell, x)] for x, _, _ in _SCALAR_NAMES]
        W_hh = [[getattr(cell, h)] for _, h, _ in _SCALAR_NAMES]
        b_ih = [getattr(cell, b) for _, _, b in _SCALAR_NAMES]
        return cls(W_ih, W_hh, b_ih)

    def to_scalar(self) -> ScalarLSTM:
        """The equivalent ``ScalarLSTM`` (only for n = m = 1; the biases are summed)."""
        if self.hidden_size != 1 or self.input_size != 1:
            raise ValueError("to_scalar needs hidden_size = input_size = 1, got hidden_size="
                             f"{self.hidden_size}, input_size={self.input_size}")
        b = self.bias()
        params = {}
        for row, (x, h, bias) in enumerate(_SCALAR_NAMES):
            params[x] = float(self._W_ih[row, 0])
            params[h] = float(self._W_hh[row, 0])
            params[bias] = float(b[row])
        return ScalarLSTM(**params)

    # --- PyTorch ---------------------------------------------------------------------
    @classmethod
    def from_torch(cls, obj, layer=0) -> LSTMCell:
        """The cell of a PyTorch ``nn.LSTM`` layer, an ``nn.LSTMCell`` or a state_dict.

        Parameters
        ----------
        obj : torch.nn.LSTM, torch.nn.LSTMCell or mapping
            An ``nn.LSTM`` with one direction and ``proj_size == 0``
            (``batch_first`` does not matter), an ``nn.LSTMCell``, or a
            state_dict of either (keys ``weight_ih_l{k}``, ``weight_hh_l{k}``,
            ``bias_ih_l{k}``, ``bias_hh_l{k}``, or ``weight_ih``,
            ``weight_hh``, ``bias_ih``, ``bias_hh``); values may be tensors or
            arrays, missing biases are zero.  Other keys are ignored, but the
            two layouts mixed, and a key that is almost one of these (a
            prefix, a trailing newline), are refused, naming the keys.
        layer : int
            Which layer of a stacked LSTM (0 for a cell).

        The weights are copied to float64.  torch is imported only when
        ``obj`` is not a mapping, so a state_dict of NumPy arrays needs no torch.

        Examples
        --------
        >>> import numpy as np
        >>> from fastlstm.cell import LSTMCell
        >>> sd = {"weight_ih_l0": np.ones((4, 1)), "weight_hh_l0": np.zeros((4, 1))}
        >>> LSTMCell.from_torch(sd).W_ih.ravel().tolist()
        [1.0, 1.0, 1.0, 1.0]
        >>> LSTMCell.from_torch(sd, layer=1)
        Traceback (most recent call last):
        ...
        ValueError: layer 1 is not in the state_dict: it holds layer(s) [0]
        """
        if isinstance(layer, (bool, np.bool_)) or not isinstance(layer, (int, np.integer)):
            raise TypeError(f"layer must be an integer, got {type(layer).__name__}")
        layer = int(layer)
        if layer < 0:
            raise ValueError(f"layer must be >= 0, got {layer}")
        if isinstance(obj, Mapping):
            return cls._from_state_dict(obj, layer)
        try:
            import torch
        except ImportError:
            raise TypeError(f"obj must be a torch.nn.LSTM, torch.nn.LSTMCell or a state_dict, "
                            f"got {type(obj).__name__} (and torch is not installed)") from None
        if isinstance(obj, torch.nn.LSTM):
            if obj.bidirectional:
                raise ValueError("bidirectional nn.LSTM is not supported: a cell runs one "
                                 "direction (take the forward weights from its state_dict)")
            if obj.proj_size:
                raise ValueError(f"nn.LSTM with proj_size={obj.proj_size} is not supported "
                                 "(only proj_size=0)")
            if layer >= obj.num_layers:
                raise ValueError(f"layer {layer} does not exist: the nn.LSTM has "
                                 f"{obj.num_layers} layer(s)")
            suffix = f"_l{layer}"
            bias = obj.bias
        elif isinstance(obj, torch.nn.LSTMCell):
            if layer != 0:
                raise ValueError(f"layer {layer} does not exist: an nn.LSTMCell has one layer (0)")
            suffix = ""
            bias = obj.bias
        else:
            raise TypeError("obj must be a torch.nn.LSTM, torch.nn.LSTMCell or a state_dict, "
                            f"got {type(obj).__name__}")
        W_ih, W_hh = getattr(obj, "weight_ih" + suffix), getattr(obj, "weight_hh" + suffix)
        if not bias:
            return cls(W_ih, W_hh)
        return cls(W_ih, W_hh, getattr(obj, "bias_ih" + suffix), getattr(obj, "bias_hh" + suffix))

    @classmethod
    def _from_state_dict(cls, sd, layer):
        layers = torch_lstm_layers(sd)  # refuses near-keys, mixed layouts, reverse, proj
        if not layers:
            raise ValueError("the state_dict has no weight_ih / weight_ih_l<k> key: not an "
                             f"nn.LSTM or nn.LSTMCell state_dict (keys {sorted(sd)})")
        if layers == {0: ""} and layer != 0:
            raise ValueError(f"layer {layer} does not exist: an nn.LSTMCell state_dict "
                             "has one layer (0)")
        if layer not in layers:
            raise ValueError(f"layer {layer} is not in the state_dict: it holds layer(s) "
                             f"{sorted(layers)}")
        suffix = layers[layer]
        for name in ("weight_ih", "weight_hh"):
            if name + suffix not in sd:
                raise ValueError(f"the state_dict has no {name}{suffix}")
        return cls(sd["weight_ih" + suffix], sd["weight_hh" + suffix],
                   sd.get("bias_ih" + suffix), sd.get("bias_hh" + suffix))

    # --- Keras -------------------------------------------------------------------------
    @classmethod
    def from_keras(cls, obj) -> LSTMCell:
        """The cell of a Keras 3 ``LSTM`` layer (or ``LSTMCell``) or of its weights.

        Parameters
        ----------
        obj : keras.layers.LSTM, keras.layers.LSTMCell or sequence
            A built layer, or its ``get_weights()``: ``[kernel (m, 4n),
            recurrent_kernel (n, 4n), bias (4n,)]``, without the bias when
            the layer has ``use_bias=False``.  Keras's gate order i, f, c, o
            is PyTorch's i, f, g, o, so ``W_ih = kernel.T``,
            ``W_hh = recurrent_kernel.T`` and ``b_ih = bias``.

        Options that change what a step computes are refused, naming the
        option: ``activation`` other than Keras's own tanh,
        ``recurrent_activation`` other than its own sigmoid (by identity, so
        a custom function named ``tanh`` is refused), ``go_backwards=True``;
        a ``Bidirectional`` wrapper is refused (load its ``forward_layer``).  ``dropout`` and
        ``recurrent_dropout`` act only in training, and the initializers,
        regularizers and constraints only on the weights, so they are
        accepted and ignored; so are ``return_sequences``, ``unroll`` and
        ``use_cudnn``.  A ``stateful`` layer carries its state between
        calls: pass that state as ``h0``, ``c0`` to the run.

        Examples
        --------
        >>> import numpy as np
        >>> from fastlstm.cell import LSTMCell
        >>> kernel, recurrent = np.ones((3, 8)), np.zeros((2, 8))    # m = 3, n = 2
        >>> cell = LSTMCell.from_keras([kernel, recurrent, np.arange(8.0)])
        >>> cell.hidden_size, cell.input_size, cell.b_ih.tolist()
        (2, 3, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
        >>> LSTMCell.from_keras([kernel, np.zeros((3, 8))])
        Traceback (most recent call last):
        ...
        ValueError: recurrent_kernel must have shape (n, 4n), got shape (3, 8)
        """
        if isinstance(obj, (list, tuple)):
            return cls._from_keras_weights(obj)
        layer = _keras_lstm(obj)
        cell = getattr(layer, "cell", layer)  # an LSTM layer runs an LSTMCell
        for option, wanted in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
            keras_activation(getattr(cell, option), wanted, f"Keras LSTM {option}",
                             f"the cell computes {wanted}")
        if getattr(layer, "go_backwards", False):
            raise ValueError("Keras LSTM go_backwards=True is not supported: the cell reads "
                             "the sequence forwards (reverse x yourself)")
        weights = keras_weights(cell)
        return cls._from_keras_weights(weights if cell.use_bias else weights[:2])

    @classmethod
    def _from_keras_weights(cls, weights):
        if len(weights) not in (2, 3):
            raise ValueError("Keras LSTM weights must be [kernel, recurrent_kernel, bias] or "
                             f"[kernel, recurrent_kernel], got {len(weights)} arrays")
        kernel = owned_array(weights[0], "kernel", 2)
        recurrent = owned_array(weights[1], "recurrent_kernel", 2)
        n = recurrent.shape[0]
        if n == 0 or recurrent.shape != (n, 4 * n):
            raise ValueError(f"recurrent_kernel must have shape (n, 4n), got shape "
                             f"{recurrent.shape}")
        if kernel.shape[1:] != (4 * n,):
            raise ValueError(f"kernel must have shape (m, {4 * n}) for hidden size {n}, got "
                             f"shape {kernel.shape}")
        bias = owned_array(weights[2], "bias", 1) if len(weights) == 3 else None
        if bias is not None and bias.shape != (4 * n,):
            raise ValueError(f"bias must have shape ({4 * n},) for hidden size {n}, got shape "
                             f"{bias.shape}")
        return cls(kernel.T, recurrent.T, bias)


def _keras_lstm(obj):
    """A built Keras ``LSTM`` or ``LSTMCell``; a wrapper or another layer is refused."""
    kind = type(obj).__name__
    if kind == "Bidirectional":
        raise ValueError("a Keras Bidirectional LSTM is not supported: a cell runs one "
                         "direction (load its forward_layer)")
    return keras_layer(obj, "LSTMCell" if kind == "LSTMCell" else "LSTM",
                       "LSTMCell.from_keras")
