"""Large result arrays in memory that earlier results have given back.

Why: the first write to new memory costs a page fault, and the operating
system zeroes every page it hands out.  For a result of 10^7 steps (h and c,
160 MB) that is as long as the whole table walk of a compiled machine
(docs/bench.md, "The compiled machine").  So the memory of a large result the
caller has dropped is kept here, up to a limit, and the next large result of
the same size or a little smaller is written into it: no faults, no zeroing.

What the caller sees does not change: every array is new to the caller and
owned by nobody else.  A block of memory is handed out again only when no
array, view or buffer of it is left anywhere (its reference count says so);
blocks above the limit are not kept, so they return to the system when
dropped, as NumPy's own would.  Results smaller than ``MIN_BYTES`` come from
``numpy.empty`` as always (the C allocator recycles those itself).

The memory kept is at most ``limit()`` bytes: a sixteenth of the physical
memory, at most 1 GiB, unless the environment variable
``FASTLSTM_KEEP_MEMORY`` gives another number of bytes (0 turns keeping off;
it is off on free-threaded Python builds).
Enough for two results in turn: a loop ``for x in xs: tr = m.trajectory(x)``
still holds the previous ``tr`` while the next is computed.  ``release()``
gives the kept blocks no result uses back to the system.

Examples
--------
>>> import numpy as np
>>> from fastlstm import memory
>>> _ = memory.release()                          # no idle block from earlier work
>>> a, _ = memory.empty((memory.MIN_BYTES // 8,))   # 4 MiB of float64
>>> address = a.ctypes.data
>>> b, recycled = memory.empty(a.shape)           # a is alive: other memory
>>> b.ctypes.data != address, recycled
(True, False)
>>> del a
>>> c, recycled = memory.empty(b.shape)           # a's memory, given back
>>> c.ctypes.data == address, recycled
(True, True)
>>> del b, c
>>> memory.release() >= 2 * memory.MIN_BYTES
True
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading

import numpy as np

__all__ = ["MIN_BYTES", "empty", "kept_bytes", "limit", "paused", "release"]

#: Results from this size on are recycled.  Smaller blocks glibc's malloc recycles itself
#: and their faults cost little; from here on it maps new pages for each result (or trims
#: the freed ones): fl.run of 10^6 steps (h and c 8 MB each) 49.5 -> 47.2 ms recycled.
MIN_BYTES = 4 << 20
#: A kept block serves a result of at least this fraction of its size (so a small result
#: does not hold a much larger block).
_FILL = 0.5


def _default_limit() -> int:
    """A sixteenth of the physical memory, at most 1 GiB (512 MiB where it is unknown)."""
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 512 << 20
    return min(1 << 30, physical // 16)


def _limit_from_environment() -> int:
    text = os.environ.get("FASTLSTM_KEEP_MEMORY", "").strip()
    if not text:
        return _default_limit()
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f"FASTLSTM_KEEP_MEMORY must be a number of bytes >= 0, got {text!r}")
    return value


_lock = threading.Lock()
_blocks: list[np.ndarray] = []   # uint8; a block is idle when nothing but this list holds it
# Free-threaded CPython defers reference counts: "nothing else holds it" cannot be read off
# them there, so nothing is recycled.
_limit = _limit_from_environment() if getattr(sys, "_is_gil_enabled", lambda: True)() else 0
_pauses = 0   # > 0: inside ``paused()`` (in any thread)


def _count_of_an_idle_block() -> int:
    """``sys.getrefcount`` of a list item nothing else holds (2 on CPython up to 3.13; the
    interpreter's own stack references may change it, so it is measured, not assumed)."""
    probe = [np.empty(1, np.uint8)]
    return sys.getrefcount(probe[0])


_IDLE_COUNT = _count_of_an_idle_block()


def _idle(i: int) -> bool:
    """No array, view or buffer of ``_blocks[i]`` is left outside this module."""
    return sys.getrefcount(_blocks[i]) == _IDLE_COUNT


def _drop_idle(allowed: int) -> None:
    """Drop idle blocks, largest first, until at most ``allowed`` bytes are kept (or none
    is idle).  Call with the lock held."""
    while sum(b.nbytes for b in _blocks) > allowed:
        idle = [i for i in range(len(_blocks)) if _idle(i)]
        if not idle:
            return
        del _blocks[max(idle, key=lambda i: _blocks[i].nbytes)]


def empty(shape, dtype=np.float64) -> tuple[np.ndarray, bool]:
    """An uninitialised C-contiguous array, like ``numpy.empty``, in recycled memory if
    there is some.

    For a caller that writes every element, as the kernels do.

    Parameters
    ----------
    shape : int or tuple of int
    dtype : data-type, default float64

    Returns
    -------
    array : numpy.ndarray
        New to the caller: no other live array shares its memory.
    recycled : bool
        Whether its memory was an earlier result's (already faulted in:
        writing it costs no page faults).

    Examples
    --------
    >>> from fastlstm import memory
    >>> a, recycled = memory.empty((2, 3))      # small: numpy.empty
    >>> a.shape, a.dtype, recycled
    ((2, 3), dtype('float64'), False)
    """
    dtype = np.dtype(dtype)
    shape = tuple(int(s) for s in np.atleast_1d(shape))
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES or _limit == 0 or _pauses:
        return np.empty(shape, dtype), False
    with _lock:
        fits = [i for i in range(len(_blocks))
                if _FILL * _blocks[i].nbytes <= nbytes <= _blocks[i].nbytes and _idle(i)]
        if fits:
            block = _blocks[min(fits, key=lambda i: _blocks[i].nbytes)]
            return block[:nbytes].view(dtype).reshape(shape), True
        # None fits: a new block, kept if the limit leaves room once idle ones are dropped
        _drop_idle(_limit - nbytes)
        block = np.empty(nbytes, np.uint8)
        if sum(b.nbytes for b in _blocks) + nbytes <= _limit:
            _blocks.append(block)
        return block.view(dtype).reshape(shape), False


def kept_bytes() -> int:
    """Bytes of memory kept here, whether a result uses them now or not.

    Examples
    --------
    >>> from fastlstm import memory
    >>> _ = memory.release()
    >>> a, _ = memory.empty(memory.MIN_BYTES // 8)
    >>> memory.kept_bytes() >= memory.MIN_BYTES  # a's block, tracked while a lives
    True
    """
    with _lock:
        return sum(b.nbytes for b in _blocks)


def release() -> int:
    """Give the kept blocks no result uses back to the system.

    Blocks still in use stay tracked and are kept once dropped (if the limit
    allows).

    Returns
    -------
    int
        The bytes given back.

    Examples
    --------
    >>> from fastlstm import memory
    >>> a, _ = memory.empty(memory.MIN_BYTES // 8)
    >>> del a
    >>> memory.release() >= memory.MIN_BYTES
    True
    """
    with _lock:
        before = sum(b.nbytes for b in _blocks)
        _drop_idle(0)
        return before - sum(b.nbytes for b in _blocks)


@contextlib.contextmanager
def paused():
    """Within the block, results come from ``numpy.empty`` (fresh pages, as on a first
    call); the kept blocks stay kept.  Process-wide: it pauses recycling in every thread.

    Examples
    --------
    >>> from fastlstm import memory
    >>> a, _ = memory.empty(memory.MIN_BYTES // 8)
    >>> del a                                     # an idle block, kept
    >>> with memory.paused():
    ...     memory.empty(memory.MIN_BYTES // 8)[1]
    False
    >>> memory.empty(memory.MIN_BYTES // 8)[1]
    True
    """
    global _pauses
    with _lock:
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1


def limit(nbytes: int | None = None) -> int:
    """The most memory kept for recycling, in bytes; with ``nbytes``, set it first.

    Setting it lower drops the kept blocks no result uses until the rest
    fits; 0 turns recycling off (every result then comes from ``numpy.empty``).

    Parameters
    ----------
    nbytes : int >= 0, optional
        The new limit; None only reads it.

    Returns
    -------
    int
        The limit now.

    Examples
    --------
    >>> from fastlstm import memory
    >>> old = memory.limit()
    >>> memory.limit(0)
    0
    >>> memory.empty(memory.MIN_BYTES // 8)[1]        # never recycled now
    False
    >>> memory.limit(-1)
    Traceback (most recent call last):
    ...
    ValueError: nbytes must be an integer >= 0, got -1
    >>> _ = memory.limit(old)
    """
    global _limit
    if nbytes is not None:
        if isinstance(nbytes, bool) or not isinstance(nbytes, (int, np.integer)) or nbytes < 0:
            raise ValueError(f"nbytes must be an integer >= 0, got {nbytes!r}")
        with _lock:
            _limit = int(nbytes)
            _drop_idle(_limit)
    return _limit
