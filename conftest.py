"""pytest set-up shared by every test path (tests/, the doctests of fastlstm/,
symbolic/, docs/ and README.md).

pytest-xdist workers share one compiled-kernel cache: a kernel one worker
compiled is loaded by the other.  That is safe because fastlstm's saves hold
a lock on the cache folder (``fastlstm._config._save_entry``); Numba's own
save, unlocked, could file one process's machine code under another's
signature.

Before any test runs, the controller (or the one process without xdist)
compiles every kernel family into that cache with ``fastlstm compile``'s
function, two families at a time in worker processes; the tests then load
them instead of each worker compiling the same kernels
(``FASTLSTM_SKIP_WARMUP=1`` skips that, for a quick run of a few tests).
The results of the families it compiled are kept in the cache folder for
``tests/kernels/test_cache_bits.py`` (``tests/warmup_bits.py``).
"""

import os


def pytest_sessionstart(session):
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller warmed up
        return
    if os.environ.get("FASTLSTM_SKIP_WARMUP", "") not in ("", "0"):
        return
    from tests.warmup_bits import warm_up_and_record

    warm_up_and_record(processes=2)
