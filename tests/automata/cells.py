"""Cells with known machines, and helpers shared by the automata tests.

The machines are derived by hand in the comments (the saturated rule of
docs/semantics.md makes every gate 0, 1/2, 1, -1 or 0 exactly); none is
copied from the code's output.
"""

from __future__ import annotations

import itertools

import numpy as np

import fastlstm as fl

SAT_RF = dict(activation="saturated", round_feedback=True)


def strings(max_len, alphabet=(0, 1), min_len=1):
    for n in range(min_len, max_len + 1):
        yield from itertools.product(alphabet, repeat=n)


def bits(a):
    """float64 values as their bit patterns (so -0.0 != 0.0 and equality is exact)."""
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64)


def ends_in_odd_run_of_ones(s):
    run = len(s) - len(s.rstrip("1"))
    return run % 2 == 1


def parity_answer(prefix):
    """The worked example's answer: +1 odd run of ones, -1 even, 0 after a zero."""
    run = 0
    for x in prefix:
        run = run + 1 if x == 1 else 0
    return 0 if run == 0 else (1 if run % 2 else -1)


# Minimal parity machine, numbered breadth-first from the start (0 before 1):
# q0 "no trailing 1" (output 0), q1 "odd run" (+1), q2 "even run" (-1).
PARITY_TABLE = [[0, 1], [0, 2], [0, 1]]
PARITY_OUTPUTS = [0, 1, -1]

# A cell that echoes the previous input: h_t = x_{t-1} (x_{-1} = 0).
#   f = 1 (b_f = 100), i = sigmoid(0) = 1/2, o = 1 after a 0 and sigmoid(1/2)
#   after a 1, g = tanh(100 (x_t - h_{t-1})) in {-1, 0, 1}; with h_{t-1} = x_{t-2}
#   this keeps c_t = 3/4 + (s(x_t) + s(x_{t-1}))/4, s(0) = -1, s(1) = 1, so
#   c in {1/4, 3/4, 5/4} (exact in binary) and rounded o tanh(c) = x_{t-1}.
DELAY = fl.ScalarLSTM(b_f=100.0, W_ox=-99.5, b_o=100.0, W_ch=-100.0, W_cx=100.0)
DELAY_START = dict(c0=0.25)
# A cell that latches the first 1: f = 0, i = o = 1, g = +1 once x = 1 or
# h = 1 (W_ch h + 300 x - 50), else -1; so h = -1 until the first 1, then +1.
LATCH = fl.ScalarLSTM(b_f=-100.0, b_i=100.0, b_o=100.0, W_ch=100.0, W_cx=300.0, b_c=-50.0)
# A cell that echoes the current input: h_t = +1 if x_t = 1 else -1.
ECHO = fl.ScalarLSTM(b_f=-100.0, b_i=100.0, b_o=100.0, W_cx=200.0, b_c=-100.0)
