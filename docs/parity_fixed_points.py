"""The parity cell's fixed points for x = 0 and x = 1: writes docs/parity_fixed_points.png.

    python docs/parity_fixed_points.py [--out docs/parity_fixed_points.png]

The parity cell forgets c at every step (f = sigmoid(-100) ~ 4e-44), so for a
constant input its step is, to 1e-43, the one-variable map
h -> phi(h) = o tanh(i g(h)) (c follows h).  Each panel draws phi, the
diagonal, the fixed point ``fl.fixed_points`` certifies (where phi crosses the
diagonal) with its stability, and a cobweb of ``fl.run`` from h0 = 0.9: the
state leaves the fixed point and settles on a cycle of period 2.
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

import fastlstm as fl

HERE = pathlib.Path(__file__).resolve().parent


def phi(cell, h, x):
    """h' as a function of h (c dropped: f ~ 4e-44 for the parity cell)."""
    p = cell.to_dict()
    sig = lambda z: 0.5 * (1 + np.tanh(0.5 * z))  # noqa: E731
    i = sig(p["W_ih"] * h + p["W_ix"] * x + p["b_i"])
    o = sig(p["W_oh"] * h + p["W_ox"] * x + p["b_o"])
    g = np.tanh(p["W_ch"] * h + p["W_cx"] * x + p["b_c"])
    return o * np.tanh(i * g)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "parity_fixed_points.png"))
    args = parser.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cell = fl.presets.parity()
    h = np.linspace(-1, 1, 4001)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), constrained_layout=True)
    for ax, x in zip(axes, (0, 1)):
        ax.plot(h, phi(cell, h, x), color="tab:blue", lw=1.5, label="h' = phi(h)")
        ax.plot([-1, 1], [-1, 1], color="0.6", lw=1, ls="--", label="h' = h")
        traj = fl.run(cell, [x] * 8, h0=0.9).h
        path_x, path_y = [0.9], [0.9]
        for a, b in zip(np.r_[0.9, traj[:-1]], traj):
            path_x += [a, b]
            path_y += [b, b]
        ax.plot(path_x, path_y, color="tab:orange", lw=1, label="fl.run from h0 = 0.9")
        for p in fl.fixed_points(cell, x):
            ax.plot([p.h], [p.h], "o", color="tab:red", ms=8,
                    label=f"fixed point h* = {p.h:.4f}: {p.stability},\n"
                          f"eigenvalues {p.eigenvalues[0]:.1f}, {abs(p.eigenvalues[1]):.0f}")
        ax.set(xlim=(-1, 1), ylim=(-1, 1), xlabel="h (previous state)", ylabel="h' (next state)",
               title=f"parity cell, constant input x = {x}")
        ax.set_aspect("equal")
        ax.legend(loc="lower left", fontsize=8)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
