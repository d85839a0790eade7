"""The chaos map and the orbit diagram of docs/dynamics.md: writes docs/chaos_map.png and
docs/orbit_diagram.png.

    python docs/chaos_pictures.py [--out-dir docs]

The cell is the page's ``chaotic`` one (weights on h only, input x = 0): the
forget gate opens and the input gate shuts as h grows, and the candidate
pushes against h, so the step stretches and folds the state.  The chaos map
is the largest Lyapunov exponent of every cell of a 240 x 240 grid over
W_ch and b_c (``fl.sweep(..., record="lyapunov")``, drawn by
``fl.plot.chaos_map``); the orbit diagram the h values after 500 steps
along W_ch (``fl.orbit_diagram``).
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

import fastlstm as fl

HERE = pathlib.Path(__file__).resolve().parent
CHAOTIC = fl.ScalarLSTM(W_fh=9.0, b_f=-7.0, W_ih=-8.0, b_i=6.0, W_oh=8.0, b_o=-2.0,
                        W_ch=-10.0, b_c=4.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=str(HERE))
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out_dir)

    import matplotlib
    matplotlib.use("Agg")

    table = fl.grid(base=CHAOTIC, W_ch=np.linspace(-12.0, 0.0, 240),
                    b_c=np.linspace(0.0, 8.0, 240))
    chaos = fl.sweep(table, 0.0, record="lyapunov", transient=300, steps=700)
    ax = chaos.plot(title="largest Lyapunov exponent, x = 0 (red: chaos)")
    ax.plot(CHAOTIC.b_c, CHAOTIC.W_ch, marker="*", markersize=10, color="gold",
            markeredgecolor="k", linestyle="none", label="the chaotic cell")
    ax.legend(loc="upper right", fontsize="small")
    ax.figure.set_size_inches(6, 4.6)
    ax.figure.savefig(out / "chaos_map.png", dpi=90, bbox_inches="tight")

    orbits = fl.orbit_diagram(CHAOTIC, "W_ch", np.linspace(-12.0, 0.0, 800), 0.0,
                              transient=500, keep=120)
    ax = orbits.plot(title="orbit diagram along W_ch (b_c = 4), x = 0")
    ax.axvline(CHAOTIC.W_ch, color="gold", lw=1, zorder=0)
    ax.figure.set_size_inches(7, 3.8)
    ax.figure.savefig(out / "orbit_diagram.png", dpi=90, bbox_inches="tight")


if __name__ == "__main__":
    main()
