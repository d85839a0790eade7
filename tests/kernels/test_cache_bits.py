"""Every kernel family gives the same bits compiled in the process and loaded from the cache.

A kernel's machine code is compiled once, in the first process, and written
to the on-disk cache; later processes load it.  Numba can run other code in
the process that compiles than it writes (a parallel loop's body was
compiled twice, and the copy that ran was not the one cached), so the
results of the two are compared bit for bit, for every kernel family, in
float64 and float32 where the family has both: the warm-ups of
``fastlstm compile`` (``fastlstm.compiling.WARMUPS``), whose random cells
are chaotic enough to turn any difference of one rounding into many.

The same run checks ``fastlstm compile``: its worker processes compile
different entries of the same kernels into one cache at once (the sweep's
float64 and float32 variants share one index), and a second run compiles
nothing.
"""

from __future__ import annotations

import os
import pathlib
import pickle
import subprocess
import sys

import numpy as np

SCRIPT = r"""
import pickle, sys
from fastlstm.compiling import run_warmups
with open(sys.argv[1], "wb") as out:
    pickle.dump(run_warmups(processes=2), out)
"""


def _env(cache: pathlib.Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "FASTLSTM_NO_CACHE", "FASTLSTM_QUIET")}
    env["FASTLSTM_CACHE_DIR"] = str(cache)
    return env


def _warm_up(tmp_path, cache, name) -> dict:
    out = tmp_path / f"{name}.pickle"
    subprocess.run([sys.executable, "-c", SCRIPT, str(out)], env=_env(cache), check=True,
                   timeout=1500)
    with open(out, "rb") as handle:
        return pickle.load(handle)


def test_compiled_and_cached_kernels_give_the_same_bits(tmp_path):
    cache = tmp_path / "cache"
    compiled = _warm_up(tmp_path, cache, "compiled")
    assert all(kernels for kernels, _ in compiled.values()), \
        f"a family compiled nothing in an empty cache: {compiled}"
    written = {path: path.stat().st_mtime_ns for path in cache.rglob("*.nb*")}

    loaded = _warm_up(tmp_path, cache, "loaded")
    assert {family: kernels for family, (kernels, _) in loaded.items()} == \
        {family: [] for family in compiled}, "the second process compiled kernels again"
    assert {path: path.stat().st_mtime_ns for path in cache.rglob("*.nb*")} == written

    differ = []
    for family, (_, first) in compiled.items():
        second = loaded[family][1]
        assert sorted(first) == sorted(second)
        differ += [f"{family}: {label}" for label in first
                   if np.asarray(first[label]).tobytes() != np.asarray(second[label]).tobytes()
                   or np.shape(first[label]) != np.shape(second[label])]
    assert differ == [], f"results whose bits differ between the two processes: {differ}"

    # and the command says there is nothing left to do
    done = subprocess.run([sys.executable, "-m", "fastlstm", "compile", "--quiet"],
                          env=_env(cache), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "already compiled" in done.stdout
    assert str(cache) in done.stdout
