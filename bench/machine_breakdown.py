"""Where the compiled machine's time goes on 10^7 steps, and its ratio to JAX, in one run.

The workload of ``bench/test_bench_automaton.py`` (the parity cell, saturated
+ rounded feedback, one random binary sequence).  Each line is timed in turn,
round after round, so a load from other jobs falls on all of them; JAX and
``fl.run`` (slow) every third round.  Minimum wall and CPU time
(``time.process_time``: the steadier figure on a shared host) per line; the
load average is printed before and after.  The kernel calls use the machine's
private block tables, to time the walk without the allocation of its outputs.
``trajectory(x)`` writes into the memory of the previous call's result, which
each line drops (``fastlstm.memory``); its "recycling off" line pays for fresh
pages, as a first call does.

    python bench/machine_breakdown.py [rounds]          # markdown table on stdout
    NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES= NUMBA_CACHE_DIR=/tmp/avx2 \\
        XLA_FLAGS=--xla_cpu_max_isa=AVX2 python bench/machine_breakdown.py
"""

from __future__ import annotations

import os
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import fastlstm as fl
from fastlstm._kernels import machine as kernels
from bench import peers
from bench.registry import CASES, inputs
from bench.test_bench_automaton import LABEL

T = 10**7
FRESH = "`trajectory(x)`, recycling off (fresh pages, as a first call)"


def lines():
    """label -> zero-argument callable."""
    cell, kind, sem = CASES[LABEL]
    m = fl.extract_automaton(cell, alphabet=(0, 1), **sem)
    x = inputs(kind, T, seed=5)
    runners, jump, h_path, c_path = m._block_runner("values")
    s_runners, s_jump, s_path = m._block_runner("states")
    a = m._alphabet_tuple
    H, C, S = np.ones(T), np.ones(T), np.ones(T, np.uint8)   # faulted in
    walk, s_walk = runners[0], s_runners[0]
    bits = kernels.as_bits   # the walk copies h and c as int64 bits

    def fresh(call, *args):
        with fl.memory.paused():
            return call(*args)

    def values(h, c, threads=1, stream=False):
        walk(jump, h_path, c_path, m.start, a, x, *bits(h, c), threads, stream)
        if stream:
            kernels.drain()

    out = {
        "`np.empty` of h and c (2 x 80 MB)": lambda: (np.empty(T), np.empty(T)),
        "first touch (`fill`) of 2 fresh 80 MB arrays":
            lambda: (np.empty(T).fill(0), np.empty(T).fill(0)),
        "`fill` of 2 arrays already faulted in": lambda: (H.fill(0), C.fill(0)),
        "read x once (`x.sum()`, 80 MB)": x.sum,
        "copy x into 2 faulted-in arrays": lambda: (np.copyto(H, x), np.copyto(C, x)),
        "walk: state numbers (1 byte a step) into faulted-in memory":
            lambda: s_walk(s_jump, s_path, s_path, m.start, a, x, S, S, 1, False),
        "walk: h and c into faulted-in arrays (one pass)": lambda: values(H, C),
        "walk: h and c into faulted-in arrays, non-temporal stores":
            lambda: values(H, C, stream=True),
        "walk: h and c into fresh arrays (one pass)": lambda: values(np.empty(T), np.empty(T)),
        "walk: h and c into fresh arrays, non-temporal stores":
            lambda: values(np.empty(T), np.empty(T), stream=True),
        "`trajectory(x)`": lambda: m.trajectory(x),
        FRESH: lambda: fresh(m.trajectory, x),
        "`trajectory(x, out=(h, c))`, the same two arrays each time":
            lambda: m.trajectory(x, out=(H, C)),
        "`trajectory(x, record=\"states\")`": lambda: m.trajectory(x, record="states"),
        "the same, then reading its `.h` and `.c`":
            lambda: (lambda r: (r.h, r.c))(m.trajectory(x, record="states")),
        "`fl.run`": lambda: fl.run(cell, x, **sem),
        # Last before JAX: the thread pool's workers spin a while after a parallel
        # region, and their CPU time would count against the next line.
        "walk: h and c into fresh arrays (two-phase walk, as from 3 threads)":
            lambda: values(np.empty(T), np.empty(T), threads=3),
    }
    try:
        out["JAX `jit(lax.scan)`"] = peers.build_jax_scan(cell.to_array(), x, **sem)
    except Exception as exc:  # JAX missing: the breakdown stands without it
        print(f"JAX skipped: {exc}", file=sys.stderr)
    return out


def main(rounds=12):
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    cases = lines()
    for f in cases.values():
        f()   # compile and warm up, untimed
    wall = {n: [] for n in cases}
    cpu = {n: [] for n in cases}
    for r in range(rounds):
        for name, f in cases.items():
            if r % 3 and name.startswith(("JAX", "`fl.run`")):
                continue
            w, c = time.perf_counter(), time.process_time()
            f()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    print("| per 10^7 steps | wall ms (min) | wall ms (median) | CPU ms (min) |\n|---|---:|---:|---:|")
    for name in cases:
        print(f"| {name} | {min(wall[name]) * 1e3:.1f} | {np.median(wall[name]) * 1e3:.1f} "
              f"| {min(cpu[name]) * 1e3:.1f} |")
    jax = "JAX `jit(lax.scan)`"
    if jax in cases:
        for name in ("`trajectory(x)`", FRESH,
                     "`trajectory(x, out=(h, c))`, the same two arrays each time",
                     "`trajectory(x, record=\"states\")`"):
            print(f"\nJAX / {name}: wall {min(wall[jax]) / min(wall[name]):.1f}x, "
                  f"CPU {min(cpu[jax]) / min(cpu[name]):.1f}x", end="")
        print()
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
