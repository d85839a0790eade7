"""The trained network examples/train_parity.py wrote, shipped with the package
(fastlstm/data/parity_lstm.npz, ``fl.presets.parity_lstm()``; the torch file stays in examples/):
it solves the odd-run parity task under the semantics the example uses, it is the
network torch computes, and its extracted machine is the task's 3-state machine.

The training script itself is not run here (it takes about 17 s of CPU and needs torch).
"""

from __future__ import annotations

import itertools
import pathlib

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.vector import run_batch_vector, run_vector
from tests import naive_vector

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
SEMANTICS = dict(activation="saturated", round_feedback=True)  # the example's


def task(x):
    """Plain-Python oracle of the task: +1 odd run of ones, -1 even run, 0 after a zero."""
    out, run = [], 0
    for bit in x:
        run = run + 1 if bit else 0
        out.append(0 if run == 0 else (1 if run % 2 else -1))
    return out


def strings(length):
    return np.array(list(itertools.product((0, 1), repeat=length)))


@pytest.fixture(scope="module")
def network():
    return fl.presets.parity_lstm()


def test_the_oracle_gives_the_key():
    assert task([0, 0, 1, 1, 1, 0]) == [0, 0, 1, -1, 1, 0]
    assert task([1, 1, 0, 1, 1]) == [1, -1, 0, 1, -1]


def test_every_string_up_to_length_10_is_labelled_right(network):
    cell, readout = network
    assert (cell.hidden_size, cell.input_size, readout.labels) == (3, 1, (-1, 0, 1))
    for length in range(1, 11):
        X = strings(length)
        got = readout.label(run_batch_vector(cell, X, **SEMANTICS).h)
        want = np.array([task(x) for x in X])
        wrong = np.argwhere(got != want)
        assert wrong.size == 0, f"length {length}: first wrong string {X[wrong[0][0]]}"


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")


def test_torch_computes_the_same_network(torch, network):
    cell, readout = network
    state = torch.load(EXAMPLES / "parity_lstm.pt", weights_only=True)
    assert fl.load_weights(EXAMPLES / "parity_lstm.pt") == network  # the two files agree
    lstm = torch.nn.LSTM(1, 3, batch_first=True, dtype=torch.float64)
    lstm.load_state_dict({k[len("lstm."):]: v.double() for k, v in state.items()
                          if k.startswith("lstm.")})
    linear = torch.nn.Linear(3, 3, dtype=torch.float64)
    linear.load_state_dict({"weight": state["readout.weight"].double(),
                            "bias": state["readout.bias"].double()})
    X = np.random.default_rng(0).integers(0, 2, size=(16, 60)).astype(np.float64)
    with torch.no_grad():
        h, _ = lstm(torch.from_numpy(X)[..., None])
        y = linear(h)
    ours = run_batch_vector(cell, X)  # exact semantics, as torch
    # the rule of the agreement tests, 1e-12 (1 + A_t) max(1, |value|); y = W h + b also
    # multiplies h's error by up to the largest row sum of |W|
    widen = 1 + np.abs(readout.weight).sum(axis=1).max()
    for b, x in enumerate(X):
        A = naive_vector.amplification(cell, x)
        naive_vector.assert_within_amplification(ours.h[b], h[b].numpy(), A)
        naive_vector.assert_within_amplification(readout.outputs(ours.h[b]), y[b].numpy(),
                                                 (1 + A) * widen - 1, "y")
    labels = np.array(readout.labels)[y.argmax(dim=-1).numpy()]
    assert readout.label(ours.h).tolist() == labels.tolist()
    # the exact network solves the task too on these strings
    assert labels.tolist() == [task(x) for x in X.astype(int)]


def test_the_extracted_machine_is_the_tasks_three_states(network):
    cell, readout = network
    machine = fl.extract_automaton(cell, (0, 1), readout=readout, **SEMANTICS)
    assert machine.exact
    minimal = machine.minimize()
    assert minimal.n_states == 3
    assert sorted(minimal.outputs.tolist()) == [-1, 0, 1]  # the 3 labelled behaviours
    for x in itertools.chain.from_iterable(strings(n) for n in range(1, 9)):
        assert minimal.run(x).tolist() == task(x)
    # and the machine is the network: a long random string, step for step
    x = np.random.default_rng(1).integers(0, 2, 500)
    want = readout.label(run_vector(cell, x, **SEMANTICS).h)
    assert machine.run(x).tolist() == want.tolist() == task(x)
