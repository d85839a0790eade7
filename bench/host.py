"""What machine a benchmark ran on: CPU model and the SIMD instruction set in use.

Every table of ``bench/report.py`` names it, because the same code is fast
or slow depending on it (AVX2 hosts such as AMD Zen 3 versus AVX-512 hosts).
``NUMBA_CPU_NAME`` with an empty ``NUMBA_CPU_FEATURES`` (fastlstm) and
``XLA_FLAGS`` (JAX) can hold code to an older instruction set than the host
has; all three are recorded.  ``NUMBA_CPU_NAME`` alone is not enough: Numba
then adds the host's features, and ``haswell`` on an AVX-512 host still
compiles to AVX-512 code.
"""

from __future__ import annotations

import os
import platform


def _cpuinfo() -> dict:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return {}
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in info:
            info[key.strip()] = value.strip()
    return info


def isa(flags: set[str], machine: str) -> str:
    """The widest SIMD instruction set a CPU with these flags offers."""
    if machine in ("aarch64", "arm64"):
        return "NEON" + (" + SVE" if "sve" in flags else "")
    if "avx512f" in flags:
        return "AVX-512"
    if "avx2" in flags and "fma" in flags:
        return "AVX2 + FMA"
    if "avx" in flags:
        return "AVX"
    return "SSE"


def describe() -> dict:
    """``{"cpu", "isa", "numba_cpu_name", "numba_cpu_features", "xla_flags"}`` of this process."""
    info = _cpuinfo()
    flags = set((info.get("flags") or info.get("Features") or "").split())
    return {"cpu": info.get("model name") or platform.processor() or platform.machine(),
            "isa": isa(flags, platform.machine().lower()),
            "numba_cpu_name": os.environ.get("NUMBA_CPU_NAME") or None,
            "numba_cpu_features": os.environ.get("NUMBA_CPU_FEATURES"),
            "xla_flags": os.environ.get("XLA_FLAGS") or None}


def line(host: dict) -> str:
    """One sentence naming the host, for the head of a table."""
    name, features = host.get("numba_cpu_name"), host.get("numba_cpu_features")
    held = [(f"fastlstm compiled for {name} (NUMBA_CPU_NAME, NUMBA_CPU_FEATURES={features!r})"
             if features is not None else
             f"fastlstm tuned for {name} but with the host's features (NUMBA_CPU_FEATURES unset)")
            if name else "",
            f"JAX with XLA_FLAGS={host['xla_flags']}" if host.get("xla_flags") else ""]
    held = "; ".join(h for h in held if h)
    return f"Host: {host.get('cpu', '?')}, {host.get('isa', '?')}" + (f" ({held})" if held else "")
