"""fastlstm.sweeps.plan: the inputs of a sweep as a prefix tree."""

import numpy as np

import fastlstm as fl
from fastlstm.sweeps.plan import make_plan


def test_prefix_tree_of_all_binary_strings():
    X = fl.binary_strings(5).astype(float)
    plan = make_plan(X, np.zeros(32), np.zeros(32), None, "float64", share=True)
    assert plan.nodes == 2 + 4 + 8 + 16 + 32
    assert plan.n_slots == 4  # a saved state per depth that branches (leaves do not)
    flat = make_plan(X, np.zeros(32), np.zeros(32), None, "float64", share=False)
    assert flat.nodes == 32 * 5 and flat.n_slots == 0
    # different initial states are different roots
    h0 = np.zeros(32)
    h0[16:] = 1.0  # h0 follows the first symbol: two trees of 1 + 2 + 4 + 8 + 16 nodes
    assert make_plan(X, h0, np.zeros(32), None, "float64").nodes == 2 * 31
    h0[:] = 0.0
    h0[1::2] = 1.0  # h0 follows the last symbol: two trees of 2 + 4 + 8 + 16 + 16 nodes
    assert make_plan(X, h0, np.zeros(32), None, "float64").nodes == 2 * 46
    # -0.0 and 0.0 are different inputs (they can change the sign of a zero)
    signed = np.array([[0.0, 1.0], [-0.0, 1.0]])
    assert make_plan(signed, np.zeros(2), np.zeros(2), None, "float64").nodes == 4
