"""``sweep(..., backend="dask")``: chunks of the table on Dask workers.

Every task runs ``sweep.run_chunk``, the very kernel the threaded backend
calls, on one chunk of the parameter table (STUMPY's ``stumped`` pattern);
the input plan goes to every worker once.  A cell's numbers do not depend on
its chunk, so the result equals ``backend="numba"`` bit for bit.

At most a few chunks per worker are in flight, so neither this process nor
the cluster holds more than a bounded part of the table beyond the outputs.
Compiled kernels are cached on disk, so workers on this machine load them
instead of compiling.
"""

from __future__ import annotations

import os

__all__ = ["run_chunks"]

#: Chunks in flight per worker.
IN_FLIGHT = 2


def _task(key, p, scalars, plan, record, dtype):
    """One chunk, on a worker: allocate its outputs, run the kernel, return them."""
    from .sweep import kernel_outputs, run_chunk

    B, T = plan.shape
    outputs = kernel_outputs(p.shape[0], B, T, record, dtype)
    run_chunk(key, p, scalars, plan, outputs)
    return outputs


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


def run_chunks(client, key, values, scalars, plan, spec, outputs, chunks_for, done):
    """Fill ``outputs`` (the kernel's, for the whole table) chunk by chunk on Dask.

    ``spec`` is ``(record, dtype)`` for ``kernel_outputs``;
    ``chunks_for(n_workers)`` gives the (start, stop) ranges; ``done(start,
    stop)`` is called as each one arrives.  On any exception (Ctrl-C
    included) the pending tasks are cancelled, and a cluster started here is
    closed, before it propagates.
    """
    from distributed import as_completed

    client, close = _connect(client)
    spans = {}
    try:
        workers = max(1, len(client.nthreads()))
        chunks = iter(chunks_for(workers))
        plan_f = client.scatter(plan, broadcast=True, hash=False)

        def submit():
            start, stop = next(chunks)
            part = client.scatter(values[start:stop], hash=False)
            fut = client.submit(_task, key, part, scalars, plan_f, *spec, pure=False)
            spans[fut.key] = (fut, start, stop)
            return fut

        queue = as_completed()
        for _ in range(IN_FLIGHT * workers):
            try:
                queue.add(submit())
            except StopIteration:
                break
        for fut in queue:
            _, start, stop = spans.pop(fut.key)
            for whole, part in zip(outputs, fut.result()):
                if whole.shape[0]:
                    whole[start:stop] = part
            done(start, stop)
            try:
                queue.add(submit())
            except StopIteration:
                pass
    except BaseException:
        client.cancel([fut for fut, _, _ in spans.values()])
        raise
    finally:
        if close is not None:
            close()
