"""``sweep(..., backend="dask")``: chunks of the table on Dask workers.

Every task runs ``Kernel.run`` of ``chunks``, the very kernel the threaded
backend calls, on one chunk of the parameter table (STUMPY's ``stumped``
pattern); the input plan goes to every worker once.  A cell's numbers do not
depend on its chunk, so the result equals ``backend="numba"`` bit for bit.

At most a few chunks per worker are in flight, so neither this process nor
the cluster holds more than a bounded part of the table beyond the outputs.
Compiled kernels are cached on disk, so workers on this machine load them
instead of compiling.  A worker imports ``chunks`` (and the kernels) only.
"""

from __future__ import annotations

import os

from .chunks import Work

__all__ = ["run"]

#: Chunks in flight per worker.
IN_FLIGHT = 2


def sweep_chunk(kernel, p, plan):
    """One chunk, on a worker: run ``kernel`` on the cells ``p``; return its outputs."""
    return kernel.run(p, plan)


def _connect(client):
    """The client to use and a closer for what this call started (or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("backend='dask' needs dask.distributed: pip install 'fastlstm[dask]'") \
            from None
    if client is not None:
        if not isinstance(client, Client):
            raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
        return client, None
    cluster = LocalCluster(n_workers=max(1, min(os.cpu_count() or 1, 4)), threads_per_worker=1,
                           processes=True, dashboard_address=":0")
    own = Client(cluster)

    def close():
        own.close()
        cluster.close()

    return own, close


def run(work: Work, client=None):
    """Run ``work`` on the workers of ``client``; yield each chunk's (start, stop)
    once its rows are in ``work.outputs``.

    ``client`` is a ``distributed.Client``; None starts a ``LocalCluster``,
    closed when the generator ends.  On any exception (Ctrl-C included), or
    when the generator is closed early, the pending tasks are cancelled, and
    a cluster started here is closed.
    """
    from distributed import as_completed

    client, close = _connect(client)
    pending = {}
    try:
        workers = max(1, len(client.nthreads()))
        spans = work.spans(workers)
        plan = client.scatter(work.plan, broadcast=True, hash=False)

        def submit():
            start, stop = next(spans)
            part = client.scatter(work.values[start:stop], hash=False)
            fut = client.submit(sweep_chunk, work.kernel, part, plan, pure=False)
            pending[fut.key] = (fut, start, stop)
            return fut

        queue = as_completed()
        for _ in range(IN_FLIGHT * workers):
            try:
                queue.add(submit())
            except StopIteration:
                break
        for fut in queue:
            _, start, stop = pending.pop(fut.key)
            work.fill(start, stop, fut.result())
            yield start, stop
            try:
                queue.add(submit())
            except StopIteration:
                pass
    except BaseException:  # GeneratorExit included: closed before the end
        client.cancel([fut for fut, _, _ in pending.values()])
        raise
    finally:
        if close is not None:
            close()
