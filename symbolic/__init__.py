"""symbolic: the SymPy reference for fastlstm, independent of it.

Derives the scalar LSTM's update equations, substitutes parameters, turns them
into the thresholded-regime piecewise form, evaluates trajectories exactly / at
high precision with proved regime decisions, and prints all of it as LaTeX.
Vector cells (hidden size n, PyTorch's layout) have the matrix form, the
per-unit equations, ``simulate_vector`` (n <= 4) and the 2n x 2n Jacobian.
The semantics are those of docs/semantics.md; this package never imports
``fastlstm``.

Examples
--------
>>> import symbolic as sym
>>> sym.lstm_equations()[4]
Eq(h_t, o_t*tanh(c_t))
>>> parity = dict(W_fh=0, W_fx=0, b_f=-100, W_ih=0, W_ix=100, b_i=100,
...               W_oh=0, W_ox=100, b_o=0, W_ch=-100, W_cx=50, b_c=0)
>>> sym.simulate(parity, [1, 1, 0, 1, 1], activation="saturated").rounded
(1, -1, 0, 0, 1)
"""

from .certified import rational_value
from .equations import lstm_equations, substitute
from .fixed_points import fixed_points
from .functions import round_half_to_zero, sigmoid, tanh
from .sensitivity import amplification, jacobian, step_jacobians
from .printing import latex
from .params import exact_number, exact_params
from .piecewise import saturated, saturated_activation
from .semantics import Semantics, semantics
from .reference import PrecisionError, Reference, simulate
from .stepmap import step_map
from .symbols import PARAM_NAMES, PARAMS, c_prev, c_t, f_t, h_prev, h_t, i_t, o_t, x_t
from .matrix import matrix_equations
from .vector_cell import VectorCell, vector_cell
from .vector_reference import VectorReference, simulate_vector
from .vector_equations import substitute_cell, unit_equations, vector_step_map
from .vector_sensitivity import vector_amplification, vector_jacobian, vector_step_jacobians

__all__ = [
    "PARAM_NAMES", "PARAMS", "PrecisionError", "Reference", "Semantics",
    "amplification", "c_prev", "c_t", "exact_number", "exact_params", "f_t", "fixed_points",
    "h_prev", "h_t",
    "i_t", "jacobian", "latex", "lstm_equations", "o_t", "rational_value",
    "round_half_to_zero", "saturated", "saturated_activation", "semantics", "sigmoid",
    "simulate", "step_jacobians", "step_map", "substitute", "tanh", "x_t",
    # vector cells (hidden size n, PyTorch's layout)
    "VectorCell", "VectorReference", "matrix_equations", "simulate_vector", "substitute_cell",
    "unit_equations",
    "vector_amplification", "vector_cell", "vector_jacobian", "vector_step_jacobians",
    "vector_step_map",
]
