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

The compiling processes are the test session's warm-up (``conftest.py``),
which keeps its results for today's sources (``tests/warmup_bits.py``); the
families it has kept none for (``FASTLSTM_SKIP_WARMUP=1``, or kernels cached
before the sources last changed) are compiled into an empty cache of this
test's own first, and their results are kept for the next run.
"""

from __future__ import annotations

import os
import pathlib
import pickle
import subprocess
import sys

import numpy as np

from fastlstm import _config
from fastlstm.compiling import WARMUPS
from tests import warmup_bits

SCRIPT = r"""
import pickle, sys
from fastlstm.compiling import run_warmups
with open(sys.argv[1], "wb") as out:
    pickle.dump(run_warmups(processes=2, families=sys.argv[2:]), out)
"""


def _env(cache: pathlib.Path | None) -> dict:
    """The environment of a worker: the given cache folder, or (None) the session's."""
    env = {k: v for k, v in os.environ.items() if k not in ("FASTLSTM_NO_CACHE", "FASTLSTM_QUIET")}
    if cache is not None:
        env.pop("NUMBA_CACHE_DIR", None)
        env["FASTLSTM_CACHE_DIR"] = str(cache)
    return env


def _warm_up(tmp_path, env, name, families) -> dict:
    out = tmp_path / f"{name}.pickle"
    subprocess.run([sys.executable, "-c", SCRIPT, str(out), *families], env=env, check=True,
                   timeout=1500)
    with open(out, "rb") as handle:
        return pickle.load(handle)


def _bits_differ(compiled: dict, loaded: dict) -> list:
    """The results (``family: label``) whose bits or shapes differ."""
    differ = []
    for family, first in compiled.items():
        second = loaded[family]
        assert sorted(first) == sorted(second)
        differ += [f"{family}: {label}" for label in first
                   if np.asarray(first[label]).tobytes() != np.asarray(second[label]).tobytes()
                   or np.shape(first[label]) != np.shape(second[label])]
    return differ


def _says_already_compiled(env, cache_text):
    done = subprocess.run([sys.executable, "-m", "fastlstm", "compile", "--quiet"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "already compiled" in done.stdout
    assert cache_text in done.stdout


def test_compiled_and_cached_kernels_give_the_same_bits(tmp_path):
    recorded = warmup_bits.load()
    if recorded:
        # The session's warm-up compiled these families into the shared cache,
        # in worker processes, and kept their results (tests/warmup_bits.py):
        # a fresh process loads them and must get the same bits.
        env = _env(None)
        loaded = _warm_up(tmp_path, env, "loaded", recorded)
        assert {family: kernels for family, (kernels, _) in loaded.items()} == \
            {family: [] for family in recorded}, "a process compiled kernels the warm-up cached"
        differ = _bits_differ(recorded, {f: results for f, (_, results) in loaded.items()})
        assert differ == [], f"results whose bits differ between the two processes: {differ}"
        _says_already_compiled(env, str(_config.CACHE_DIR))
    missing = [family for family in WARMUPS if family not in recorded]
    if not missing:
        return

    # No record of these families for today's sources (the warm-up was skipped,
    # or found them cached from before the sources last changed): compile them
    # into an empty cache here.
    cache = tmp_path / "cache"
    env = _env(cache)
    compiled = _warm_up(tmp_path, env, "compiled", missing)
    assert all(kernels for kernels, _ in compiled.values()), \
        f"a family compiled nothing in an empty cache: {compiled}"
    written = {path: path.stat().st_mtime_ns for path in cache.rglob("*.nb*")}

    loaded = _warm_up(tmp_path, env, "loaded again", missing)
    assert {family: kernels for family, (kernels, _) in loaded.items()} == \
        {family: [] for family in compiled}, "the second process compiled kernels again"
    assert {path: path.stat().st_mtime_ns for path in cache.rglob("*.nb*")} == written

    differ = _bits_differ({f: results for f, (_, results) in compiled.items()},
                          {f: results for f, (_, results) in loaded.items()})
    assert differ == [], f"results whose bits differ between the two processes: {differ}"
    # the compiling process's results, for the next run to compare a load with
    warmup_bits.add({f: results for f, (_, results) in compiled.items()})
    if len(missing) == len(WARMUPS):
        _says_already_compiled(env, str(cache))
