"""The session warm-up's results, kept so that tests need not compile every kernel again.

``conftest.py`` compiles every kernel family into the shared cache before the
tests start (``fastlstm.compiling.run_warmups``, worker processes).  For each
family that warm-up compiled, it writes the results the compiling process got
to ``warmup_bits.pickle`` in the cache folder, with a stamp of the sources
they were compiled from.  ``tests/kernels/test_cache_bits.py`` then loads the
kernels in a fresh process and compares: the same check as compiling into an
empty cache twice, at the cost of a load.  The stamp covers every source file
of the package, not only the kernels' (a family's results also depend on the
Python code around its kernels): a record made from other sources is not
used, and a family missing from it is compiled by the test itself.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import pickle
import sys

RECORD = "warmup_bits.pickle"


def stamp() -> str:
    """A hash of everything the results are computed from: every source file of the
    package (the kernels' and the Python code around them), the Numba and Python
    versions."""
    import numba

    import fastlstm

    package = pathlib.Path(fastlstm.__file__).parent
    digest = hashlib.sha256(repr((numba.__version__, sys.version)).encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _path() -> pathlib.Path | None:
    from fastlstm import _config

    return None if _config.CACHE_DIR is None else pathlib.Path(_config.CACHE_DIR) / RECORD


def _record() -> dict:
    try:
        with open(_path(), "rb") as handle:
            return pickle.load(handle)
    except (OSError, TypeError, EOFError, pickle.UnpicklingError):
        return {}


def load() -> dict:
    """``{family: results}`` recorded for today's sources (empty if none)."""
    record = _record()
    return record["families"] if record.get("stamp") == stamp() else {}


def warm_up_and_record(processes: int = 2) -> None:
    """Compile every family into the cache; record the results of those compiled here."""
    from fastlstm.compiling import WARMUPS, all_cached, run_warmups

    if all_cached() and set(load()) == set(WARMUPS):
        return  # every family cached, and their results recorded: nothing to do
    done = run_warmups(processes=processes)
    add({family: results for family, (kernels, results) in done.items() if kernels})


def add(results: dict) -> None:
    """Add ``{family: results}`` of processes that compiled those families from
    today's sources to the record."""
    path = _path()
    if path is None or not results:
        return
    families = {**load(), **results}
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        pickle.dump({"stamp": stamp(), "families": families}, handle)
    os.replace(temporary, path)  # readers see the old record or the new one, whole
