"""``sweep(..., backend="dask")``: chunks of the table on Dask workers.

Every task runs ``Kernel.run`` of ``chunks``, the very kernel the threaded
backend calls, on one chunk of the parameter table (STUMPY's ``stumped``
pattern); the input plan goes to every worker once.  A cell's numbers do not
depend on its chunk, so the result equals ``backend="numba"`` bit for bit.

At most a few chunks per worker are in flight, so neither this process nor
the cluster holds more than a bounded part of the table beyond the outputs.
Compiled kernels are cached on disk, so workers on this machine load them
instead of compiling.  A worker imports ``chunks`` (and the kernels) only.

Losing a worker loses nothing: a chunk travels inside its task (it is not
scattered to one worker), so the scheduler runs the tasks of a dead worker
again on the others, and the plan is on every worker.  Should the plan be
lost all the same (every worker gone at once), it is sent again and the
chunks that needed it are submitted again, up to ``RETRIES`` times each.
"""

from __future__ import annotations

import os
from concurrent.futures import CancelledError

from .chunks import Work

__all__ = ["run", "check_client"]

#: Chunks in flight per worker.
IN_FLIGHT = 2

#: Times a chunk whose task was cancelled (its data lost with a worker) is submitted again.
RETRIES = 3

#: Largest default chunk, in bytes of the table: a chunk travels inside its task.
CHUNK_BYTES = 2**23


def sweep_chunk(kernel, p, plan):
    """One chunk, on a worker: run ``kernel`` on the cells ``p``; return its outputs."""
    return kernel.run(p, plan)


def check_client(client):
    """ImportError without dask.distributed; TypeError unless ``client`` is None or a
    ``distributed.Client``."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("backend='dask' needs dask.distributed: pip install 'fastlstm[dask]'") \
            from None
    if client is not None and not isinstance(client, Client):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")


def _connect(client):
    """The client to use and a closer for what this call started (or None)."""
    check_client(client)
    if client is not None:
        return client, None
    from distributed import Client, LocalCluster

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
    closed when the generator ends.  A worker that dies costs the time of its
    chunks, which run again elsewhere.  On any exception (Ctrl-C included),
    or when the generator is closed early, the pending tasks are cancelled,
    and a cluster started here is closed.
    """
    from distributed import as_completed

    client, close = _connect(client)
    pending = {}
    try:
        workers = max(1, len(client.nthreads()))
        spans = work.spans(workers, max_bytes=CHUNK_BYTES)
        plan = [client.scatter(work.plan, broadcast=True, hash=False)]
        queue = as_completed()
        tries = {}

        def submit(start, stop):
            # The chunk itself, not a future of it: the scheduler keeps it with the task,
            # so the task can run again when its worker dies.
            fut = client.submit(sweep_chunk, work.kernel, work.values[start:stop], plan[0],
                                pure=False)
            pending[fut.key] = (fut, start, stop)
            queue.add(fut)

        def submit_next():
            for start, stop in spans:
                submit(start, stop)
                return

        for _ in range(IN_FLIGHT * workers):
            submit_next()
        for fut in queue:
            _, start, stop = pending.pop(fut.key)
            try:
                outputs = fut.result()
            except CancelledError:  # what it needed went with a worker: submit it again
                tries[start] = tries.get(start, 0) + 1
                if tries[start] > RETRIES:
                    raise
                if plan[0].status != "finished":
                    plan[0] = client.scatter(work.plan, broadcast=True, hash=False)
                submit(start, stop)
                continue
            work.fill(start, stop, outputs)
            yield start, stop
            submit_next()
    except BaseException:  # GeneratorExit included: closed before the end
        client.cancel([fut for fut, _, _ in pending.values()])
        raise
    finally:
        if close is not None:
            close()
