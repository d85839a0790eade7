"""fastlstm.memory: a large result's memory is used again only once nothing holds it."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import fastlstm as fl
from fastlstm import memory

N = memory.MIN_BYTES // 8   # float64 elements of the smallest recycled result


@pytest.fixture(autouse=True)
def fresh_pool(monkeypatch):
    """Each test has a pool of its own, empty, with room for 64 of the smallest results
    (other tests in this process may hold results in the process's pool)."""
    monkeypatch.setattr(memory, "_blocks", [])
    monkeypatch.setattr(memory, "_limit", 64 * memory.MIN_BYTES)


def address(a):
    return a.__array_interface__["data"][0]


def test_memory_is_used_again_only_when_every_view_and_buffer_is_gone():
    holders = {"slice": lambda a: a[1:], "transposed view": lambda a: a.reshape(2, -1).T,
               "memoryview": memoryview, "frombuffer": lambda a: np.frombuffer(a, np.uint8)}
    for name, hold in holders.items():
        memory.release()
        a, recycled = memory.empty(N)
        assert not recycled, name
        where = address(a)
        held = hold(a)
        del a
        b, recycled = memory.empty(N)
        assert not recycled and address(b) != where, name    # a's memory is still held
        del held
        c, recycled = memory.empty(N)                        # b is alive: only a's is idle
        assert recycled and address(c) == where, name
        del b, c


def test_a_live_result_is_never_overwritten():
    a, _ = memory.empty(N)
    a[:] = 1.5
    for _ in range(3):
        b, _ = memory.empty(N)
        b[:] = -2.0
        assert (a == 1.5).all()
        assert not np.shares_memory(a, b)


def test_small_results_come_from_numpy_and_are_not_kept():
    before = memory.kept_bytes()
    a, recycled = memory.empty(N // 2)
    assert not recycled and memory.kept_bytes() == before
    assert a.shape == (N // 2,) and a.dtype == np.float64 and a.flags.c_contiguous


def test_a_block_serves_smaller_results_down_to_half_its_size():
    a, _ = memory.empty((4, N))
    where = address(a)
    del a
    b, recycled = memory.empty((3, N), np.int64)         # 3/4 of the block
    assert recycled and address(b) == where and b.shape == (3, N) and b.dtype == np.int64
    del b
    c, recycled = memory.empty(N + N // 2)               # 3/8: a block of its own
    assert not recycled and address(c) != where


def test_the_limit_bounds_the_memory_kept():
    memory.limit(3 * memory.MIN_BYTES)
    results = [memory.empty(N)[0] for _ in range(5)]
    assert memory.kept_bytes() == 3 * memory.MIN_BYTES    # the other two are not kept
    del results
    assert memory.kept_bytes() == 3 * memory.MIN_BYTES    # kept: idle, within the limit
    assert memory.limit(memory.MIN_BYTES) == memory.MIN_BYTES
    assert memory.kept_bytes() == memory.MIN_BYTES        # lowering it drops idle blocks
    assert memory.release() == memory.MIN_BYTES and memory.kept_bytes() == 0


def test_limit_zero_turns_recycling_off():
    a, _ = memory.empty(N)
    del a
    memory.limit(0)
    assert memory.kept_bytes() == 0
    b, recycled = memory.empty(N)
    assert not recycled and memory.kept_bytes() == 0


def test_paused_gives_fresh_memory_and_keeps_the_kept_blocks():
    a, _ = memory.empty(N)
    where = address(a)
    del a
    with memory.paused():
        b, recycled = memory.empty(N)
        assert not recycled and address(b) != where
        assert memory.kept_bytes() == memory.MIN_BYTES       # nothing dropped, nothing added
    c, recycled = memory.empty(N)
    assert recycled and address(c) == where


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True])
def test_limit_rejects_what_is_not_a_byte_count(bad):
    with pytest.raises(ValueError, match="nbytes must be an integer >= 0"):
        memory.limit(bad)


@pytest.mark.parametrize("text, want", [("", memory._default_limit()), ("0", 0),
                                        (" 1048576 ", 1 << 20)])
def test_the_environment_sets_the_limit(monkeypatch, text, want):
    monkeypatch.setenv("FASTLSTM_KEEP_MEMORY", text)
    assert memory._limit_from_environment() == want


@pytest.mark.parametrize("text", ["-5", "1G", "lots"])
def test_the_environment_variable_must_be_a_byte_count(monkeypatch, text):
    monkeypatch.setenv("FASTLSTM_KEEP_MEMORY", text)
    with pytest.raises(ValueError, match="FASTLSTM_KEEP_MEMORY must be a number of bytes"):
        memory._limit_from_environment()


def test_the_default_limit_is_a_sixteenth_of_the_memory_at_most_one_gib():
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert memory._default_limit() == min(1 << 30, physical // 16)


def test_threads_never_share_a_block():
    got, barrier = [], threading.Barrier(4)

    def take():
        barrier.wait()
        for _ in range(5):
            a, _ = memory.empty(N)
            got.append(a)          # every result stays alive: no two may overlap
    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts = sorted(address(a) for a in got)
    assert len(got) == 20 and all(b - a >= memory.MIN_BYTES for a, b in zip(starts, starts[1:]))


def test_machine_trajectories_reuse_dropped_results_with_the_same_bits():
    # The oracle is fl.run; the second call writes into the first's memory once it is
    # dropped, and a result still held is left untouched.
    semantics = dict(activation="saturated", round_feedback=True)
    m = fl.extract_automaton(fl.presets.parity(), **semantics)
    x = np.random.default_rng(0).integers(0, 2, N).astype(float)
    ref = fl.run(fl.presets.parity(), x, **semantics)
    first = m.trajectory(x)
    kept = first.h.copy()
    second = m.trajectory(x[::-1].copy())        # first is alive: new memory
    assert not np.shares_memory(first.h, second.h) and (first.h == kept).all()
    where = address(first.h), address(first.c)
    del first
    third = m.trajectory(x)
    assert {address(third.h), address(third.c)} == set(where)
    for got in (third.h, third.c):
        want = ref.h if got is third.h else ref.c
        assert (got.view(np.int64) == want.view(np.int64)).all()
