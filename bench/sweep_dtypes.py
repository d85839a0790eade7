"""``fl.sweep`` in float32 over float64: the same workloads, both precisions, in one run.

The workloads of ``bench/test_bench_sweep.py``: random cells (moderate
weights, no gate saturates) x 100 normal inputs, final state; and the parity
regime map (every grid point over all 1024 binary strings of length 10,
scored), whose gates sit at z = +-100.  The two precisions alternate, call by
call, so a load from other jobs falls on both; the ratio is of the medians.
The load average is printed before and after (the host may be shared).

    python bench/sweep_dtypes.py                        # markdown table on stdout
    NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES= FASTLSTM_CACHE_DIR=/tmp/avx2 \\
        python bench/sweep_dtypes.py                    # an AVX2 build on an AVX-512 host
"""

from __future__ import annotations

import os
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import fastlstm as fl
from bench import host
from bench.test_bench_sweep import regime_map, sweep_workload

DTYPES = ("float64", "float32")


def _workloads():
    w = sweep_workload()
    table, X, target = regime_map()  # 512 x 512
    coarse = fl.grid(base=fl.presets.parity(), W_ch=np.linspace(-200, 0, 128),
                     W_cx=np.linspace(0, 100, 128))
    scored = {"target": target, "record": None}
    return {"random cells 2e5 x 100": (w.params[:200_000], w.x, {}, 7),
            "random cells 1e6 x 100": (w.params, w.x, {}, 5),
            "parity regime map 128 x 128": (coarse, X, scored, 5),
            "parity regime map 512 x 512": (table, X, scored, 3)}


def main() -> None:
    print(host.line(host.describe()))
    print(f"load average before: {os.getloadavg()[0]:.2f}\n")
    print("| workload | float64 | float32 | float32 over float64 |")
    print("|---|---:|---:|---:|")
    for name, (params, x, kw, rounds) in _workloads().items():
        times = {dtype: [] for dtype in DTYPES}
        for dtype in DTYPES:  # compile or load, outside the timing
            fl.sweep(params, x, dtype=dtype, **kw)
        for _ in range(rounds):
            for dtype in DTYPES:
                start = time.perf_counter()
                fl.sweep(params, x, dtype=dtype, **kw)
                times[dtype].append(time.perf_counter() - start)
        f64, f32 = (float(np.median(times[dtype])) for dtype in DTYPES)
        print(f"| {name} | {f64 * 1e3:.0f} ms | {f32 * 1e3:.0f} ms | {f64 / f32:.2f}x |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
