"""Cold compile time of every kernel family, and of every kernel in it.

Each family of ``fastlstm.compiling.WARMUPS`` runs in a fresh process with an
empty kernel cache; the table gives the wall time of the family's first
calls and, per compiled kernel, the time Numba spent compiling it (its
outermost compile event: typing, lowering and LLVM, nested kernels
included).  A second process over the same cache shows the load time.

    python bench/compile_times.py            # markdown table on stdout
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, sys, time
from numba.core import event
import fastlstm
from fastlstm.compiling import WARMUPS

times, stack = {}, []

class Timer(event.Listener):
    def on_start(self, ev):
        stack.append(time.perf_counter())
    def on_end(self, ev):
        start = stack.pop()
        if not stack:
            f = ev.data["dispatcher"].py_func
            name = f"{f.__module__.rsplit('.', 1)[-1]}.{f.__name__}"
            times[name] = times.get(name, 0.0) + time.perf_counter() - start

with event.install_listener("numba:compile", Timer()):
    start = time.perf_counter()
    WARMUPS[sys.argv[1]]()
    total = time.perf_counter() - start
print(json.dumps({"total": total, "kernels": times}))
"""


def measure(family: str, cache: str) -> dict:
    env = dict(os.environ, FASTLSTM_CACHE_DIR=cache, FASTLSTM_QUIET="1")
    env.pop("FASTLSTM_NO_CACHE", None)
    out = subprocess.run([sys.executable, "-c", CHILD, family], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    from fastlstm.compiling import WARMUPS

    sys.path.insert(0, os.path.dirname(__file__))
    from host import describe, line  # noqa: E402  (bench/host.py)

    print(f"{line(describe())}\n")
    print("| family | cold (s) | warm (s) | kernels compiled (s each) |")
    print("|---|---:|---:|---|")
    for family in WARMUPS:
        with tempfile.TemporaryDirectory() as cache:
            cold = measure(family, cache)
            warm = measure(family, cache)
        kernels = ", ".join(f"{name} {seconds:.1f}"
                            for name, seconds in sorted(cold["kernels"].items(),
                                                        key=lambda item: -item[1]))
        print(f"| {family} | {cold['total']:.1f} | {warm['total']:.2f} | {kernels} |",
              flush=True)


if __name__ == "__main__":
    main()
