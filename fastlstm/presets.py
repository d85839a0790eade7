"""Named cells.  ``parity`` is the cell of the worked example (docs/semantics.md)."""

from __future__ import annotations

from .params import ScalarLSTM

__all__ = ["dyck1", "parity", "get", "NAMES"]


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
