"""A trained network from a weights file: an LSTM layer and an optional readout.

``load_weights`` reads a PyTorch state_dict saved with ``torch.save`` (a
``.pt`` file, read with ``weights_only=True``: no code is unpickled) or the
same keys in a NumPy ``.npz`` file (read with ``allow_pickle=False``), or
takes the mapping itself.  Accepted key layouts, where ``P.`` and ``Q.``
are optional prefixes such as ``lstm.`` and ``readout.`` (the attribute
names of a module holding the layers; any dotted prefix works):

* the LSTM, exactly one of
  - ``P.weight_ih_l0``, ``P.weight_hh_l0`` and optionally ``P.bias_ih_l0``,
    ``P.bias_hh_l0``: a one-layer, one-direction ``nn.LSTM``;
  - ``P.weight_ih``, ``P.weight_hh`` and optionally ``P.bias_ih``,
    ``P.bias_hh``: an ``nn.LSTMCell``;
* optionally one readout: ``Q.weight`` (k, n) and optionally ``Q.bias``
  (k,) of an ``nn.Linear``, and optionally ``Q.labels`` (k integers: what
  each output stands for, see ``Readout``).

Any other key is refused, naming it; so are the two LSTM layouts mixed
(``weight_ih_l0`` beside ``bias_ih``, or ``weight_ih`` beside
``weight_ih_l0``: which weights are meant is ambiguous), a key that is
almost an LSTM key (``bias_ih_l0`` with a trailing newline), a tensor with
no dense real values (meta, sparse, quantized) and ``labels`` that are not
one integer per output, each naming the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple, Optional

import numpy as np

from .cell import LSTMCell
from .frameworks import is_torch_lstm_key, plain_values, torch_lstm_layers
from .readout import Readout

_READOUT_NAMES = {"weight", "bias", "labels"}


class TrainedNetwork(NamedTuple):
    """An LSTM cell and the readout on its h (None when the weights have none)."""

    cell: LSTMCell
    readout: Optional[Readout]


def load_weights(source, *, labels=None) -> TrainedNetwork:
    """The LSTM cell and readout held by a weights file or a state_dict.

    Parameters
    ----------
    source : str, os.PathLike or mapping
        A ``.pt`` file (a torch state_dict; needs torch), an ``.npz`` file,
        or a mapping of key -> tensor or array, in one of the key layouts of
        this module's docstring.
    labels : sequence of ints, optional
        The readout's labels; overrides a ``labels`` key of the file.

    Returns
    -------
    TrainedNetwork
        ``(cell, readout)``; ``readout`` is None when there is none.

    Examples
    --------
    The network shipped with the package (``fl.presets.parity_lstm``): a
    3-unit LSTM and a readout whose three outputs stand for the labels -1,
    0, +1.

    >>> import fastlstm as fl
    >>> cell, readout = fl.load_weights(fl.presets.weights_file("parity_lstm"))
    >>> cell.hidden_size, readout.labels
    (3, (-1, 0, 1))
    >>> fl.load_weights({"lstm.weight_ih_l0": [[1.0]] * 4, "lstm.weight_hh_l0": [[0.0]] * 4,
    ...                  "lstm.scale": 2.0})
    Traceback (most recent call last):
    ...
    ValueError: unknown key(s) ['lstm.scale']: expected an nn.LSTM or nn.LSTMCell state_dict (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, or weight_ih, ...) and optionally one nn.Linear readout (weight, bias, labels), each under an optional prefix
    """
    if isinstance(source, Mapping):
        state, where = dict(source), "the state_dict"
    elif isinstance(source, (str, os.PathLike)):
        state, where = _read(os.fspath(source)), f"weights file {os.fspath(source)!r}"
    else:
        raise TypeError(f"source must be a file name or a state_dict, got "
                        f"{type(source).__name__}")
    groups = {}
    for key in state:
        if not isinstance(key, str):
            raise TypeError(f"{where}: keys must be strings, got {key!r}")
        prefix, _, name = key.rpartition(".")
        groups.setdefault(prefix, {})[name] = state[key]
    lstm = [p for p, g in groups.items() if any(map(is_torch_lstm_key, g))]
    heads = [p for p, g in groups.items() if p not in lstm and "weight" in g]

    def known(key):
        prefix, _, name = key.rpartition(".")
        return ((prefix in lstm and is_torch_lstm_key(name))
                or (prefix in heads and name in _READOUT_NAMES))

    unknown = sorted(k for k in state if not known(k))
    if unknown:
        raise ValueError(
            f"unknown key(s) {unknown}: expected an nn.LSTM or nn.LSTMCell state_dict "
            "(weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, or weight_ih, ...) and "
            "optionally one nn.Linear readout (weight, bias, labels), each under an optional "
            "prefix")
    if len(lstm) != 1:
        found = "none" if not lstm else ", ".join(repr(p + ".") for p in lstm)
        raise ValueError(f"{where} must hold exactly one LSTM layer (weight_ih_l0 or "
                         f"weight_ih keys); found {found}")
    if len(heads) > 1:
        raise ValueError(f"{where} holds more than one readout (prefixes "
                         f"{', '.join(repr(p + '.') for p in heads)}); keep one")
    for prefix in lstm + heads:  # each tensor named by its key in what it may refuse
        for name, value in groups[prefix].items():
            groups[prefix][name] = plain_values(value, f"{_key(prefix, name)!r} of {where}")
    cell_keys = groups[lstm[0]]
    layers = torch_lstm_layers(cell_keys, where)  # refuses mixed layouts, reverse, proj
    if len(layers) > 1:
        raise ValueError(f"{where} holds an nn.LSTM of layers {sorted(layers)}: fastlstm runs "
                         "one layer (save a one-layer LSTM)")
    cell = LSTMCell.from_torch(cell_keys)
    if not heads:
        if labels is not None:
            raise ValueError(f"labels given, but {where} holds no readout")
        return TrainedNetwork(cell, None)
    head = groups[heads[0]]
    if labels is None and "labels" in head:
        labels = _file_labels(head["labels"], f"{_key(heads[0], 'labels')!r} of {where}")
    readout = Readout.from_torch({k: v for k, v in head.items() if k != "labels"}, labels)
    if readout.input_size != cell.hidden_size:
        raise ValueError(f"the readout reads {readout.input_size} values but the LSTM has "
                         f"hidden size {cell.hidden_size}")
    return TrainedNetwork(cell, readout)


def _key(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _file_labels(value, name):
    """A ``labels`` entry as a list of ints: a 1-d array of integers (a 0-d one is no list)."""
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        got = f"shape {arr.shape}" if arr.ndim != 1 else f"dtype {arr.dtype}"
        error = ValueError if arr.ndim != 1 else TypeError
        raise error(f"{name}: labels must be integers, one per readout output (a 1-d array), "
                    f"got {got}")
    return arr.tolist()


def _read(path):
    """The mapping held by a ``.pt`` or ``.npz`` file."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".pt", ".pth", ".npz"):
        raise ValueError(f"weights file {path!r}: expected a .pt (torch state_dict) or .npz "
                         "file")
    if not os.path.exists(path):
        raise FileNotFoundError(f"weights file {path!r} does not exist")
    if os.path.isdir(path):
        raise ValueError(f"weights file {path!r} is a folder, not a file")
    if not os.path.isfile(path):  # a FIFO would block the read, a device never end it
        raise ValueError(f"weights file {path!r} is not a regular file (a FIFO, device or "
                         "socket): give a .pt or .npz file")
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except Exception as exc:  # not a zip, a pickled array, a truncated file
            raise ValueError(f"weights file {path!r} cannot be read as .npz: {exc}") from None
    try:
        import torch
    except ImportError:
        raise ImportError(f"weights file {path!r} is a torch file: reading it needs PyTorch: "
                          "pip install 'fastlstm[torch]' (or save the state_dict's arrays with "
                          "numpy.savez as .npz)", name="torch") from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # not a torch file, or one holding code (refused by weights_only)
        raise ValueError(f"weights file {path!r} cannot be read as a torch state_dict: "
                         f"{' '.join(str(exc).split())[:300]}") from None
    if not isinstance(state, Mapping):
        raise ValueError(f"weights file {path!r} holds a {type(state).__name__}, not a "
                         "state_dict (save model.state_dict())")
    return state
