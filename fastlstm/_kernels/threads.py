"""Threads over independent work (cells, sequences) for the serial kernels.

Why not ``numba.prange``: Numba compiles a parallel loop's body into a
gufunc library of its own and links a second copy into the kernel, and the
two copies went through LLVM's optimiser a different number of times.  They
may contract multiply-adds differently, and which copy runs depended on
whether the kernel was compiled in this process (the gufunc's own copy) or
loaded from the on-disk cache (the linked copy): the Lyapunov kernels gave
other bits in the second process than in the first.  A serial kernel has
one machine code, the one written to the cache.  The parallel-loop passes
also made up much of the compile time.

So every kernel that spreads work is serial, takes the span of its work it
should do (``start``, ``stop``, in blocks, sequences or cells) and releases
the GIL (``nogil``); ``spread`` calls it on contiguous spans from a pool of
threads.  A unit's numbers never depend on its span.  The thread count is
Numba's, ``NUMBA_NUM_THREADS`` (by default the number of cores).  (The
compiled machine's table walk, ``machine``, keeps ``prange``: it copies
values and computes none, so no copy of it can round differently.)
"""

from __future__ import annotations

import concurrent.futures
import threading

import numba

#: Spans per thread: a few, so that a thread slowed by other load does not hold up the rest.
SPANS_PER_THREAD = 4

_pool = None
_pool_lock = threading.Lock()


def thread_count() -> int:
    """The threads a kernel call may use: ``NUMBA_NUM_THREADS`` (default: the cores)."""
    return max(1, int(numba.config.NUMBA_NUM_THREADS))


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = concurrent.futures.ThreadPoolExecutor(thread_count(),
                                                          thread_name_prefix="fastlstm")
        return _pool


def spans(n: int, parts: int) -> list[tuple[int, int]]:
    """``range(n)`` cut into at most ``parts`` contiguous, nearly equal spans.

    >>> spans(10, 3)
    [(0, 3), (3, 6), (6, 10)]
    >>> spans(2, 8)
    [(0, 1), (1, 2)]
    """
    parts = max(1, min(parts, n))
    return [(n * k // parts, n * (k + 1) // parts) for k in range(parts)]


def spread(n: int, work) -> None:
    """Call ``work(start, stop)`` over spans covering ``range(n)``, on threads.

    With one thread, or one unit of work, ``work(0, n)`` runs in the calling
    thread.  An exception in any span is raised here, after every span has
    ended (so no thread is still writing into the caller's arrays); on
    Ctrl-C the spans not yet started are dropped.
    """
    threads = thread_count()
    if threads == 1 or n <= 1:
        if n > 0:
            work(0, n)
        return
    futures = [_executor().submit(work, start, stop)
               for start, stop in spans(n, threads * SPANS_PER_THREAD)]
    try:
        concurrent.futures.wait(futures)
    except BaseException:  # Ctrl-C: drop the spans not started, let the others end
        for future in futures:
            future.cancel()
        concurrent.futures.wait(futures)
        raise
    for future in futures:
        future.result()


def spread_kernel(kernel, n: int, *args) -> None:
    """``kernel(start, stop, *args)`` over spans covering ``range(n)``, on threads (``spread``)."""
    spread(n, lambda start, stop: kernel(start, stop, *args))
