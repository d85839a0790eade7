"""A linear readout on the hidden state: the label a classifier reports.

``Readout`` holds ``y = W h + b`` (``W`` of shape (k, n)), the last layer of
a network trained as a classifier on top of an LSTM (``torch.nn.Linear``,
Keras ``Dense``).  Its *label* is what a machine extracted from the network
reports: the sign of y when k = 1 (-1, 0 or +1), else the index of the
largest output (or ``labels[index]``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._validate import real_array
from .frameworks import keras_activation, keras_layer, keras_weights, owned_array
from .frozen import FrozenArrays

_ANY_NDIM = tuple(range(33))


def _labels(labels, k):
    """``labels`` as a tuple of k distinct Python ints (None stays None)."""
    if labels is None:
        return None
    if k == 1:
        raise ValueError("labels needs output_size >= 2 (argmax); a 1-output readout "
                         "reports the sign of y (-1, 0, +1)")
    values = tuple(labels)
    if any(isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer))
           for v in values):
        raise TypeError(f"labels must be integers, got {labels!r}")
    values = tuple(int(v) for v in values)
    if len(values) != k:
        raise ValueError(f"labels must have one entry per output ({k}), got {len(values)}")
    if len(set(values)) != k:
        raise ValueError(f"labels must be distinct, got {values}")
    if any(not -2 ** 63 <= v < 2 ** 63 for v in values):
        raise ValueError(f"labels must fit in int64, got {values}")
    return values


class Readout(FrozenArrays):
    """A linear readout ``y = W h + b`` and the label it gives a hidden state.

    Parameters
    ----------
    weight : array_like, shape (k, n)
        One row per output (``nn.Linear.weight``; the transpose of a Keras
        ``Dense`` kernel).
    bias : array_like of shape (k,), optional
        None means zero.
    labels : sequence of k distinct ints, optional
        What each output stands for when k >= 2 (e.g. ``(-1, 0, 1)``);
        by default the output's index.

    The label of h is ``sign(y)`` as an int when k = 1, else the argmax of
    y (the first one on a tie) or ``labels[argmax]``.  The arrays are copied
    to read-only float64 arrays and must be finite and real; the readout is
    immutable, compares by value and is hashable.

    Examples
    --------
    >>> import fastlstm as fl
    >>> sign = fl.Readout([[1.0, -1.0]])                  # y = h_0 - h_1
    >>> sign.label([[1, 0], [0, 1], [1, 1]]).tolist()
    [1, -1, 0]
    >>> three = fl.Readout([[-1, 0], [0, 0], [1, 0]], [0, 0.5, 0], labels=(-1, 0, 1))
    >>> three
    Readout(output_size=3, input_size=2, labels=(-1, 0, 1), max|W|=1, max|b|=0.5)
    >>> three.label([[-1, 0], [0, 0], [1, 0]]).tolist()
    [-1, 0, 1]
    >>> fl.Readout([[1.0, 2.0]]).label([1.0, 2.0, 3.0])
    Traceback (most recent call last):
    ...
    ValueError: h must have shape (..., 2) for a readout with input_size 2, got shape (3,)
    """

    __slots__ = ("_weight", "_bias", "_labels")

    def __init__(self, weight, bias=None, labels=None):
        weight = owned_array(weight, "weight", 2)
        k, n = weight.shape
        if k == 0 or n == 0:
            raise ValueError(f"weight must have shape (k, n) with k, n >= 1, got shape "
                             f"{weight.shape}")
        if bias is None:
            bias = np.zeros(k)
            bias.flags.writeable = False
        else:
            bias = owned_array(bias, "bias", 1)
            if bias.shape != (k,):
                raise ValueError(f"bias must have shape ({k},) for {k} output(s), got shape "
                                 f"{bias.shape}")
        for slot, value in zip(self.__slots__, (weight, bias, _labels(labels, k))):
            object.__setattr__(self, slot, value)

    weight = property(lambda self: self._weight, doc="W, shape (k, n), read-only.")
    bias = property(lambda self: self._bias, doc="b, shape (k,), read-only.")
    labels = property(lambda self: self._labels, doc="The label of each output, or None.")

    @property
    def output_size(self) -> int:
        """k, the number of outputs."""
        return self._weight.shape[0]

    @property
    def input_size(self) -> int:
        """n, the length of the hidden state it reads."""
        return self._weight.shape[1]

    def outputs(self, h) -> np.ndarray:
        """``y = W h + b`` for h of shape (..., n): float64 of shape (..., k)."""
        h = real_array(h, "h", _ANY_NDIM)
        n = self.input_size
        if h.ndim == 0 or h.shape[-1] != n:
            raise ValueError(f"h must have shape (..., {n}) for a readout with input_size {n}, "
                             f"got shape {h.shape}")
        return h @ self._weight.T + self._bias

    def label(self, h) -> np.ndarray:
        """The label of each hidden state: h of shape (..., n) -> int64 of shape (...)."""
        y = self.outputs(h)
        if self.output_size == 1:
            return np.sign(y[..., 0]).astype(np.int64)
        index = np.argmax(y, axis=-1)
        if self._labels is None:
            return index.astype(np.int64)
        return np.asarray(self._labels, dtype=np.int64)[index]

    def __repr__(self):
        labels = "" if self._labels is None else f"labels={self._labels}, "
        return (f"Readout(output_size={self.output_size}, input_size={self.input_size}, "
                f"{labels}max|W|={float(np.abs(self._weight).max()):.6g}, "
                f"max|b|={float(np.abs(self._bias).max()):.6g})")

    # --- frameworks ---------------------------------------------------------------------
    @classmethod
    def from_torch(cls, obj, labels=None) -> Readout:
        """The readout of a ``torch.nn.Linear`` or of its state_dict.

        Parameters
        ----------
        obj : torch.nn.Linear or mapping
            A Linear layer, or a mapping with key ``weight`` (k, n) and
            optionally ``bias`` (k,) (tensors or arrays; no other keys).
        labels : sequence of ints, optional
            As in ``Readout``.

        Examples
        --------
        >>> import numpy as np
        >>> from fastlstm.readout import Readout
        >>> Readout.from_torch({"weight": np.ones((1, 3)), "bias": np.array([-1.0])})
        Readout(output_size=1, input_size=3, max|W|=1, max|b|=1)
        >>> Readout.from_torch({"weight": np.ones((1, 3)), "scale": 2.0})
        Traceback (most recent call last):
        ...
        ValueError: a Linear state_dict has keys 'weight' and 'bias', got unknown key(s) ['scale']
        """
        if isinstance(obj, Mapping):
            unknown = sorted(str(key) for key in obj if key not in ("weight", "bias"))
            if unknown:
                raise ValueError("a Linear state_dict has keys 'weight' and 'bias', got unknown "
                                 f"key(s) {unknown}")
            if "weight" not in obj:
                raise ValueError("the state_dict has no 'weight' key: not an nn.Linear state_dict")
            return cls(obj["weight"], obj.get("bias"), labels)
        try:
            import torch
        except ImportError:
            raise TypeError(f"obj must be a torch.nn.Linear or a state_dict, got "
                            f"{type(obj).__name__} (and torch is not installed)") from None
        if not isinstance(obj, torch.nn.Linear):
            raise TypeError(f"obj must be a torch.nn.Linear or a state_dict, got "
                            f"{type(obj).__name__}")
        return cls(obj.weight, obj.bias, labels)

    @classmethod
    def from_keras(cls, obj, labels=None) -> Readout:
        """The readout of a Keras 3 ``Dense`` layer or of its ``get_weights()``.

        Parameters
        ----------
        obj : keras.layers.Dense or sequence
            A built ``Dense`` layer with no activation (``activation=None``
            or ``"linear"``: a sigmoid or softmax would not change the
            argmax, but the layer would no longer be linear, so it is
            refused: rebuild the layer without it), or its weights
            ``[kernel (n, k)]`` or ``[kernel (n, k), bias (k,)]``.
        labels : sequence of ints, optional
            As in ``Readout``.

        Examples
        --------
        >>> import numpy as np
        >>> from fastlstm.readout import Readout
        >>> kernel = np.array([[1.0], [-2.0]])              # (n, k) = (2, 1)
        >>> Readout.from_keras([kernel, np.zeros(1)]).weight.tolist()
        [[1.0, -2.0]]
        """
        if isinstance(obj, (list, tuple)):
            if len(obj) not in (1, 2):
                raise ValueError(f"Dense weights must be [kernel] or [kernel, bias], got "
                                 f"{len(obj)} arrays")
            kernel = owned_array(obj[0], "kernel", 2)
            return cls(kernel.T, obj[1] if len(obj) == 2 else None, labels)
        layer = keras_layer(obj, "Dense", "Readout.from_keras")
        keras_activation(layer.activation, "linear", "Dense activation",
                         "the readout is linear (use activation=None)")
        if getattr(layer, "lora_enabled", False):
            raise ValueError("Dense with LoRA enabled is not supported (merge it first)")
        if getattr(layer, "quantization_mode", None):
            raise ValueError(f"Dense quantization_mode={layer.quantization_mode!r} is not "
                             "supported")
        weights = keras_weights(layer)
        return cls(weights[0].T, weights[1] if layer.use_bias else None, labels)

