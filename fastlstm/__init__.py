"""fastlstm: what a small LSTM cell computes, exactly and very fast.

Examples
--------
>>> import fastlstm as fl
>>> fl.run(fl.presets.parity(), [0, 0, 1, 1, 1, 0]).rounded.tolist()
[0, 0, 1, -1, 1, 0]
"""

from . import presets
from .cell import LSTMCell
from .readout import Readout
from .weights import TrainedNetwork, load_weights
from .params import PARAM_NAMES, ScalarLSTM
from .run import Trajectory, run, run_batch
from .semantics import (ACTIVATIONS, GATE_NAMES, PREACTIVATION_NAMES, TABLE_ROWS,
                        Semantics, round_half_to_zero)

# --- reports and side-by-side semantics ---
from . import report
from .compare import Comparison, compare

# --- the sweeps wing ---
from .sweeps import (ParamTable, SweepFailed, SweepInterrupted, SweepResult, binary_strings,
                     grid, parity_target, random_params, sweep)
from .sweeps import CellTable, cell_grid, random_cells

# --- the automata wing ---
from .automata import hypotheses
from .automata import MooreMachine, VerifyResult, extract_automaton, verify
from .automata import (IntervalProof, OneCounterMachine, Provenance, find_counter,
                       learn_automaton, prove_by_abstraction)

# --- the dynamics wing ---
from .dynamics import Boundary, FixedPoint, FixedPoints, fixed_point_boundaries, fixed_points
from .dynamics import OrbitDiagram, lyapunov, orbit_diagram

# --- large results in memory earlier results gave back ---
from . import memory

# --- compiling the kernels: the notice on stderr, and ahead of time ---
from . import compiling
from .compiling import compile_kernels


__all__ = [
    "ACTIVATIONS", "GATE_NAMES", "PARAM_NAMES", "PREACTIVATION_NAMES", "TABLE_ROWS",
    "LSTMCell", "Readout", "ScalarLSTM", "Semantics", "Trajectory", "TrainedNetwork",
    "load_weights",
    "presets", "round_half_to_zero", "run", "run_batch",
    # reports
    "Comparison", "compare", "report",
    # sweeps
    "ParamTable", "SweepFailed", "SweepInterrupted", "SweepResult", "binary_strings", "grid", "parity_target",
    "random_params", "sweep", "CellTable", "cell_grid", "random_cells",
    # automata
    "MooreMachine", "VerifyResult", "extract_automaton", "hypotheses", "verify",
    "IntervalProof", "OneCounterMachine", "Provenance", "find_counter", "learn_automaton",
    "prove_by_abstraction",
    # dynamics
    "Boundary", "FixedPoint", "FixedPoints", "fixed_point_boundaries", "fixed_points",
    "OrbitDiagram", "lyapunov", "orbit_diagram",
    "memory",
    # compiling
    "compile_kernels", "compiling",
]

from ._config import VERSION as __version__  # noqa: E402, F401  (read once, from package metadata)
