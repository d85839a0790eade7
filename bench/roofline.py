"""The roofline of a vector cell's step on this host: the limits, measured, and the fraction reached.

A step of a cell with n units and m inputs is a (4n x (n + m)) matrix-vector
product (4n (n + m) fused multiply-adds, the weights read once: 32 n (n + m + 1)
bytes), 5n activations (one division each) and the recurrence
h -> z -> gates -> c -> h.  This script measures what bounds each part, in
cycles, with a small C micro-benchmark (compiled with the system's C
compiler: ``cc`` or ``$CC``), then times ``fl.run`` on the cells of
bench/test_bench_vector.py and says how close each n comes:

* the clock (a chain of dependent integer adds, one cycle each), measured
  right before and after each timing: on a shared or virtual host the clock
  varies by 2x from minute to minute, so figures are converted to cycles with
  the clock of their own moment;
* FMA latency, and FMA throughput for 512-bit (zmm) and 256-bit (ymm) vectors
  (12 independent chains): the FMA ports;
* packed division throughput (zmm, ymm);
* read bandwidth from L1 and L2 (a sum over 16 KB ... 1 MB, zmm and ymm loads);
* fastlstm against JAX ``jit(lax.scan)`` (as bench/test_bench_vector.py builds it), the
  two timed in turn, the least time of each over 31 rounds: on a busy host that ratio
  is steadier than pytest-benchmark's medians;
* ``fl.run``'s fixed cost per call (10 steps), what a caller that runs short
  sequences in a loop pays.

    python bench/roofline.py                  # this host's ISA
    NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES= python bench/roofline.py   # fastlstm held to AVX2

Pin it to one core (``taskset -c 0``).  docs/bench.md ("Roofline: vector cells")
has the figures and what they mean.
"""

from __future__ import annotations

import ctypes
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

SOURCE = r"""
#include <immintrin.h>
long clock_chain(long n, long z) {  /* 8 dependent adds of a register: 8 cycles */
    long s = 0;
    for (long i = 0; i < n; i++)
        __asm__ volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                         "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0" : "+r"(s) : "r"(z));
    return s;
}
__attribute__((target("avx512f"))) double fma_latency(long n) {  /* 4 dependent FMAs */
    __m512d a = _mm512_set1_pd(1), b = _mm512_set1_pd(0.999999), c = _mm512_set1_pd(1e-7);
    for (long i = 0; i < n; i++)
        __asm__ volatile("vfmadd213pd %2, %1, %0\n\tvfmadd213pd %2, %1, %0\n\t"
                         "vfmadd213pd %2, %1, %0\n\tvfmadd213pd %2, %1, %0" : "+v"(a) : "v"(b), "v"(c));
    return _mm512_reduce_add_pd(a);
}
#define CHAINS 12
__attribute__((target("avx512f"))) double fma_zmm(long n) {
    __m512d a[CHAINS], b = _mm512_set1_pd(0.999999), c = _mm512_set1_pd(1e-7);
    for (int k = 0; k < CHAINS; k++) a[k] = _mm512_set1_pd(k);
    for (long i = 0; i < n; i++)
        for (int k = 0; k < CHAINS; k++) a[k] = _mm512_fmadd_pd(a[k], b, c);
    for (int k = 1; k < CHAINS; k++) a[0] = _mm512_add_pd(a[0], a[k]);
    return _mm512_reduce_add_pd(a[0]);
}
__attribute__((target("avx2,fma"))) double fma_ymm(long n) {
    __m256d a[CHAINS], b = _mm256_set1_pd(0.999999), c = _mm256_set1_pd(1e-7);
    double out[4];
    for (int k = 0; k < CHAINS; k++) a[k] = _mm256_set1_pd(k);
    for (long i = 0; i < n; i++)
        for (int k = 0; k < CHAINS; k++) a[k] = _mm256_fmadd_pd(a[k], b, c);
    for (int k = 1; k < CHAINS; k++) a[0] = _mm256_add_pd(a[0], a[k]);
    _mm256_storeu_pd(out, a[0]);
    return out[0] + out[1] + out[2] + out[3];
}
__attribute__((target("avx512f"))) double div_zmm(long n) {  /* 8 independent divisions */
    __m512d a[8], b = _mm512_set1_pd(1.0000001);
    for (int k = 0; k < 8; k++) a[k] = _mm512_set1_pd(k + 1);
    for (long i = 0; i < n; i++)
        for (int k = 0; k < 8; k++) a[k] = _mm512_div_pd(a[k], b);
    for (int k = 1; k < 8; k++) a[0] = _mm512_add_pd(a[0], a[k]);
    return _mm512_reduce_add_pd(a[0]);
}
__attribute__((target("avx2,fma"))) double div_ymm(long n) {
    __m256d a[8], b = _mm256_set1_pd(1.0000001);
    double out[4];
    for (int k = 0; k < 8; k++) a[k] = _mm256_set1_pd(k + 1);
    for (long i = 0; i < n; i++)
        for (int k = 0; k < 8; k++) a[k] = _mm256_div_pd(a[k], b);
    for (int k = 1; k < 8; k++) a[0] = _mm256_add_pd(a[0], a[k]);
    _mm256_storeu_pd(out, a[0]);
    return out[0] + out[1] + out[2] + out[3];
}
__attribute__((target("avx512f"))) double read_zmm(const double *p, long size, long reps) {
    __m512d s[8];
    for (int k = 0; k < 8; k++) s[k] = _mm512_setzero_pd();
    for (long r = 0; r < reps; r++)
        for (long i = 0; i < size; i += 64)
            for (int k = 0; k < 8; k++) s[k] = _mm512_add_pd(s[k], _mm512_load_pd(p + i + 8 * k));
    for (int k = 1; k < 8; k++) s[0] = _mm512_add_pd(s[0], s[k]);
    return _mm512_reduce_add_pd(s[0]);
}
__attribute__((target("avx2,fma"))) double read_ymm(const double *p, long size, long reps) {
    __m256d s[8];
    double out[4];
    for (int k = 0; k < 8; k++) s[k] = _mm256_setzero_pd();
    for (long r = 0; r < reps; r++)
        for (long i = 0; i < size; i += 32)
            for (int k = 0; k < 8; k++) s[k] = _mm256_add_pd(s[k], _mm256_load_pd(p + i + 4 * k));
    for (int k = 1; k < 8; k++) s[0] = _mm256_add_pd(s[0], s[k]);
    _mm256_storeu_pd(out, s[0]);
    return out[0] + out[1] + out[2] + out[3];
}
"""

