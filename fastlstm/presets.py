"""Named cells, and the trained network shipped with the package.

``parity`` is the scalar cell of the worked example (docs/semantics.md);
``NAMES`` are the scalar cells ``get`` and ``fastlstm --preset`` know.
``parity_lstm`` is a trained network (a 3-unit LSTM and a readout) whose
weights file is installed with the package, in ``fastlstm/data/``;
``weights_file`` gives the path of such a file, for ``fastlstm run
--weights``.
"""

from __future__ import annotations

import pathlib

from .params import ScalarLSTM

__all__ = ["dyck1", "parity", "get", "NAMES", "parity_lstm", "weights_file", "WEIGHTS"]


def parity() -> ScalarLSTM:
    """The worked example: h_t tracks whether the current run of ones is odd.

    Examples
    --------
    >>> import fastlstm as fl
    >>> fl.run(fl.presets.parity(), [1, 1, 0, 1, 1]).rounded.tolist()
    [1, -1, 0, 1, -1]
    """
    return ScalarLSTM(W_fh=0.0, W_fx=0.0, b_f=-100.0,
                      W_ih=0.0, W_ix=100.0, b_i=100.0,
                      W_oh=0.0, W_ox=100.0, b_o=0.0,
                      W_ch=-100.0, W_cx=50.0, b_c=0.0)


def dyck1() -> ScalarLSTM:
    """A counter: on inputs +1 ("(") and -1 (")"), rounded h is 0 exactly on balanced prefixes.

    The forget and input gates are always open (b_f = b_i = 100: f = i = 1),
    so c_t = c_{t-1} + g_t adds the candidate, and the output gate is always
    open (b_o = 100), so h_t = tanh(c_t).  The candidate
    g_t = tanh(100 x_t + 100 h_{t-1} - 50) is +1 on "(" and -1 on ")" while
    the count is >= 0 (h_{t-1} = 0 or 1: 100 x - 50 or 100 x + 50 has the
    sign of x); once a ")" has taken the count below 0, h_{t-1} = -1 and
    g_t = tanh(100 x - 150) = -1 on both symbols, so the count keeps falling
    and the cell never recovers.  Rounded h_t is therefore +1 while brackets
    are open, 0 when the prefix is balanced (a Dyck-1 word) and -1 for ever
    after the first unmatched ")".  Every gate pre-activation stays at least
    26 away from 0 (the least is 100 - 100 tanh(1) - 50 on "(" at count -1
    with raw feedback), where float64 tanh and sigmoid are already exactly
    +-1 and 0 or 1, so this holds under every semantics (exact or
    saturated, raw or rounded feedback) while the count stays below 2**53.
    ``fl.find_counter`` extracts its one-counter machine.

    Examples
    --------
    >>> import fastlstm as fl
    >>> fl.run(fl.presets.dyck1(), [1, 1, -1, -1, -1, 1]).rounded.tolist()
    [1, 1, 1, 0, -1, -1]
    """
    return ScalarLSTM(W_fh=0.0, W_fx=0.0, b_f=100.0,
                      W_ih=0.0, W_ix=0.0, b_i=100.0,
                      W_oh=0.0, W_ox=0.0, b_o=100.0,
                      W_ch=100.0, W_cx=100.0, b_c=-50.0)


_PRESETS = {"parity": parity, "dyck1": dyck1}
NAMES = tuple(_PRESETS)


def get(name: str) -> ScalarLSTM:
    """The preset called ``name`` (see ``NAMES``)."""
    try:
        return _PRESETS[name]()
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; known presets: {', '.join(NAMES)}") from None


#: The trained networks whose weights ship with the package (``weights_file``).
WEIGHTS = ("parity_lstm", "flipflop_lstm")
_DATA = pathlib.Path(__file__).resolve().parent / "data"


def weights_file(name: str) -> pathlib.Path:
    """The path of a weights file installed with the package.

    Parameters
    ----------
    name : str
        One of ``WEIGHTS``: ``"parity_lstm"`` (the network of
        ``parity_lstm``) or ``"flipflop_lstm"`` (that of ``flipflop_lstm``).

    Returns
    -------
    pathlib.Path
        An absolute path to an ``.npz`` file that ``fl.load_weights`` and
        ``fastlstm run --weights`` read.

    Examples
    --------
    >>> import fastlstm as fl
    >>> path = fl.presets.weights_file("parity_lstm")
    >>> path.name, path.is_absolute(), path.is_file()
    ('parity_lstm.npz', True, True)
    >>> fl.presets.weights_file("parity")
    Traceback (most recent call last):
    ...
    ValueError: unknown weights 'parity'; shipped weights: parity_lstm, flipflop_lstm (the scalar presets parity, dyck1 are cells: fl.presets.get)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, one of {', '.join(WEIGHTS)}; got "
                        f"{type(name).__name__}")
    if name not in WEIGHTS:
        raise ValueError(f"unknown weights {name!r}; shipped weights: {', '.join(WEIGHTS)} "
                         f"(the scalar presets {', '.join(NAMES)} are cells: fl.presets.get)")
    return _DATA / f"{name}.npz"


def parity_lstm():
    """A trained network for the worked example's task: a 3-unit LSTM and a readout.

    Trained with PyTorch (an ``nn.LSTM(1, 3)`` and an ``nn.Linear(3, 3)``)
    to label every step +1 when the current run of ones has odd length, -1
    when it has even length and 0 right after a zero.  The readout's three
    outputs stand for the labels -1, 0, +1 (its argmax is the label).
    Training pushed the gates into saturation, so under
    ``activation="saturated", round_feedback=True`` its machine extracts
    exactly and minimises to the task's three states.  The weights are the
    file ``weights_file("parity_lstm")``, written by the repository's
    ``examples/train_parity.py``.

    Returns
    -------
    TrainedNetwork
        ``(cell, readout)``, as ``fl.load_weights`` returns them.

    Examples
    --------
    >>> import fastlstm as fl
    >>> cell, readout = fl.presets.parity_lstm()
    >>> cell.hidden_size, cell.input_size, readout.labels
    (3, 1, (-1, 0, 1))
    >>> readout.label(fl.run(cell, [1, 1, 0, 1, 1]).h).tolist()
    [1, -1, 0, 1, -1]
    """
    from .weights import load_weights  # weights imports the vector cell: only when asked

    return load_weights(weights_file("parity_lstm"))


def flipflop_lstm():
    """A 16-unit LSTM trained on the 3-bit flip-flop task, and its readout.

    Three input channels carry sparse pulses of +1 or -1; each of the three
    outputs holds the sign of its channel's last pulse (Sussillo & Barak,
    2013).  Trained with PyTorch (an ``nn.LSTM(3, 16)`` and an
    ``nn.Linear(16, 3)``, seeded) by the repository's ``examples/flipflop.py``;
    the weights are the file ``weights_file("flipflop_lstm")``.  With zero
    input it holds three bits: 8 stable fixed points, one per sign pattern,
    with saddles between them (``fl.fixed_points``).

    Returns
    -------
    TrainedNetwork
        ``(cell, readout)``, as ``fl.load_weights`` returns them.

    Examples
    --------
    >>> import fastlstm as fl
    >>> cell, readout = fl.presets.flipflop_lstm()
    >>> cell.hidden_size, cell.input_size, readout.weight.shape
    (16, 3, (3, 16))
    """
    from .weights import load_weights  # weights imports the vector cell: only when asked

    return load_weights(weights_file("flipflop_lstm"))
