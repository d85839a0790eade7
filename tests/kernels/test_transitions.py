"""The transition cache of ``fl.run`` (fastlstm/_kernels/transitions.py).

A long run replays remembered transitions where its states repeat.  What must
hold, and what each test checks:

* the bits are those of stepping every time: a replayed ``fl.run`` equals the
  rows of ``fl.run_batch`` (SIMD lanes, no cache) and the traced run (no
  cache), under all 8 semantics, for a cell whose states repeat, one whose
  states never repeat, and one that settles after a transient;
* the cache is used where it should be: nearly every step of the parity cell
  on bits is replayed, none of a generic cell on real inputs, and a run that
  settles late is found again after its plain windows;
* the slots: in range, the +-(h, c) pairs of the parity cell apart, and an
  empty cache holds no finite key;
* a set keeps both of two keys that collide.
"""

import itertools

import numba
import numpy as np
import pytest

import fastlstm as fl
from fastlstm._config import JIT
from fastlstm._kernels import sequence as sk
from fastlstm._kernels import transitions as tk

W = sk.WINDOW
SEMANTICS = [dict(activation=a, inclusive=inc, round_feedback=rf)
             for a, inc, rf in itertools.product(("exact", "saturated"), (True, False),
                                                 (False, True))]
#: A cell with moderate weights: on standard-normal inputs its states never repeat.
GENERIC = fl.ScalarLSTM(W_fh=0.5, W_fx=-0.8, b_f=1.0, W_ih=-0.6, W_ix=0.9, b_i=0.1,
                        W_oh=0.7, W_ox=0.4, b_o=-0.2, W_ch=-1.1, W_cx=1.3, b_c=0.05)


def _bits(n, seed=0):
    return np.random.default_rng(seed).integers(0, 2, n).astype(np.float64)


def _normal(n, seed=0):
    return np.random.default_rng(seed).standard_normal(n)


def _settling(n_real, n_bits):
    """Real-valued inputs (states never repeat), then bits (the parity cell's 5 states)."""
    return np.concatenate([_normal(n_real, 1), _bits(n_bits, 1)])


CASES = {
    "parity cell on bits": (fl.presets.parity(), _bits(3 * W + 7)),
    "generic cell on real inputs": (GENERIC, _normal(3 * W + 7)),
    "parity cell, settling late": (fl.presets.parity(), _settling(W + 3, 18 * W)),
}


@numba.njit(**dict(JIT, cache=False))
def _replayed(p, x, h0, c0, theta, saturated, inclusive, round_feedback):
    """How many steps ``sequence_replayed`` replays, and its h and c."""
    h = np.empty_like(x)
    c = np.empty_like(x)
    n = sk.sequence_replayed(p, x, h0, c0, theta, saturated, inclusive, round_feedback, h, c)
    return n, h, c


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("sem", SEMANTICS, ids=lambda s: "-".join(map(str, s.values())))
def test_replayed_run_has_the_bits_of_stepping(case, sem):
    cell, x = CASES[case]
    run = fl.run(cell, x, h0=0.25, c0=-0.5, **sem)
    rows = fl.run_batch(cell, x[None], h0=0.25, c0=-0.5, **sem)
    traced = fl.run(cell, x, h0=0.25, c0=-0.5, trace=True, **sem)
    for other in (rows.h[0], traced.h):
        np.testing.assert_array_equal(run.h, other)
    for other in (rows.c[0], traced.c):
        np.testing.assert_array_equal(run.c, other)


@pytest.mark.parametrize("saturated", [False, True])
def test_the_cache_is_used_where_states_repeat(saturated):
    def replayed(cell, x):
        return _replayed(cell.to_array(), x, 0.0, 0.0, 1.0, saturated, True, False)[0]

    parity = fl.presets.parity()
    n = 3 * W + 7
    # the parity cell on bits visits 5 states after its initial one: at most 12
    # keys (state, bit) are ever computed
    assert replayed(parity, _bits(n)) >= n - 12
    assert replayed(GENERIC, _normal(n)) == 0
    # settling late: the first window replays nothing, the next PLAIN_WINDOWS
    # windows step without the cache, and the window after them finds the states
    x = _settling(W + 3, 18 * W)
    skipped = (1 + sk.PLAIN_WINDOWS) * W
    assert replayed(parity, x) >= len(x) - skipped - 12
    # one window is not worth a cache
    assert replayed(parity, _bits(W)) == 0


