"""examples/train_parity.py trains deterministically: one thread, deterministic algorithms,
fixed seeds, and the CPU code paths that differ between x86 hosts pinned before torch loads
(ATen's SIMD dispatch, MKL's conditional numerical reproducibility).  The training itself is
not run here (about 10-17 s of CPU); this checks that the pins take effect in a fresh process.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "examples" / "train_parity.py"


def test_training_pins_threads_algorithms_and_cpu_code_paths():
    pytest.importorskip("torch", reason="PyTorch not installed (pip install 'fastlstm[torch]')")
    code = (
        "import importlib.util, os\n"
        f"spec = importlib.util.spec_from_file_location('train_parity', {str(SCRIPT)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "module.deterministic()\n"
        "import torch\n"
        "print(torch.backends.cpu.get_cpu_capability(), os.environ['MKL_CBWR'],\n"
        "      torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())\n")
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=dict(env, FASTLSTM_QUIET="1"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["DEFAULT", "COMPATIBLE", "1", "True"]
