"""Seconds of a public function's first call in a fresh process with an empty kernel cache.

Each row runs in its own process, with its own empty cache folder
(``FASTLSTM_CACHE_DIR``): import, compile and run, timed from outside, in
wall-clock seconds and in the process's CPU seconds (user + system; the
figure that load on a shared host changes least).

    python bench/first_calls.py            # markdown table on stdout
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

SETUP = "import numpy as np, fastlstm as fl; P = fl.presets.parity(); "
_CELL = "fl.LSTMCell(np.full((16, 1), 0.5), np.full((16, 4), 0.25))"
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
    "`fl.fixed_points` on the flip-flop network (n = 16)":
        "fl.fixed_points(fl.presets.flipflop_lstm()[0], [0., 0., 0.])",
    "`fl.lyapunov` on the flip-flop network (all 32 exponents)":
        "fl.lyapunov(fl.presets.flipflop_lstm()[0], [0., 0., 0.])",
    "`fl.sweep` over 100 `LSTMCell`s (n = 4)": "fl.sweep(fl.random_cells(100, " + _CELL + ", 0.1,"
        " seed=0), np.ones((20, 1)), progress=False)",
    "`fl.sweep` over 100 `LSTMCell`s, `record='lyapunov'`": "fl.sweep(fl.random_cells(100, "
        + _CELL + ", 0.1, seed=0), np.ones((20, 1)), record='lyapunov', progress=False)",
    "`fl.learn_automaton` on the Tomita 3 network": "net, readout = fl.presets.tomita_lstm(3); "
        "fl.learn_automaton(net, (0, 1), readout=readout)",
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def first_call(code: str, argv=None) -> str:
    """"wall | CPU" seconds of one fresh process running ``code`` (or ``argv``)."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, FASTLSTM_CACHE_DIR=cache, FASTLSTM_QUIET="1")
        start, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(argv or [sys.executable, "-c", SETUP + code], env=env, check=True,
                       capture_output=True)
        return f"{time.perf_counter() - start:.1f} | {_children_cpu() - cpu:.1f}"


def main() -> None:
    sys.path.insert(0, os.path.dirname(__file__))
    from host import describe, line  # noqa: E402  (bench/host.py)

    print(f"{line(describe())}\n")
    print("| first call, fresh process, empty cache | seconds | CPU seconds |")
    print("|---|---:|---:|")
    for name, code in CALLS.items():
        print(f"| {name} | {first_call(code)} |", flush=True)
    for command in ("dynamics --preset parity --input 1", "explain --preset tomita2"):
        argv = [sys.executable, "-m", "fastlstm", *command.split()]
        print(f"| `fastlstm {command}` | {first_call('', argv)} |", flush=True)


if __name__ == "__main__":
    main()
