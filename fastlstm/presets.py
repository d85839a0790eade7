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

import numpy as np

from .params import ScalarLSTM

__all__ = ["dyck1", "parity", "get", "NAMES", "parity_lstm", "weights_file", "WEIGHTS",
           "tomita_lstm", "TOMITA"]


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
#: The Tomita grammars with a shipped network (``tomita_lstm``).
TOMITA = (1, 2, 3, 4, 5, 6, 7)
WEIGHTS = ("parity_lstm", "flipflop_lstm") + tuple(f"tomita{k}_lstm" for k in TOMITA)
_DATA = pathlib.Path(__file__).resolve().parent / "data"


def weights_file(name: str) -> pathlib.Path:
    """The path of a weights file installed with the package.

    Parameters
    ----------
    name : str
        One of ``WEIGHTS``: ``"parity_lstm"`` (the network of
        ``parity_lstm``), ``"flipflop_lstm"`` (that of ``flipflop_lstm``) or
        ``"tomita{k}_lstm"`` (that of ``tomita_lstm(k)``).

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
    ValueError: unknown weights 'parity'; shipped weights: parity_lstm, flipflop_lstm, tomita1_lstm, ... (the scalar presets parity, dyck1 are cells: fl.presets.get)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, one of {', '.join(WEIGHTS)}; got "
                        f"{type(name).__name__}")
    if name not in WEIGHTS:
        raise ValueError(f"unknown weights {name!r}; shipped weights: {', '.join(WEIGHTS)} "
                         f"(the scalar presets {', '.join(NAMES)} are cells: fl.presets.get)")
    return _DATA / f"{name}.npz"


def _trained(name: str):
    """``fl.load_weights`` of the shipped file ``name``: (cell, readout)."""
    from .weights import load_weights  # weights imports the vector cell: only when asked

    return load_weights(weights_file(name))


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
    return _trained("parity_lstm")


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
    return _trained("flipflop_lstm")


def tomita_lstm(k):
    """A small LSTM trained on Tomita grammar ``k`` (1 to 7), and its readout.

    The grammars over {0, 1} (Tomita 1982, as used by Weiss, Goldberg &
    Yahav 2018): 1 ``1*``; 2 ``(10)*``; 3 no odd run of 1s followed later by
    an odd run of 0s; 4 no ``000``; 5 an even number of 0s and of 1s; 6 the
    number of 0s minus the number of 1s a multiple of 3; 7 ``0*1*0*1*``.
    Trained with PyTorch (an ``nn.LSTM(1, 8)`` and an ``nn.Linear(8, 2)``,
    seeded) by the repository's ``examples/tomita.py`` to label every prefix
    of a 0/1 string (inputs 0.0 and 1.0): the readout's label is 1 when the
    prefix is in the grammar, 0 when not (the label of h0 = 0 is the empty
    string's).  A trained network can be wrong on long strings, or on short
    ones: ``fl.learn_automaton(cell, (0, 1), readout=readout)`` learns the
    machine it computes (docs/learning.md compares it with the grammar's).

    Parameters
    ----------
    k : int
        The grammar, one of ``TOMITA``.

    Returns
    -------
    TrainedNetwork
        ``(cell, readout)``, as ``fl.load_weights`` returns them.

    Examples
    --------
    >>> import fastlstm as fl
    >>> cell, readout = fl.presets.tomita_lstm(4)
    >>> cell.hidden_size, cell.input_size, readout.labels
    (8, 1, (0, 1))
    >>> readout.label(fl.run(cell, [1, 0, 0, 1, 0, 0, 0, 1]).h).tolist()   # no 000 yet, then 000
    [1, 1, 1, 1, 1, 1, 0, 0]
    >>> fl.presets.tomita_lstm(8)
    Traceback (most recent call last):
    ...
    ValueError: k must be one of the Tomita grammars with a shipped network (1, 2, 3, 4, 5, 6, 7), got 8
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, one of {TOMITA}; got {type(k).__name__}")
    if int(k) not in TOMITA:
        raise ValueError(f"k must be one of the Tomita grammars with a shipped network "
                         f"{TOMITA}, got {k}")
    return _trained(f"tomita{int(k)}_lstm")
