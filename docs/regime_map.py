"""The parity cell's regime map: writes docs/regime_map.png and prints the timing.

    python docs/regime_map.py [--dtype float32] [--out docs/regime_map.png]

Every cell of a 512 x 512 grid over W_ch in [-200, 0] x W_cx in [0, 100] (the
other ten parameters those of ``fastlstm.presets.parity()``) runs over all
1024 binary strings of length 10 and is scored against the parity target.
"""

from __future__ import annotations

import argparse
import pathlib
import time

import numpy as np

import fastlstm as fl

HERE = pathlib.Path(__file__).resolve().parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--size", type=int, default=512, help="grid points per axis")
    parser.add_argument("--out", default=str(HERE / "regime_map.png"))
    args = parser.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")

    X = fl.binary_strings(10)
    target = fl.parity_target(X)
    table = fl.grid(base=fl.presets.parity(), W_ch=np.linspace(-200, 0, args.size),
                    W_cx=np.linspace(0, 100, args.size))
    fl.sweep(table.values[:64], X, target=target, record=None, dtype=args.dtype)  # compile
    start = time.perf_counter()
    result = fl.sweep(table, X, target=target, record=None, dtype=args.dtype)
    elapsed = time.perf_counter() - start
    steps = len(table) * X.size
    acc = result.to_grid()
    print(f"{len(table)} cells x {len(X)} strings x {X.shape[1]} steps = {steps:.3g} cell-steps "
          f"in {elapsed:.2f} s ({steps / elapsed / 1e9:.2f} G cell-steps/s, {args.dtype})")
    print(f"perfect cells: {(acc == 1).mean():.1%}; accuracy from {acc.min():.3f} to "
          f"{acc.max():.3f}")

    ax = result.plot(title="parity cell: accuracy on all 1024 binary strings of length 10",
                     vmin=0.5)
    preset = fl.presets.parity()
    ax.plot([preset.W_cx], [preset.W_ch], marker="*", color="white", markersize=14,
            markeredgecolor="black", linestyle="none", label="presets.parity()")
    ax.legend(loc="lower left")
    ax.figure.savefig(args.out, dpi=110, bbox_inches="tight")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
