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

# --- reports and side-by-side semantics (issue 6) ---
from . import report
from .report import Comparison, compare

# --- sweeps (issue 4) ---
from .sweep import SweepInterrupted, SweepResult, sweep
from .tables import ParamTable, binary_strings, grid, parity_target, random_params

# --- automata (issue 5) ---
from . import hypotheses
from .automaton import MooreMachine, extract_automaton
from .verify import VerifyResult, verify


__all__ = [
    "ACTIVATIONS", "GATE_NAMES", "PARAM_NAMES", "PREACTIVATION_NAMES", "TABLE_ROWS",
    "ScalarLSTM", "Semantics", "Trajectory",
    "presets", "round_half_to_zero", "run", "run_batch",
    # reports (issue 6)
    "Comparison", "compare", "report",
    # sweeps (issue 4)
    "ParamTable", "SweepInterrupted", "SweepResult", "binary_strings", "grid", "parity_target",
    "random_params", "sweep",
    # automata (issue 5)
    "MooreMachine", "VerifyResult", "extract_automaton", "hypotheses", "verify",
]

__version__ = "0.1.0"
