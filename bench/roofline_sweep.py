"""The roofline of the sweep kernels (cells in SIMD lanes): what bounds a cell-step, and how close fastlstm comes.

A cell-step of ``fl.sweep`` is a fixed sequence of vector operations: the
preactivations, five activations (each a range reduction, a degree-10
polynomial, the scaling by 2**k and *one division*), the new c and h.  The
operations are fixed by the bits: every rounding step is the one of
``fl.run`` (docs/semantics.md), so no kernel may drop or merge them.  The
Lyapunov record adds the Jacobian and the tangent map.

This script

* compiles the kernels afresh (``FASTLSTM_NO_CACHE``) and counts, in the
  machine code of the loop over cells, per iteration: the packed divisions,
  the FMAs and multiplies (which only the two FMA ports execute), the other
  vector operations and the moves, loads and broadcasts, and the lanes;
* times a C loop with the same number of independent divisions and FMAs per
  iteration (the divider and the FMA ports partly overlap, so neither count
  alone is the bound): that time per lane is a lower bound of a cell-step on
  this core at the kernel's vector width (the other operations can only add);
* times the five activations of a cell-step alone, each in a long loop of its
  own over independent values ("the activations alone"): the cost of the very
  code a cell-step must run, with nothing else in the way;
* times ``fl.sweep`` (float64 and float32, 2e5 random cells x 100 steps; the
  Lyapunov record on a 128 x 128 grid, 100 + 1000 steps) and JAX's
  ``jit(vmap(scan))`` of the same work, interleaved, on one thread, in cycles
  at the clock measured around each row (``bench/roofline.py``'s clock).

    NUMBA_NUM_THREADS=1 taskset -c 0 python bench/roofline_sweep.py
    NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES= XLA_FLAGS=--xla_cpu_max_isa=AVX2 \\
        NUMBA_NUM_THREADS=1 taskset -c 0 python bench/roofline_sweep.py

docs/bench.md ("Roofline: sweeps") has the figures and what they mean.
"""

from __future__ import annotations

import collections
import ctypes
import os
import pathlib
import re
import subprocess
import sys
import tempfile

os.environ["FASTLSTM_NO_CACHE"] = "1"  # inspect_asm needs code compiled in this process
os.environ.setdefault("FASTLSTM_QUIET", "1")

import numpy as np  # noqa: E402

# D independent divisions and F independent FMAs per iteration (ten FMA chains,
# five division chains), for ymm and zmm, doubles and floats; D and F are
# compile-time constants (multiples of 5 and 10).
SOURCE = r"""
#include <immintrin.h>
#define BODY(T, SET1, DIV, FMA) \
    T a0=SET1(1),a1=SET1(2),a2=SET1(3),a3=SET1(4),a4=SET1(5),a5=SET1(6),a6=SET1(7),a7=SET1(8), \
      a8=SET1(9),a9=SET1(10),d0=SET1(2),d1=SET1(3),d2=SET1(4),d3=SET1(5),d4=SET1(6); \
    T b = SET1(1.0000001), c = SET1(1e-9); \
    for (long i = 0; i < n; i++) { \
        for (int r = 0; r < D / 5; r++) { d0=DIV(d0,b); d1=DIV(d1,b); d2=DIV(d2,b); \
            d3=DIV(d3,b); d4=DIV(d4,b); } \
        for (int r = 0; r < F / 10; r++) { a0=FMA(a0,b,c); a1=FMA(a1,b,c); a2=FMA(a2,b,c); \
            a3=FMA(a3,b,c); a4=FMA(a4,b,c); a5=FMA(a5,b,c); a6=FMA(a6,b,c); a7=FMA(a7,b,c); \
            a8=FMA(a8,b,c); a9=FMA(a9,b,c); } \
        __asm__ volatile("" :: "v"(a0),"v"(a1),"v"(a2),"v"(a3),"v"(a4),"v"(a5),"v"(a6), \
                         "v"(a7),"v"(a8),"v"(a9),"v"(d0),"v"(d1),"v"(d2),"v"(d3),"v"(d4)); \
    } \
    return 0.0;
#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f")))
AVX2 double mix_ymm_pd(long n) { BODY(__m256d, _mm256_set1_pd, _mm256_div_pd, _mm256_fmadd_pd) }
AVX512 double mix_zmm_pd(long n) { BODY(__m512d, _mm512_set1_pd, _mm512_div_pd, _mm512_fmadd_pd) }
AVX2 double mix_ymm_ps(long n) { BODY(__m256, _mm256_set1_ps, _mm256_div_ps, _mm256_fmadd_ps) }
AVX512 double mix_zmm_ps(long n) { BODY(__m512, _mm512_set1_ps, _mm512_div_ps, _mm512_fmadd_ps) }
"""