#: Hidden sizes, as in bench/test_bench_vector.py (m = 1).
SIZES = (2, 4, 8, 16, 32, 64)
#: Steps timed per call: about 5 ms, so that the fixed cost of a call (fastlstm's
#: validation and allocations, about 20 us; JAX's dispatch) stays within 1%.
STEPS = {2: 100_000, 4: 60_000, 8: 30_000, 16: 20_000, 32: 8_000, 64: 3_000}
#: The L1 data cache of one core (bytes): weights beyond it stream from L2 every step.
L1_BYTES = 48 * 1024


def _library() -> ctypes.CDLL:
    folder = pathlib.Path(tempfile.mkdtemp(prefix="fastlstm-roofline-"))
    src, lib = folder / "roofline.c", folder / "roofline.so"
    src.write_text(SOURCE)
    subprocess.run([os.environ.get("CC", "cc"), "-O3", "-funroll-all-loops", "-shared", "-fPIC",
                    str(src), "-o", str(lib)], check=True)
    dll = ctypes.CDLL(str(lib))
    for name in ("fma_latency", "fma_zmm", "fma_ymm", "div_zmm", "div_ymm"):
        getattr(dll, name).restype = ctypes.c_double
        getattr(dll, name).argtypes = [ctypes.c_long]
    for name in ("read_zmm", "read_ymm"):
        getattr(dll, name).restype = ctypes.c_double
        getattr(dll, name).argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_long]
    dll.clock_chain.argtypes = [ctypes.c_long, ctypes.c_long]
    dll.clock_chain.restype = ctypes.c_long
    return dll


