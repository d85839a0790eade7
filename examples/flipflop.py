"""Train a 16-unit LSTM on the 3-bit flip-flop task and look at its fixed points.

Written for docs/dynamics.md ("A trained network: the 3-bit flip-flop").

The task is Sussillo & Barak's (2013), the one FixedPointFinder (Golub &
Sussillo 2018) demonstrates itself on: three input channels carry sparse
pulses of +1 or -1 (each channel, each step, with probability 0.05), and
each of three outputs must hold the sign of its channel's last pulse (the
loss counts each output from its channel's first pulse on: before it,
anything goes).  A network that solves it keeps 3 bits: 8 memory states,
which for zero input should be 8 stable fixed points, with saddles between
them that the pulses push the state across.

Run from the repository root::

    python examples/flipflop.py            # train, write fastlstm/data/flipflop_lstm.npz
    python examples/flipflop.py --plot     # load it, find the fixed points, draw docs/flipflop.png

Training is seeded and runs on one thread with deterministic algorithms and
the CPU code paths pinned, as examples/train_parity.py does (see its
docstring for what that holds across hosts).  The file holds the keys of a
torch ``nn.LSTM`` (``lstm.weight_ih_l0``, ...) and the ``nn.Linear``
readout (``readout.weight``, ``readout.bias``), as float64 arrays;
``fl.load_weights`` and ``fastlstm dynamics --weights`` read it.
"""

from __future__ import annotations

import os
import pathlib
import sys

# Before torch loads (it reads them once): one code path on every x86 CPU.
os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")
os.environ.setdefault("MKL_CBWR", "COMPATIBLE")

import numpy as np  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
NPZ = HERE.parent / "fastlstm" / "data" / "flipflop_lstm.npz"  # shipped with the package
PICTURE = HERE.parent / "docs" / "flipflop.png"
HIDDEN, CHANNELS = 16, 3
PULSE_P = 0.05


def flipflop_data(rng, batch, length, p=PULSE_P):
    """Inputs (B, T, 3) of sparse +-1 pulses and targets (B, T, 3): each channel's
    last pulse so far (0 before the first)."""
    pulses = rng.random((batch, length, CHANNELS)) < p
    signs = np.where(rng.random((batch, length, CHANNELS)) < 0.5, -1.0, 1.0)
    x = np.where(pulses, signs, 0.0)
    y = np.zeros_like(x)
    last = np.zeros((batch, CHANNELS))
    for t in range(length):
        last = np.where(pulses[:, t], x[:, t], last)
        y[:, t] = last
    return x, y


def train(seed=0, steps=1200, batch=64, length=100):
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lstm = torch.nn.LSTM(CHANNELS, HIDDEN, batch_first=True, dtype=torch.float64)
    readout = torch.nn.Linear(HIDDEN, CHANNELS, dtype=torch.float64)
    params = list(lstm.parameters()) + list(readout.parameters())
    opt = torch.optim.Adam(params, lr=1e-2)
    for step in range(steps):
        x, y = flipflop_data(rng, batch, length)
        out, _ = lstm(torch.from_numpy(x))
        # scored after each channel's first pulse: no "nothing seen yet" state to keep
        seen = torch.from_numpy(y != 0)
        loss = torch.mean(((readout(out) - torch.from_numpy(y)) * seen) ** 2)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step}: loss {loss.item():.2e}", flush=True)
    state = {f"lstm.{k}": v for k, v in lstm.state_dict().items()}
    state.update({f"readout.{k}": v for k, v in readout.state_dict().items()})
    np.savez(NPZ, **{k: v.detach().numpy() for k, v in state.items()})


def trajectories(cell, readout=None, seed=1, batch=64, length=200):
    """States h (B, T, n) and c of the network on fresh flip-flop inputs (fl.run's steps),
    and the error of its readout against the task."""
    from fastlstm.vector import run_batch_vector

    x, y = flipflop_data(np.random.default_rng(seed), batch, length)
    tr = run_batch_vector(cell, x)
    hs, cs = tr.h, tr.c
    err = None
    if readout is not None:
        out = hs @ np.asarray(readout.weight).T + np.asarray(readout.bias)
        seen = y != 0   # after each channel's first pulse
        err = float(np.mean(np.sign(out[seen]) != y[seen]))
    return hs, cs, err


def analyse(seed=1, n_starts=1024):
    """The network, its readout, states along task trajectories (for the picture), the
    readout's error, and the zero-input fixed points searched from ``n_starts`` states
    sampled along trajectories driven by zero input from random states."""
    import fastlstm as fl

    cell, readout = fl.load_weights(NPZ)
    hs, _, err = trajectories(cell, readout, seed)
    fps = fl.fixed_points(cell, np.zeros(CHANNELS), n_starts=n_starts)
    return cell, readout, hs, fps, err


def plot(cell, hs, fps, path=PICTURE):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    flat = hs.reshape(-1, HIDDEN)
    mean = flat.mean(axis=0)
    _, _, vt = np.linalg.svd(flat - mean, full_matrices=False)
    P = vt[:3].T   # the first three principal axes of the visited states

    def proj(h):
        return (np.asarray(h) - mean) @ P

    fig = plt.figure(figsize=(6.4, 5.6))
    ax = fig.add_subplot(projection="3d")
    for traj in hs[:12]:
        u = proj(traj)
        ax.plot(u[:, 0], u[:, 1], u[:, 2], color="0.7", lw=0.5)
    for p in fps:
        u = proj(p.h)
        if p.stable:
            ax.scatter(*u, color="black", s=30, depthshade=False)
            continue
        ax.scatter(*u, color="red", marker="x", s=40, depthshade=False)
        J = np.asarray(p.jacobian)
        w, v = np.linalg.eig(J)
        for k in np.flatnonzero(np.abs(w) > 1.0):   # the unstable directions, in h
            d = np.real(v[:HIDDEN, k])
            d = d / (np.linalg.norm(d) or 1.0)
            seg = proj(np.stack([p.h - 0.3 * d, p.h + 0.3 * d]))
            ax.plot(seg[:, 0], seg[:, 1], seg[:, 2], color="red", lw=1.5)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_zlabel("PC 3")
    stable = sum(p.stable for p in fps)
    ax.set_title(f"3-bit flip-flop LSTM (n = {HIDDEN}), input 0: {stable} stable points "
                 f"(black), {len(fps) - stable} unstable (red x, unstable directions)",
                 fontsize=8)
    fig.savefig(path, dpi=110, bbox_inches="tight")


def main(argv):
    if "--plot" not in argv or not NPZ.exists():
        train()
    cell, _, hs, fps, err = analyse()
    print(f"sign errors of the readout on fresh inputs (after each first pulse): {err:.2%}")
    print(fps.to_table())
    if "--plot" in argv:
        plot(cell, hs, fps)
        print(f"saved {PICTURE}")


if __name__ == "__main__":
    main(sys.argv[1:])
