"""The compile notice on stderr (fastlstm.compiling): once, only when compiling, silenced on request.

``fastlstm compile`` itself (every family compiled, a second run doing
nothing) is checked in tests/kernels/test_cache_bits.py, which compiles
everything once anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Two kernels of different families, each compiled on first use (several seconds).
SCRIPT = r"""
import numpy as np, fastlstm as fl
fl.run(fl.presets.parity(), [1, 1, 0])
fl.run_batch(fl.presets.parity(), np.ones((3, 4)))
print("done")
"""


def _run(env_extra, cache):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "FASTLSTM_NO_CACHE", "FASTLSTM_QUIET")}
    env.update(FASTLSTM_CACHE_DIR=str(cache), **env_extra)
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=600, check=True)


def _notices(stderr):
    return [line for line in stderr.splitlines() if line.startswith("fastlstm: compiling")]


def test_one_line_while_compiling_none_once_cached(tmp_path):
    cache = tmp_path / "cache"
    first = _run({}, cache)
    assert first.stdout.strip() == "done"
    (notice,) = _notices(first.stderr)  # two kernels compiled, one line
    assert "once per machine and fastlstm version" in notice
    assert str(cache) in notice
    assert "FASTLSTM_QUIET=1" in notice and "fastlstm compile" in notice

    second = _run({}, cache)  # every kernel loads from the cache: nothing to say
    assert _notices(second.stderr) == []


@pytest.mark.parametrize("value", ["1"])
def test_fastlstm_quiet_silences_it(tmp_path, value):
    quiet = _run({"FASTLSTM_QUIET": value}, tmp_path / "cache")
    assert quiet.stdout.strip() == "done"
    assert _notices(quiet.stderr) == []
