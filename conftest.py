"""pytest set-up shared by every test path (tests/, the doctests of fastlstm/,
symbolic/, docs/ and README.md).

One compiled-kernel cache per pytest-xdist worker.  Numba's cache index is not
safe for two processes that write *different* entries of one kernel at once:
each reads the index, both pick the same data-file name, and one process's
machine code can end up filed under the other's signature.  Workers of one
run would do exactly that on a cold cache, so each gets its own folder (set
before anything imports fastlstm, which reads it once).
"""

import os
import pathlib

_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER:
    _ROOT = os.environ.get("FASTLSTM_CACHE_DIR") or str(
        pathlib.Path(__file__).resolve().parent / "fastlstm" / "_kernels" / "__pycache__")
    os.environ["FASTLSTM_CACHE_DIR"] = str(pathlib.Path(_ROOT) / f"xdist-{_WORKER}")
