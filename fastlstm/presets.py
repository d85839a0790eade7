"""Named cells.  ``parity`` is the cell of the worked example (docs/semantics.md)."""

from __future__ import annotations

from .params import ScalarLSTM

__all__ = ["parity", "get", "NAMES"]


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


_PRESETS = {"parity": parity}
NAMES = tuple(_PRESETS)


def get(name: str) -> ScalarLSTM:
    """The preset called ``name`` (see ``NAMES``)."""
    try:
        return _PRESETS[name]()
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; known presets: {', '.join(NAMES)}") from None