def test_window_boundaries_and_initial_state():
    p = fl.presets.parity().to_array()
    for n in (W - 1, W, W + 1, 2 * W, 2 * W + 1):
        x = _bits(n, seed=n)
        _, h, c = _replayed(p, x, -0.75, 2.0, 1.0, False, True, False)
        run = fl.run(p, x, h0=-0.75, c0=2.0, trace=True)
        np.testing.assert_array_equal(h, run.h)
        np.testing.assert_array_equal(c, run.c)


@numba.njit(**dict(JIT, cache=False))
def _slots(h, c, x):
    out = np.empty(h.shape[0], np.int64)
    for j in range(h.shape[0]):
        hb, cb, xb = tk.key(h[j], c[j], x[j])
        out[j] = tk.slot(hb, cb, xb)
    return out


@numba.njit(**dict(JIT, cache=False))
def _held_by_empty_cache(h, c, x):
    keys, _ = tk.new_cache(tk.SLOTS)
    held = 0
    for j in range(h.shape[0]):
        hb, cb, xb = tk.key(h[j], c[j], x[j])
        held += tk.find(keys, tk.slot(hb, cb, xb), hb, cb, xb) >= 0
    return held


def test_slots():
    rng = np.random.default_rng(2)
    h, c, x = (rng.standard_normal(10**5) * 10.0 ** rng.integers(-300, 300, 10**5)
               for _ in range(3))
    slots = _slots(h, c, x)
    assert (slots % 2 == 0).all()  # the first slot of a set of two
    assert slots.min() >= 0 and slots.max() < tk.SLOTS
    # spread like a random function: 10**5 keys into 2048 sets fill each about 49 times
    sets = tk.SLOTS // 2
    counts = np.bincount(slots // 2, minlength=sets)
    assert counts.min() > 0 and counts.max() < 2 * 10**5 / sets
    # the parity cell's states come in +-(h, c) pairs: they must not share sets
    run = fl.run(fl.presets.parity(), _bits(1000))
    states = np.unique(np.stack([run.h, run.c], 1), axis=0)
    keys = np.array([(hs, cs, xs) for hs, cs in states for xs in (0.0, 1.0)])
    assert len(set(_slots(*keys.T.copy()))) == len(keys)
    # an empty cache holds no finite key, zeros and signed zeros included
    specials = np.array([0.0, -0.0, 1.0, -1.0, 5e-324, np.finfo(float).max])
    grid = np.array(list(itertools.product(specials, repeat=3))).T.copy()
    assert _held_by_empty_cache(*grid) == 0
    assert _held_by_empty_cache(h, c, x) == 0


@numba.njit(**dict(JIT, cache=False))
def _collide(keys3, values2):
    """Insert the keys in turn into one set, then find each: the slots they are found in."""
    keys, values = tk.new_cache(tk.SLOTS)
    for j in range(keys3.shape[0]):
        tk.insert(keys, values, 8, keys3[j, 0], keys3[j, 1], keys3[j, 2], values2[j, 0],
                  values2[j, 1])
    found = np.empty(keys3.shape[0], np.int64)
    for j in range(keys3.shape[0]):
        found[j] = tk.find(keys, 8, keys3[j, 0], keys3[j, 1], keys3[j, 2])
    return found, values[8:10].copy()


def test_a_set_keeps_two_colliding_keys():
    rng = np.random.default_rng(4)
    keys = rng.standard_normal((3, 3)).view(np.int64)
    values = rng.standard_normal((3, 2))
    found, held = _collide(keys[:2], values[:2])
    assert found.tolist() == [9, 8]  # the newer key first
    np.testing.assert_array_equal(held, values[1::-1])
    found, held = _collide(keys, values)  # a third key pushes out the oldest
    assert found.tolist() == [-1, 9, 8]
    np.testing.assert_array_equal(held, values[:0:-1])
