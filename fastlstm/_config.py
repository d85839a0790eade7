"""Numba options, defined once and read by every decorator in the package.

Why these values:

* ``cache=True``: compiled kernels are written to disk, so a second process
  loads them instead of recompiling (see "The kernel cache" below).
* ``FASTMATH``: only flags that keep NaN, inf and the sign of zero meaningful.
  ``nnan``/``ninf`` would let LLVM delete our non-finite handling and ``nsz``
  would break ``round_half_to_zero`` (which keeps the sign of zero).
  ``contract`` allows fused multiply-add, ``arcp`` allows x/y -> x*(1/y);
  both change results by at most an ulp or so per operation.
* ``error_model="numpy"``: division by zero gives inf/nan as in numpy
  instead of a Python exception; without it every division in a step carries
  a test and a branch (our divisors are >= 1, so no result changes).
* ``PARALLEL``: threads are used across independent work (sequences,
  parameter sets), never across time steps.

The kernel cache
----------------
Numba keys a cached kernel on the file that defines it, but a kernel also
compiles the code it inlines from other files (the activations, the step):
an edit there, or an upgrade of fastlstm, would leave a stale kernel in use.
So fastlstm's kernels use their own cache locator.  A kernel's stamp is a
hash of the fastlstm version, this file, the file that defines the kernel and
every ``_kernels`` module that file imports, directly or not (read from its
``from .module import`` and ``from . import module`` lines): any change there
compiles afresh, while an edit of an unrelated kernel module leaves it cached.
The stamps live in one folder, ``kernels/``; a kernel whose stamp changed is
overwritten in place.
Where the folder goes, first writable of:

1. ``$FASTLSTM_CACHE_DIR``;
2. ``$NUMBA_CACHE_DIR``/fastlstm;
3. ``fastlstm/_kernels/__pycache__`` (next to the sources);
4. the user's cache directory (``~/.cache/fastlstm`` on Linux).

Several processes may share the folder (Dask workers, test workers): each
save holds a lock on ``kernels/.lock`` (see ``_save_entry``).

If none is writable (a read-only install with no writable home), kernels
are compiled in every process, with one warning.  ``FASTLSTM_NO_CACHE=1``
turns the cache off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import pathlib
import re
import tempfile
import warnings

from numba.core import caching

try:
    import fcntl
except ImportError:  # Windows: no lock (see _save_entry)
    fcntl = None

FASTMATH = frozenset({"contract", "arcp"})

_KERNELS = pathlib.Path(__file__).resolve().parent / "_kernels"


def _version() -> str:
    """The installed distribution's version (pyproject.toml); also ``fastlstm.__version__``."""
    from importlib import metadata

    try:
        return metadata.version("fastlstm")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


VERSION = _version()


#: A kernel module's imports of sibling kernel modules: "from .lanes import ..."
#: (group 1) or "from . import transitions, lanes as ln" (group 2).
_SIBLING_IMPORT = re.compile(r"^from \.(?:(\w+) import|\s+import\s+(.+)$)", re.MULTILINE)


def _sibling_imports(source: str) -> list[str]:
    """The names of the sibling kernel modules that ``source`` imports."""
    names = []
    for module, modules in _SIBLING_IMPORT.findall(source):
        names += [module] if module else [m.split(" as ")[0].strip() for m in modules.split(",")]
    return names


@functools.lru_cache(maxsize=None)
def _kernel_modules(py_file: str) -> tuple[pathlib.Path, ...]:
    """``py_file`` and every ``_kernels`` module it imports, directly or not, sorted."""
    seen, todo = set(), [pathlib.Path(py_file).resolve()]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        todo += [_KERNELS / f"{name}.py" for name in _sibling_imports(path.read_text())]
    return tuple(sorted(seen))


def _stamp(py_file: str) -> str:
    """A hash of everything the kernels of ``py_file`` compile from, and of the version."""
    digest = hashlib.sha256(VERSION.encode())
    for path in _kernel_modules(py_file) + (pathlib.Path(__file__).resolve(),):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


#: The stamps of every kernel module, read once, when the package is imported:
#: the sources the kernels are compiled from are the ones imported then, and a
#: file edited later must not lend its stamp to code compiled from the old one.
_STAMPS = {str(path): _stamp(str(path)) for path in sorted(_KERNELS.glob("*.py"))}


def source_stamp(py_file: str) -> str:
    """The cache stamp of the kernels defined in ``py_file`` (see "The kernel cache")."""
    path = str(pathlib.Path(py_file).resolve())
    return _STAMPS[path] if path in _STAMPS else _stamp(path)


