"""fastlstm agrees with PyTorch ``nn.LSTM(1, 1)`` in float64 on the same weights.

This checks the weight mapping the benchmarks use for their PyTorch peer
(``bench.peers.torch_lstm_module``: gates stacked i, f, g, o in
``weight_ih_l0`` / ``weight_hh_l0`` / ``bias_ih_l0``, ``bias_hh_l0`` zero) and
that fastlstm's exact semantics is the standard LSTM: h at every step, c at
every step (stepping the module) and the final (h, c), from nonzero initial
states, to 1e-12 on well-conditioned cells (moderate weights, where an
ulp-level difference is not amplified).  Skipped where torch is absent.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

import fastlstm as fl
from tests.lazy import Peer

torch = Peer("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")

# bench/ is a package at the repository root, not an installed one.
_ROOT = str(pathlib.Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
from bench.peers import build_torch_lstm, torch_lstm_module  # noqa: E402

ATOL = 1e-12
SEEDS = range(6)


def moderate_cell(rng):
    return fl.ScalarLSTM.from_array(rng.uniform(-2.0, 2.0, size=12))


def torch_state(h0, c0, rows=1):
    return tuple(torch.tensor(np.broadcast_to(v, (rows,)), dtype=torch.float64).reshape(1, rows, 1)
                 for v in (h0, c0))


@pytest.mark.parametrize("seed", SEEDS)
def test_run_equals_torch_lstm(seed):
    rng = np.random.default_rng(seed)
    cell = moderate_cell(rng)
    x = rng.normal(0.0, 1.5, size=400)
    h0, c0 = rng.uniform(-0.9, 0.9, size=2)
    module = torch_lstm_module(cell)
    with torch.no_grad():
        out, (h_n, c_n) = module(torch.from_numpy(x).reshape(-1, 1, 1), torch_state(h0, c0))
    tr = fl.run(cell, x, h0=h0, c0=c0)
    np.testing.assert_allclose(tr.h, out[:, 0, 0].numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose([tr.h[-1], tr.c[-1]], [h_n.item(), c_n.item()], rtol=0, atol=ATOL)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_memory_at_every_step_equals_torch(seed):
    rng = np.random.default_rng(100 + seed)
    cell = moderate_cell(rng)
    x = rng.normal(size=40)
    module = torch_lstm_module(cell)
    state = torch_state(-0.4, 0.7)
    cs = []
    with torch.no_grad():
        for xt in x:
            _, state = module(torch.tensor([[[xt]]], dtype=torch.float64), state)
            cs.append(state[1].item())
    np.testing.assert_allclose(fl.run(cell, x, h0=-0.4, c0=0.7).c, cs, rtol=0, atol=ATOL)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_run_batch_equals_torch_batch(seed):
    rng = np.random.default_rng(200 + seed)
    cell = moderate_cell(rng)
    X = rng.normal(size=(16, 150))
    h0, c0 = rng.uniform(-0.9, 0.9, size=(2, 16))
    h, c_n = build_torch_lstm(cell, X, h0=h0, c0=c0)()
    tr = fl.run_batch(cell, X, h0=h0, c0=c0)
    np.testing.assert_allclose(tr.h, h.numpy(), rtol=0, atol=ATOL)
    np.testing.assert_allclose(tr.c[:, -1], c_n.numpy(), rtol=0, atol=ATOL)


def test_parity_cell_equals_torch():
    """The worked example, exact semantics (its answers are far from the rounding edges)."""
    x = np.random.default_rng(7).integers(0, 2, size=300).astype(float)
    h, c_n = build_torch_lstm(fl.presets.parity(), x)()
    tr = fl.run(fl.presets.parity(), x)
    np.testing.assert_allclose(tr.h, h.numpy(), rtol=0, atol=ATOL)
    assert abs(tr.c[-1] - c_n.item()) <= ATOL
