"""Seconds of a public function's first call in a fresh process with an empty kernel cache.

Each row runs in its own process, with its own empty cache folder
(``FASTLSTM_CACHE_DIR``): import, compile and run, timed from outside.

    python bench/first_calls.py            # markdown table on stdout
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

SETUP = "import numpy as np, fastlstm as fl; P = fl.presets.parity(); "
CALLS = {
    "`fl.run` (exact)": "fl.run(P, [1, 1, 0, 1, 1])",
    "README's first example (run, the four table rows, a traced saturated run)":
        "fl.compare(P, [1, 1, 0, 1, 1]); "
        "fl.run(P, [1, 1, 0, 1, 1], activation='saturated', trace=True)",
    "`fl.run_batch`": "fl.run_batch(P, np.ones((4, 5)))",
    "`fl.sweep` float64": "fl.sweep(fl.random_params(10, -1, 1, seed=0), [0., 1.])",
    "`fl.extract_automaton`": "fl.extract_automaton(P, activation='saturated', round_feedback=True)",
    "`fl.fixed_points`": "fl.fixed_points(P, 1)",
    "`fl.lyapunov`": "fl.lyapunov(P, 1)",
    "`fl.sweep(record='lyapunov')`":
        "fl.sweep(fl.random_params(10, -1, 1, seed=0), [0., 1.], record='lyapunov')",
    "`fl.run` on an `LSTMCell`": "fl.run(fl.LSTMCell(np.ones((8, 1)), np.ones((8, 2))), [1., 0.])",
}


def first_call(code: str, argv=None) -> float:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, FASTLSTM_CACHE_DIR=cache, FASTLSTM_QUIET="1")
        start = time.perf_counter()
        subprocess.run(argv or [sys.executable, "-c", SETUP + code], env=env, check=True,
                       capture_output=True)
        return time.perf_counter() - start


def main() -> None:
    sys.path.insert(0, os.path.dirname(__file__))
    from host import describe, line  # noqa: E402  (bench/host.py)

    print(f"{line(describe())}\n")
    print("| first call, fresh process, empty cache | seconds |")
    print("|---|---:|")
    for name, code in CALLS.items():
        print(f"| {name} | {first_call(code):.1f} |", flush=True)
    dynamics = [sys.executable, "-m", "fastlstm", "dynamics", "--preset", "parity", "--input", "1"]
    print(f"| `fastlstm dynamics --preset parity --input 1` | {first_call('', dynamics):.1f} |")


if __name__ == "__main__":
    main()
