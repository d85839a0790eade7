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

# Two kernels, each compiled on first use (seconds each; the smallest two that do).
SCRIPT = r"""
import numpy as np, fastlstm as fl
fl.run(fl.presets.parity(), [1, 1, 0], trace=True)
fl.run_batch(fl.presets.parity(), np.ones((3, 4)))
print("done")
"""


def _run(env_extra, cache, script=SCRIPT):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "FASTLSTM_NO_CACHE", "FASTLSTM_QUIET")}
    env.update(FASTLSTM_CACHE_DIR=str(cache), **env_extra)
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
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
    # one kernel that takes over a second to compile (it would say so: the test above)
    script = SCRIPT.replace("fl.run_batch(fl.presets.parity(), np.ones((3, 4)))\n", "")
    assert script != SCRIPT
    quiet = _run({"FASTLSTM_QUIET": value}, tmp_path / "cache", script)
    assert quiet.stdout.strip() == "done"
    assert any((tmp_path / "cache" / "kernels").glob("sequence*.nbi"))  # it did compile
    assert _notices(quiet.stderr) == []


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    from fastlstm import _config

    monkeypatch.setattr(_config, "CACHE_DIR", tmp_path)
    for name in ("run-1.py311.nbi", "run-1.py311.1.nbc"):
        (tmp_path / name).write_bytes(b"entry")
    return tmp_path


def test_a_complete_run_is_recorded_until_a_cache_file_changes(cache_folder, monkeypatch):
    import numba

    from fastlstm import compiling

    assert not compiling.all_cached()  # no record yet
    compiling._mark_complete(cache_folder)
    assert compiling.all_cached()
    (cache_folder / "other-7.py311.nbi").write_bytes(b"a new entry")  # adds, removes nothing
    assert compiling.all_cached()

    (cache_folder / "run-1.py311.1.nbc").write_bytes(b"entry, rewritten")
    assert not compiling.all_cached()
    compiling._mark_complete(cache_folder)
    (cache_folder / "run-1.py311.nbi").unlink()
    assert not compiling.all_cached()

    compiling._mark_complete(cache_folder)
    monkeypatch.setattr(numba.config, "CPU_NAME", "haswell")  # code for another CPU
    assert not compiling.all_cached()


def test_compile_kernels_trusts_the_record_and_checks_without_it(cache_folder, monkeypatch):
    from fastlstm import compiling

    calls = []
    monkeypatch.setattr(compiling, "run_warmups",
                        lambda processes, progress: calls.append(processes) or
                        {name: (["kernel"], {}) for name in compiling.WARMUPS})
    compiled = compiling.compile_kernels(processes=1)
    assert compiled == {name: ["kernel"] for name in compiling.WARMUPS}
    assert calls == [1]
    compiling._mark_complete(cache_folder)
    assert compiling.compile_kernels(processes=1) == {name: [] for name in compiling.WARMUPS}
    assert calls == [1]  # answered from the record, no worker started
