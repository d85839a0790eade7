"""pytest set-up shared by every test path (tests/, the doctests of fastlstm/,
symbolic/, docs/ and README.md).

pytest-xdist workers share one compiled-kernel cache: a kernel one worker
compiled is loaded by the other.  That is safe because fastlstm's saves hold
a lock on the cache folder (``fastlstm._config._save_entry``); Numba's own
save, unlocked, could file one process's machine code under another's
signature.
"""
