"""Compile and start-up times of fastlstm, each in a fresh Python process.

    python bench/startup.py [--steps 1000] [--repeat 3]

For each process it measures the wall time of the whole process and, inside
it, the time of ``import fastlstm``, of the first ``fastlstm.run`` call (where
the kernel is compiled or loaded from the on-disk cache), of a second call,
and of the first ``fastlstm.run_batch`` call (the parallel kernel).

* cold: ``NUMBA_CACHE_DIR`` points at a new, empty directory, so every kernel
  is compiled (and written there);
* warm: a second process with the same directory, loading what the cold one
  wrote.

Numba then ignores the cache next to the sources (``__pycache__``), so the
numbers do not depend on what earlier runs left there.  Prints a markdown
table of medians over ``--repeat`` cold/warm pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = """
import json, time
t0 = time.perf_counter()
import numpy as np
import fastlstm
t1 = time.perf_counter()
cell = fastlstm.presets.parity()
x = np.random.default_rng(0).integers(0, 2, size={steps}).astype(float)
fastlstm.run(cell, x)
t2 = time.perf_counter()
fastlstm.run(cell, x)
t3 = time.perf_counter()
fastlstm.run_batch(cell, x.reshape(10, -1))
t4 = time.perf_counter()
print(json.dumps(dict(import_s=t1 - t0, first_run_s=t2 - t1, second_run_s=t3 - t2,
                      first_run_batch_s=t4 - t3)))
"""

COLUMNS = (("whole process", "process_s"), ("import fastlstm", "import_s"),
           ("first run", "first_run_s"), ("second run", "second_run_s"),
           ("first run_batch", "first_run_batch_s"))


def _seconds(t: float) -> str:
    return f"{t:.2f} s" if t >= 0.1 else f"{t * 1e3:.2f} ms"


def child(cache_dir: str, steps: int) -> dict:
    """Run the measuring child once with ``NUMBA_CACHE_DIR=cache_dir``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    env.pop("FASTLSTM_NO_CACHE", None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD.format(steps=steps)], env=env,
                          capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]), process_s=elapsed)


def measure(steps: int, repeat: int) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {"cold cache (compile)": [], "warm cache (load)": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="fastlstm-numba-cache-") as cache:
            results["cold cache (compile)"].append(child(cache, steps))
            results["warm cache (load)"].append(child(cache, steps))
    return results


def table(results: dict[str, list[dict]]) -> str:
    lines = ["| on-disk cache | " + " | ".join(name for name, _ in COLUMNS) + " |",
             "|---|" + "---:|" * len(COLUMNS)]
    for label, runs in results.items():
        cells = [_seconds(statistics.median(r[key] for r in runs)) for _, key in COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000, help="sequence length of the calls")
    parser.add_argument("--repeat", type=int, default=3, help="cold/warm pairs (medians shown)")
    args = parser.parse_args(argv)
    results = measure(args.steps, args.repeat)
    print(f"Median of {args.repeat} fresh processes each, {args.steps}-step calls "
          f"(run_batch: 10 x {args.steps // 10}), Python {sys.version.split()[0]}.\n")
    sys.stdout.write(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