def best(call, repeat=25) -> float:
    """The least wall time of ``repeat`` calls (seconds).  Calls are kept short
    (about a millisecond) so that some of them run without being preempted."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def clock_ghz(dll) -> float:
    n = 200_000
    return 8 * n / best(lambda: dll.clock_chain(n, 1)) / 1e9


def cycles(dll, seconds_of) -> float:
    """Cycles of ``seconds_of()`` (a least time) at the clock measured around it."""
    before = clock_ghz(dll)
    seconds = seconds_of()
    return seconds * 1e9 * (before + clock_ghz(dll)) / 2


def machine(dll) -> dict:
    n = 200_000
    out = {"clock GHz": clock_ghz(dll)}
    out["FMA latency (cycles)"] = cycles(dll, lambda: best(lambda: dll.fma_latency(n))) / (4 * n)
    out["zmm FMA per cycle"] = 12 * n / cycles(dll, lambda: best(lambda: dll.fma_zmm(n)))
    out["ymm FMA per cycle"] = 12 * n / cycles(dll, lambda: best(lambda: dll.fma_ymm(n)))
    d = n // 4
    out["zmm division, cycles per double"] = cycles(dll, lambda: best(lambda: dll.div_zmm(d))) / (64 * d)
    out["ymm division, cycles per double"] = cycles(dll, lambda: best(lambda: dll.div_ymm(d))) / (32 * d)
    for kb in (16, 32, 128, 256, 1024):
        size = kb * 128
        buf = np.empty(size + 8)
        data = buf[(-buf.ctypes.data % 64) // 8:][:size]
        data[:] = 1e-9
        reps = max(1, 4_000_000 // (8 * size))
        for isa in ("zmm", "ymm"):
            fn = getattr(dll, f"read_{isa}")
            c = cycles(dll, lambda: best(lambda: fn(data.ctypes.data, size, reps)))
            out[f"read {kb} KB, {isa}, bytes per cycle"] = 8 * size * reps / c
    return out


def step_bounds(n, m, wide: bool, fig: dict) -> dict:
    """Cycles per step that each resource needs at its measured peak."""
    fmas = 4 * n * (n + m)
    weights = 8 * 4 * n * (n + m + 1)
    isa = "zmm" if wide else "ymm"
    lanes = 8 if wide else 4
    per_cycle = fig[f"{isa} FMA per cycle"] * lanes
    out = {"FMAs": fmas, "weight bytes": weights,
           "FMA bound": fmas / per_cycle,
           "division bound": 5 * n * fig[f"{isa} division, cycles per double"]}
    source = "read 16 KB" if weights <= L1_BYTES else "read 256 KB"
    out["load bound"] = weights / fig[f"{source}, {isa}, bytes per cycle"]
    return out


def interleaved(calls: dict, rounds=31) -> dict:
    """The least time of each call over ``rounds`` rounds that call each in turn: on a busy
    host every call meets the same conditions, and the least time is the one least disturbed."""
    least = {name: float("inf") for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            least[name] = min(least[name], time.perf_counter() - start)
    return least


def main() -> None:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    import fastlstm as fl
    from bench.test_bench_vector import build_jax, cell
    from fastlstm._kernels import vector as vk

    dll = _library()
    fig = machine(dll)
    native_512 = "avx512f" in open("/proc/cpuinfo").read()
    held = os.environ.get("NUMBA_CPU_NAME") == "haswell"
    print(f"load average: {os.getloadavg()[0]:.2f}")
    for key, value in fig.items():
        print(f"{key}: {value:.2f}")
    print()
    print("| n | FMAs | weights | FMA bound | load bound | divisions | fastlstm | "
          "of FMA bound | of the largest bound | JAX | fastlstm is x faster |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    x = np.random.default_rng(0).normal(size=max(STEPS.values()))
    for n in SIZES:
        c = cell(n)
        xs = x[:STEPS[n]]
        calls = {"fastlstm": lambda: fl.run(c, xs)}
        try:
            calls["jax"] = build_jax(c, xs)
        except BaseException:  # JAX absent: pytest.skip raises a BaseException
            pass
        calls["fastlstm"]()
        wide = native_512 and not held and n >= vk.WIDE_FROM
        b = step_bounds(n, 1, wide, fig)
        ghz = clock_ghz(dll)
        least = interleaved(calls)
        ghz = (ghz + clock_ghz(dll)) / 2
        per_step = least["fastlstm"] * 1e9 * ghz / STEPS[n]
        largest = max(b["FMA bound"], b["load bound"], b["division bound"])
        jax = (f"{least['jax'] * 1e9 * ghz / STEPS[n]:.0f} | "
               f"{least['jax'] / least['fastlstm']:.2f}" if "jax" in least else "- | -")
        print(f"| {n} | {b['FMAs']} | {b['weight bytes'] / 1024:.1f} KB | {b['FMA bound']:.0f} "
              f"| {b['load bound']:.0f} | {b['division bound']:.0f} | {per_step:.0f} | "
              f"{b['FMA bound'] / per_step:.0%} | {largest / per_step:.0%} | {jax} |")
    print("\n(cycles per step at the clock measured around each row; FMA and load bounds for",
          "zmm" if native_512 and not held else "ymm", "vectors where the kernel uses them)")
    print("\nfl.run's cost per call of 10 steps (validation, allocation, dispatch; least of 9 x 200):")
    short = x[:10]
    for n in SIZES:
        c = cell(n)
        fl.run(c, short)
        per_call = best(lambda: [fl.run(c, short) for _ in range(200)], repeat=9) / 200
        print(f"n = {n}: {per_call * 1e6:.1f} us")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
