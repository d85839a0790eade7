"""What every loader of a framework's weights shares: arrays, torch keys, Keras layers.

``owned_array`` turns a tensor, a Keras weight, an array or nested lists into
the read-only float64 copy a cell or readout keeps (``plain_values`` is its
first step: a torch tensor to NumPy); ``torch_lstm_layers`` reads the keys of
an ``nn.LSTM`` or ``nn.LSTMCell`` state_dict; ``keras_layer`` checks that an
object is a built Keras 3 layer of the expected class and ``keras_activation``
that an activation is Keras's own.  Neither framework is imported unless an
object from it is being read.
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from ._validate import as_real

#: A key of an nn.LSTM or nn.LSTMCell state_dict exactly as torch writes it (fullmatch only:
#: ``$`` would also match before a trailing newline, ``\d`` any Unicode digit)
_TORCH_LSTM_KEY = re.compile(r"(weight|bias)_(ih|hh|hr)(?:_l(0|[1-9][0-9]*))?(_reverse)?")
#: a key that mentions an LSTM weight or bias: one that is not exactly a torch key is refused,
#: never skipped (its weights would be lost without a word)
_TORCH_LSTM_LIKE = re.compile(r"(weight|bias)_(ih|hh|hr)", re.IGNORECASE)


def is_torch_lstm_key(name):
    """True when ``name`` is exactly a key torch writes for an nn.LSTM or nn.LSTMCell."""
    return isinstance(name, str) and _TORCH_LSTM_KEY.fullmatch(name) is not None


def torch_lstm_layers(keys, where="the state_dict"):
    """The layers whose weights ``keys`` (of an LSTM's own state_dict) hold: {layer: suffix}.

    ``{0: ""}`` for an ``nn.LSTMCell`` (``weight_ih``, ``weight_hh``,
    ``bias_ih``, ``bias_hh``), ``{k: "_l<k>"}`` for each layer k of an
    ``nn.LSTM`` (``weight_ih_l<k>``, ...); ``{}`` when there is none.  Keys
    that mention no LSTM weight or bias are the caller's business.  Refused
    (ValueError naming the keys): a key that mentions one but is not exactly
    a torch key (a prefix, other case, a trailing newline or space, ``_l00``),
    the keys of a bidirectional LSTM or of one with projections, and the two
    layouts mixed, where which weights are meant is ambiguous.

    Examples
    --------
    >>> torch_lstm_layers(["weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "fc.weight"])
    {0: '_l0', 1: '_l1'}
    >>> torch_lstm_layers(["weight_ih_l0", "weight_hh_l0", "bias_ih", "bias_hh"])
    Traceback (most recent call last):
    ...
    ValueError: the state_dict mixes nn.LSTMCell keys ['bias_hh', 'bias_ih'] and nn.LSTM keys ['weight_hh_l0', 'weight_ih_l0']: which weights are meant is ambiguous; keep one layout
    """
    cell_keys, lstm_keys, layers = [], [], set()
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"{where}: keys must be strings, got {key!r}")
        match = _TORCH_LSTM_KEY.fullmatch(key)
        if match is None:
            if _TORCH_LSTM_LIKE.search(key):
                raise ValueError(
                    f"{where}: key {key!r} is not an nn.LSTM or nn.LSTMCell key: expected "
                    "exactly weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k> or "
                    "weight_ih, weight_hh, bias_ih, bias_hh (the LSTM's own state_dict; "
                    "fl.load_weights reads a model's, with prefixes)")
            continue
        if match[4]:
            raise ValueError(f"{where} is of a bidirectional nn.LSTM ({key!r}), which is not "
                             "supported: a cell runs one direction")
        if match[2] == "hr":
            raise ValueError(f"{where} is of an nn.LSTM with proj_size > 0 ({key!r}), which is "
                             "not supported")
        if match[3] is None:
            cell_keys.append(key)
        else:
            lstm_keys.append(key)
            layers.add(int(match[3]))
    if cell_keys and lstm_keys:
        raise ValueError(f"{where} mixes nn.LSTMCell keys {sorted(cell_keys)} and nn.LSTM keys "
                         f"{sorted(lstm_keys)}: which weights are meant is ambiguous; keep one "
                         "layout")
    if cell_keys:
        return {0: ""}
    return {k: f"_l{k}" for k in sorted(layers)}


def plain_values(value, name):
    """``value`` as a NumPy array when it is a torch tensor (float64 if floating); else as is.

    A tensor without values of its own is refused, naming ``name``: a meta
    tensor (ValueError: a shape, no values), a sparse or other non-strided
    one and a quantized one (TypeError: a cell holds dense real weights).
    """
    if not hasattr(value, "detach"):  # not a torch tensor
        return value
    if getattr(value, "is_meta", False):
        raise ValueError(f"{name} is a meta tensor: it has a shape {tuple(value.shape)} but no "
                         "values (save the weights of a trained or loaded model)")
    layout = str(getattr(value, "layout", "torch.strided"))
    if layout != "torch.strided":
        raise TypeError(f"{name} is a {layout.removeprefix('torch.')} tensor: expected a dense "
                        "tensor of real numbers (call .to_dense() before saving)")
    if getattr(value, "is_quantized", False):
        raise TypeError(f"{name} is a quantized tensor ({value.dtype}): expected a tensor of "
                        "real numbers (the weights of the float model)")
    value = value.detach().cpu()  # possibly requiring grad
    if value.is_floating_point():
        value = value.double()
    return value.numpy()


def owned_array(value, name, ndim):
    """``value`` as a read-only float64 copy; TypeError/ValueError naming ``name``.

    Examples
    --------
    >>> owned_array([[1, 2]], "W", 2)
    array([[1., 2.]])
    >>> owned_array([1.0, float("nan")], "b", 1)
    Traceback (most recent call last):
    ...
    ValueError: b must be finite, got nan at index (1,)
    """
    arr = as_real(plain_values(value, name), name, kinds="iuf")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension{'s' if ndim > 1 else ''}, "
                         f"got shape {arr.shape}")
    arr = np.array(arr, dtype=np.float64)  # a copy: the cell owns its arrays
    if not np.isfinite(arr).all():
        bad = tuple(np.argwhere(~np.isfinite(arr))[0].tolist())
        raise ValueError(f"{name} must be finite, got {arr[bad]} at index {bad}")
    arr.flags.writeable = False
    return arr


def keras_layer(obj, kind, caller):
    """``obj`` if it is a built Keras 3 layer of class ``kind``; else a clear error.

    keras is imported here, only when a caller was given something that is
    not a plain list of weights.
    """
    try:
        import keras
    except ImportError:
        raise TypeError(f"{caller} takes a keras.layers.{kind} or its weights as a list, got "
                        f"{type(obj).__name__} (and keras is not installed)") from None
    if not isinstance(obj, getattr(keras.layers, kind)):
        raise TypeError(f"{caller} takes a keras.layers.{kind} or its weights as a list, got "
                        f"{type(obj).__name__}")
    if not obj.built:
        raise ValueError(f"the {kind} layer is not built (it has no weights yet): call it on "
                         "an input or call build(input_shape) first")
    return obj


#: The DeprecationWarning NumPy 2 raises for each weight Keras 3's torch backend converts
#: with ``np.array(x, copy=False)`` (keras/src/backend/torch/core.py, .../common/variables.py).
KERAS_COPY_WARNING = r"__array__ implementation doesn't accept a copy keyword"


def keras_weights(layer):
    """``layer.get_weights()`` without Keras's NumPy 2 copy-keyword DeprecationWarning.

    The warning is about Keras's own conversion (nothing a caller can change) and came once
    per weight of every layer loaded; other warnings pass through.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=KERAS_COPY_WARNING,
                                category=DeprecationWarning)
        return layer.get_weights()


def keras_activation(fn, wanted, what, why):
    """Refuse ``fn`` (ValueError) unless it is Keras's own ``wanted`` activation.

    Identity, not the name: a custom function called ``tanh`` may compute
    anything.  ``wanted`` is ``"tanh"``, ``"sigmoid"`` or ``"linear"``;
    ``keras.ops.tanh`` and ``keras.ops.sigmoid`` compute the same functions
    and pass too.  ``what`` names the option and ``why`` says what the
    caller computes, in the message.
    """
    import keras

    own = (getattr(keras.activations, wanted), getattr(keras.ops, wanted, None))
    if any(fn is f for f in own if f is not None):
        return
    name = getattr(fn, "__name__", None)
    if name in (None, wanted):  # keras' name or none: say which function it is
        name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    raise ValueError(f"{what}={name!r} is not supported: it is not keras' own {wanted}, and "
                     f"{why}")
