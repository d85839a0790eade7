"""The machine code a kernel compiles to on CPUs the host may lack: inspected, never run.

``assembly(setup, targets)`` compiles kernels for each target CPU in a fresh
process (Numba reads ``NUMBA_CPU_NAME`` once, at import) and returns its
assembly text, so a developer on any host checks every ISA that matters:

* a target of the host's architecture is compiled by Numba itself, for
  ``NUMBA_CPU_NAME=cpu`` with ``NUMBA_CPU_FEATURES`` empty (the target's own
  features: by default Numba adds the *host's*, and "haswell" on an AVX-512
  host compiles to zmm code);
* a target of another architecture (aarch64 from an x86-64 host, or the other
  way round) is cross-compiled: Numba emits its LLVM IR unoptimised
  (``NUMBA_OPT=0``), and llvmlite, Numba's own LLVM, optimises it at O3 for
  that CPU, loop and SLP vectorisers included, then prints the assembly.
  That is the pipeline Numba runs on such a host, minus Numba's own choice
  of pass options, so it tells whether LLVM vectorises the loop there.

The kernel cache is off in these processes: cached code cannot be inspected.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys

#: x86-64 targets: AVX2 (Intel Haswell..., AMD Zen 3) and AVX-512.
X86 = ("haswell", "znver3", "skylake-avx512")
#: aarch64 targets: NEON on Arm Neoverse N1 (AWS Graviton 2) and Apple M1.
AARCH64 = ("neoverse-n1", "apple-m1")
#: target CPU -> its LLVM target triple
TRIPLES = {**{cpu: "x86_64-unknown-linux-gnu" for cpu in X86},
           **{cpu: "aarch64-unknown-linux-gnu" for cpu in AARCH64}}

_CHILD = r"""
import json, re, sys
import llvmlite.binding as llvm
{setup}
targets = json.loads(sys.argv[1])
if targets is None:  # native: Numba compiled for NUMBA_CPU_NAME
    print(json.dumps({{name: k.inspect_asm(k.signatures[0]) for name, k in kernels.items()}}))
    raise SystemExit
llvm.initialize_all_targets()
llvm.initialize_all_asmprinters()
out = {{cpu: {{}} for cpu in targets}}
for name, k in kernels.items():
    ir = k.inspect_llvm(k.signatures[0])
    for cpu, triple in targets.items():
        tm = llvm.Target.from_triple(triple).create_target_machine(cpu=cpu, opt=3)
        text = re.sub(r'target datalayout = ".*"', 'target datalayout = "%s"' % tm.target_data, ir)
        text = re.sub(r'target triple = ".*"', 'target triple = "%s"' % triple, text)
        mod = llvm.parse_assembly(text)
        pto = llvm.create_pipeline_tuning_options(speed_level=3)
        pto.loop_vectorization = pto.slp_vectorization = True
        pb = llvm.create_pass_builder(tm, pto)
        pb.getModulePassManager().run(mod, pb)
        out[cpu][name] = tm.emit_assembly(mod)
print(json.dumps(out))
"""


def _host_arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def assembly(setup: str, targets=X86 + AARCH64) -> dict[str, dict[str, str]]:
    """target CPU -> {kernel name: its assembly, compiled for that CPU}.

    ``setup``: Python source that defines ``kernels``, a dict of names to
    Numba dispatchers, each with one compiled signature
    (``kernel.compile(...)``) and without the on-disk cache.  Targets of the host's architecture are compiled natively, each in
    its own process; the others together, cross-compiled in one process.
    """
    child = _CHILD.format(setup=setup)
    env = dict(os.environ, FASTLSTM_NO_CACHE="1")
    host = _host_arch()
    native = [cpu for cpu in targets if TRIPLES[cpu].startswith(host)]
    foreign = {cpu: TRIPLES[cpu] for cpu in targets if cpu not in native}
    procs = {cpu: subprocess.Popen(
        [sys.executable, "-c", child, "null"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=dict(env, NUMBA_CPU_NAME=cpu, NUMBA_CPU_FEATURES=""))
        for cpu in native}
    if foreign:
        procs[None] = subprocess.Popen(
            [sys.executable, "-c", child, json.dumps(foreign)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=dict(env, NUMBA_OPT="0"))
    out = {}
    for cpu, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        result = json.loads(stdout)
        out.update({cpu: result} if cpu else result)
    return out


def is_x86(cpu: str) -> bool:
    """Whether ``cpu`` is one of the x86-64 targets."""
    return TRIPLES[cpu].startswith("x86_64")


_X86_BITS = {"xmm": 128, "ymm": 256, "zmm": 512}


def vector_ops(asm: str, cpu: str, dtype: str) -> tuple[list[int], list[int], int]:
    """(the packed divisions, the packed FMAs, the number of gathers) in ``asm``.

    Divisions and FMAs are listed by their register width in bits.  Packed means several ``dtype`` lanes in one register (x86 ``vdivpd``,
    aarch64 ``fdiv v0.2d``); scalar code has none.  aarch64 NEON has no
    gather instruction.
    """
    if is_x86(cpu):
        suffix = {"float64": "pd", "float32": "ps"}[dtype]
        div = re.findall(rf"\bv?div{suffix}\s+%([xyz]mm)", asm)
        fma = re.findall(rf"\bvfn?m(?:add|sub)\d+{suffix}\s+%([xyz]mm)", asm)
        return ([_X86_BITS[r] for r in div], [_X86_BITS[r] for r in fma],
                len(re.findall(r"gather", asm)))
    lanes = {"float64": "2d", "float32": "4s"}[dtype]
    div = re.findall(rf"\bfdiv\s+v\d+\.{lanes}", asm)
    fma = re.findall(rf"\bfml[as]\s+v\d+\.{lanes}", asm)
    return [128] * len(div), [128] * len(fma), 0
