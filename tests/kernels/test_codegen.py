"""The machine code of the kernels whose speed rests on SIMD, on every target that matters.

Compiled for AVX2 (Intel Haswell, AMD Zen 3), AVX-512 and two aarch64 CPUs,
and inspected, never run (tests/kernels/codegen.py): a developer on an AVX2
host checks the AVX-512 and the aarch64 code too.  One process per target
compiles every kernel that target is checked for (a process costs an import
of Numba and the package, a second or so: four, not one per kernel and target).

* the sweep's loop over cells (float64 and float32): cells are SIMD lanes;
* the vector cell's step: the loops over rows and units are SIMD code;
* the vector kernel's shapes: the small kernel (n <= 4) packs its gates into
  256-bit registers, the wide one (large n) uses 512-bit FMAs on AVX-512;
* the compiled machine's walk: non-temporal stores on x86, and it still
  compiles for aarch64.
"""

from __future__ import annotations

import pytest

from tests.kernels import codegen

_SETUP = """
import os, sys
import numba
import numpy as np
from fastlstm._config import JIT
from fastlstm._kernels import lanes, small_cell, unit_tiles
from fastlstm._kernels.simd_width import wide_vectors

# this process's target: a native one names it in NUMBA_CPU_NAME; the cross-compiling
# process (argv[1] lists its targets) compiles for the host and is told the targets later
cpu = os.environ["NUMBA_CPU_NAME"] if sys.argv[1] == "null" else None


def cells(gates, update, ft):
    # the sweep kernel's loops over cells: the gates, then c and h, in zmm where present
    @numba.njit(**dict(JIT, cache=False))
    def kernel(w, h, c, x, theta, g):
        wide_vectors()
        for j in range(h.shape[0]):
            g[0, j], g[1, j], g[2, j], g[3, j] = gates(
                (w[0, j], w[1, j], w[2, j], w[3, j], w[4, j], w[5, j], w[6, j], w[7, j],
                 w[8, j], w[9, j], w[10, j], w[11, j]), h[j], x, theta, False, True)
        for j in range(h.shape[0]):
            h[j], c[j] = update(g[0, j], g[1, j], g[2, j], g[3, j], c[j], theta, False, True,
                                False)
    kernel.compile((ft[:, ::1], ft[::1], ft[::1], ft, ft, ft[:, ::1]))
    return kernel


a1, a2, a3, flag = numba.float64[::1], numba.float64[:, ::1], numba.float64[:, :, ::1], numba.boolean
span = numba.int64
# a span of a batch: weights (small_cell.pad's three arrays, or unit_tiles.panels' two),
# x, h0, c0, theta, h_out, c_out
SMALL_SIGNATURE = (span, span, flag, flag, a2, a2, a1, a3, a2, a2, numba.float64, a3, a3)
TILES_SIGNATURE = (span, span, flag, flag, a2, a2, a3, a2, a2, numba.float64, a3, a3)


def compiled(kernel, signature):
    kernel.compile(signature)
    return kernel


kernels = {"cells float64": cells(lanes.gates_f64, lanes.update_f64, numba.float64),
           "cells float32": cells(lanes.gates_f32, lanes.update_f32, numba.float32)}
if cpu != "znver3":  # exact steps: a batch of sequences, spans of it first; n > 4
    kernels["vector run"] = compiled(unit_tiles.batch_kernel(False, False), TILES_SIGNATURE)
if cpu == "haswell":
    kernels["vector small"] = compiled(small_cell._batch(False), SMALL_SIGNATURE)
if cpu == "skylake-avx512":
    kernels["vector wide"] = compiled(unit_tiles.batch_kernel(False, True), TILES_SIGNATURE)
if cpu in ("skylake-avx512", None):  # the machine's walk: streaming stores (None: aarch64)
    from fastlstm._kernels import machine

    @numba.njit(**dict(JIT, cache=False))  # the walk that values() inlines, no thread pool
    def walk(jump, h_path, c_path, start, alphabet, x, h_out, c_out, stream):
        return machine.walk(jump, h_path, c_path, start, alphabet, x, h_out, c_out, 4, stream)

    args = (np.zeros((2, 16), np.int32), np.zeros((2, 16, 4), np.int64),
            np.zeros((2, 16, 4), np.int64), 0, (0.0, 1.0), np.zeros(8),
            np.zeros(8, np.int64), np.zeros(8, np.int64), True)
    walk.compile(tuple(numba.typeof(a) for a in args))
    kernels["machine walk"] = walk
    if cpu:  # drain's sfence is an x86 instruction
        machine.drain.compile(())
        kernels["machine drain"] = machine.drain
"""

TARGETS = codegen.X86 + codegen.AARCH64


@pytest.fixture(scope="module")
def asm():
    """target CPU -> {kernel name: its assembly for that CPU}."""
    return codegen.assembly(_SETUP, TARGETS)


@pytest.mark.parametrize("cpu", TARGETS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_loop_over_cells_vectorises_on_every_target(asm, cpu, dtype):
    divisions, fmas, gathers = codegen.vector_ops(asm[cpu][f"cells {dtype}"], cpu, dtype)
    # Packed division (the activations' 1/(1+e)) and packed FMA: the cells
    # are SIMD lanes.  Scalar code has scalar divisions only.
    assert divisions, f"{cpu}: the {dtype} loop over cells did not vectorise"
    assert fmas, cpu
    if codegen.is_x86(cpu):  # the main loop full width: 256 bits on AVX2, 512 on AVX-512
        widest = 512 if cpu == "skylake-avx512" else 256
        assert max(divisions) == widest, f"{cpu}: {sorted(set(divisions))}-bit vectors"
    # A table lookup would be a gather, which LLVM's cost model for AVX2
    # declines to vectorise: the activations need none.
    assert gathers == 0


@pytest.mark.parametrize("cpu", ("haswell", "skylake-avx512") + codegen.AARCH64)
def test_the_vector_step_vectorises_over_rows_and_units(asm, cpu):
    divisions, fmas, gathers = codegen.vector_ops(asm[cpu]["vector run"], cpu, "float64")
    # one packed division per activation loop: sigmoid over i and f, tanh over g,
    # sigmoid over o, tanh(c) over the units (scalar code has scalar divisions only)
    assert len(divisions) >= 4, f"{cpu}: {len(divisions)} packed divisions"
    assert fmas, cpu
    if cpu == "haswell":  # AVX2: LLVM declines to vectorise a loop that needs gathers
        assert gathers == 0
        assert min(divisions) >= 256, f"{cpu}: {sorted(set(divisions))}-bit vectors"


def test_the_small_kernel_packs_its_gates_and_the_wide_one_uses_zmm(asm):
    divisions, _, _ = codegen.vector_ops(asm["haswell"]["vector small"], "haswell", "float64")
    assert divisions and min(divisions) == 256, divisions  # the 8 gates: two ymm registers
    _, fmas, _ = codegen.vector_ops(asm["skylake-avx512"]["vector wide"], "skylake-avx512",
                                    "float64")
    assert 512 in fmas, set(fmas)


def test_the_machine_walk_streams_on_x86_and_still_compiles_for_aarch64(asm):
    # x86: movnti from general registers (there is no scalar double non-temporal store),
    # then drain's sfence; aarch64 (cross-compiled, never run): non-temporal pair stores.
    x86, arm = asm["skylake-avx512"], asm["neoverse-n1"]
    assert x86["machine walk"].count("movnti") >= 8   # h and c of a 4-step block
    assert "sfence" in x86["machine drain"]
    assert "movnti" not in arm["machine walk"]
    assert "stnp" in arm["machine walk"]
