"""The prefix numbering of sweeps.plan against a plain Python oracle."""

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.sweeps import plan


def oracle_ids(X, h0, c0):
    """ids[b, t]: rank of (ids[b, t-1], bits of X[b, t]) among the distinct pairs at t."""
    def rank(keys):
        order = {k: i for i, k in enumerate(sorted(set(keys)))}
        return [order[k] for k in keys]

    bits = X.view(np.int64)
    prev = rank(list(zip(h0.view(np.int64).tolist(), c0.view(np.int64).tolist())))
    cols = []
    for t in range(X.shape[1]):
        prev = rank(list(zip(prev, bits[:, t].tolist())))
        cols.append(prev)
    return np.array(cols).T


@pytest.mark.parametrize("seed", range(6))
def test_level_ids_equal_the_oracle_while_prefixes_are_shared(seed):
    rng = np.random.default_rng(seed)
    B, T = 200, 7
    X = rng.integers(0, 3, (B, T)).astype(float)
    X[rng.random((B, T)) < 0.2] = -0.0  # -0.0 and 0.0 are different inputs (bits)
    h0 = rng.integers(0, 2, B) * 0.5
    c0 = np.zeros(B)
    ids = plan._level_ids(X, h0, c0, np.float64, True)
    want = oracle_ids(X, h0, c0)
    # Once every prefix is distinct the numbering stops (nothing left to share):
    # compare up to there, then only distinctness.
    done = next((t for t in range(T) if len(set(want[:, t])) == B), T)
    np.testing.assert_array_equal(ids[:, :done], want[:, :done])
    assert all(len(set(ids[:, t])) == B for t in range(done, T))


def test_binary_strings_share_every_prefix():
    X = fl.binary_strings(10).astype(float)
    p = plan.make_plan(X, np.zeros(len(X)), np.zeros(len(X)), None, np.float64)
    assert p.nodes == 2 ** 11 - 2  # one node per non-empty prefix
    # the sequences come out in lexicographic order of their paths
    assert (np.diff(p.fin_seq) > 0).all() and sorted(p.fin_seq.tolist()) == list(range(len(X)))
