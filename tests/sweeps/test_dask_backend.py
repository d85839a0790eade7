"""fastlstm.sweeps.dask_backend: sweep(backend="dask") on a LocalCluster of two
worker processes gives the same numbers as backend="numba", bit for bit, also when
workers die during the sweep; a chunk that fails keeps the finished rows."""

import os
import signal

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.sweeps import SweepFailed
from tests.lazy import Peer

distributed = Peer("distributed", reason="Dask is not installed (pip install 'fastlstm[dask]')")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=":0")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def work():
    X = fl.binary_strings(6)
    return fl.random_params(300, -5, 5, seed=11), X, fl.parity_target(X)


@pytest.mark.parametrize("record", ["final", "trajectory", "rounded"])
@pytest.mark.parametrize("sem", [dict(), dict(activation="saturated", round_feedback=True)])
def test_dask_equals_numba_bit_for_bit(client, work, record, sem):
    P, X, target = work
    local = fl.sweep(P, X, record=record, target=target, **sem)
    # a chunk size that is no multiple of the numba chunks, and 5 chunks for 2 workers
    remote = fl.sweep(P, X, record=record, target=target, backend="dask", client=client,
                      chunk_size=70, **sem)
    for name in ("h", "c", "rounded", "accuracy"):
        a, b = getattr(local, name), getattr(remote, name)
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)


def test_dask_float32_and_one_sequence(client, work):
    P, X, _ = work
    local = fl.sweep(P, X[5], dtype="float32", h0=0.5)
    remote = fl.sweep(P, X[5], dtype="float32", h0=0.5, backend="dask", client=client)
    assert remote.h.shape == (300,) and remote.h.dtype == np.float32
    np.testing.assert_array_equal(local.h, remote.h)
    np.testing.assert_array_equal(local.c, remote.c)


def test_dask_progress_and_interrupt(client, work):
    P, X, target = work
    seen = []
    fl.sweep(P, X, target=target, backend="dask", client=client, chunk_size=64,
             progress=lambda done, total: seen.append((done, total)))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1] == (300, 300)

    def stop(done, total):
        raise KeyboardInterrupt

    with pytest.raises(fl.SweepInterrupted) as err:
        fl.sweep(P, X, target=target, backend="dask", client=client, chunk_size=64,
                 progress=stop)
    completed = err.value.completed
    assert 64 <= completed.sum() < 300
    full = fl.sweep(P, X, target=target)
    np.testing.assert_array_equal(err.value.result.accuracy[completed], full.accuracy[completed])
    # the client is still usable: pending chunks were cancelled, not left running
    again = fl.sweep(P.values[:10], X, backend="dask", client=client)
    np.testing.assert_array_equal(again.h, fl.sweep(P.values[:10], X).h)


def test_client_must_be_a_client(work):
    P, X, _ = work
    with pytest.raises(TypeError, match="distributed.Client"):
        fl.sweep(P, X, backend="dask", client="tcp://127.0.0.1:8786")


def test_without_a_client_a_local_cluster_is_started_and_closed(work):
    P, X, target = work
    before = set(distributed.Client._instances) if hasattr(distributed.Client, "_instances") \
        else set()
    remote = fl.sweep(P.values[:100], X, target=target, backend="dask")
    np.testing.assert_array_equal(remote.accuracy, fl.sweep(P.values[:100], X,
                                                            target=target).accuracy)
    after = {c for c in getattr(distributed.Client, "_instances", ()) if c.status == "running"}
    assert after <= before  # nothing left running


# --- failures: a chunk that fails, workers that die ---------------------------------
# (last in this module: the killed workers are restarted by their nannies)

MARK = 12345.0  # W_fh of the rows whose chunk fails


def _fail_marked_chunks(on):
    """On a worker: make Kernel.run fail on chunks with a marked row (on=False: undo)."""
    from fastlstm.sweeps import chunks

    original = getattr(chunks.Kernel, "_unmarked_run", chunks.Kernel.run)
    chunks.Kernel._unmarked_run = original

    def run(self, p, plan, outputs=None):
        if (p[:, 0] == MARK).any():
            raise ValueError("a chunk that fails")
        return original(self, p, plan, outputs)

    chunks.Kernel.run = run if on else original


def test_a_failing_chunk_keeps_the_finished_rows(client, work):
    P, X, target = work
    P = P.values.copy()
    P[256:, 0] = MARK                               # the last of 5 chunks of 64 fails
    client.run(_fail_marked_chunks, True)
    try:
        with pytest.raises(SweepFailed) as err:
            fl.sweep(P, X, target=target, backend="dask", client=client, chunk_size=64)
    finally:
        client.run(_fail_marked_chunks, False)
    assert isinstance(err.value.__cause__, ValueError)
    assert "a chunk that fails" in str(err.value)
    completed = err.value.completed
    assert not completed[256:].any() and completed.sum() <= 256
    full = fl.sweep(P, X, target=target)
    np.testing.assert_array_equal(err.value.result.accuracy[completed], full.accuracy[completed])
    np.testing.assert_array_equal(err.value.result.h[completed], full.h[completed])


def _killer(client, everyone):
    """A progress callback that kills one worker process (or all) after the first chunk."""
    killed = []

    def progress(done, total):
        if not killed:
            pids = sorted(client.run(os.getpid).items())
            for address, pid in pids if everyone else pids[:1]:
                os.kill(pid, signal.SIGKILL)
                killed.append(address)

    return progress, killed


@pytest.mark.parametrize("everyone", [False, True], ids=["one worker", "every worker"])
def test_a_dead_worker_loses_nothing(client, everyone):
    # Every worker dead at once loses the plan too: it is sent again.
    X = fl.binary_strings(6)
    target = fl.parity_target(X)
    P = fl.random_params(1000, -5, 5, seed=12)
    progress, killed = _killer(client, everyone)
    remote = fl.sweep(P, X, target=target, backend="dask", client=client, chunk_size=64,
                      progress=progress)
    assert len(killed) == (2 if everyone else 1)
    local = fl.sweep(P, X, target=target)
    for name in ("h", "c", "accuracy"):
        np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))
    client.wait_for_workers(2, timeout=60)