def _writable(folder: pathlib.Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
        return True
    except OSError:
        return False


def _cache_dir(tag: str) -> pathlib.Path | None:
    """The first writable cache folder of the module docstring, or None.

    Every candidate is made absolute here, at import: a relative
    ``$FASTLSTM_CACHE_DIR`` is relative to the working directory of that
    moment, not of a later ``os.chdir``.  A folder named by an environment
    variable that cannot be written is skipped with a warning naming the
    variable and the folder.
    """
    from numba.misc.appdirs import AppDirs

    candidates = []
    for var, sub in (("FASTLSTM_CACHE_DIR", ""), ("NUMBA_CACHE_DIR", "fastlstm")):
        if os.environ.get(var):
            candidates.append((var, pathlib.Path(os.environ[var]) / sub))
    user_cache = AppDirs(appname="fastlstm", appauthor=False).user_cache_dir
    candidates += [(None, _KERNELS / "__pycache__"), (None, pathlib.Path(user_cache))]
    for var, root in candidates:
        folder = pathlib.Path(os.path.abspath(root / tag))
        if _writable(folder):
            return folder
        if var is not None:
            warnings.warn(f"fastlstm: {var}={os.environ[var]} is not usable for the "
                          f"compiled-kernel cache (cannot write to {folder}); trying the next "
                          f"folder", RuntimeWarning, stacklevel=2)
    return None


class _KernelCacheLocator(caching.InTreeCacheLocator):
    """Numba cache locator for fastlstm's kernels: one folder, a stamp per defining file.

    Other code's functions are left to Numba's own locators (``from_function``
    returns None for them).
    """

    def __init__(self, py_func, py_file):
        super().__init__(py_func, py_file)
        self._cache_path = str(CACHE_DIR)
        self._stamp = source_stamp(str(py_file))

    def get_source_stamp(self):
        return self._stamp

    @classmethod
    def from_function(cls, py_func, py_file):
        if CACHE_DIR is None or not pathlib.Path(py_file).resolve().is_relative_to(_KERNELS):
            return None
        return cls(py_func, py_file)


def _save_entry(cache_file, key, data):
    """``IndexDataCacheFile.save`` made safe for several processes sharing the folder.

    Numba's own save reads the index, picks the first free data-file name,
    writes the index and then the data, with no lock: two processes saving
    different signatures of one kernel at once both pick the same name, and
    one's machine code is filed under the other's signature.  A reader may
    also follow a fresh index entry to an older data file of that name.  Here
    the whole update holds an exclusive lock on a file in the cache folder,
    and the data is written before the index that points to it (each write
    is Numba's temp-file-and-rename, so readers need no lock).  Without
    ``fcntl`` (Windows) the lock is skipped.
    """
    with _folder_lock(cache_file._cache_path):
        overloads = cache_file._load_index()
        data_name = overloads.get(key)
        if data_name is None:
            taken = set(overloads.values())
            data_name = next(name for name in map(cache_file._data_name, itertools.count(1))
                             if name not in taken)
        cache_file._save_data(data_name, data)
        if overloads.get(key) != data_name:
            overloads[key] = data_name
            cache_file._save_index(overloads)


@contextlib.contextmanager
def _folder_lock(folder):
    if fcntl is None:
        yield
        return
    with open(os.path.join(folder, ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_numba_save = caching.IndexDataCacheFile.save


def _save(cache_file, key, data):
    """Numba's cache-file save, through ``_save_entry`` in fastlstm's folder."""
    if CACHE_DIR is not None and cache_file._cache_path == str(CACHE_DIR):
        return _save_entry(cache_file, key, data)
    return _numba_save(cache_file, key, data)


CACHE_DIR = None
CACHE = os.environ.get("FASTLSTM_NO_CACHE", "") in ("", "0")
if CACHE:
    CACHE_DIR = _cache_dir("kernels")
    if CACHE_DIR is None:
        CACHE = False
        warnings.warn("fastlstm: no writable folder for the compiled-kernel cache (set "
                      "FASTLSTM_CACHE_DIR to one); kernels are compiled in every process",
                      RuntimeWarning, stacklevel=2)
    elif _KernelCacheLocator not in caching.CacheImpl._locator_classes:
        caching.CacheImpl._locator_classes.insert(0, _KernelCacheLocator)
        caching.IndexDataCacheFile.save = _save

#: Options for kernels and for the small functions they call.  LLVM inlines a
#: small callee (an activation, an interval operation) into its caller's loops
#: and vectorises it there.
JIT = dict(nogil=True, cache=CACHE, fastmath=set(FASTMATH), error_model="numpy")
#: Options for kernels that spread independent work over threads.
PARALLEL_JIT = dict(JIT, parallel=True)
#: Numba-level inlining.  A kernel must not *call* a compiled function that
#: LLVM leaves as a call: the process that compiled the kernel runs the
#: callee's own, separately optimised machine code, while a process that
#: loads the kernel from the cache runs the copy linked into it, and the two
#: can differ in their roundings (tests/kernels/test_cache_bits.py).  So
#: what a kernel's loops call is either small (LLVM inlines it), inlined here
#: (a step, its Jacobian, a sequence), or written in the kernel itself (the
#: sweep and Lyapunov blocks).  Numba's inlining costs compile time that grows
#: with the square of the callee's size (it copies the callee's whole scope
#: once per block and re-inlines nested inlined callees at every site): never
#: for the activations, whose ordinary calls cut every family's cold compile
#: 2.5-4.5x with the same bits and speed.
INLINE_JIT = dict(JIT, inline="always")
