"""The session warm-up's results, kept so that tests need not compile every kernel again.

``conftest.py`` compiles every kernel family into the shared cache before the
tests start (``fastlstm.compiling.run_warmups``, worker processes).  For each
family that warm-up compiled, it writes the results the compiling process got
to ``warmup_bits.pickle`` in the cache folder, with a stamp of the sources
they were compiled from.  ``tests/kernels/test_cache_bits.py`` then loads the
kernels in a fresh process and compares: the same check as compiling into an
empty cache twice, at the cost of a load.  A record made from other sources
(another stamp) is not used, and a family missing from it is compiled by the
test itself; the warm-up carries a family's old results over when it finds
all that family's kernels cached (its sources unchanged).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import pickle
import sys

RECORD = "warmup_bits.pickle"


def stamp() -> str:
    """A hash of everything the kernels are compiled from: the sources' stamps, the
    fastlstm, Numba and Python versions."""
    import numba

    from fastlstm import _config

    text = repr((sorted(_config._STAMPS.items()), _config.VERSION, numba.__version__,
                 sys.version))
    return hashlib.sha256(text.encode()).hexdigest()


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
    path = _path()
    if path is None:
        return
    # A family whose kernels all loaded runs the code it was compiled from before,
    # so the results recorded then (under older sources: another module changed)
    # still come from a compiling process; a family that compiled records anew.
    before = _record().get("families", {})
    families = {family: before[family] for family, (kernels, _) in done.items()
                if not kernels and family in before}
    families.update({family: results for family, (kernels, results) in done.items() if kernels})
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        pickle.dump({"stamp": stamp(), "families": families}, handle)
    os.replace(temporary, path)  # readers see the old record or the new one, whole
