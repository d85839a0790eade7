"""Sizes are checked before anything is converted or built: sweep() refuses from the
shapes and dtypes of its inputs, binary_strings from its length, and neither makes a
temporary bigger than its result (tracemalloc sees every NumPy allocation)."""

import tracemalloc

import numpy as np
import pytest

import fastlstm as fl
from fastlstm.sweeps import memory


def peak_of(fn):
    """(what fn returned or raised, peak bytes traced while it ran)."""
    tracemalloc.start()
    try:
        try:
            out = fn()
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            out = exc
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module", autouse=True)
def compiled():
    fl.sweep(np.zeros((1, 12)), np.zeros((2, 3), np.int8), target=np.zeros((2, 3), np.int8))


# --- sweep(): refused from shapes and dtypes -------------------------------------

def test_an_int8_x_is_refused_before_its_float64_copy_is_made():
    x = np.zeros((2000, 500), np.int8)       # 1 MB; as float64 7.6 MiB
    err, peak = peak_of(lambda: fl.sweep(np.zeros((1, 12)), x, max_bytes=2**20))
    assert isinstance(err, ValueError), err
    msg = str(err)
    assert "x as float64 7.6 MiB" in msg and "1.0 MiB allowed" in msg
    assert "pass x as a C-contiguous float64 array" in msg and "fewer sequences" in msg
    assert peak < 2**19                       # no copy of x was made


def test_an_integer_table_is_refused_before_its_float64_copy_is_made():
    P = np.zeros((100_000, 12), np.int8)      # 1.1 MiB; as float64 9.2 MiB
    err, peak = peak_of(lambda: fl.sweep(P, [1.0, 0.0], max_bytes=2**20))
    assert isinstance(err, ValueError) and "params as float64 9.2 MiB" in str(err)
    assert peak < 2**19


def test_a_float_target_is_counted_and_an_integer_one_used_as_it_is():
    x = np.zeros((500, 400))                  # float64: used in place
    P = np.zeros((1, 12))
    limit = 19 * 2**20                        # the plan's bound is 18.3 MiB
    err, _ = peak_of(lambda: fl.sweep(P, x, target=np.zeros((500, 400), np.float32),
                                      record=None, max_bytes=limit))
    assert isinstance(err, ValueError), err
    assert "input plan 18.3 MiB, target as float64 1.5 MiB" in str(err)
    res, peak = peak_of(lambda: fl.sweep(P, x, target=np.zeros((500, 400), np.int8),
                                         record=None, max_bytes=limit))
    assert res.accuracy.tolist() == [1.0]
    assert peak < limit


def test_inputs_of_more_than_2_31_steps_are_refused_without_a_copy():
    # the probe's (1.6e6, 2000) int8 input gave numpy's MemoryError, not the refusal
    x = np.broadcast_to(np.int8(0), (1_600_000, 2000))   # no memory behind it
    err, peak = peak_of(lambda: fl.sweep(np.zeros((1, 12)), x))
    assert isinstance(err, ValueError) and "fewer than 2**31 steps" in str(err)
    assert peak < 2**20


def test_a_huge_int8_input_is_refused_without_a_copy():
    # the probe's (1e6, 2000) int8 input peaked at 17.3 GB before the refusal
    x = np.broadcast_to(np.int8(1), (1_000_000, 2000))
    P = np.broadcast_to(np.int8(0), (1000, 12))
    err, peak = peak_of(lambda: fl.sweep(P, x, max_bytes=2**30))
    assert isinstance(err, ValueError), err
    assert ("outputs 14.9 GiB, input plan 178.8 GiB, params as float64 93.8 KiB, "
            "x as float64 14.9 GiB, h0 and c0 15.3 MiB; ask for") in str(err)
    assert peak < 2**20


def test_what_fits_still_runs_with_the_same_numbers():
    x = np.array([[1, 1, 0], [0, 1, 1]], np.int8)
    t = np.array([[1, -1, 0], [0, 1, -1]], np.int8)
    P = fl.grid(base=fl.presets.parity(), W_cx=[50.0, 5.0])
    a = fl.sweep(P, x, target=t)
    b = fl.sweep(P, x.astype(float), target=t.astype(float))
    np.testing.assert_array_equal(a.h, b.h)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)


# --- binary_strings: refused from the length, built without a bigger temporary ----

def test_binary_strings_refuses_what_memory_would_not_hold(monkeypatch):
    monkeypatch.setattr(memory, "_available_memory", lambda: 2**20)   # a limit of 768 KiB
    with pytest.raises(ValueError, match=r"length=16 gives 2\*\*16 strings of 16 symbols, "
                                         r"1\.0 MiB as int8, more than the 768\.0 KiB allowed"):
        fl.binary_strings(16)
    assert fl.binary_strings(15).shape == (2**15, 15)   # 480 KiB
    with pytest.raises(ValueError, match="use a shorter length"):
        fl.binary_strings(10, max_bytes=1000)


def test_binary_strings_makes_no_temporary_bigger_than_its_output():
    X, peak = peak_of(lambda: fl.binary_strings(18))
    assert X.shape == (2**18, 18) and X.dtype == np.int8
    assert peak < 2 * X.nbytes                # the old way: an int64 copy, 8x the output


@pytest.mark.parametrize("length", [1, 2, 7, 17])   # 17: more rows than one block
def test_binary_strings_are_the_binary_digits_of_the_row_number(length):
    i = np.arange(2**length, dtype=np.int64)[:, None]
    expected = ((i >> np.arange(length - 1, -1, -1)) & 1).astype(np.int8)
    X = fl.binary_strings(length)
    assert X.dtype == np.int8 and X.flags.c_contiguous
    np.testing.assert_array_equal(X, expected)
