"""fastlstm: what a small LSTM cell computes, exactly and very fast.

Examples
--------
>>> import fastlstm as fl
>>> fl.run(fl.presets.parity(), [0, 0, 1, 1, 1, 0]).rounded.tolist()
[0, 0, 1, -1, 1, 0]
"""

from . import presets
from .params import PARAM_NAMES, ScalarLSTM
from .run import Trajectory, run, run_batch
from .semantics import (ACTIVATIONS, GATE_NAMES, PREACTIVATION_NAMES, TABLE_ROWS,
                        Semantics, round_half_to_zero)

# --- sweeps (issue 4) ---

# --- automata (issue 5) ---


__all__ = [
    "ACTIVATIONS", "GATE_NAMES", "PARAM_NAMES", "PREACTIVATION_NAMES", "TABLE_ROWS",
    "ScalarLSTM", "Semantics", "Trajectory",
    "presets", "round_half_to_zero", "run", "run_batch",
]

__version__ = "0.1.0"