def mix_library(divisions: int, fmas: int) -> ctypes.CDLL:
    """The C loop with ``divisions`` divisions and ``fmas`` FMAs per iteration (rounded
    down to multiples of 5 and 10)."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="fastlstm-roofline-sweep-"))
    src, lib = folder / "mix.c", folder / "mix.so"
    src.write_text(f"#define D {divisions}\n#define F {fmas}\n" + SOURCE)
    subprocess.run([os.environ.get("CC", "cc"), "-O3", "-shared", "-fPIC", str(src), "-o",
                    str(lib)], check=True)
    dll = ctypes.CDLL(str(lib))
    for name in ("mix_ymm_pd", "mix_zmm_pd", "mix_ymm_ps", "mix_zmm_ps"):
        getattr(dll, name).restype = ctypes.c_double
        getattr(dll, name).argtypes = [ctypes.c_long]
    return dll


def loop_ops(kernel, float32: bool) -> dict:
    """Per iteration of the loops over cells: packed divisions, FMAs and multiplies, other
    vector operations, moves, register width and lanes."""
    asm = "\n".join(kernel.inspect_asm().values())
    suffix = "ps" if float32 else "pd"
    blocks = re.split(r"\n(?=\.LBB\S+:)", asm)

    def divisions(block):
        return len(re.findall(rf"\bvdiv{suffix}\s", block))

    # The loops over the lanes are the blocks with packed divisions: the gates' loop (four
    # a block) and the c, h loop (one), which LLVM may unroll into several blocks of one
    # iteration each: one iteration of each loop is the mean over its blocks.
    loops = [b for b in blocks if divisions(b)]
    groups = collections.defaultdict(list)
    for b in loops:
        groups[divisions(b)].append(collections.Counter(
            line.split()[0] for line in b.splitlines()[1:]
            if line.strip() and not line.strip().startswith((".", "#"))))
    ops = collections.Counter()
    for counters in groups.values():
        for counter in counters:
            for k, v in counter.items():
                ops[k] += v / len(counters)
    # FMAs and multiplies run on the two FMA ports only (Intel since Skylake; zmm: the
    # fused port 0+1 and port 5): the bound; adds, compares, logic and integer ops may
    # also use a third port, so they are counted apart and left out of the bound
    fma_port, moving = re.compile(r"vf(n?)m(add|sub)|vmul"), ("vmov", "vbroadcast", "vpbroadcast")
    fma = sum(v for k, v in ops.items() if fma_port.match(k))
    moves = sum(v for k, v in ops.items() if k.startswith(moving))
    other = sum(v for k, v in ops.items() if k.startswith("v") and not fma_port.match(k)
                and not k.startswith(moving + ("vdiv",)))
    width = 512 if any("zmm" in b for b in loops) else 256
    return {"divisions": round(ops[f"vdiv{suffix}"]), "fma": round(fma), "other": round(other),
            "moves": round(moves),
            "width": width, "lanes": width // (32 if float32 else 64)}


def activation_floor(dll, float32: bool) -> float:
    """Cycles per cell-step of a cell-step's five activations (sigmoid three times, tanh
    twice) and nothing else: each in a loop of its own over 2048 independent values, at
    the sweep kernel's width, in the same precision (the float32 variants where
    ``float32``): what the activations cost when the out-of-order core has every value
    of a long loop to overlap."""
    import numba
    from bench import roofline
    from fastlstm._config import JIT
    from fastlstm._kernels import activations as act
    from fastlstm._kernels.simd_width import wide_vectors

    def loop(f):
        @numba.njit(**dict(JIT, cache=False))
        def run(x, out, reps):
            wide_vectors()
            for _ in range(reps):
                for j in range(x.shape[0]):
                    out[j] = f(x[j])
        return run

    ftype = np.float32 if float32 else np.float64
    x = (np.random.default_rng(0).standard_normal(2048) * 3).astype(ftype)
    out = np.empty_like(x)
    reps = 200
    each = {}
    for name, f in ((("sigmoid", act.sigmoid_f32), ("tanh", act.tanh_f32)) if float32 else
                    (("sigmoid", act.sigmoid), ("tanh", act.tanh))):
        run = loop(f)
        run(x, out, 1)
        each[name] = roofline.cycles(dll, lambda: roofline.best(lambda: run(x, out, reps))) / (
            reps * x.size)
    return 3 * each["sigmoid"] + 2 * each["tanh"]


def main() -> None:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    import fastlstm as fl
    from bench import roofline
    from bench.test_bench_lyapunov import _jax as lyapunov_jax
    from bench.registry import GENERIC
    from bench.test_bench_sweep import _final_jax
    from fastlstm._kernels import sweep as sk

    dll = roofline._library()
    cells, steps = 200_000, 100
    P = fl.random_params(cells, -2.0, 2.0, seed=1).values
    x = np.random.default_rng(0).standard_normal(steps)
    G = np.ascontiguousarray(fl.grid(base=GENERIC, W_ch=np.linspace(-3.0, 0.0, 128),
                                     W_fh=np.linspace(-2.0, 2.0, 128)).values)
    lyap = dict(record="lyapunov", transient=100, steps=1000)
    M = fl.grid(base=fl.presets.parity(), W_ch=np.linspace(-200, 0, 128),
                W_cx=np.linspace(0, 100, 128)).values
    X = fl.binary_strings(10).astype(np.float64)
    scored = dict(target=fl.parity_target(X), record=None)  # 2046 prefixes: steps credited in full
    #: family -> (cell-steps per call, {row: call}); the rows of a family are timed in turn
    families = {
        "sweep": (cells * steps, {"float64": lambda: fl.sweep(P, x),
                                  "float32": lambda: fl.sweep(P, x, dtype="float32"),
                                  "jax": _final_jax(P, x)}),
        "Lyapunov": (G.shape[0] * 1100, {"float64": lambda: fl.sweep(G, 1.0, **lyap),
                                         "float32": lambda: fl.sweep(G, 1.0, dtype="float32",
                                                                     **lyap),
                                         "jax": lyapunov_jax(G)}),
        "parity regime map": (M.shape[0] * X.size,
                              {"float64": lambda: fl.sweep(M, X, **scored),
                               "float32": lambda: fl.sweep(M, X, dtype="float32", **scored)}),
    }
    print(f"load average {os.getloadavg()[0]:.2f}; NUMBA_CPU_NAME="
          f"{os.environ.get('NUMBA_CPU_NAME', '(host)')}; threads "
          f"{os.environ.get('NUMBA_NUM_THREADS', '(all cores)')}")
    print("| workload | lanes | divisions / FMAs and multiplies / other vector ops / moves "
          "per iteration | bound (C loop, cycles per cell-step) | the activations alone | "
          "fastlstm | of the bound | JAX | fastlstm is x faster | float32 over float64 |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for family, (cell_steps, calls) in families.items():
        for call in calls.values():
            call()
        ghz = roofline.clock_ghz(dll)
        least = roofline.interleaved(calls, rounds=7)
        ghz = (ghz + roofline.clock_ghz(dll)) / 2
        cycles = {row: t * 1e9 * ghz / cell_steps for row, t in least.items()}
        for precision in ("float64", "float32"):
            float32 = precision == "float32"
            bound = ops = None
            if family == "sweep":  # the other loops span several blocks: timed only
                run = sk.make_sweep_kernel(False, float32)
                kernel = next(c.cell_contents for c in run.__closure__
                              if hasattr(c.cell_contents, "inspect_asm"))
                ops = loop_ops(kernel, float32)
                mix = mix_library(ops["divisions"], ops["fma"])
                fn = getattr(mix, f"mix_{'z' if ops['width'] == 512 else 'y'}mm_"
                                  f"{'ps' if float32 else 'pd'}")
                n = 20_000
                bound = (roofline.cycles(dll, lambda: roofline.best(lambda: fn(n)))
                         / n / ops["lanes"])
            ours = cycles[precision]
            shape = (f"{ops['lanes']} ({ops['width']}-bit) | {ops['divisions']} / {ops['fma']} / "
                     f"{ops['other']} / {ops['moves']} | {bound:.1f} | "
                     f"{activation_floor(dll, float32):.1f}" if ops else " | | | ")
            share = f"{bound / ours:.0%}" if bound else ""
            jax = (f"{cycles['jax']:.1f} | {cycles['jax'] / ours:.2f}x"
                   if "jax" in cycles and not float32 else " | ")
            ratio = f"{cycles['float64'] / ours:.2f}x" if float32 else ""
            print(f"| {family} {precision} | {shape} | {ours:.1f} | {share} | {jax} | {ratio} |")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
